"""Catalog search latency per keystroke over 50,000 rooms and 20,000 local tracks.

Run as ``python -m tests.bench.catalog_search [--rooms N] [--tracks N]``: prints one JSON
object. :func:`run` returns the same dict for the ``make bench`` suite (about 3 minutes,
mostly building the catalog).

Method: a temporary catalog on disk is filled with synthetic but realistic data: room
names, descriptions with #hashtags and genres in several languages (diacritics, ``#Müzik``,
``#lo-fi``), listeners on a long-tailed curve, 90 % of rooms live; a day of songs heard in
5,000 of them (about ten each, from a pool of artists with accents: Beyoncé, Motörhead,
Sigur Rós…); local tracks by the same artists. Every query of :data:`QUERIES` is then typed
one character at a time and each prefix searched as the UI would (``limit=20``, all three
groups with their totals): one unmeasured round, then :data:`ROUNDS` measured ones.

Three states are measured: as bulk-loaded; after :meth:`Catalog.optimize`; and the figure
that counts, ``search``: after that, an hour of now-playing peeks in 50 rooms (750 commits,
one per song, as the engine writes them), in a catalog reopened so only its cache is warm.
The goal is p95 ≤ 5 ms. The first query is typed with a Cyrillic U+0430 for the ``a`` of
``daft``, as after a keyboard-layout slip.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from device.catalog import Catalog, RoomRecord, TrackRecord
from device.catalog.history import HistoryLimits, record_song
from device.catalog.store import connect, transaction

ROOMS = 50_000
TRACKS = 20_000
ROOMS_WITH_SONGS = 5_000
PLAYS_PER_ROOM = 10
PEEKED_ROOMS = 50
ROUNDS = 3
GOAL_P95_MS = 5.0
NOW = 1_700_000_000.0
SOURCE = "icecast:http://bench.example:8000"
SMALL_SOURCE = "icecast:http://small.example:8000"
QUERIES = (
    "d\u0430ft pu",
    "daft punk",
    "#jazz",
    "artist:beyo",
    "beyoncé",
    "song:around the",
    "genre:hip hop",
    "#müzik",
    "sigur ros",
    "motorhead",
    "lo-fi beats",
    "#80s artist:madonna",
)

ARTISTS = (
    "Daft Punk", "Beyoncé", "Björk", "Sigur Rós", "Motörhead", "Mötley Crüe", "Édith Piaf",
    "Røyksopp", "Madonna", "Miles Davis", "Nina Simone", "Céline Dion", "Zaz", "Stromae",
    "Tarkan", "Sezen Aksu", "Caetano Veloso", "Rosalía", "Mylène Farmer", "Kraftwerk",
    "Nena", "Ludovico Einaudi", "Fela Kuti", "Ali Farka Touré", "Ibrahim Maalouf",
)  # fmt: skip
FIRST = (
    "Anna", "José", "Łukasz", "Zoë", "Søren", "Chloé", "Jürgen", "Ilkka", "Mía", "Noah",
    "Dmitri", "Aïcha", "Hiro", "Ngozi", "Paulo", "Ewa", "Tomás", "Elif", "Otto", "Lea",
)  # fmt: skip
LAST = (
    "Nowak", "García", "Müller", "Öztürk", "Dubois", "Håkansson", "Rossi", "Novák", "Silva",
    "Kovač", "Jensen", "Łęcka", "Moreau", "Y\u0131lmaz", "Brandão", "Virtanen",
)  # fmt: skip
WORDS = (
    "love", "night", "around", "world", "the", "café", "noche", "sommer", "river", "fire",
    "dream", "électrique", "blue", "city", "heart", "señorita", "song", "golden", "rain",
    "midnight", "forever", "strasse", "été", "moon", "dance", "ritmo", "kalp", "sol",
)  # fmt: skip
PLACES = (
    "Berlin", "Kraków", "Zürich", "São Paulo", "Montréal", "İstanbul", "Göteborg", "Málaga",
    "Reykjavík", "Łódź", "Paris", "Lagos", "Ōsaka", "Bogotá", "Nice",
)  # fmt: skip
KINDS = ("Radio", "FM", "Room", "Live", "Café", "Lounge", "Station", "Sessions", "Club")
TAGS = (
    "jazz", "Müzik", "lo-fi", "80s", "chill", "house", "techno", "talk", "news", "chanson",
    "música", "électro", "hiphop", "indie", "rock", "soul", "funk", "ambient", "late-night",
    "beats", "vinyl", "live", "türkçe", "français", "deutsch", "español", "90s", "dub",
)  # fmt: skip
GENRES = (
    "Jazz", "Hip Hop", "Rock", "Pop", "Electronic", "Soul", "Funk", "Classical", "Chanson",
    "Música Latina", "Türk Pop", "Ambient", "Talk", "Lo-Fi", "Deep House",
)  # fmt: skip


def _room(rng: random.Random, number: int) -> RoomRecord:
    name = f"{rng.choice(PLACES)} {rng.choice(WORDS).title()} {rng.choice(KINDS)} {number}"
    tags = " ".join(f"#{tag}" for tag in rng.sample(TAGS, rng.randint(0, 4)))
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 16)))
    host = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    return RoomRecord(
        url=f"http://bench.example:8000/room{number}",
        name=name,
        description=f"{words.capitalize()} with {host}. {tags}",
        genres=tuple(rng.sample(GENRES, rng.randint(0, 3))),
        listeners=int(rng.paretovariate(1.2)) - 1,
        bitrate_kbps=rng.choice((None, 64, 96, 128)),
        public=True,
        source=SOURCE,
    )


def _artist(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return rng.choice(ARTISTS)
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _title(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4))).title()


def build(path: Path, rooms: int, tracks: int, seed: int = 7) -> dict[str, float]:
    """Fill a new catalog at ``path``; return how long each part took (seconds)."""
    rng = random.Random(seed)
    timings: dict[str, float] = {}
    with Catalog(path) as catalog:
        records = [_room(rng, number) for number in range(rooms)]
        started = time.perf_counter()
        catalog.update_rooms(SOURCE, records, now=NOW - 86400)
        live = [record for record in records if rng.random() < 0.9]
        catalog.update_rooms(SOURCE, live, now=NOW)
        timings["rooms_s"] = time.perf_counter() - started
        files = [
            TrackRecord(
                path=f"/media/usb/{number // 12:05d}/{number:06d}.flac",
                title=_title(rng),
                artist=_artist(rng),
                album=_title(rng),
                genre=rng.choice(GENRES),
                duration_s=rng.uniform(90, 420),
                mtime_ns=number,
                size=30_000_000,
            )
            for number in range(tracks)
        ]
        started = time.perf_counter()
        catalog.update_tracks("/media/usb", files)
        timings["tracks_s"] = time.perf_counter() - started
    plays = [
        (NOW - play * rng.uniform(200, 8000), f"http://bench.example:8000/room{number}")
        for number in rng.sample(range(rooms), min(ROOMS_WITH_SONGS, rooms))
        for play in range(PLAYS_PER_ROOM + 1)
    ]
    plays.sort()  # heard in time order, as the engine reports them
    started = time.perf_counter()
    conn = connect(path)  # one transaction for all songs: a commit per song would take minutes
    with transaction(conn):
        for at, url in plays:
            song = (_artist(rng), _title(rng), _title(rng))
            record_song(conn, url, *song, at=at, via="peek", limits=HistoryLimits())
    conn.close()
    timings["songs_s"] = time.perf_counter() - started
    return timings


def refresh_ms(catalog: Catalog, seed: int = 5) -> list[float]:
    """A periodic refresh of a 50-room directory whose listener counts moved (the first
    refresh adds them), with the history pruning that comes with it. Each call's ms."""
    rng = random.Random(seed)
    rooms = [_room(rng, number) for number in range(PEEKED_ROOMS)]
    times_ms = []
    for round_number in range(6):
        listing = [
            RoomRecord(
                **{**record.__dict__, "source": SMALL_SOURCE, "url": f"{record.url}-small"},
            )
            for record in rooms
        ]
        if round_number:
            listing = [
                RoomRecord(**{**r.__dict__, "listeners": r.listeners + rng.randrange(-3, 30)})
                if r.listeners > 3
                else r
                for r in listing
            ]
        started = time.perf_counter()
        catalog.update_rooms(SMALL_SOURCE, listing, now=NOW + 3600 + round_number * 60)
        times_ms.append((time.perf_counter() - started) * 1000)
    return times_ms


