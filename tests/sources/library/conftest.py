"""The sample library (:mod:`.sample_library`), encoded once per test session and copied
into each test's own folder, which the test may change freely; a catalog on disk."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from device.catalog import Catalog
from tests.sources.library.sample_library import build_library


@pytest.fixture(scope="session")
def library_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("library-source")
    build_library(folder)
    return folder


@pytest.fixture
def music_root(library_source: Path, tmp_path: Path) -> Path:
    """This test's own copy of the library (the "USB stick")."""
    root = tmp_path / "usb"
    shutil.copytree(library_source, root)
    return root


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    with Catalog(tmp_path / "catalog.db") as opened:
        yield opened
