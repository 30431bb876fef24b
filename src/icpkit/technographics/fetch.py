"""Polite, bounded, SSRF-guarded fetching of many company websites for technology detection.

:func:`fetch_many` fetches one page per target (the home page, or the URL given) with a fixed
number of workers, at most ``per_host`` requests in flight per host, robots.txt honoured, retries
with backoff on transient failures, a byte cap per body, and every hop (first request and each
redirect) vetted by :mod:`~icpkit.technographics.netguard` after DNS resolution, with connections
pinned to the vetted addresses. A per-target failure becomes a :class:`FetchResult` with an
``error_kind``; it never aborts the job. With a :class:`~icpkit.technographics.cache.FetchCache`,
each outcome is written the moment it completes and fresh entries are not fetched again, so an
interrupted job resumes where it stopped.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import random
import re
import ssl
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from importlib import metadata
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from icpkit.errors import IcpkitError, NetworkRefused
from icpkit.technographics.aiostream import AsyncioBackend
from icpkit.technographics.bounded import ACCEPT_ENCODING, BoundedDecoder, DecodeRefused
from icpkit.technographics.cache import CachedFetch, FetchCache
from icpkit.technographics.charset import decode_as
from icpkit.technographics.netguard import (
    GuardedTransport,
    Resolver,
    normalize_domain,
    target_url,
)


def _version() -> str:
    try:
        return metadata.version("icpkit")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "0"


DEFAULT_USER_AGENT = f"icpkit/{_version()} (+https://github.com/icpkit/icpkit; technographics)"
_ROBOTS_TOKEN = "icpkit"
_timeout = getattr(asyncio, "timeout", None)
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_TEXT_TYPES = (
    "text/",
    "application/xhtml",
    "application/xml",
    "application/json",
    "application/rss+xml",
    "application/atom+xml",
    "application/ld+json",
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)

#: ``error_kind`` values a :class:`FetchResult` can carry.
ERROR_KINDS = (
    "invalid",  # the target is not a domain or URL
    "refused",  # SSRF guard (the rule is in ``error``)
    "dns",  # the host did not resolve
    "connect",  # connection refused / reset / unreachable
    "tls",  # TLS handshake or certificate failure
    "timeout",  # connect, read or total deadline exceeded
    "protocol",  # malformed HTTP or undecodable body
    "http_status",  # final status >= 400 (the page is still attached)
    "redirect_loop",
    "too_many_redirects",
    "robots",  # disallowed by robots.txt
    "error",  # anything unexpected (recorded, never aborts the job)
)


@dataclass(frozen=True, slots=True)
class FetchConfig:
    """How to fetch: concurrency, politeness, limits and safety (defaults suit bulk jobs)."""

    concurrency: int = 50
    per_host: int = 2
    timeout: float = 20.0
    retries: int = 2
    backoff: float = 0.5
    max_retry_after: float = 30.0
    max_redirects: int = 5
    max_bytes: int = 5 * 1024 * 1024
    user_agent: str = DEFAULT_USER_AGENT
    respect_robots: bool = True
    http_fallback: bool = True
    allow_private: bool = False
    refresh: bool = False
    verify_tls: bool = True


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One target's outcome: the fetched :class:`Page`, or why there is none.

    ``page`` is also set for a final HTTP status >= 400 (``error_kind="http_status"``), because a
    WAF's error page still names the WAF; callers that want only real pages check ``ok``.
    """

    domain: str
    url: str
    final_url: str | None
    status: int | None
    page: Any | None
    error: str | None
    error_kind: str | None
    elapsed_ms: float
    from_cache: bool
    robots_disallowed: bool
    truncated: bool = False
    attempts: int = 1

    @property
    def ok(self) -> bool:
        """True when a page was fetched without error."""
        return self.error is None and self.page is not None


@dataclass(slots=True)
class _Response:
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    truncated: bool
    content_type: str = ""
    charset: str | None = None


@dataclass(slots=True)
class _Outcome:
    url: str
    final_url: str | None = None
    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    cookies: dict[str, str] = field(default_factory=dict)
    text: str = ""
    utf8: bytes | None = None  # ``text`` as UTF-8 when the body was just that (_decode_with_bytes)
    robots: str = ""
    truncated: bool = False
    robots_disallowed: bool = False
    error: str | None = None
    error_kind: str | None = None
    attempts: int = 1


class _FetchFailed(Exception):
    def __init__(self, kind: str, message: str, *, fallback: bool = False) -> None:
        super().__init__(message)
        self.kind = kind
        self.fallback = fallback  # worth retrying over http://


