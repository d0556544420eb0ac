#!/usr/bin/env bash
# Turn a fresh Raspberry Pi OS Lite (bookworm) into a Drivetime unit (docs/hardware.md).
#
# Usage: sudo hw/pi/provision.sh [--usb-audio CARD] [--dry-run [--root DIR]]
#
#   --usb-audio CARD  USB audio instead of the I2S DAC HAT; CARD is its id in `aplay -l`
#   --dry-run         print every step, command and file change (as a diff); change nothing
#   --root DIR        with --dry-run: read the Pi's files (config.txt, fstab, ...) under DIR
#
# Run it from a checkout of the project on the Pi, as root, with the network up. It can run
# again: every step looks at what is there first. The read-only root overlay is switched on
# LAST; from the next boot on, changing the system means switching it off first.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT=$(cd "$HERE/../.." && pwd)
EDITS="$HERE/lib/boot-edits.sh"

APP_USER=drivetime
APP_GROUPS=audio,video,render,input,dialout
VENV=/opt/drivetime
DATA_DIR=/var/lib/drivetime
DATA_LABEL=DTDATA
CONFIG_DIR=/etc/drivetime
LIBEXEC=/usr/local/libexec/drivetime
UNITS=(drivetime-engine.service drivetime-ui.service)
DAC_CARD=sndrpihifiberry
# data=ordered (ext4's default), not data=journal: every writer on this partition makes its
# own writes crash-safe (SQLite WAL with synchronous=FULL; write, fsync, rename, fsync the
# directory for the JSON files), and data=journal would write all of it twice to the card and
# turn off delayed allocation for no gain. commit=5 is the default too: the fsyncs decide.
# noatime: reads cost no writes. nofail + a 10 s device timeout: without the partition the
# unit still boots and plays (the engine only wants the mount), and says why nothing is kept.
FSTAB_LINE="LABEL=$DATA_LABEL $DATA_DIR ext4 defaults,noatime,nodev,nosuid,noexec,nofail,x-systemd.device-timeout=10s 0 2"

PACKAGES=(
    python3-venv python3-dev gcc      # the venv; PyAudio builds from source on arm64
    portaudio19-dev libopus0 alsa-utils
    libgl1-mesa-dri libegl1 libgles2 libgbm1 libdrm2 libmtdev1  # Kivy's SDL2 on KMS/DRM
    fonts-dejavu-core fonts-wqy-microhei fonts-droid-fallback   # the UI's fallback fonts
    polkitd                           # lets the engine power the unit off (polkit rule)
    overlayroot                       # the read-only root, installed while the network is up
)

DRY_RUN=0
ROOT=/
USB_AUDIO=""
STEP=0
STEPS=8

