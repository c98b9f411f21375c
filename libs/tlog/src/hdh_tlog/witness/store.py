"""The latest cosigned checkpoint per log, in SQLite: checked and replaced atomically."""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS checkpoint (
  origin TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  root BLOB NOT NULL,
  note TEXT NOT NULL,
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
)
"""


@dataclass(frozen=True)
class Stored:
    size: int
    root: bytes
    note: str
    """The checkpoint with the log's verified signatures and this witness's cosignature."""


class Transaction:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def latest(self, origin: str) -> Stored | None:
        row = self.connection.execute(
            "SELECT size, root, note FROM checkpoint WHERE origin = ?", (origin,)
        ).fetchone()
        return None if row is None else Stored(int(row[0]), bytes(row[1]), str(row[2]))

    def save(self, origin: str, stored: Stored) -> None:
        self.connection.execute(
            "INSERT INTO checkpoint (origin, size, root, note) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root,"
            " note = excluded.note, updated_at = excluded.updated_at",
            (origin, stored.size, stored.root, stored.note),
        )


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = self._connect()
        try:
            # write-ahead log: one fsync per cosigned checkpoint, readers never blocked
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(SCHEMA)
        finally:
            connection.close()

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        connection.execute("PRAGMA synchronous=FULL")  # persisted before the answer
        return connection

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """``BEGIN IMMEDIATE``: the check of the old size and the update are one step, even
        across processes sharing the file."""
        connection = self._connect()
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(connection)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        finally:
            connection.close()

    def latest(self, origin: str) -> Stored | None:
        connection = self._connect()
        try:
            return Transaction(connection).latest(origin)
        finally:
            connection.close()
