#!/usr/bin/env bash
# The text edits provision.sh makes to the Pi's own files: each reads the file on stdin and
# writes the new text to stdout, touching nothing, so a dry run can show them as a diff and
# the tests can check them. Applying an edit to its own output changes nothing (idempotent).
#
#   boot-edits.sh config-txt FRAGMENT   < config.txt  # our block in, clashing stock lines out
#   boot-edits.sh fstab LINE            < fstab       # the data partition's line, once
#   boot-edits.sh cmdline               < cmdline.txt # overlayroot only on / (recurse=0)
set -euo pipefail

BLOCK_BEGIN="# >>> drivetime: hw/pi/boot/config.txt.fragment (provision.sh rewrites this block)"
BLOCK_END="# <<< drivetime"
# A stock line that sets one of our keys is kept, commented out with this mark, so it is
# plain what the unit changed and a re-run leaves it as it is.
OFF_MARK="#drivetime-off# "

usage() {
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# config.txt: the keys the fragment sets are "dtoverlay=<name>", "dtparam=<name>" or the plain
# key; a stock line setting one of them is commented out, the old block (if any) is dropped,
# and the fragment goes at the end between the markers.
config_txt() {
    local fragment=$1
    [[ -r $fragment ]] || { echo "boot-edits: cannot read $fragment" >&2; exit 2; }
    awk -v begin="$BLOCK_BEGIN" -v end="$BLOCK_END" -v off="$OFF_MARK" -v fragment="$fragment" '
        function setting_key(line,    name, value) {
            sub(/^[ \t]+/, "", line)
            if (line == "" || line ~ /^#/ || line ~ /^\[/) return ""
            if (index(line, "=") == 0) { split(line, words, /[ \t]+/); return words[1] }
            name = substr(line, 1, index(line, "=") - 1)
            value = substr(line, index(line, "=") + 1)
            if (name == "dtoverlay" || name == "dtparam") {
                sub(/[,=].*/, "", value)
                return name "=" value
            }
            return name
        }
        BEGIN {
            while ((getline line < fragment) > 0) {
                block[++block_lines] = line
                key = setting_key(line)
                if (key != "") ours[key] = 1
            }
        }
        $0 == begin { inside = 1; next }
        inside && $0 == end { inside = 0; next }
        inside { next }
        {
            key = setting_key($0)
            kept[++kept_lines] = (key != "" && key in ours) ? off $0 : $0
        }
        END {
            while (kept_lines > 0 && kept[kept_lines] ~ /^[ \t]*$/) kept_lines--
            for (i = 1; i <= kept_lines; i++) print kept[i]
            if (kept_lines > 0) print ""
            print begin
            for (i = 1; i <= block_lines; i++) print block[i]
            print end
        }'
}

# fstab: the line for our mount point (or our label) replaced where it stands, else appended.
fstab() {
    local line=$1 source mountpoint
    read -r source mountpoint _ <<<"$line"
    awk -v line="$line" -v source="$source" -v mountpoint="$mountpoint" '
        !/^[ \t]*#/ && ($1 == source || $2 == mountpoint) {
            if (!done) print line
            done = 1
            next
        }
        { print }
        END { if (!done) print line }'
}

# cmdline.txt: raspi-config's overlayroot=tmpfs overlays every fstab mount too, the data
# partition included, which would put the catalog and the bonds in RAM. recurse=0 keeps the
# overlay on / alone. (The older boot=overlay initramfs overlays / alone already.)
cmdline() {
    awk '{
        for (i = 1; i <= NF; i++) {
            if ($i ~ /^overlayroot=tmpfs/) {
                if ($i ~ /recurse=/) sub(/recurse=[^,]*/, "recurse=0", $i)
                else if ($i ~ /:/) $i = $i ",recurse=0"
                else $i = $i ":recurse=0"
            }
        }
        print
    }'
}

[[ $# -ge 1 ]] || usage
command=$1
shift
case $command in
    config-txt) [[ $# -eq 1 ]] || usage; config_txt "$1" ;;
    fstab) [[ $# -eq 1 ]] || usage; fstab "$1" ;;
    cmdline) [[ $# -eq 0 ]] || usage; cmdline ;;
    *) usage ;;
esac
