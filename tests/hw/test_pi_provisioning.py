"""The Raspberry Pi provisioning (hw/pi): checked with the tools that will read each file.

No Pi here, so what the Pi would refuse is refused here first: systemd parses the units
(``systemd-analyze verify``), shellcheck reads every script, ALSA parses asound.conf, the
project's own loader reads unit.toml, a small parser of udev's key/op/value syntax reads
the rules (``udevadm verify`` arrived after Debian 12's systemd 252). The files must also
agree with each other: a socket path, a device name or a user spelled two ways would leave
the unit silent with every file "valid". ``provision.sh --dry-run`` runs against a fake
root and must change nothing, anywhere.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from device.config import Config, ConfigError, load_config

REPO = Path(__file__).resolve().parents[2]
PI = REPO / "hw" / "pi"
PROVISION = PI / "provision.sh"
EDITS = PI / "lib" / "boot-edits.sh"
FRAGMENT = PI / "boot" / "config.txt.fragment"
UNIT_FILES = sorted((PI / "systemd").glob("*.service"))
UDEV_RULES = sorted((PI / "udev").glob("*.rules"))
UNIT_TOML = PI / "config" / "unit.toml"

# The stock /boot/firmware/config.txt of Raspberry Pi OS Lite (bookworm), shortened.
STOCK_CONFIG_TXT = """\
# For more options and information see
# http://rptl.io/configtxt

# Uncomment some or all of these to enable the optional hardware interfaces
#dtparam=i2c_arm=on
#dtparam=spi=on

# Enable audio (loads snd_bcm2835)
dtparam=audio=on

# Automatically load overlays for detected DSI displays
display_auto_detect=1

# Automatically load initramfs files, if found
auto_initramfs=1

# Enable DRM VC4 V3D driver
dtoverlay=vc4-kms-v3d
max_framebuffers=2

[cm5]
dtoverlay=dwc2,dr_mode=host

