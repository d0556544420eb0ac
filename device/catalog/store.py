"""The SQLite file: opening it safely, migrating it, and writing to it atomically.

Durability over speed: WAL journal with ``synchronous=FULL``, so a transaction whose COMMIT
returned is on the card and survives a power cut at any later instant; a transaction cut
short leaves no trace. Every write goes through :func:`transaction` (``BEGIN IMMEDIATE``:
the write lock is taken up front, so a write never fails half-way on a busy database).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from device.catalog.schema import MIGRATIONS, SCHEMA_VERSION, Migration

__all__ = ["CatalogError", "connect", "migrate", "schema_version", "transaction"]

BUSY_TIMEOUT_S = 5.0
# The search working set of a 50,000-room catalog (index pages of common words, rooms'
# rows) stays in memory: with SQLite's default 2 MiB, p95 per keystroke was ~5 ms, ~3 ms here.
CACHE_KIB = 16 * 1024


class CatalogError(Exception):
    """The catalog file cannot be used: not a database, from newer software, unwritable."""


def connect(path: str | Path) -> sqlite3.Connection:
    """Open (creating if needed) the database at ``path`` with the catalog's pragmas.

    The connection is in autocommit mode (``isolation_level=None``): transactions are only
    the explicit ones of :func:`transaction`. It is not tied to the opening thread; callers
    MUST serialise its use (the :class:`~device.catalog.catalog.Catalog` holds a lock).
    """
    try:
        conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as error:
        raise CatalogError(f"cannot open the catalog at {path}: {error}") from error
    try:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode not in ("wal", "memory"):
            raise CatalogError(f"the catalog at {path} cannot use a write-ahead log ({mode})")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    except sqlite3.DatabaseError as error:
        conn.close()
        raise CatalogError(f"{path} is not a usable catalog database: {error}") from error
    except CatalogError:
        conn.close()
        raise
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection, *, write: bool = True) -> Iterator[sqlite3.Connection]:
    """Run the block as one transaction: all of it is committed, or none of it.

    ``write=False`` starts a deferred transaction: a consistent snapshot for several reads.
    """
    conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def schema_version(conn: sqlite3.Connection) -> int:
    """The last migration applied to this database; 0 for a new, empty one."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(
    conn: sqlite3.Connection,
    migrations: Sequence[Migration] = MIGRATIONS,
    up_to: int | None = None,
) -> int:
    """Apply the migrations this database lacks, each atomically; return the new version.

    ``up_to`` stops at that version (tests build old databases with it). A database from
    newer software than this one is refused rather than guessed at.
    """
    target = migrations[-1].version if up_to is None else up_to
    try:
        current = schema_version(conn)
    except sqlite3.DatabaseError as error:
        raise CatalogError(f"the catalog is not a usable database: {error}") from error
    if current > SCHEMA_VERSION:
        raise CatalogError(
            f"the catalog has schema version {current}, newer than this software understands"
            f" ({SCHEMA_VERSION}); update the software or move the catalog file aside"
        )
    for migration in migrations:
        if current < migration.version <= target:
            with transaction(conn):
                conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                migration.apply(conn)
                conn.execute("DELETE FROM schema_version")
                conn.execute("INSERT INTO schema_version VALUES (?)", (migration.version,))
            current = migration.version
    return current
