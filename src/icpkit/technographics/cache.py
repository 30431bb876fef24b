"""Resumable on-disk cache of fetched sites (stdlib sqlite3, WAL).

A 100,000-domain job takes hours and gets interrupted; every result (page or error) is written as
soon as it completes, so a re-run skips what is fresh and loses nothing. Entries are keyed by the
normalised target (:func:`~icpkit.technographics.netguard.normalize_domain`, plus the path when a
URL with a path was given). Bodies are stored zlib-compressed; errors expire sooner than pages so a
transient failure is retried on a later run.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

_SCHEMA_VERSION = 1
#: zlib level of stored bodies: level 1 compresses the 181 real pages 2.4x faster than level 6
#: (3.5 vs 8.4 ms per page, average 174 KB) for 19% more bytes (ratio 0.235 vs 0.197); the
#: write sits on the fetcher's event loop, once per site. Any level reads back the same.
_LEVEL = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS fetch (
    key TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    final_url TEXT,
    status INTEGER,
    headers TEXT NOT NULL DEFAULT '[]',
    cookies TEXT NOT NULL DEFAULT '{}',
    body BLOB,
    robots TEXT,
    truncated INTEGER NOT NULL DEFAULT 0,
    robots_disallowed INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    error_kind TEXT,
    elapsed_ms REAL,
    fetched_at REAL NOT NULL
)
"""


def default_cache_path() -> Path:
    """``$XDG_CACHE_HOME/icpkit/fetch.sqlite`` (``~/.cache`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "icpkit" / "fetch.sqlite"


@dataclass(frozen=True, slots=True)
class CachedFetch:
    """One stored fetch outcome: a page (status, headers, cookies, body) or an error."""

    key: str
    url: str
    final_url: str | None
    status: int | None
    headers: tuple[tuple[str, str], ...] = ()
    cookies: dict[str, str] = field(default_factory=dict)
    body: str = ""
    robots: str = ""
    truncated: bool = False
    robots_disallowed: bool = False
    error: str | None = None
    error_kind: str | None = None
    elapsed_ms: float = 0.0
    fetched_at: float = 0.0


class FetchCache:
    """SQLite cache of fetch outcomes with a TTL; safe to share between runs, written per result.

    ``ttl`` applies to pages, ``error_ttl`` to errors. ``path=None`` uses
    :func:`default_cache_path`; ``":memory:"`` keeps it in memory (tests, one-off runs).
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        ttl: timedelta = timedelta(days=7),
        error_ttl: timedelta = timedelta(hours=12),
    ) -> None:
        self.path = Path(path) if path not in (None, ":memory:") else path
        if self.path is None:
            self.path = default_cache_path()
        if isinstance(self.path, Path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.ttl = ttl
        self.error_ttl = error_ttl
        self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.execute(_SCHEMA)
        self._db.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")

    def __enter__(self) -> FetchCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the database (results are already committed one by one)."""
        self._db.close()

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM fetch").fetchone()[0])

    def put(self, entry: CachedFetch) -> None:
        """Store (replace) one outcome and commit at once, so an interrupted job loses nothing."""
        body = zlib.compress(entry.body.encode("utf-8"), _LEVEL) if entry.body else None
        self._db.execute(
            "INSERT OR REPLACE INTO fetch VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                entry.key,
                entry.url,
                entry.final_url,
                entry.status,
                json.dumps(list(entry.headers)),
                json.dumps(entry.cookies),
                body,
                entry.robots or None,
                int(entry.truncated),
                int(entry.robots_disallowed),
                entry.error,
                entry.error_kind,
                entry.elapsed_ms,
                entry.fetched_at or time.time(),
            ),
        )

    def _fresh_clause(self, now: float) -> tuple[str, tuple[float, float]]:
        return (
            "((error IS NULL AND fetched_at >= ?) OR (error IS NOT NULL AND fetched_at >= ?))",
            (now - self.ttl.total_seconds(), now - self.error_ttl.total_seconds()),
        )

    def get(self, key: str, *, fresh_only: bool = True) -> CachedFetch | None:
        """The stored outcome for ``key``, or None when absent or (with ``fresh_only``) stale."""
        found = self.get_many([key], fresh_only=fresh_only)
        return found.get(key)

    def get_many(self, keys: Sequence[str], *, fresh_only: bool = True) -> dict[str, CachedFetch]:
        """Stored outcomes for many keys at once (chunked queries, not one per key)."""
        out: dict[str, CachedFetch] = {}
        clause, params = self._fresh_clause(time.time())
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT * FROM fetch WHERE key IN ({marks})"
            args: tuple[object, ...] = tuple(chunk)
            if fresh_only:
                sql += f" AND {clause}"
                args += params
            for row in self._db.execute(sql, args):
                entry = _row(row)
                out[entry.key] = entry
        return out

    def fresh_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` have a fresh entry (used to skip work when resuming)."""
        return set(self.get_many(list(keys)))

    def __iter__(self) -> Iterator[CachedFetch]:
        for row in self._db.execute("SELECT * FROM fetch ORDER BY key"):
            yield _row(row)

    def purge(self, *, stale_only: bool = True) -> int:
        """Delete stale entries (or all); returns how many were deleted."""
        if stale_only:
            clause, params = self._fresh_clause(time.time())
            cur = self._db.execute(f"DELETE FROM fetch WHERE NOT {clause}", params)
        else:
            cur = self._db.execute("DELETE FROM fetch")
        return int(cur.rowcount)


def _row(row: tuple[object, ...]) -> CachedFetch:
    (key, url, final_url, status, headers, cookies, body, robots, truncated, disallowed) = row[:10]
    error, error_kind, elapsed_ms, fetched_at = row[10:]
    return CachedFetch(
        key=str(key),
        url=str(url),
        final_url=None if final_url is None else str(final_url),
        status=None if status is None else int(status),  # type: ignore[call-overload]
        headers=tuple((str(k), str(v)) for k, v in json.loads(str(headers))),
        cookies=dict(json.loads(str(cookies))),
        body=zlib.decompress(body).decode("utf-8") if isinstance(body, bytes) else "",
        robots=str(robots or ""),
        truncated=bool(truncated),
        robots_disallowed=bool(disallowed),
        error=None if error is None else str(error),
        error_kind=None if error_kind is None else str(error_kind),
        elapsed_ms=float(elapsed_ms or 0.0),  # type: ignore[arg-type]
        fetched_at=float(fetched_at),  # type: ignore[arg-type]
    )


__all__ = ["CachedFetch", "FetchCache", "default_cache_path"]
