"""Fetching archived records by byte range, from a local mirror or an HTTP(S) archive.

The URL index (:mod:`.index`) says where each capture lives: ``warc_filename``,
``warc_record_offset`` and ``warc_record_length``. Reading a capture then costs one range request
for a record of a few kilobytes instead of a 1 GB file.

An archive is one host, so politeness is per host rather than per site: :class:`ArchiveReader`
spaces its requests to that host (``rate`` per second), retries connection errors, 429 and 5xx
with exponential backoff and jitter (a ``Retry-After`` up to ``max_retry_after`` wins), and
refuses a record longer than ``max_record_bytes`` before asking for it. There is no robots.txt
check (archives publish for bulk reading), but the SSRF guard applies to the archive URL the user
gave: every connection goes through the fetcher's guarded transport
(:class:`~icpkit.technographics.netguard.SyncGuardedTransport`), pinned to vetted addresses.
A record that cannot be read is reported in ``errors`` and skipped; it never ends the job.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from icpkit.errors import IcpkitError, NetworkRefused, UsageError
from icpkit.sourcing.warc import MAX_RECORD_BYTES, Capture, ReadStats, read_capture_bytes
from icpkit.technographics.fetch import DEFAULT_USER_AGENT

__all__ = ["ArchiveReader", "RecordRef", "check_archive_url", "download"]

_RETRY = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RecordRef:
    """Where one capture is stored: file (relative to the archive root), offset and length."""

    warc_filename: str
    offset: int
    length: int


@dataclass
class ArchiveReader:
    """Reads records from ``archive``: a local directory (a mirror) or an ``http(s)://`` root.

    ``rate`` is the most requests per second sent to the archive host; ``retries`` the extra
    attempts after a transient failure. ``transport`` may be injected (tests); by default it
    is the SSRF-guarded one, with ``allow_private`` for archives on a private network.
    """

    archive: str
    rate: float = 10.0
    retries: int = 3
    backoff: float = 0.5
    max_retry_after: float = 30.0
    timeout: float = 30.0
    max_record_bytes: int = MAX_RECORD_BYTES
    allow_private: bool = False
    user_agent: str = DEFAULT_USER_AGENT
    transport: Any | None = None
    stats: ReadStats = field(default_factory=ReadStats)
    errors: list[str] = field(default_factory=list)
    requests: int = 0
    _client: Any = field(default=None, init=False, repr=False)
    _next_at: float = field(default=0.0, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def remote(self) -> bool:
        return self.archive.lower().startswith(("http://", "https://"))

    def __post_init__(self) -> None:
        if not self.remote and not Path(self.archive).is_dir():
            raise UsageError("is not a directory or an http(s):// archive URL", file=self.archive)

    # -- HTTP ----------------------------------------------------------------------------------

    def _http(self) -> Any:
        if self._client is None:
            import httpx

            from icpkit.technographics.netguard import SyncGuardedTransport

            transport = self.transport or SyncGuardedTransport(allow_private=self.allow_private)
            self._client = httpx.Client(
                transport=transport,
                timeout=httpx.Timeout(self.timeout),
                trust_env=False,
                follow_redirects=False,
                headers={"user-agent": self.user_agent, "accept-encoding": "identity"},
            )
        return self._client

    def _wait_turn(self) -> None:
        """Space requests to the archive host: one every 1/rate seconds."""
        with self._lock:
            now = time.monotonic()
            wait = self._next_at - now
            self._next_at = max(now, self._next_at) + (1.0 / self.rate if self.rate > 0 else 0.0)
        if wait > 0:
            time.sleep(wait)

    def _url(self, name: str) -> str:
        return self.archive.rstrip("/") + "/" + name.lstrip("/")

    def _get_range(self, url: str, start: int, length: int) -> bytes:
        import httpx

        check = getattr(self.transport or self._http()._transport, "check", None)
        if check is not None:
            check(url)  # the guard's verdict, before any byte is sent
        headers = {"range": f"bytes={start}-{start + length - 1}"}
        attempt = 0
        while True:
            attempt += 1
            self._wait_turn()
            self.requests += 1
            delay: float | None = None
            try:
                with self._http().stream("GET", url, headers=headers) as r:
                    if r.status_code in _RETRY and attempt <= self.retries:
                        hint = r.headers.get("retry-after", "")
                        delay = float(hint) if hint.strip().isdigit() else None
                        if delay is not None and delay > self.max_retry_after:
                            raise IcpkitError(f"{url}: HTTP {r.status_code}, retry after {hint} s")
                    elif r.status_code == 206:
                        data = b""
                        for chunk in r.iter_raw():
                            data += chunk
                            if len(data) > length:
                                break
                        return data[:length]
                    elif r.status_code == 200:
                        raise IcpkitError(f"{url}: the server ignores Range requests (HTTP 200)")
                    else:
                        raise IcpkitError(f"{url}: HTTP {r.status_code}")
            except httpx.TransportError as exc:
                if attempt > self.retries:
                    raise IcpkitError(f"{url}: {type(exc).__name__}: {exc}") from None
            if delay is None:
                delay = self.backoff * 2 ** (attempt - 1)
                delay += random.uniform(0, delay / 2)
            time.sleep(delay)

    # -- reading -------------------------------------------------------------------------------

    def read_bytes(self, ref: RecordRef) -> bytes:
        """The stored bytes of one record (one gzip member for gzip-per-record files)."""
        if ref.length > self.max_record_bytes or ref.length <= 0 or ref.offset < 0:
            raise IcpkitError(
                f"{ref.warc_filename}@{ref.offset}: record length {ref.length} is outside "
                f"1..{self.max_record_bytes} bytes"
            )
        if self.remote:
            return self._get_range(self._url(ref.warc_filename), ref.offset, ref.length)
        root = Path(self.archive).resolve()
        path = (root / ref.warc_filename).resolve()
        if not path.is_relative_to(root):
            raise IcpkitError(f"{ref.warc_filename}: outside the archive directory")
        with path.open("rb") as f:
            f.seek(ref.offset)
            return f.read(ref.length)

    def captures(self, refs: Iterable[RecordRef]) -> Iterator[Capture]:
        """The captures stored at ``refs`` (file and offset as in the index); unreadable ones
        are recorded in :attr:`errors` and counted as broken."""
        for ref in refs:
            try:
                data = self.read_bytes(ref)
            except (IcpkitError, OSError) as exc:
                self.stats.records += 1
                self.stats.broken += 1
                if len(self.errors) < 100:
                    self.errors.append(
                        str(exc) if isinstance(exc, IcpkitError) else f"{ref.warc_filename}: {exc}"
                    )
                continue
            found = read_capture_bytes(
                data, ref.warc_filename, max_record_bytes=self.max_record_bytes, stats=self.stats
            )
            for capture in found[:1]:
                yield replace(capture, offset=ref.offset)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def check_archive_url(url: str, *, allow_private: bool = False) -> None:
    """Refuse an archive URL the SSRF guard refuses (scheme, host, address), before any work."""
    from icpkit.technographics.netguard import check_url

    if urlsplit(url).scheme not in ("http", "https"):
        raise NetworkRefused(url, "scheme", "archives are read over http(s) or from a directory")
    check_url(url, allow_private=allow_private)


MAX_WARC_FILE_BYTES = 8 * 1024**3
"""Largest WARC file streamed from a URL (Common Crawl's are about 1 GB)."""


def download(
    url: str,
    dest: Any,
    *,
    allow_private: bool = False,
    transport: Any | None = None,
    retries: int = 3,
    backoff: float = 0.5,
    max_bytes: int = MAX_WARC_FILE_BYTES,
    user_agent: str = DEFAULT_USER_AGENT,
) -> int:
    """Stream a whole WARC file from ``url`` into the binary file ``dest``, through the guarded
    transport, with retries; returns the bytes written. Past ``max_bytes`` it stops."""
    import httpx

    from icpkit.technographics.netguard import SyncGuardedTransport

    check_archive_url(url, allow_private=allow_private) if transport is None else None
    guarded = transport or SyncGuardedTransport(allow_private=allow_private)
    headers = {"user-agent": user_agent, "accept-encoding": "identity"}
    with httpx.Client(transport=guarded, trust_env=False, timeout=httpx.Timeout(60.0)) as client:
        for attempt in range(retries + 1):
            dest.seek(0)
            dest.truncate()
            written = 0
            try:
                with client.stream("GET", url, headers=headers) as r:
                    if r.status_code in _RETRY and attempt < retries:
                        time.sleep(backoff * 2**attempt)
                        continue
                    if r.status_code != 200:
                        raise IcpkitError(f"{url}: HTTP {r.status_code}")
                    for chunk in r.iter_raw():
                        if written + len(chunk) > max_bytes:
                            chunk = chunk[: max_bytes - written]
                        dest.write(chunk)
                        written += len(chunk)
                        if written >= max_bytes:
                            break
                    dest.flush()
                    return written
            except httpx.TransportError as exc:
                if attempt >= retries:
                    raise IcpkitError(f"{url}: {type(exc).__name__}: {exc}") from None
                time.sleep(backoff * 2**attempt)
    raise IcpkitError(f"{url}: no usable response after {retries + 1} attempts")