[all]
"""
STOCK_FSTAB = """\
proc            /proc           proc    defaults          0       0
PARTUUID=4e639091-01  /boot/firmware  vfat    defaults          0       2
PARTUUID=4e639091-02  /               ext4    defaults,noatime  0       1
"""
STOCK_CMDLINE = (
    "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 "
    "fsck.repair=yes rootwait\n"
)


def edit(*args: str, stdin: str) -> str:
    result = subprocess.run(
        ["bash", str(EDITS), *args], input=stdin, capture_output=True, text=True, check=True
    )
    return result.stdout


# -- systemd units ---------------------------------------------------------------------------


def verify_units(units: list[Path], tmp_path: Path) -> str:
    """``systemd-analyze verify``'s complaints about ``units`` ("" when there are none).

    systemd also checks that each ExecStart program exists: the paths the Pi will have
    (/opt/drivetime/bin, /usr/local/libexec/drivetime) point to stubs here. Most mistakes
    (an unknown key, a value it cannot parse) are only warnings with exit status 0, so any
    output at all counts as a complaint.
    """
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is missing (Debian package: systemd)")
    stubs = tmp_path / "stubs"
    stubs.mkdir(parents=True, exist_ok=True)
    for name in ("drivetime-unit", "drivetime-ui", "wait-for-engine"):
        (stubs / name).write_text("#!/bin/sh\n")
        (stubs / name).chmod(0o755)
    copies = []
    for unit in units:
        text = unit.read_text()
        for prefix in ("/opt/drivetime/bin/", "/usr/local/libexec/drivetime/"):
            text = text.replace(prefix, f"{stubs}/")
        copy = tmp_path / unit.name
        copy.write_text(text)
        copies.append(str(copy))
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *copies],
        capture_output=True,
        text=True,
        timeout=60,
    )
    complaints = (result.stdout + result.stderr).strip()
    if result.returncode != 0 and not complaints:
        complaints = f"exit status {result.returncode}"
    return complaints


def unit_settings(unit: Path) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


def test_the_engine_and_ui_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    assert [u.name for u in UNIT_FILES] == ["drivetime-engine.service", "drivetime-ui.service"]
    assert verify_units(UNIT_FILES, tmp_path) == ""


@pytest.mark.parametrize(
    ("mistake", "good", "bad"),
    [
        ("a misspelt key", "Restart=on-failure", "Restrat=on-failure"),
        ("a value systemd cannot parse", "ProtectSystem=strict", "ProtectSystem=strikt"),
    ],
)
def test_the_unit_check_catches(mistake: str, good: str, bad: str, tmp_path: Path) -> None:
    engine = tmp_path / "drivetime-engine.service"
    engine.write_text(UNIT_FILES[0].read_text().replace(good, bad, 1))
    complaints = verify_units([engine], tmp_path / "check")
    assert bad.split("=")[0] in complaints or bad.split("=")[1] in complaints, mistake


def test_the_ui_starts_after_the_engine_and_takes_tty1_from_the_login_prompt() -> None:
    ui = unit_settings(PI / "systemd" / "drivetime-ui.service")
    assert "drivetime-engine.service" in " ".join(ui["After"])
    assert ui["Wants"] == ["drivetime-engine.service"]
    assert "Requires" not in ui and "BindsTo" not in ui  # an engine restart keeps the screen
    assert ui["Conflicts"] == ["getty@tty1.service"]
    assert "SDL_VIDEODRIVER=kmsdrm" in ui["Environment"]
    assert ui["Restart"] == ["on-failure"]


def test_the_engine_may_open_the_hci_socket_and_write_only_its_state() -> None:
    engine = unit_settings(PI / "systemd" / "drivetime-engine.service")
    assert engine["CapabilityBoundingSet"] == ["CAP_NET_ADMIN CAP_NET_RAW"]
    # A bounding set alone gives a non-root user nothing: the caps must be ambient too.
    assert engine["AmbientCapabilities"] == ["CAP_NET_ADMIN CAP_NET_RAW"]
    assert engine["ProtectSystem"] == ["strict"]
    assert engine["ReadWritePaths"] == ["/var/lib/drivetime"]
    assert engine["PrivateTmp"] == ["yes"]
    assert engine["Restart"] == ["on-failure"]
    # The engine notifies READY=1 and WATCHDOG=1 (tests/test_service_notify.py checks it).
    assert engine["Type"] == ["notify"] and engine["NotifyAccess"] == ["main"]
    assert engine["WatchdogSec"] == ["10"]


def test_the_files_agree_on_paths_users_and_device_names() -> None:
    config = load_unit_config()
    engine = unit_settings(PI / "systemd" / "drivetime-engine.service")
    ui = unit_settings(PI / "systemd" / "drivetime-ui.service")
    provision = PROVISION.read_text()

    # The control socket: in the engine's RuntimeDirectory, and what the UI waits for.
    socket_path = config.engine.socket_path
    assert socket_path.parent == Path("/run") / engine["RuntimeDirectory"][0]
    assert ui["ExecStartPre"][0].split()[1] == str(socket_path)

    # The state directory is the data partition's mount point, writable in both units.
    for unit in (engine, ui):
        state_home = next(e for e in unit["Environment"] if e.startswith("XDG_STATE_HOME="))
        assert Path(state_home.split("=", 1)[1]) / "drivetime" == Path("/var/lib/drivetime")
        assert unit["ReadWritePaths"] == ["/var/lib/drivetime"]
        assert unit["User"] == ["drivetime"]
        assert "DRIVETIME_CONFIG=/etc/drivetime/unit.toml" in unit["Environment"]
    assert "DATA_DIR=/var/lib/drivetime" in provision
    assert "APP_USER=drivetime" in provision

    # The panel's serial device is the symlink the udev rule makes.
    panel_rule = (PI / "udev" / "99-drivetime-panel.rules").read_text()
    symlink = re.search(r'SYMLINK\+="([^"]+)"', panel_rule)
    assert symlink is not None
    assert config.panel.device == f"serial:/dev/{symlink.group(1)},115200"
    # ... whose group the engine runs in.
    group = re.search(r'GROUP="([^"]+)"', panel_rule)
    assert group is not None and group.group(1) in engine["SupplementaryGroups"][0].split()

    # Music sticks are mounted where the catalog looks.
    media_rule = (PI / "udev" / "99-drivetime-media.rules").read_text()
    assert set(re.findall(r"\$devnode (/media/usb-)%k", media_rule)) == {"/media/usb-"}
    assert all(root.startswith("/media/usb-sd") for root in config.catalog.library)

    # Power-off is allowed to the user the engine runs as.
    polkit = (PI / "polkit" / "50-drivetime-poweroff.rules").read_text()
    assert 'subject.user === "drivetime"' in polkit
    assert config.power.poweroff_command == "systemctl poweroff"


def test_the_polkit_rule_names_logind_actions_that_exist() -> None:
    policy = Path("/usr/share/polkit-1/actions/org.freedesktop.login1.policy")
    if not policy.exists():
        pytest.skip(f"{policy} is missing (Debian package: systemd)")
    rule = (PI / "polkit" / "50-drivetime-poweroff.rules").read_text()
    actions = re.findall(r'"(org\.freedesktop\.login1\.[a-z-]+)"', rule)
    assert actions == [
        "org.freedesktop.login1.power-off",
        "org.freedesktop.login1.power-off-multiple-sessions",
    ]
    for action in actions:
        assert f'action id="{action}"' in policy.read_text()


# -- shell scripts ----------------------------------------------------------------------------


def test_every_shell_script_passes_shellcheck() -> None:
    # Not skipped when missing: the Makefile installs shellcheck, and a skip would hide it.
    assert shutil.which("shellcheck"), "shellcheck is missing (Debian package: shellcheck)"
    scripts = sorted(PI.rglob("*.sh"))
    assert {s.name for s in scripts} >= {"provision.sh", "boot-edits.sh", "wait-for-engine.sh"}
    result = subprocess.run(
        ["shellcheck", "--severity=style", *map(str, scripts)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for script in scripts:
        assert os.access(script, os.X_OK), f"{script} is not executable"


def test_wait_for_engine_returns_when_the_socket_appears(tmp_path: Path) -> None:
    path = tmp_path / "engine.sock"
    started = time.monotonic()
    waiter = subprocess.Popen(
        ["sh", str(PI / "bin" / "wait-for-engine.sh"), str(path), "5"],
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(0.3)
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    try:
        assert waiter.wait(timeout=5) == 0
    finally:
        server.close()
    assert time.monotonic() - started < 1.5
    assert waiter.stderr is not None and waiter.stderr.read() == ""


def test_wait_for_engine_gives_up_after_its_time_without_failing_the_start(
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    result = subprocess.run(
        ["sh", str(PI / "bin" / "wait-for-engine.sh"), str(tmp_path / "none.sock"), "1"],
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert result.returncode == 0
    assert 0.9 < time.monotonic() - started < 5
    assert "starting the UI anyway" in result.stderr


# -- udev rules -------------------------------------------------------------------------------

# udev(7): which keys match, which assign, which need {attribute}.
MATCH_ONLY = {"ACTION", "DEVPATH", "KERNEL", "KERNELS", "SUBSYSTEM", "SUBSYSTEMS", "DRIVER"}
MATCH_ONLY |= {"DRIVERS", "ATTRS", "TAGS", "TEST", "PROGRAM", "RESULT", "CONST"}
ASSIGN_ONLY = {"OWNER", "GROUP", "MODE", "SECLABEL", "RUN", "LABEL", "GOTO", "IMPORT", "OPTIONS"}
EITHER = {"NAME", "SYMLINK", "ATTR", "SYSCTL", "ENV", "TAG"}
NEEDS_ATTRIBUTE = {"ATTR", "ATTRS", "SYSCTL", "ENV", "CONST", "SECLABEL", "IMPORT"}
MAY_HAVE_ATTRIBUTE = NEEDS_ATTRIBUTE | {"TEST", "RUN"}
MATCH_OPS = {"==", "!="}
ASSIGN_OPS = {"=", "+=", "-=", ":="}
PAIR = re.compile(r'\s*([A-Z_]+)(?:\{([^}]*)\})?\s*(==|!=|\+=|-=|:=|=)\s*"((?:[^"\\]|\\.)*)"\s*')


def udev_rule_errors(text: str) -> list[str]:
    """What udev would reject or ignore in a rules file: ``line N: why`` for each."""
    errors = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        position, has_match = 0, False
        while position < len(line):
            pair = PAIR.match(line, position)
            if pair is None:
                errors.append(f"line {number}: cannot read from {line[position:]!r}")
                break
            key, attribute, op, _value = pair.groups()
            errors += [f"line {number}: {why}" for why in _pair_errors(key, attribute, op)]
            has_match = has_match or op in MATCH_OPS
            position = pair.end()
            if position < len(line):
                if line[position] != ",":
                    errors.append(f"line {number}: a comma is missing before {line[position:]!r}")
                    break
                position += 1
        if not has_match:
            errors.append(f"line {number}: no match key: the rule would apply to every device")
    return errors


def _pair_errors(key: str, attribute: str | None, op: str) -> list[str]:
    if key not in MATCH_ONLY | ASSIGN_ONLY | EITHER:
        return [f"unknown key {key}"]
    errors = []
    if key in MATCH_ONLY and op not in MATCH_OPS:
        errors.append(f"{key} can only be matched (==, !=), not assigned ({op})")
    if key in ASSIGN_ONLY and op not in ASSIGN_OPS:
        errors.append(f"{key} can only be assigned, not matched ({op})")
    if key in NEEDS_ATTRIBUTE and not attribute:
        errors.append(f"{key} needs {{attribute}}")
    if attribute is not None and key not in MAY_HAVE_ATTRIBUTE:
        errors.append(f"{key} takes no {{attribute}}")
    return errors


@pytest.mark.parametrize("rules", UDEV_RULES, ids=lambda p: p.name)
def test_the_udev_rules_parse(rules: Path) -> None:
    if shutil.which("udevadm") and "verify" in _udevadm_help():
        result = subprocess.run(["udevadm", "verify", str(rules)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
    assert udev_rule_errors(rules.read_text()) == []


def _udevadm_help() -> str:
    return subprocess.run(["udevadm", "--help"], capture_output=True, text=True).stdout


@pytest.mark.parametrize(
    ("typo", "complaint"),
    [
        ('SUBSYTEM=="tty"', "unknown key SUBSYTEM"),
        ('ATTRS{idVendor}="2e8a"', "ATTRS can only be matched"),
        ('GROUP=="dialout"', "GROUP can only be assigned"),
        ('SUBSYSTEM=="tty" ATTRS{idVendor}=="2e8a"', "a comma is missing"),
        ('SUBSYSTEM=="tty', "cannot read"),
        ('SUBSYSTEM=="tty", MODE="0660" GROUP="dialout"', "a comma is missing"),
        ('ENV=="1"', "ENV needs {attribute}"),
        ('SYMLINK+="drivetime-panel"', "no match key"),
    ],
)
def test_the_udev_parser_catches(typo: str, complaint: str) -> None:
    errors = udev_rule_errors(f"# a rule\n{typo}\n")
    assert any(complaint in error and error.startswith("line 2:") for error in errors), errors


def test_the_panel_rule_names_the_pico_and_keeps_modemmanager_away() -> None:
    rule = (PI / "udev" / "99-drivetime-panel.rules").read_text()
    assert 'SUBSYSTEM=="tty"' in rule and 'ATTRS{idVendor}=="2e8a"' in rule
    assert 'ENV{ID_MM_DEVICE_IGNORE}="1"' in rule
    assert 'MODE="0660"' in rule


# -- config.txt fragment, asound.conf, unit.toml ----------------------------------------------


def config_txt_key(line: str) -> str:
    """The setting a config.txt line makes: dtoverlay=<name>, dtparam=<name>, or the key."""
    name, _, value = line.partition("=")
    if name in ("dtoverlay", "dtparam"):
        return f"{name}={re.split('[,=]', value)[0]}"
    return name


def test_the_config_txt_fragment_sets_each_key_once_and_says_why() -> None:
    lines = FRAGMENT.read_text().splitlines()
    settings = [(i, line) for i, line in enumerate(lines) if line and not line.startswith("#")]
    keys = [config_txt_key(line) for _, line in settings if not line.startswith("[")]
    assert len(keys) == len(set(keys)), keys
    for index, line in settings:
        assert lines[index - 1].startswith("# "), f"{line!r} has no comment above it"
    assert {"dtoverlay=vc4-kms-v3d", "dtoverlay=vc4-kms-dsi-7inch", "dtoverlay=hifiberry-dac"} <= (
        set(keys)
    )
    assert "dtparam=audio=off" in lines and "dtparam=krnbt=on" in lines


def test_asound_conf_parses_and_makes_dmix_the_default(tmp_path: Path) -> None:
    if shutil.which("aplay") is None:
        pytest.skip("aplay is missing (Debian package: alsa-utils)")

    def alsa_errors_and_devices(conf: Path) -> tuple[str, str]:
        environment = {**os.environ, "ALSA_CONFIG_PATH": f"/usr/share/alsa/alsa.conf:{conf}"}
        result = subprocess.run(["aplay", "-L"], capture_output=True, text=True, env=environment)
        return result.stderr, result.stdout

    errors, devices = alsa_errors_and_devices(PI / "alsa" / "asound.conf")
    assert errors == ""
    assert "drivetime_dmix" in devices.split()
    text = (PI / "alsa" / "asound.conf").read_text()
    assert re.search(r'pcm\.!default \{[^}]*slave\.pcm "drivetime_dmix"', text)
    assert re.search(r"type dmix", text) and 'pcm "hw:CARD=sndrpihifiberry,DEV=0"' in text

    broken = tmp_path / "asound.conf"
    broken.write_text(text.replace("slave {", "slave {{", 1))
    assert "ALSA lib" in alsa_errors_and_devices(broken)[0]  # the check can fail


def load_unit_config() -> Config:
    try:
        return load_config(UNIT_TOML)
    except ConfigError as exc:
        if "panel" in str(exc):  # the [panel] section is the lead's to add to device.config
            pytest.skip(f"unit.toml's [panel] key is not known to device.config yet: {exc}")
        raise


def test_unit_toml_loads_with_the_projects_own_config_loader() -> None:
    config = load_unit_config()
    assert config.audio.output == "pyaudio:default"
    assert config.link.transport == "hci-socket:0"
    assert config.panel.device == "serial:/dev/drivetime-panel,115200"
    assert config.engine.socket_path == Path("/run/drivetime/engine.sock")


# -- boot-edits.sh ----------------------------------------------------------------------------


def test_config_txt_edit_adds_the_block_once_and_turns_off_clashing_stock_lines() -> None:
    once = edit("config-txt", str(FRAGMENT), stdin=STOCK_CONFIG_TXT)
    assert edit("config-txt", str(FRAGMENT), stdin=once) == once
    assert "#drivetime-off# dtparam=audio=on" in once.splitlines()
    assert "#drivetime-off# dtoverlay=vc4-kms-v3d" in once.splitlines()
    assert "#drivetime-off# display_auto_detect=1" in once.splitlines()
    # Other stock lines stay as they were, the [cm5] overlay included.
    for line in ("auto_initramfs=1", "max_framebuffers=2", "dtoverlay=dwc2,dr_mode=host"):
        assert line in once.splitlines()
    active = [line for line in once.splitlines() if line and not line.startswith(("#", "["))]
    keys = [config_txt_key(line) for line in active]
    assert len(keys) == len(set(keys)), keys
    assert once.endswith(FRAGMENT.read_text() + "# <<< drivetime\n")


def test_config_txt_edit_replaces_an_older_block_rather_than_adding_a_second(
    tmp_path: Path,
) -> None:
    old_fragment = tmp_path / "old.fragment"
    old_fragment.write_text("# the old DAC\ndtoverlay=iqaudio-dacplus\n")
    old = edit("config-txt", str(old_fragment), stdin=STOCK_CONFIG_TXT)
    new = edit("config-txt", str(FRAGMENT), stdin=old)
    assert "iqaudio" not in new
    assert new == edit("config-txt", str(FRAGMENT), stdin=STOCK_CONFIG_TXT)


def test_fstab_edit_adds_the_data_partition_once_and_replaces_an_old_line() -> None:
    line = "LABEL=DTDATA /var/lib/drivetime ext4 defaults,noatime 0 2"
    once = edit("fstab", line, stdin=STOCK_FSTAB)
    assert once == STOCK_FSTAB + line + "\n"
    assert edit("fstab", line, stdin=once) == once
    old = STOCK_FSTAB + "LABEL=DTDATA /var/lib/drivetime ext4 defaults,data=journal 0 2\n"
    assert edit("fstab", line, stdin=old) == once
    commented = STOCK_FSTAB + "#LABEL=DTDATA /mnt ext4 defaults 0 2\n"
    assert edit("fstab", line, stdin=commented) == commented + line + "\n"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            "overlayroot=tmpfs console=tty1 rootwait",
            "overlayroot=tmpfs:recurse=0 console=tty1 rootwait",
        ),
        ("overlayroot=tmpfs:swap=1 rootwait", "overlayroot=tmpfs:swap=1,recurse=0 rootwait"),
        ("overlayroot=tmpfs:recurse=1 rootwait", "overlayroot=tmpfs:recurse=0 rootwait"),
        ("boot=overlay console=tty1 rootwait", "boot=overlay console=tty1 rootwait"),
        (STOCK_CMDLINE.strip(), STOCK_CMDLINE.strip()),
    ],
)
def test_cmdline_edit_keeps_overlayroot_off_the_data_partition(before: str, after: str) -> None:
    once = edit("cmdline", stdin=before + "\n")
    assert once == after + "\n"
    assert edit("cmdline", stdin=once) == once


# -- provision.sh --dry-run -------------------------------------------------------------------

# Commands that change a system; a dry run must call none of them.
MUTATING = [
    "apt-get",
    "useradd",
    "usermod",
    "python3",
    "pip",
    "mount",
    "umount",
    "chown",
    "chmod",
    "mkdir",
    "cp",
    "mv",
    "rm",
    "ln",
    "tee",
    "install",
    "systemctl",
    "udevadm",
    "raspi-config",
    "mkfs.ext4",
    "dd",
]


def installed_files() -> dict[str, Path]:
    """Where provision.sh puts each file of hw/pi on the Pi (relative to /)."""
    installed = {
        "etc/asound.conf": PI / "alsa/asound.conf",
        "etc/polkit-1/rules.d/50-drivetime-poweroff.rules": (
            PI / "polkit/50-drivetime-poweroff.rules"
        ),
        "etc/systemd/journald.conf.d/50-drivetime.conf": PI / "journald/50-drivetime.conf",
        "etc/drivetime/unit.toml": UNIT_TOML,
        "usr/local/libexec/drivetime/wait-for-engine": PI / "bin/wait-for-engine.sh",
    }
    installed |= {f"etc/udev/rules.d/{rules.name}": rules for rules in UDEV_RULES}
    installed |= {f"etc/systemd/system/{unit.name}": unit for unit in UNIT_FILES}
    return installed


def test_every_file_in_hw_pi_is_installed_or_used_by_provision() -> None:
    used = {PROVISION, EDITS, FRAGMENT}  # the fragment is merged into config.txt
    files = {path for path in PI.rglob("*") if path.is_file()}
    assert files == set(installed_files().values()) | used


def fake_pi(root: Path, *, provisioned: bool = False) -> None:
    """A stock Pi OS Lite's files under ``root``; ``provisioned``: as provision.sh left them."""
    (root / "boot/firmware").mkdir(parents=True)
    (root / "etc").mkdir()
    (root / "etc/os-release").write_text(
        'PRETTY_NAME="Debian GNU/Linux 12"\nVERSION_CODENAME=bookworm\n'
    )
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (root / "etc/fstab").write_text(STOCK_FSTAB)
    (root / "boot/firmware/config.txt").write_text(STOCK_CONFIG_TXT)
    (root / "boot/firmware/cmdline.txt").write_text(STOCK_CMDLINE)
    if not provisioned:
        return
    fstab_line = re.search(r'FSTAB_LINE="(LABEL=\$DATA_LABEL[^"]+)"', PROVISION.read_text())
    assert fstab_line is not None
    line = (
        fstab_line.group(1)
        .replace("$DATA_LABEL", "DTDATA")
        .replace("$DATA_DIR", "/var/lib/drivetime")
    )
    (root / "etc/fstab").write_text(edit("fstab", line, stdin=STOCK_FSTAB))
    (root / "boot/firmware/config.txt").write_text(
        edit("config-txt", str(FRAGMENT), stdin=STOCK_CONFIG_TXT)
    )
    (root / "boot/firmware/cmdline.txt").write_text("overlayroot=tmpfs:recurse=0 " + STOCK_CMDLINE)
    with (root / "etc/passwd").open("a") as passwd:
        passwd.write("drivetime:x:999:999::/var/lib/drivetime:/usr/sbin/nologin\n")
    venv_python = root / "opt/drivetime/bin/python"
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text("#!/bin/sh\n")
    venv_python.chmod(0o755)
    for destination, source in installed_files().items():
        (root / destination).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, root / destination)


def snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    return {
        str(path.relative_to(root)): (
            path.stat().st_mode,
            path.read_bytes() if path.is_file() else b"",
        )
        for path in sorted(root.rglob("*"))
    }


def dry_run(root: Path, tmp_path: Path, *extra: str) -> str:
    """provision.sh --dry-run --root ROOT, with every mutating command replaced by a stub
    that records its call: the test fails if the dry run calls any."""
    stubs, calls = tmp_path / "stubs", tmp_path / "calls.log"
    stubs.mkdir(exist_ok=True)
    for name in MUTATING:
        (stubs / name).write_text(f'#!/bin/sh\necho "{name} $*" >> "{calls}"\nexit 1\n')
        (stubs / name).chmod(0o755)
    watched = [Path(p) for p in ("/etc/fstab", "/etc/passwd", "/etc/group") if Path(p).exists()]
    before_host = {p: p.stat().st_mtime_ns for p in watched}
    before = snapshot(root)
    result = subprocess.run(
        ["bash", str(PROVISION), "--dry-run", "--root", str(root), *extra],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PATH": f"{stubs}:{os.environ['PATH']}", "TMPDIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    assert not calls.exists(), f"the dry run ran: {calls.read_text()}"
    assert snapshot(root) == before
    assert {p: p.stat().st_mtime_ns for p in watched} == before_host
    return result.stdout


def diff_lines(output: str) -> list[tuple[str, str]]:
    """The changed lines of the diffs a dry run prints: (sign, text without indentation)."""
    changes = []
    for line in output.splitlines():
        if re.match(r"    [-+](?![-+]{2} )", line):
            changes.append((line[4], line[5:].strip()))
    return changes


def steps_of(output: str) -> list[str]:
    return re.findall(r"^== \d+/\d+ (.*)$", output, flags=re.MULTILINE)


def test_dry_run_prints_every_step_and_changes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "pi"
    fake_pi(root)
    output = dry_run(root, tmp_path)
    steps = steps_of(output)
    assert len(steps) == 8
    assert steps[-1].startswith("Read-only root: LAST")
    # The commands a real run would make, in the order it would make them.
    commands = [line.strip()[2:] for line in output.splitlines() if line.strip().startswith("$ ")]
    expected = [
        "apt-get update",
        "useradd --system --user-group --home-dir /var/lib/drivetime",
        "python3 -m venv /opt/drivetime",
        "/opt/drivetime/bin/pip install",
        "mount /var/lib/drivetime",
        "chown drivetime:drivetime /var/lib/drivetime",
        "systemctl enable drivetime-engine.service drivetime-ui.service",
        "systemctl mask bluetooth.service",
        "raspi-config nonint enable_bootro",
        "raspi-config nonint enable_overlayfs",
    ]
    positions = [next(i for i, c in enumerate(commands) if c.startswith(e)) for e in expected]
    assert positions == sorted(positions), commands
    assert commands[-1] == "raspi-config nonint enable_overlayfs"  # the overlay is last
    added = [text for sign, text in diff_lines(output) if sign == "+"]
    fstab_line = next(line for line in added if line.startswith("LABEL=DTDATA"))
    assert fstab_line.split()[1:3] == ["/var/lib/drivetime", "ext4"]
    assert {"noatime", "nofail"} <= set(fstab_line.split()[3].split(","))
    assert "#drivetime-off# dtparam=audio=on" in added
    for destination in (
        "/etc/asound.conf",
        "/etc/udev/rules.d/99-drivetime-panel.rules",
        "/etc/udev/rules.d/99-drivetime-media.rules",
        "/etc/polkit-1/rules.d/50-drivetime-poweroff.rules",
        "/etc/systemd/journald.conf.d/50-drivetime.conf",
        "/etc/drivetime/unit.toml",
        "/usr/local/libexec/drivetime/wait-for-engine",
        "/etc/systemd/system/drivetime-engine.service",
        "/etc/systemd/system/drivetime-ui.service",
    ):
        assert f"would create {destination} " in output, destination
    assert "overlayroot=tmpfs -> overlayroot=tmpfs:recurse=0" in output
    assert output.rstrip().endswith("Dry run done: nothing was changed.")


def test_dry_run_on_a_provisioned_pi_has_nothing_left_to_do(tmp_path: Path) -> None:
    root = tmp_path / "pi"
    fake_pi(root, provisioned=True)
    output = dry_run(root, tmp_path)
    assert "would create" not in output and "would change" not in output, output
    assert "raspi-config" not in output
    assert "the overlay is already configured" in output
    assert "user drivetime exists" in output and "/opt/drivetime exists" in output


def test_dry_run_keeps_an_edited_unit_toml(tmp_path: Path) -> None:
    root = tmp_path / "pi"
    fake_pi(root, provisioned=True)
    (root / "etc/drivetime/unit.toml").write_text("[audio]\nvolume = 70\n")
    output = dry_run(root, tmp_path)
    assert "/etc/drivetime/unit.toml differs from hw/pi/config/unit.toml: kept" in output
    assert "would create /etc/drivetime/unit.toml.dist" in output


def test_dry_run_with_usb_audio_points_alsa_at_the_usb_card(tmp_path: Path) -> None:
    root = tmp_path / "pi"
    fake_pi(root, provisioned=True)
    changes = diff_lines(dry_run(root, tmp_path, "--usb-audio", "Device"))
    assert ("-", 'pcm "hw:CARD=sndrpihifiberry,DEV=0"') in changes
    assert ("+", 'pcm "hw:CARD=Device,DEV=0"') in changes
    assert ("+", "card Device") in changes
    assert ("-", "card sndrpihifiberry") in changes
    assert len([c for c in changes if "sndrpihifiberry" in c[1]]) == 2  # comments unchanged
    assert [c for c in changes if c[1].endswith("dtoverlay=hifiberry-dac")] == [
        ("-", "dtoverlay=hifiberry-dac"),
        ("+", "#dtoverlay=hifiberry-dac"),
    ]


@pytest.mark.parametrize(
    ("arguments", "status", "message"),
    [
        (["--root", "/tmp"], 1, "--root only reads files for a dry run"),
        (["--dry-run", "--usb-audio", "x;rm -rf /"], 1, "--usb-audio takes an ALSA card id"),
        (["--dry-run", "--frobnicate"], 2, "unknown option --frobnicate"),
    ],
)
def test_provision_refuses_what_it_cannot_do(
    arguments: list[str], status: int, message: str
) -> None:
    result = subprocess.run(["bash", str(PROVISION), *arguments], capture_output=True, text=True)
    assert result.returncode == status
    assert message in result.stderr
    assert result.stdout == ""