def _classify(exc: BaseException) -> _FetchFailed:
    """Map httpx / guard exceptions to an error kind (the one boundary where they are mapped)."""
    if isinstance(exc, _FetchFailed):
        return exc
    if isinstance(exc, DecodeRefused):
        return _FetchFailed("protocol", str(exc))
    if isinstance(exc, NetworkRefused):
        kind = "dns" if exc.rule == "resolve" else "refused"
        return _FetchFailed(kind, str(exc))
    if isinstance(exc, IcpkitError):
        return _FetchFailed("invalid", str(exc))
    text = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    if isinstance(exc, httpx.ConnectTimeout):
        return _FetchFailed("timeout", text, fallback=True)
    if isinstance(exc, httpx.TimeoutException | asyncio.TimeoutError | TimeoutError):
        return _FetchFailed("timeout", text)
    if isinstance(exc, httpx.ConnectError):
        tls = "ssl" in str(exc).lower() or "certificate" in str(exc).lower()
        return _FetchFailed("tls" if tls else "connect", text, fallback=True)
    if isinstance(exc, httpx.RemoteProtocolError | httpx.DecodingError | httpx.LocalProtocolError):
        return _FetchFailed("protocol", text)
    if isinstance(exc, httpx.TransportError | OSError):
        return _FetchFailed("connect", text, fallback=True)
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol | ValueError):
        return _FetchFailed("invalid", text)
    return _FetchFailed("error", text)  # unexpected: recorded for this target, job goes on


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None when absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _cookies(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Cookie name → value from Set-Cookie headers (attributes dropped; later wins)."""
    out: dict[str, str] = {}
    for name, value in headers:
        if name == "set-cookie":
            pair = value.split(";", 1)[0]
            key, _, val = pair.partition("=")
            if key.strip():
                out[key.strip()] = val.strip().strip('"')
    return out


def _decode(body: bytes, charset: str | None) -> str:
    """Body text: header charset, else a ``<meta charset>`` in the first 2 KiB, else UTF-8."""
    return _decode_with_bytes(body, charset)[0]


def _decode_with_bytes(body: bytes, charset: str | None) -> tuple[str, bytes | None]:
    """:func:`_decode`'s text, with ``body`` itself when it is that text's UTF-8 (handed to
    the page, which would otherwise encode the text again for its parser's and scanners'
    bytes): UTF-8 read without replacements, or ASCII under an ASCII-compatible charset."""
    candidates = [charset] if charset else []
    match = _META_CHARSET.search(body[:2048])
    if match:
        candidates.append(match.group(1).decode("ascii", "replace"))
    for name in (*candidates, "utf-8"):
        try:
            codecs.lookup(name)
        except LookupError:
            continue
        return decode_as(body, name)
    return body.decode("utf-8", errors="replace"), None  # pragma: no cover


def _header_map(pairs: Iterable[tuple[str, str]]) -> dict[str, str | list[str]]:
    out: dict[str, str | list[str]] = {}
    for name, value in pairs:
        if name in out:
            prev = out[name]
            out[name] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            out[name] = value
    return out


def _make_page(
    final_url: str, text: str, headers, cookies, robots: str, utf8: bytes | None = None
) -> Any:
    from icpkit.technographics.page import Page

    return Page(
        url=final_url, html=text, headers=_header_map(headers), cookies=cookies, robots=robots,
        html_utf8=utf8,
    )  # fmt: skip


def _result_from_cache(entry: CachedFetch, domain: str) -> FetchResult:
    page = None
    if entry.final_url is not None and entry.status is not None:
        page = _make_page(entry.final_url, entry.body, entry.headers, entry.cookies, entry.robots)
    return FetchResult(
        domain=domain,
        url=entry.url,
        final_url=entry.final_url,
        status=entry.status,
        page=page,
        error=entry.error,
        error_kind=entry.error_kind,
        elapsed_ms=entry.elapsed_ms,
        from_cache=True,
        robots_disallowed=entry.robots_disallowed,
        truncated=entry.truncated,
    )


def target_key(target: str) -> str:
    """Cache / result key of a target: the normalised domain, plus the path when one was given."""
    domain = normalize_domain(target)
    if "://" in target or "/" in target.strip().rstrip("/"):
        path = urlsplit(target_url(target)).path
        if path not in ("", "/"):
            return domain + path
    return domain


#: What a request goes through: an injected client (its hooks, auth and transport apply), or one
#: of the fetcher's own guarded transports, sent to directly.
Via = httpx.AsyncClient | httpx.AsyncBaseTransport


class _Fetcher:
    def __init__(self, config: FetchConfig, resolver: Resolver | None) -> None:
        self.config = config
        self.resolver = resolver
        self._host_slots: dict[str, asyncio.Semaphore] = {}
        self._robots: dict[str, tuple[RobotFileParser | None, str]] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._headers = {
            "user-agent": config.user_agent,
            "accept": "text/html,*/*;q=0.8",
            "accept-encoding": ACCEPT_ENCODING,
        }
        self._extensions = {"timeout": httpx.Timeout(config.timeout).as_dict()}

    def _slot(self, host: str) -> asyncio.Semaphore:
        slot = self._host_slots.get(host)
        if slot is None:
            slot = self._host_slots[host] = asyncio.Semaphore(self.config.per_host)
        return slot

    async def _check(self, url: str) -> None:
        if self.resolver is not None:
            await self.resolver.check(url)

    async def _request(self, url: str, max_bytes: int, via: Via) -> _Response:
        """One GET (no redirects followed), body streamed and cut at ``max_bytes``."""
        host = urlsplit(url).hostname or ""
        answered: list[bool] = []
        async with self._slot(host):
            try:
                if _timeout is not None:  # Python 3.11+: no extra task per request
                    async with _timeout(self.config.timeout):
                        return await self._stream(url, max_bytes, answered, via)
                return await asyncio.wait_for(
                    self._stream(url, max_bytes, answered, via), self.config.timeout
                )
            except asyncio.TimeoutError:
                # no response at all (e.g. a silent https port) is worth the http:// fallback
                raise _FetchFailed(
                    "timeout",
                    f"no complete response within {self.config.timeout:g} s",
                    fallback=not answered,
                ) from None

    async def _stream(
        self,
        url: str,
        max_bytes: int,
        answered: list[bool],
        via: Via,
    ) -> _Response:
        async with self._open(url, via) as r:
            answered.append(True)
            chunks: list[bytes] = []
            raw = 0
            truncated = False
            ctype = r.headers.get("content-type", "").lower()
            if r.status_code not in _REDIRECTS:
                # decoded here, not by httpx: the cap must bind inside the decoder (a 2 KB
                # brotli body can inflate to a gigabyte in one httpx chunk)
                decoder = BoundedDecoder(r.headers.get("content-encoding"), max_bytes + 1)
                async for chunk in r.aiter_raw():
                    raw += len(chunk)
                    chunks.append(decoder.feed(chunk))
                    if decoder.full or raw > max_bytes:
                        truncated = True
                        break
            body = b"".join(chunks)
            if len(body) > max_bytes:
                body, truncated = body[:max_bytes], True
            return _Response(
                url=url,
                status=r.status_code,
                headers=list(r.headers.multi_items()),
                body=body,
                truncated=truncated,
                content_type=ctype,
                charset=r.charset_encoding,
            )

    @contextlib.asynccontextmanager
    async def _open(self, url: str, via: Via) -> AsyncIterator[httpx.Response]:
        """One GET, no redirects followed, its body still to read. An own transport is sent to
        directly: the client layer's request building, cookie extraction and redirect and auth
        machinery cost about a fifth of a bulk job's HTTP CPU and do nothing here (redirects,
        cookies and timeouts are handled by the fetcher)."""
        if isinstance(via, httpx.AsyncClient):
            async with via.stream("GET", url, headers=self._headers, follow_redirects=False) as r:
                yield r
            return
        request = httpx.Request("GET", url, headers=self._headers, extensions=self._extensions)
        response = await via.handle_async_request(request)
        response.request = request
        try:
            yield response
        finally:
            await response.aclose()

    async def _request_with_retries(
        self, url: str, max_bytes: int, via: Via
    ) -> tuple[_Response, int]:
        """GET with retries (connect errors, 429, 5xx) and backoff with jitter; Retry-After wins."""
        cfg = self.config
        attempt = 0
        while True:
            attempt += 1
            delay: float | None = None
            try:
                response = await self._request(url, max_bytes, via)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError):
                if attempt > cfg.retries:
                    raise
            else:
                if response.status not in _RETRY_STATUSES or attempt > cfg.retries:
                    return response, attempt
                hint = dict(response.headers).get("retry-after")
                delay = _retry_after(hint)
                if delay is not None and delay > cfg.max_retry_after:
                    return response, attempt  # the server asks for longer than we will wait
            if delay is None:
                delay = cfg.backoff * 2 ** (attempt - 1)
                delay += random.uniform(0, delay / 2)
            await asyncio.sleep(delay)

    async def _robots_for(self, url: str, via: Via) -> tuple[RobotFileParser | None, str]:
        """The parsed robots.txt of ``url``'s origin, fetched once per origin per job."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin in self._robots:
            return self._robots[origin]
        lock = self._robots_locks.setdefault(origin, asyncio.Lock())
        async with lock:
            if origin in self._robots:
                return self._robots[origin]
            robots_url = origin + "/robots.txt"
            parser: RobotFileParser | None = None
            text = ""
            for _ in range(self.config.max_redirects + 1):
                await self._check(robots_url)
                response, _attempts = await self._request_with_retries(robots_url, 512 * 1024, via)
                location = dict(response.headers).get("location")
                if response.status in _REDIRECTS and location:
                    robots_url = urljoin(robots_url, location)
                    continue
                if 200 <= response.status < 300:
                    text = _decode(response.body, response.charset)
                    parser = RobotFileParser(robots_url)
                    parser.parse(text.splitlines())
                elif response.status >= 500:  # RFC 9309: unreachable robots.txt = disallow all
                    parser = RobotFileParser(robots_url)
                    parser.disallow_all = True  # type: ignore[attr-defined]
                break  # 4xx (and redirect exhaustion): no robots.txt, everything allowed
            self._robots[origin] = (parser, text)
            return parser, text

    async def _chain(self, url: str, via: Via) -> _Outcome:
        """Follow one target's redirect chain manually, vetting and robots-checking each hop."""
        cfg = self.config
        out = _Outcome(url=url)
        seen: set[str] = set()
        attempts = 0
        while True:
            await self._check(url)
            if cfg.respect_robots:
                parser, robots_text = await self._robots_for(url, via)
                if url == out.url or not out.robots:
                    out.robots = robots_text
                if parser is not None and not parser.can_fetch(_ROBOTS_TOKEN, url):
                    out.robots_disallowed = True
                    out.final_url = url
                    raise _FetchFailed("robots", f"{url} is disallowed by robots.txt")
            response, tries = await self._request_with_retries(url, cfg.max_bytes, via)
            attempts += tries
            out.attempts = attempts
            out.cookies.update(_cookies(response.headers))
            location = dict(response.headers).get("location")
            if response.status in _REDIRECTS and location:
                seen.add(url)
                nxt = urljoin(url, location)
                if nxt in seen:
                    raise _FetchFailed("redirect_loop", f"redirect loop at {nxt}")
                if len(seen) > cfg.max_redirects:
                    raise _FetchFailed(
                        "too_many_redirects", f"more than {cfg.max_redirects} redirects"
                    )
                url = nxt
                continue
            out.final_url = url
            out.status = response.status
            out.headers = response.headers
            out.truncated = response.truncated
            textual = not response.content_type or response.content_type.startswith(_TEXT_TYPES)
            if textual:
                out.text, out.utf8 = _decode_with_bytes(response.body, response.charset)
            if response.status >= 400:
                out.error_kind = "http_status"
                out.error = f"HTTP {response.status}"
            return out

    async def fetch(self, target: str, via: Via) -> tuple[str, FetchResult, CachedFetch | None]:
        """Fetch one target through ``via`` (a worker's own transport, or the injected client)."""
        started = time.perf_counter()
        try:
            key = target_key(target)
            first = target_url(target)
        except IcpkitError as exc:
            return target.strip(), _invalid(target, _classify(exc)), None
        out = await self._first_answer(target, first, via)
        return key, *_recorded(key, first, out, (time.perf_counter() - started) * 1000)

    async def _first_answer(self, target: str, first: str, via: Via) -> _Outcome:
        """The outcome at ``first``; a bare domain whose https:// fails to connect is tried
        again over http:// (many small sites still serve only that)."""
        urls = [first]
        if self.config.http_fallback and "://" not in target and first.startswith("https://"):
            urls.append("http://" + first[len("https://") :])
        out = _Outcome(url=first)
        for index, url in enumerate(urls):
            try:
                return await self._chain(url, via)
            except Exception as exc:  # mapped right here; cancellation passes through
                failed = _classify(exc)
                out = _Outcome(
                    url=url,
                    final_url=url if failed.kind == "robots" else None,
                    error=str(failed),
                    error_kind=failed.kind,
                    robots_disallowed=failed.kind == "robots",
                )
                if not (failed.fallback and index + 1 < len(urls)):
                    break
        return out


