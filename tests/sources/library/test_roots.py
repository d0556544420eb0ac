"""Where removable media are mounted, and when a root counts as not there."""

from __future__ import annotations

from pathlib import Path

from device.sources.library import default_library_roots, why_unavailable


def test_default_roots_are_the_mounted_removable_media(tmp_path: Path) -> None:
    folders = [
        "media/usb0/Music",  # usbmount: mounted, with folders on the stick
        "media/usb1",  # usbmount's mount point with nothing mounted
        "media/pi/STICK/Artist",  # udisks: /media/<user>/<label>
        "mnt/usb",
        "mnt/backup",  # not a removable-media name
        "run/media/ana/SD CARD",
        "media/root-ro/home",  # the overlay root's read-only lower layer: the system
        "media/root-rw/overlay",
    ]
    for folder in folders:
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "media/stray file").write_text("")
    mounted = {str(tmp_path / m) for m in ("media/usb0", "media/pi/STICK", "mnt/usb")}
    mounted |= {str(tmp_path / "run/media/ana/SD CARD"), str(tmp_path / "mnt/backup")}
    mounted |= {str(tmp_path / "media/root-ro"), str(tmp_path / "media/root-rw")}
    roots = default_library_roots(str(tmp_path), is_mount=mounted.__contains__)
    assert roots == [
        str(tmp_path / "media/pi/STICK"),
        str(tmp_path / "media/usb0"),
        str(tmp_path / "mnt/usb"),
        str(tmp_path / "run/media/ana/SD CARD"),
    ]


def test_nothing_is_mounted_in_an_ordinary_folder(tmp_path: Path) -> None:
    (tmp_path / "media/usb0").mkdir(parents=True)
    assert default_library_roots(str(tmp_path)) == []  # the real mount check


def test_why_a_root_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    (tmp_path / "media/usb").mkdir(parents=True)
    media = [str(tmp_path / "media")]
    assert why_unavailable(str(tmp_path / "gone"), media) == "it does not exist"
    assert why_unavailable(str(tmp_path / "file"), media) == "it is not a folder"
    assert why_unavailable(str(tmp_path / "media/usb"), media).startswith(
        "nothing is mounted there"
    )
    assert why_unavailable(str(tmp_path / "media/usb"), media_bases=[]) is None
    assert why_unavailable(str(tmp_path / "media"), media) is None  # the base itself