def optimize(path: Path) -> float:
    started = time.perf_counter()
    with Catalog(path) as catalog:
        catalog.optimize()
    return time.perf_counter() - started


def an_hour_of_peeks(catalog: Catalog, seed: int = 11) -> list[float]:
    """What an hour of now-playing peeks writes: a new song every ~4 min in each of
    :data:`PEEKED_ROOMS` rooms, each one committed on its own, as the engine does. Returns
    each commit's time in ms."""
    rng = random.Random(seed)
    commits_ms = []
    for number in range(PEEKED_ROOMS * 15):
        at = NOW + number * 3600 / (PEEKED_ROOMS * 15)
        url = f"http://bench.example:8000/room{rng.randrange(PEEKED_ROOMS)}"
        started = time.perf_counter()
        catalog.record_song(url, _artist(rng), _title(rng), _title(rng), at, "peek")
        commits_ms.append((time.perf_counter() - started) * 1000)
    return commits_ms


def _keystrokes(query: str) -> list[str]:
    return [query[:end] for end in range(1, len(query) + 1)]


def _quantiles(samples_ms: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples_ms, n=100)
    return {
        "p50_ms": round(cuts[49], 3),
        "p95_ms": round(cuts[94], 3),
        "max_ms": round(max(samples_ms), 3),
    }