def _invalid(target: str, failed: _FetchFailed) -> FetchResult:
    """The result of a target that is not a domain or URL (nothing fetched, nothing cached)."""
    return FetchResult(
        domain=target.strip(),
        url=target,
        final_url=None,
        status=None,
        page=None,
        error=str(failed),
        error_kind=failed.kind,
        elapsed_ms=0.0,
        from_cache=False,
        robots_disallowed=False,
    )


def _recorded(
    key: str, first: str, out: _Outcome, elapsed: float
) -> tuple[FetchResult, CachedFetch]:
    """One outcome as the caller sees it (with the page) and as the cache stores it."""
    page = None
    if out.status is not None and out.final_url is not None:
        page = _make_page(out.final_url, out.text, out.headers, out.cookies, out.robots, out.utf8)
    result = FetchResult(
        domain=key,
        url=first,
        final_url=out.final_url,
        status=out.status,
        page=page,
        error=out.error,
        error_kind=out.error_kind,
        elapsed_ms=elapsed,
        from_cache=False,
        robots_disallowed=out.robots_disallowed,
        truncated=out.truncated,
        attempts=out.attempts,
    )
    entry = CachedFetch(
        key=key,
        url=first,
        # Kept for a robots refusal too (no status): a resumed job reads the row it wrote.
        final_url=out.final_url,
        status=out.status,
        headers=tuple(out.headers),
        cookies=out.cookies,
        body=out.text,
        robots=out.robots,
        truncated=out.truncated,
        robots_disallowed=out.robots_disallowed,
        error=out.error,
        error_kind=out.error_kind,
        elapsed_ms=elapsed,
        fetched_at=time.time(),
    )
    return result, entry


