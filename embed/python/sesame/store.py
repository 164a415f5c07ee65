"""The `sesame:auth/store` contract over `sqlite3`: versions never reused, compare-and-swap,
time-to-live and prefix scans with paging, the same schema and semantics as the `sesame` host's
SQLite back end (`host/src/store/sqlite.rs`)."""

from __future__ import annotations

import bisect
import sqlite3
import threading
import time
from typing import Dict, List, Optional, Tuple

#: Longest key accepted, in UTF-8 bytes (the WIT contract's limit).
MAX_KEY_BYTES = 512
#: Largest value accepted (the WIT contract's limit).
MAX_VALUE_BYTES = 1024 * 1024
#: Most entries one scan returns, whatever `limit` asks for, so one call cannot make the host
#: read a whole table into memory.
MAX_SCAN_LIMIT = 1000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    key        TEXT PRIMARY KEY,
    value      BLOB NOT NULL,
    version    INTEGER NOT NULL,
    expires_at INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kv_expiry ON kv (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS host_meta (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID;
"""

# One counter for the whole database: a key deleted and written again gets a version it never
# had, so a compare-and-swap holding a stale version can never succeed by accident.
_VERSION_COUNTER = "version-counter"


class StoreError(Exception):
    """Why a storage call did not happen (the WIT `store-error`)."""


class Conflict(StoreError):
    """`expect_version` did not match; nothing was written."""


class TooLarge(StoreError):
    """The key or value exceeds the contract's limits; nothing was written."""


class Unavailable(StoreError):
    """The database failed; nothing is known to be written."""


Entry = Tuple[bytes, int]


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def prefix_upper_bound(prefix: str) -> Optional[str]:
    """The smallest string greater than every string starting with `prefix`, if there is one.
    UTF-8 byte order (SQLite's BINARY collation) equals code point order, so bumping the last
    code point works."""
    chars = list(prefix)
    while chars:
        nxt = ord(chars.pop()) + 1
        if 0xD800 <= nxt <= 0xDFFF:
            nxt = 0xE000
        if nxt <= 0x10FFFF:
            chars.append(chr(nxt))
            return "".join(chars)
    return None


class SqliteStore:
    """Key-value storage in one SQLite file (or `":memory:"`), safe to share between threads.

    Every method raises `Conflict`, `TooLarge` or `Unavailable` as the WIT contract says; the
    component sees them as `store-error` cases."""

    def __init__(self, path: str = ":memory:") -> None:
        self._lock = threading.Lock()
        try:
            # Transactions are opened explicitly (BEGIN IMMEDIATE) so a compare-and-swap reads
            # and writes under one write lock, also across processes sharing the file.
            self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = FULL")
            self._conn.execute("PRAGMA busy_timeout = 5000")
            self._conn.executescript(_SCHEMA)
        except sqlite3.Error as e:
            raise Unavailable(str(e)) from e

    def close(self) -> None:
        """Closes the database."""
        with self._lock:
            self._conn.close()

    def _live_version(self, key: str, now: int) -> int:
        row = self._conn.execute(
            "SELECT version FROM kv WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)",
            (key, now),
        ).fetchone()
        return 0 if row is None else int(row[0])

    def get(self, key: str) -> Optional[Entry]:
        """The live entry under `key` as `(value, version)`, or None."""
        with self._lock:
            try:
                row = self._conn.execute(
                    "SELECT value, version FROM kv WHERE key = ? "
                    "AND (expires_at IS NULL OR expires_at > ?)",
                    (key, _now_ms()),
                ).fetchone()
            except sqlite3.Error as e:
                raise Unavailable(str(e)) from e
        return None if row is None else (bytes(row[0]), int(row[1]))

    def put(
        self,
        key: str,
        value: bytes,
        expect_version: Optional[int] = None,
        ttl_ms: Optional[int] = None,
    ) -> int:
        """Writes `value` and returns its new version. `expect_version`: None writes
        unconditionally, 0 only if absent or expired, v only if the live version is v."""
        if len(key.encode("utf-8")) > MAX_KEY_BYTES or len(value) > MAX_VALUE_BYTES:
            raise TooLarge()
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    now = _now_ms()
                    if expect_version is not None and self._live_version(key, now) != expect_version:
                        raise Conflict()
                    (version,) = self._conn.execute(
                        "INSERT INTO host_meta (name, value) VALUES (?, 1) "
                        "ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
                        (_VERSION_COUNTER,),
                    ).fetchone()
                    expires_at = None if ttl_ms is None else min(now + ttl_ms, 2**63 - 1)
                    self._conn.execute(
                        "INSERT INTO kv (key, value, version, expires_at) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
                        "version = excluded.version, expires_at = excluded.expires_at",
                        (key, value, version, expires_at),
                    )
                    self._conn.execute("COMMIT")
                    return int(version)
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as e:
                raise Unavailable(str(e)) from e

    def delete(self, key: str, expect_version: Optional[int] = None) -> bool:
        """Removes `key`; True if a live entry was removed. A live entry at another version
        than `expect_version` raises `Conflict`."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    current = self._live_version(key, _now_ms())
                    if current == 0:
                        self._conn.execute("ROLLBACK")
                        return False
                    if expect_version is not None and expect_version != current:
                        raise Conflict()
                    self._conn.execute("DELETE FROM kv WHERE key = ?", (key,))
                    self._conn.execute("COMMIT")
                    return True
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as e:
                raise Unavailable(str(e)) from e

    def scan(self, prefix: str, after: Optional[str], limit: int) -> List[Tuple[str, Entry]]:
        """Live entries whose key starts with `prefix`, ascending, strictly after `after`, at
        most `limit` (capped at `MAX_SCAN_LIMIT`)."""
        start = after if after is not None and after >= prefix else ""
        upper = prefix_upper_bound(prefix)
        with self._lock:
            try:
                rows = self._conn.execute(
                    "SELECT key, value, version FROM kv "
                    "WHERE key >= ? AND key > ? AND (? IS NULL OR key < ?) "
                    "AND (expires_at IS NULL OR expires_at > ?) ORDER BY key LIMIT ?",
                    (prefix, start, upper, upper, _now_ms(), min(limit, MAX_SCAN_LIMIT)),
                ).fetchall()
            except sqlite3.Error as e:
                raise Unavailable(str(e)) from e
        return [(k, (bytes(v), int(ver))) for k, v, ver in rows]

    def purge_expired(self) -> int:
        """Deletes expired entries (they already behave as absent); returns how many."""
        with self._lock:
            try:
                cur = self._conn.execute(
                    "DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?", (_now_ms(),)
                )
            except sqlite3.Error as e:
                raise Unavailable(str(e)) from e
            return cur.rowcount

    def host_secret(self, name: str, fresh: bytes) -> bytes:
        """The secret stored under `name`, storing `fresh` first if there is none, so the first
        start of an app generates it and every later start (and process) reads the same."""
        with self._lock:
            try:
                self._conn.execute(
                    "INSERT INTO host_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                    (name, fresh),
                )
                (value,) = self._conn.execute(
                    "SELECT value FROM host_meta WHERE name = ?", (name,)
                ).fetchone()
            except sqlite3.Error as e:
                raise Unavailable(str(e)) from e
        return bytes(value)


class MemoryStore:
    """The same contract in a dict, for tests, benchmarks and short-lived processes: data lives
    as long as the object. Safe to share between threads. Keys are also kept sorted, so a scan
    costs the entries it returns, not the size of the store."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: Dict[str, Tuple[bytes, int, Optional[int]]] = {}
        # Sorted by code point, which is UTF-8 byte order, the contract's order.
        self._keys: List[str] = []
        self._meta: Dict[str, bytes] = {}
        # One counter for the whole store, as in `SqliteStore`: versions are never reused.
        self._last_version = 0

    def _drop(self, key: str) -> None:
        del self._entries[key]
        at = bisect.bisect_left(self._keys, key)
        if at < len(self._keys) and self._keys[at] == key:
            del self._keys[at]

    def _live(self, key: str, now: int) -> Optional[Tuple[bytes, int, Optional[int]]]:
        entry = self._entries.get(key)
        if entry is not None and entry[2] is not None and entry[2] <= now:
            self._drop(key)
            return None
        return entry

    def get(self, key: str) -> Optional[Entry]:
        """The live entry under `key` as `(value, version)`, or None."""
        with self._lock:
            entry = self._live(key, _now_ms())
        return None if entry is None else (entry[0], entry[1])

    def put(
        self,
        key: str,
        value: bytes,
        expect_version: Optional[int] = None,
        ttl_ms: Optional[int] = None,
    ) -> int:
        """As `SqliteStore.put`."""
        if len(key.encode("utf-8")) > MAX_KEY_BYTES or len(value) > MAX_VALUE_BYTES:
            raise TooLarge()
        with self._lock:
            now = _now_ms()
            entry = self._live(key, now)
            if expect_version is not None and (0 if entry is None else entry[1]) != expect_version:
                raise Conflict()
            self._last_version += 1
            expires_at = None if ttl_ms is None else now + ttl_ms
            if key not in self._entries:
                bisect.insort(self._keys, key)
            self._entries[key] = (bytes(value), self._last_version, expires_at)
            return self._last_version

    def delete(self, key: str, expect_version: Optional[int] = None) -> bool:
        """As `SqliteStore.delete`."""
        with self._lock:
            entry = self._live(key, _now_ms())
            if entry is None:
                return False
            if expect_version is not None and expect_version != entry[1]:
                raise Conflict()
            self._drop(key)
            return True

    def scan(self, prefix: str, after: Optional[str], limit: int) -> List[Tuple[str, Entry]]:
        """As `SqliteStore.scan`."""
        wanted = min(limit, MAX_SCAN_LIMIT)
        out: List[Tuple[str, Entry]] = []
        with self._lock:
            now = _now_ms()
            keys = self._keys
            if after is not None and after >= prefix:
                at = bisect.bisect_right(keys, after)
            else:
                at = bisect.bisect_left(keys, prefix)
            expired = []
            while at < len(keys) and len(out) < wanted and keys[at].startswith(prefix):
                key = keys[at]
                value, version, expires_at = self._entries[key]
                if expires_at is not None and expires_at <= now:
                    expired.append(key)
                else:
                    out.append((key, (value, version)))
                at += 1
            for key in expired:
                self._drop(key)
        return out

    def host_secret(self, name: str, fresh: bytes) -> bytes:
        """As `SqliteStore.host_secret`, for the life of this object."""
        with self._lock:
            return self._meta.setdefault(name, bytes(fresh))