usage() {
    sed -n '4,8p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

die() {
    printf 'provision.sh: %s\n' "$*" >&2
    exit 1
}

say() {
    printf '%s\n' "$*"
}

step() {
    STEP=$((STEP + 1))
    printf '\n== %d/%d %s\n' "$STEP" "$STEPS" "$*"
}

# A command: run it, or in a dry run print it (shell-quoted, ready to paste).
run() {
    if ((DRY_RUN)); then
        printf '  $'
        printf ' %q' "$@"
        printf '\n'
    else
        "$@"
    fi
}

# A path on the Pi as this run reads it: under --root in a dry run, else the path itself.
on_pi() {
    printf '%s%s' "${ROOT%/}" "$1"
}

# A check a real run stops at; a dry run shows it and goes on.
refuse() {
    if ((DRY_RUN)); then
        say "  (a real run would stop here: $*)"
    else
        die "$*"
    fi
}

# install_file MODE DEST: the text on stdin becomes DEST, written whole and renamed into
# place. MODE "-" keeps the mode (the FAT boot partition has none to set).
install_file() {
    local mode=$1 dest=$2 current new
    current=$(on_pi "$dest")
    new=$(cat; printf x)
    new=${new%x}
    if [[ -f $current ]] && cmp -s "$current" <(printf '%s' "$new"); then
        say "  unchanged: $dest"
        return
    fi
    if ((DRY_RUN)); then
        if [[ -f $current ]]; then
            say "  would change $dest:"
            diff -u --label "$dest" --label "$dest (new)" "$current" <(printf '%s' "$new") |
                sed 's/^/    /' || true
        else
            say "  would create $dest ($(printf '%s' "$new" | wc -l) lines)"
        fi
        return
    fi
    mkdir -p "$(dirname "$dest")"
    printf '%s' "$new" >"$dest.drivetime-new"
    [[ $mode == - ]] || chmod "$mode" "$dest.drivetime-new"
    mv "$dest.drivetime-new" "$dest"
    say "  wrote $dest"
}

# The shipped unit.toml, unless the one on the Pi was edited: that one is kept and the new
# one goes beside it, to compare.
install_config() {
    local dest=$CONFIG_DIR/unit.toml
    if [[ -f $(on_pi "$dest") ]] && ! cmp -s "$(on_pi "$dest")" "$HERE/config/unit.toml"; then
        say "  $dest differs from hw/pi/config/unit.toml: kept; the shipped one is $dest.dist"
        install_file 0644 "$dest.dist" <"$HERE/config/unit.toml"
    else
        install_file 0644 "$dest" <"$HERE/config/unit.toml"
    fi
}

boot_dir() {
    if [[ -d $(on_pi /boot/firmware) ]]; then echo /boot/firmware; else echo /boot; fi
}

config_fragment() {
    if [[ -n $USB_AUDIO ]]; then
        sed 's/^dtoverlay=hifiberry-dac$/#&/' "$HERE/boot/config.txt.fragment"
    else
        cat "$HERE/boot/config.txt.fragment"
    fi
}

# The USB card's id in the two places that name the card (the comments keep the DAC's).
asound_conf() {
    local card=${USB_AUDIO:-$DAC_CARD}
    sed -e "s/^\( *card \)$DAC_CARD\$/\1$card/" -e "s/CARD=$DAC_CARD,/CARD=$card,/" \
        "$HERE/alsa/asound.conf"
}

is_mounted() {
    [[ $ROOT == / ]] && mountpoint -q "$1"
}

preflight() {
    local codename
    if ((!DRY_RUN)) && ((EUID != 0)); then
        die "run it as root: sudo $0"
    fi
    codename=$(sed -n 's/^VERSION_CODENAME=//p' "$(on_pi /etc/os-release)" 2>/dev/null || true)
    if [[ $codename != bookworm ]]; then
        say "warning: written for Raspberry Pi OS bookworm, this is '${codename:-unknown}'"
    fi
    if [[ $ROOT != / ]]; then
        say "(--root $ROOT: the Pi's files are read from there; partitions are not looked at)"
        return
    fi
    if [[ $(findmnt -no FSTYPE / || true) == overlay ]]; then
        refuse "the root is the read-only overlay, so nothing would be kept: run" \
            "'raspi-config nonint disable_overlayfs', reboot, and run this again"
    fi
    if ! blkid -L "$DATA_LABEL" >/dev/null 2>&1; then
        refuse "no partition is labelled $DATA_LABEL: make it first" \
            "(docs/hardware.md, 'Preparing the card')"
    fi
}

while (($#)); do
    case $1 in
        --dry-run) DRY_RUN=1 ;;
        --root)
            [[ $# -ge 2 ]] || usage
            ROOT=$2
            shift
            ;;
        --usb-audio)
            [[ $# -ge 2 ]] || usage
            USB_AUDIO=$2
            shift
            ;;
        -h | --help) usage ;;
        *)
            printf 'provision.sh: unknown option %s\n' "$1" >&2
            usage
            ;;
    esac
    shift
done
if [[ $ROOT != / ]] && ((!DRY_RUN)); then
    die "--root only reads files for a dry run; a real run provisions the Pi it runs on"
fi
[[ -d $ROOT ]] || die "--root $ROOT is not a directory"
if [[ -n $USB_AUDIO && ! $USB_AUDIO =~ ^[A-Za-z0-9_-]+$ ]]; then
    die "--usb-audio takes an ALSA card id (letters, digits, _ or -), got '$USB_AUDIO'"
fi

if ((DRY_RUN)); then
    say "Dry run: nothing is changed; commands are shown after \$, file changes as diffs."
fi
preflight
BOOT=$(boot_dir)

step "Debian packages"
run apt-get update
run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${PACKAGES[@]}"

step "User $APP_USER (no login; home is the data partition)"
if grep -q "^$APP_USER:" "$(on_pi /etc/passwd)"; then
    say "  user $APP_USER exists"
else
    run useradd --system --user-group --home-dir "$DATA_DIR" --no-create-home \
        --shell /usr/sbin/nologin "$APP_USER"
fi
run usermod --append --groups "$APP_GROUPS" "$APP_USER"

step "The project in a venv at $VENV"
if [[ -x $(on_pi "$VENV/bin/python") ]]; then
    say "  $VENV exists"
else
    run python3 -m venv "$VENV"
fi
run "$VENV/bin/pip" install --quiet --upgrade pip
run "$VENV/bin/pip" install --quiet "${PROJECT}[device,hw]"
# The same version number with new code is still new code: always this checkout's.
run "$VENV/bin/pip" install --quiet --no-deps --force-reinstall "$PROJECT"

step "Data partition $DATA_LABEL at $DATA_DIR (catalog, bonds, settings)"
bash "$EDITS" fstab "$FSTAB_LINE" <"$(on_pi /etc/fstab)" | install_file 0644 /etc/fstab
run systemctl daemon-reload
run mkdir -p "$DATA_DIR"
if is_mounted "$DATA_DIR"; then
    say "  $DATA_DIR is mounted"
else
    run mount "$DATA_DIR"
fi
if ((!DRY_RUN)) && [[ $(findmnt -no FSTYPE "$DATA_DIR") != ext4 ]]; then
    die "$DATA_DIR is not the ext4 $DATA_LABEL partition after mounting it (findmnt $DATA_DIR)"
fi
run chown "$APP_USER:$APP_USER" "$DATA_DIR"
run chmod 0750 "$DATA_DIR"

step "System files: audio, udev, polkit, journal, config, units"
asound_conf | install_file 0644 /etc/asound.conf
for rules in "$HERE"/udev/*.rules; do
    name=$(basename "$rules")
    install_file 0644 "/etc/udev/rules.d/$name" <"$HERE/udev/$name"
done
install_file 0644 /etc/polkit-1/rules.d/50-drivetime-poweroff.rules \
    <"$HERE/polkit/50-drivetime-poweroff.rules"
install_file 0644 /etc/systemd/journald.conf.d/50-drivetime.conf \
    <"$HERE/journald/50-drivetime.conf"
install_config
install_file 0755 "$LIBEXEC/wait-for-engine" <"$HERE/bin/wait-for-engine.sh"
for unit in "${UNITS[@]}"; do
    install_file 0644 "/etc/systemd/system/$unit" <"$HERE/systemd/$unit"
done

step "Boot configuration ($BOOT/config.txt): display, audio, Bluetooth"
if [[ $ROOT == / ]] && findmnt -no OPTIONS "$BOOT" 2>/dev/null | grep -qE '(^|,)ro(,|$)'; then
    run mount -o remount,rw "$BOOT"
fi
bash "$EDITS" config-txt <(config_fragment) <"$(on_pi "$BOOT/config.txt")" |
    install_file - "$BOOT/config.txt"

step "Services: engine and UI on, login prompt on tty1 off, BlueZ and swap file off"
run systemctl daemon-reload
run udevadm control --reload
run systemctl enable "${UNITS[@]}"
run systemctl disable getty@tty1.service
# bluetoothd would take hci0, which the engine drives itself through bumble.
run systemctl mask bluetooth.service
# A swap file on the overlay root would be RAM swapped to RAM.
if [[ -e $(on_pi /lib/systemd/system/dphys-swapfile.service) ||
    -e $(on_pi /usr/lib/systemd/system/dphys-swapfile.service) ]]; then
    run systemctl disable dphys-swapfile.service
fi

step "Read-only root: LAST, because from the next boot on the root's changes live in RAM"
cmdline=$(on_pi "$BOOT/cmdline.txt")
if grep -qE '(^|[[:space:]])(overlayroot=tmpfs|boot=overlay)' "$cmdline"; then
    say "  the overlay is already configured in $BOOT/cmdline.txt"
else
    # The boot partition read-only too; raspi-config refuses this once the overlay is on.
    run raspi-config nonint enable_bootro
    run raspi-config nonint enable_overlayfs
fi
if ((DRY_RUN)) && ! grep -q 'overlayroot=' "$cmdline"; then
    say "  then in $BOOT/cmdline.txt: overlayroot=tmpfs -> overlayroot=tmpfs:recurse=0"
    say "  (overlayroot would otherwise put $DATA_DIR in RAM as well)"
else
    bash "$EDITS" cmdline <"$cmdline" | install_file - "$BOOT/cmdline.txt"
fi

say ""
if ((DRY_RUN)); then
    say "Dry run done: nothing was changed."
else
    say "Done. The overlay root is switched on from the next boot: sudo reboot"
    say "After it, 'findmnt /' shows overlay and 'findmnt $DATA_DIR' shows ext4 rw."
    say "To change the system later: sudo raspi-config nonint disable_overlayfs, reboot,"
    say "change it (or run this script again, which switches the overlay on last), reboot."
fi