def _transport(
    config: FetchConfig,
    resolver: Resolver,
    *,
    limits: httpx.Limits | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> GuardedTransport:
    """A pinned, guarded transport on the running loop's own sockets (:mod:`.aiostream`)."""
    verify: ssl.SSLContext | bool = ssl_context if ssl_context is not None else config.verify_tls
    return GuardedTransport(
        resolver, limits=limits or _limits(config), verify=verify, network_backend=AsyncioBackend()
    )


def make_client(
    config: FetchConfig,
    resolver: Resolver | None = None,
    *,
    dns: Mapping[str, str] | None = None,
    limits: httpx.Limits | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> httpx.AsyncClient:
    """A guarded client like the transports :func:`fetch_many` uses (pinned, no env proxies).

    ``ssl_context`` lets many clients share one context (building one reads the CA bundle,
    ~25 ms); ``limits`` defaults to a pool sized to ``config.concurrency``.
    """
    resolver = resolver or Resolver(allow_private=config.allow_private, overrides=dns)
    transport = _transport(config, resolver, limits=limits, ssl_context=ssl_context)
    # Cookies are read from each response's Set-Cookie headers; a shared jar would leak one
    # site's cookies into requests to another and grows with every site fetched.
    no_jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(config.timeout),
        trust_env=False,
        cookies=no_jar,
    )


_WORKER_LIMITS = httpx.Limits(max_connections=4, max_keepalive_connections=2, keepalive_expiry=5.0)


def _limits(config: FetchConfig) -> httpx.Limits:
    """Pool limits for many distinct hosts: a pool about as large as the worker count. httpcore
    scans every pooled connection for every queued request, so a large pool of idle connections
    to already-finished sites costs more than it saves; one idle slot per worker still lets the
    page request reuse the robots.txt connection."""
    return httpx.Limits(
        max_connections=config.concurrency + 10,
        max_keepalive_connections=config.concurrency,
        keepalive_expiry=5.0,
    )


class _Job:
    """One :func:`fetch_many` run: a feeder puts each distinct, not freshly cached target on a
    bounded queue; ``concurrency`` workers fetch from it; every outcome lands on ``results``
    (``None`` once all is done)."""

    def __init__(
        self,
        config: FetchConfig,
        cache: FetchCache | None,
        resolver: Resolver,
        client: httpx.AsyncClient | None,
    ) -> None:
        self.config = config
        self.cache = cache
        self.resolver = resolver
        self.client = client
        self.fetcher = _Fetcher(config, resolver)
        self.queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=config.concurrency * 4)
        self.results: asyncio.Queue[FetchResult | None] = asyncio.Queue()
        self.transports: list[GuardedTransport] = []
        # Without an injected client, each worker gets its own small pool: httpcore scans every
        # pooled connection on every request and release, so one shared pool for 50 workers and
        # thousands of one-off hosts spent more CPU on bookkeeping than on HTTP. A worker
        # handles one site at a time, so two connections still let the page reuse the
        # robots.txt one. One SSL context serves them all.
        self._ssl = None
        if client is None:
            self._ssl = httpx.create_ssl_context(verify=config.verify_tls, trust_env=False)

    async def run(self, targets: Iterable[str]) -> None:
        try:
            async with asyncio.TaskGroup() if hasattr(asyncio, "TaskGroup") else _Group() as tg:
                tg.create_task(self._feed(targets))
                for _ in range(self.config.concurrency):
                    tg.create_task(self._work())
        finally:
            await self.results.put(None)

    async def _feed(self, targets: Iterable[str]) -> None:
        """Each distinct target once (by key), cache lookups 200 at a time, then one stop
        marker per worker."""
        seen: set[str] = set()
        batch: list[tuple[str, str]] = []
        for target in targets:
            try:
                key = target_key(target)
            except IcpkitError:
                key = f"\0{target}"  # invalid: still reported once, by a worker
            if key in seen:
                continue
            seen.add(key)
            batch.append((key, target))
            if len(batch) >= 200:
                await self._dispatch(batch)
                batch = []
        await self._dispatch(batch)
        for _ in range(self.config.concurrency):
            await self.queue.put(None)

    async def _dispatch(self, batch: list[tuple[str, str]]) -> None:
        """Fresh cache entries straight to the results, the rest to the workers."""
        fresh = {}
        if self.cache is not None and not self.config.refresh:
            fresh = self.cache.get_many([key for key, _ in batch])
        for key, target in batch:
            if key in fresh:
                await self.results.put(_result_from_cache(fresh[key], key))
            else:
                await self.queue.put(target)

    async def _work(self) -> None:
        """Fetch targets until the stop marker; each outcome is cached before it is reported."""
        via: Via
        if self.client is not None:
            via = self.client
        else:
            via = _transport(
                self.config, self.resolver, limits=_WORKER_LIMITS, ssl_context=self._ssl
            )
            self.transports.append(via)
        while (target := await self.queue.get()) is not None:
            _key, result, entry = await self.fetcher.fetch(target, via)
            if self.cache is not None and entry is not None:
                self.cache.put(entry)
            await self.results.put(result)

    async def aclose(self) -> None:
        for transport in self.transports:
            await transport.aclose()


