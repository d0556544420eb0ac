"""A USB stick plugged in while the engine runs: its music is in the catalog within seconds,
not at the next refresh round (a minute) and not only after a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

from device.catalog import Catalog
from device.core.catalog_service import CatalogService, CatalogSettings
from device.sources.library import resolve_library_roots
from tests.e2e.engine_harness import start_engine
from tests.support.music_files import make_track
from tests.support.waiting import wait_for


def test_a_stick_plugged_in_while_running_is_scanned_at_once_and_kept_when_pulled(tmp_path):
    media = tmp_path / "root"
    (media / "media").mkdir(parents=True)
    mounted: set[str] = set()  # what the kernel has mounted; a test cannot mount for real

    def library_roots():
        return resolve_library_roots(["auto"], str(media), is_mount=mounted.__contains__)

    async def drive():
        engine, _ = await start_engine(tmp_path, "null")
        catalog = Catalog(tmp_path / "catalog.sqlite")
        settings = CatalogSettings(
            library_roots=library_roots,
            media_mounts=lambda: repr(sorted(mounted)),  # the kernel's mount table, in short
            media_poll_s=0.1,
            refresh_s=3600,
        )
        service = CatalogService(catalog, engine.player, settings)
        await service.start()
        try:
            await asyncio.wait_for(service.refreshed.wait(), 10)
            before = catalog.track_count()
            stick = media / "media" / "usb0"
            stick.mkdir()
            make_track(stick / "song.flac", "flac", seconds=0.5, freq_hz=440.0,
                       tags={"title": "Night Bus", "artist": "The Blue Ring Trio"})  # fmt: skip
            mounted.add(str(stick))  # plugged in
            found_after_s = await wait_for(lambda: catalog.track_count() == 1, 5.0, "stick scanned")
            titles = [t.title for t in catalog.tracks_under(str(stick))]
            mounted.discard(str(stick))  # pulled out
            await asyncio.sleep(0.5)
            kept = catalog.track_count()
        finally:
            await service.close()
            await engine.close()
        return before, found_after_s, titles, kept

    before, found_after_s, titles, kept = asyncio.run(drive())
    assert before == 0
    assert found_after_s < 2.0  # the refresh round is an hour away in this test
    assert titles == ["Night Bus"]
    assert kept == 1  # a pulled stick's music stays listed for when it comes back


def test_auto_stands_for_the_media_mounted_now_beside_the_configured_folders(tmp_path: Path):
    (tmp_path / "media" / "usb0").mkdir(parents=True)
    mounted = {str(tmp_path / "media" / "usb0")}
    roots = resolve_library_roots(
        ["/srv/music", "auto", "/srv/music"], str(tmp_path), is_mount=mounted.__contains__
    )
    assert roots == ("/srv/music", str(tmp_path / "media" / "usb0"))
    assert resolve_library_roots(["auto"], str(tmp_path), is_mount=set().__contains__) == ()