def _measure(catalog: Catalog, now: float) -> dict[str, Any]:
    for query in QUERIES:  # warm-up round, not measured
        for typed in _keystrokes(query):
            catalog.search(typed, now=now)
    samples_ms: list[float] = []
    worst: dict[str, float] = {}
    for _ in range(ROUNDS):
        for query in QUERIES:
            for typed in _keystrokes(query):
                started = time.perf_counter()
                catalog.search(typed, now=now)
                elapsed_ms = (time.perf_counter() - started) * 1000
                samples_ms.append(elapsed_ms)
                worst[typed] = max(worst.get(typed, 0.0), elapsed_ms)
    slowest = sorted(worst.items(), key=lambda item: item[1], reverse=True)[:5]
    return {
        "keystrokes": len(samples_ms),
        **_quantiles(samples_ms),
        "slowest_keystrokes_ms": {typed: round(ms, 3) for typed, ms in slowest},
    }


def _best_ms(call: Any, times: int = 5) -> float:
    best = float("inf")
    for _ in range(times):
        started = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 3)


def run(rooms: int = ROOMS, tracks: int = TRACKS) -> dict[str, Any]:
    """Build the catalog in a temporary directory, measure, return the figures."""
    with tempfile.TemporaryDirectory(prefix="catalog-bench-") as folder:
        path = Path(folder) / "catalog.db"
        build_s = build(path, rooms, tracks)
        with Catalog(path) as catalog:
            bulk_loaded = _measure(catalog, NOW)
        build_s["optimize_s"] = optimize(path)
        with Catalog(path) as catalog:
            optimized = _measure(catalog, NOW)
            commits_ms = an_hour_of_peeks(catalog)
        later = NOW + 3600
        with Catalog(path) as catalog:
            refreshes_ms = refresh_ms(catalog)
        with Catalog(path) as catalog:
            steady = _measure(catalog, later)
            sample = {query: catalog.search(query, now=later) for query in QUERIES}
            browse_ms = {
                "top_hashtags": _best_ms(catalog.top_hashtags),
                "top_genres": _best_ms(catalog.top_genres),
                "live_rooms": _best_ms(catalog.live_rooms),
                "favorites": _best_ms(catalog.favorites),
            }
        size_mb = sum(part.stat().st_size for part in Path(folder).iterdir()) / 1e6
    return {
        "rooms": rooms,
        "tracks": tracks,
        "search": steady,
        "search_just_optimized": optimized,
        "search_bulk_loaded": bulk_loaded,
        "goal_p95_ms": GOAL_P95_MS,
        "met": steady["p95_ms"] <= GOAL_P95_MS,
        "matches_live_recent_tracks": {
            query: [
                f"{group.total}{'+' if group.capped else ''}"
                for group in (found.live_rooms, found.recent_rooms, found.tracks)
            ]
            for query, found in sample.items()
        },
        "record_song_commit": _quantiles(commits_ms),
        "refresh_50_rooms_ms": {
            "first": round(refreshes_ms[0], 3),
            "later_median": round(statistics.median(refreshes_ms[1:]), 3),
        },
        "browse_ms": browse_ms,
        "build_s": {name: round(seconds, 2) for name, seconds in build_s.items()},
        "db_mb": round(size_mb, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=ROOMS)
    parser.add_argument("--tracks", type=int, default=TRACKS)
    args = parser.parse_args()
    print(json.dumps(run(args.rooms, args.tracks), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