async def fetch_many(
    domains: Iterable[str],
    config: FetchConfig | None = None,
    *,
    cache: FetchCache | None = None,
    client: httpx.AsyncClient | None = None,
    resolver: Resolver | None = None,
    on_progress: Callable[[FetchResult], None] | None = None,
) -> AsyncIterator[FetchResult]:
    """Fetch each distinct target once and yield results as they complete (any order).

    ``domains`` are domains or URLs; duplicates (after normalisation) are fetched once. Fresh
    ``cache`` entries are yielded with ``from_cache=True`` instead of being fetched (unless
    ``config.refresh``); every new outcome is written to the cache before it is yielded. An
    injected ``client`` is used as is (its transport decides pinning); ``resolver`` (e.g. with
    host overrides in tests) vets every hop and, for the fetcher's own transports, pins
    connections.
    """
    cfg = config or FetchConfig()
    job = _Job(cfg, cache, resolver or Resolver(allow_private=cfg.allow_private), client)
    runner = asyncio.ensure_future(job.run(domains))
    try:
        while (result := await job.results.get()) is not None:
            if on_progress is not None:
                on_progress(result)
            yield result
        await runner
    finally:
        if not runner.done():
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
        await job.aclose()


class _Group:  # pragma: no cover - Python 3.10 has no TaskGroup
    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> _Group:
        return self

    def create_task(self, coro: Any) -> None:
        self._tasks.append(asyncio.ensure_future(coro))

    async def __aexit__(self, *exc: object) -> None:
        try:
            await asyncio.gather(*self._tasks)
        finally:
            for task in self._tasks:
                task.cancel()


__all__ = [
    "DEFAULT_USER_AGENT",
    "ERROR_KINDS",
    "FetchConfig",
    "FetchResult",
    "fetch_many",
    "make_client",
    "target_key",
]
