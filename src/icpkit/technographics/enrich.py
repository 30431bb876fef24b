"""Fetch + detect over many domains, shaped as polars frames for the ICP pipeline.

* :func:`detect_domains` — long form: one row per domain × technology (with evidence), one row
  with a null technology for a domain where nothing was found, and one row carrying ``error`` for
  a domain that could not be fetched.
* :func:`detect_stack` — wide form: one row per site with ``tech`` (``List(String)``, lower-cased
  names: the multi-valued technographic attribute ``icp discover`` reads), ``tech_<category>`` /
  ``has_<category>`` for every category of the fingerprint set (or the categories asked for),
  optional category facts, the URL asked for and the URL read, and ``fetch_error``.
* :func:`enrich` — joins the stack back onto an accounts frame by site.

A site is its normalised domain plus the path when one was given: ``shop.example/shop/`` is
fetched at ``/shop/`` (a shop under a path is not its home page), while spellings of one home page
(``https://www.Shop.example``, ``shop.example/``) are fetched once. The columns depend on the
fingerprint set and the arguments, never on what happened to be detected, so two runs stack.

Unknown is null, never empty: where no page was read (fetch failed, refused, HTTP error page,
detection past its CPU budget), ``tech`` and every per-category column are null; an empty list
means "read, and none detected". A page cut at the size limit (``page_truncated``) was read only
in part: a category detected there is had, one not detected is null (it may follow the cut). Fetching is I/O-bound and async; matching runs as each page
arrives, so memory holds detections, not pages.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import multiprocessing
import pickle
import queue
import re
import threading
import zlib
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from icpkit.errors import IcpkitError, InputError, MissingColumnsError, UsageError
from icpkit.technographics.bounded import PageTimeout, cpu_deadline
from icpkit.technographics.cache import FetchCache
from icpkit.technographics.dnsrecords import DnsLookup, merge_records
from icpkit.technographics.fetch import FetchConfig, FetchResult, fetch_many, target_key
from icpkit.technographics.netguard import Resolver

PAGE_CPU_SECONDS = 10.0
"""CPU budget of detection on one page; past it the site is recorded with ``error_kind``
``"timeout"`` and the batch goes on (bench/bench_hostile.py: every hostile shape takes < 1 s)."""

T = TypeVar("T")
Progress = Callable[[FetchResult], None]

_NON_WORD = re.compile(r"[^a-z0-9]+")


def category_slug(category: str) -> str:
    """Column-safe category name: ``"Live chat"`` → ``"live_chat"``."""
    return _NON_WORD.sub("_", category.lower()).strip("_")


@dataclass(frozen=True, slots=True)
class _Found:
    """One site's outcome as the frames need it: the fetch result without its page (memory
    holds detections, not pages), the detections and the category facts."""

    result: FetchResult
    detections: list[Any]
    facts: list[str] | None


@dataclass(frozen=True, slots=True)
class _Detect:
    """How a fetched page becomes a :class:`_Found`: one implementation for every path (this
    process, a detection worker process, a shard process). Pickles as the detector's
    configuration, so each process rebuilds the same detector."""

    detector: Any
    fact_categories: Sequence[str] | None = None
    page_cpu_seconds: float | None = PAGE_CPU_SECONDS

    def __call__(self, result: FetchResult) -> _Found:
        """Detections and category facts of the page, or a timeout: a hostile page (or pattern)
        stops here, not the batch."""
        bare = dataclasses.replace(result, page=None)
        if not result.ok:
            return _Found(bare, [], None)
        try:
            with cpu_deadline(self.page_cpu_seconds, f"detection on {result.domain}"):
                detections = self.detector.detect(result.page)
                facts = None
                if self.fact_categories:
                    found = self.detector.category_facts(
                        result.page, detections, self.fact_categories
                    )
                    facts = [fact.describe() for fact in found if not fact.detected]
        except PageTimeout as exc:
            timed_out = dataclasses.replace(bare, error=str(exc), error_kind="timeout")
            return _Found(timed_out, [], None)
        return _Found(bare, detections, facts)


@dataclass(frozen=True, slots=True)
class _Job:
    """One fetch-and-detect job, as every path receives it."""

    detect: _Detect
    config: FetchConfig | None = None
    cache: FetchCache | None = None
    resolver: Resolver | None = None
    progress: Progress | None = None
    dns: DnsLookup | None = None
    workers: int = 1


def _new_loop() -> asyncio.AbstractEventLoop:
    """uvloop's loop when the optional package is installed (HTTP bookkeeping is the main cost
    of a fetch job, and uvloop makes it cheaper), else the standard one."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def _run(coro: Coroutine[Any, Any, T]) -> T:
    runner_cls = getattr(asyncio, "Runner", None)  # Python 3.11+
    if runner_cls is None:  # pragma: no cover - Python 3.10
        return asyncio.run(coro)
    with runner_cls(loop_factory=_new_loop) as runner:
        return runner.run(coro)


def _run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from sync code, also when the caller already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = _run(coro)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def _detector(detector: Any | None) -> Any:
    if detector is not None:
        return detector
    from icpkit.technographics.detector import Detector

    return Detector()


def _context() -> multiprocessing.context.BaseContext:
    """Processes started by a fork server where there is one: forking the event loop's process
    itself would copy its threads' locks."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


_WORKER_DETECT: _Detect | None = None


def _init_worker(detect: _Detect) -> None:
    global _WORKER_DETECT
    _WORKER_DETECT = detect


def _detect_in_worker(result: FetchResult) -> _Found:
    assert _WORKER_DETECT is not None
    return _WORKER_DETECT(result)


def _pool(detect: _Detect, workers: int) -> concurrent.futures.ProcessPoolExecutor:
    """Worker processes that each hold a copy of ``detect`` (its detector rebuilt from the
    pickled configuration)."""
    return concurrent.futures.ProcessPoolExecutor(
        max_workers=workers, mp_context=_context(), initializer=_init_worker, initargs=(detect,)
    )


async def _with_dns(result: FetchResult, dns: DnsLookup) -> FetchResult:
    """The result with the site's DNS records merged into its page."""
    records = await dns.records(result.domain)
    assert result.page is not None
    page = dataclasses.replace(result.page, dns=merge_records(result.page.dns, records))
    return dataclasses.replace(result, page=page)


async def _collect(job: _Job, domains: Iterable[str], sink: Callable[[_Found], None]) -> None:
    """Fetch and detect, handing each site's outcome to ``sink``. With ``job.workers`` > 1,
    detection (CPU work) runs in that many worker processes while this process's event loop
    keeps fetching: one core alone holds one event loop, so detecting in it would stall the
    fetches. At most a few pages per worker wait to be detected (the fetcher is paused
    meanwhile), so memory holds detections, not pages."""
    pool = _pool(job.detect, job.workers) if job.workers > 1 else None
    pending: set[asyncio.Future[_Found]] = set()
    loop = asyncio.get_running_loop()
    try:
        async for fetched in fetch_many(
            domains, job.config, cache=job.cache, resolver=job.resolver, on_progress=job.progress
        ):
            result = fetched
            if result.ok and job.dns is not None:
                result = await _with_dns(result, job.dns)
            if pool is None or not result.ok:
                sink(job.detect(result))
                continue
            pending.add(loop.run_in_executor(pool, _detect_in_worker, result))
            if len(pending) >= 8 * job.workers:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for f in done:
                    sink(f.result())
        while pending:
            done, pending = await asyncio.wait(pending)
            for f in done:
                sink(f.result())
    finally:
        for f in pending:
            f.cancel()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


class _Batches:
    """A shard's outcomes on their way to the parent: one message per 64 sites or per 50 ms,
    whichever comes first. A message per site cost a pickle, a pipe write and a wake-up of the
    queue's feeder thread (which then takes the GIL from the event loop) each time."""

    def __init__(self, out: Any, size: int = 64, delay: float = 0.05) -> None:
        self.out = out
        self.size = size
        self.delay = delay
        self.items: list[_Found] = []
        self._timer: asyncio.TimerHandle | None = None

    def __call__(self, item: _Found) -> None:
        self.items.append(item)
        if len(self.items) >= self.size:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.delay, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.items:
            self.out.put(("found", self.items))
            self.items = []


def _shard_main(
    out: Any,
    shard: list[str],
    job: _Job,
    cache_args: tuple[str, Any, Any] | None,
    resolver_args: tuple[bool, dict[str, list[str]]] | None,
) -> None:
    """One shard of a job in a process of its own: fetch with its own event loop, detect in
    process, and send the outcomes to ``out`` in batches as they complete."""
    cache = None
    try:
        if cache_args is not None:
            path, ttl, error_ttl = cache_args
            cache = FetchCache(path, ttl=ttl, error_ttl=error_ttl)
        resolver = None
        if resolver_args is not None:
            resolver = Resolver(allow_private=resolver_args[0], overrides=resolver_args[1])
        here = dataclasses.replace(job, cache=cache, resolver=resolver, workers=1)
        batches = _Batches(out)

        async def main() -> None:
            await _collect(here, shard, batches)
            batches.flush()

        _run(main())
        out.put(("done", None))
    except BaseException as exc:  # reported to the parent, which raises it
        out.put(("error", exc if _picklable(exc) else IcpkitError(f"{type(exc).__name__}: {exc}")))
    finally:
        if cache is not None:
            cache.close()


def _picklable(obj: object) -> bool:
    try:
        pickle.dumps(obj)
    except Exception:
        return False
    return True


def _shard_of(target: str, n: int) -> int:
    """Which shard fetches ``target``: by host, so per-host politeness holds within a shard
    and a site's spellings (one key) meet in one shard, where they are fetched once."""
    try:
        key = target_key(target)
    except IcpkitError:
        return 0
    return zlib.crc32(key.split("/", 1)[0].encode()) % n


def _collect_sharded(job: _Job, domains: Iterable[str]) -> list[_Found]:
    """Fetch and detect in ``job.workers`` shards, each with its own event loop: this process
    runs the first shard itself (its detector is ready; a new process spends ~0.6 s CPU
    compiling the fingerprints before its first request) and processes of their own run the
    others. An event loop holds one core, and HTTP bookkeeping costs more CPU than detection,
    so both scale only across processes. The cache (SQLite, WAL) is shared by path; the
    concurrency is divided between the shards. ``progress`` gets each result without its page,
    as its site completes."""
    shards: list[list[str]] = [[] for _ in range(job.workers)]
    for target in domains:
        shards[_shard_of(target, job.workers)].append(target)
    cfg = job.config or FetchConfig()
    cfg = dataclasses.replace(cfg, concurrency=max(1, cfg.concurrency // job.workers))
    here = dataclasses.replace(job, config=cfg, progress=None, workers=1)
    cache, resolver = job.cache, job.resolver
    cache_args = None if cache is None else (str(cache.path), cache.ttl, cache.error_ttl)
    resolver_args = (
        None if resolver is None else (resolver.allow_private, dict(resolver._overrides))
    )
    sent = dataclasses.replace(here, cache=None, resolver=None)  # no open database crosses
    ctx = _context()
    out = ctx.Queue()
    procs = [
        ctx.Process(  # type: ignore[attr-defined]
            target=_shard_main,
            args=(out, shard, sent, cache_args, resolver_args),
            daemon=True,
        )
        for shard in shards[1:]
        if shard
    ]
    found: list[_Found] = []

    def emit(item: _Found) -> None:
        found.append(item)
        if job.progress is not None:
            job.progress(item.result)

    finished = False
    try:
        for proc in procs:
            proc.start()
        _run_sync(_with_other_shards(here, shards[0], emit, out, procs))
        finished = True
    finally:
        for proc in procs:
            if proc.is_alive() and not finished:
                proc.terminate()
            proc.join(10)
        out.close()
    return found


def _take(out: Any) -> tuple[str, Any]:
    return out.get(timeout=0.5)


async def _with_other_shards(
    job: _Job, shard: list[str], emit: Callable[[_Found], None], out: Any, procs: list[Any]
) -> None:
    """This process's shard, fetched and detected here, while the other shards' outcomes are
    taken from ``out`` (in a thread: the read blocks) as they arrive, until each said done."""
    loop = asyncio.get_running_loop()
    mine = asyncio.ensure_future(_collect(job, shard, emit))
    try:
        running = len(procs)
        while running:
            if mine.done() and mine.exception() is not None:
                break  # raised below
            try:
                kind, items = await loop.run_in_executor(None, _take, out)
            except queue.Empty:
                dead = [p for p in procs if p.exitcode not in (None, 0)]
                if dead:
                    raise IcpkitError(
                        f"a detection worker process exited with code {dead[0].exitcode}"
                    ) from None
                continue
            if kind == "found":
                for item in items:
                    emit(item)
            elif kind == "done":
                running -= 1
            else:
                raise items
        await mine
    finally:
        if not mine.done():
            mine.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await mine


def _gather(job: _Job, domains: Iterable[str]) -> list[_Found]:
    """Every site's outcome: in this process (``workers=1``), in sharded processes, or, when
    the job cannot be split (an in-memory cache, DNS lookups), with detection alone in worker
    processes fed by this process's fetcher."""
    if job.workers < 1:
        raise UsageError(f"workers must be at least 1, got {job.workers}")
    shardable = job.dns is None and (job.cache is None or isinstance(job.cache.path, Path))
    if job.workers > 1 and shardable:
        return _collect_sharded(job, domains)
    found: list[_Found] = []
    _run_sync(_collect(job, domains, found.append))
    return found


_LONG_SCHEMA: dict[str, Any] = {
    "domain": pl.String,
    "url": pl.String,
    "final_url": pl.String,
    "status": pl.Int64,
    "technology": pl.String,
    "categories": pl.List(pl.String),
    "version": pl.String,
    "confidence": pl.Int64,
    "evidence": pl.String,
    "implied_by": pl.String,
    "from_cache": pl.Boolean,
    "truncated": pl.Boolean,
    "error": pl.String,
    "error_kind": pl.String,
}


def _evidence_text(detection: Any) -> str:
    parts = []
    for ev in detection.evidence:
        where = f"{ev.field}[{ev.key}]" if ev.key else ev.field
        parts.append(f"{where} ~ {ev.pattern!s}: {ev.matched!s}")
    if detection.implied_by:
        parts.append("implied by " + ", ".join(detection.implied_by))
    return "; ".join(parts)


def _long_frame(found: list[_Found]) -> pl.DataFrame:
    cols: dict[str, list[Any]] = {name: [] for name in _LONG_SCHEMA}
    for item in found:
        r = item.result
        base = (r.domain, r.url, r.final_url, r.status)
        rows: list[tuple[Any, ...]] = [
            (d.name, list(d.categories), d.version, d.confidence, _evidence_text(d),
             ", ".join(d.implied_by) or None)
            for d in item.detections
        ] or [(None, None, None, None, None, None)]  # fmt: skip
        for row in rows:
            for name, value in zip(
                _LONG_SCHEMA,
                (*base, *row, r.from_cache, r.truncated, r.error, r.error_kind),
                strict=True,
            ):
                cols[name].append(value)  # fmt: skip
    return pl.DataFrame(cols, schema=_LONG_SCHEMA)


def detect_domains(
    domains: Iterable[str],
    *,
    detector: Any | None = None,
    config: FetchConfig | None = None,
    cache: FetchCache | None = None,
    resolver: Resolver | None = None,
    progress: Progress | None = None,
    dns: DnsLookup | None = None,
    page_cpu_seconds: float | None = PAGE_CPU_SECONDS,
    workers: int = 1,
) -> pl.DataFrame:
    """Fetch each domain (or URL) once and detect its technologies: one row per domain × technology.

    Columns: domain, url, final_url, status, technology, categories, version, confidence,
    evidence (text), implied_by, from_cache, truncated (the body was cut at the page size limit:
    what follows the cut was not read), error, error_kind. A domain with no detection has one
    row with a null technology; a failed fetch has one row with ``error`` set. Rows are ordered by
    domain, then technology. ``workers`` > 1 splits the sites by host into that many shards,
    this process and ``workers - 1`` new ones each fetching and detecting its share with
    ``config.concurrency / workers`` requests in flight (use the machine's cores on a bulk job;
    each new process compiles the fingerprints); with DNS lookups or an in-memory cache, this
    process fetches and that many processes detect.
    """
    detect = _Detect(_detector(detector), None, page_cpu_seconds)
    job = _Job(detect, config, cache, resolver, progress, dns, workers)
    return _long_frame(_gather(job, domains)).sort("domain", "technology", nulls_last=True)


def _stack(found: list[_Found], slugs: Sequence[str], facts: bool) -> pl.DataFrame:
    """The wide frame: exactly one ``tech_<slug>`` / ``has_<slug>`` pair per slug, in order."""
    long = _long_frame(found)
    sites = long.group_by("domain", maintain_order=True).agg(
        pl.col("url").first().alias("fetch_url"),
        pl.col("final_url").first(),
        pl.col("truncated").first().alias("page_truncated"),
        pl.col("error").first().alias("fetch_error"),
        pl.col("error_kind").first().alias("fetch_error_kind"),
    )
    failed = pl.col("fetch_error").is_not_null()
    # A page cut at the size limit shows what was read: a category found there is had, but
    # one not found may sit after the cut (a chat widget's script at the end of the body), so
    # its absence is unknown, not "has none" (givewell.org cut at 20,000 bytes read
    # has_live_chat false; its whole page carries Intercom).
    cut = pl.col("page_truncated").fill_null(False)
    techs = (
        long.filter(pl.col("technology").is_not_null())
        .with_columns(
            pl.col("technology").str.strip_chars().str.replace_all(r"\s+", " ").str.to_lowercase()
        )
        .select("domain", "technology", "categories")
    )
    tech_lists = techs.group_by("domain").agg(pl.col("technology").unique().sort().alias("tech"))
    out = sites.join(tech_lists, on="domain", how="left", maintain_order="left")
    if slugs:
        wide = (
            techs.explode("categories")
            .drop_nulls("categories")
            .with_columns(
                pl.col("categories")
                .str.to_lowercase()
                .str.replace_all(r"[^a-z0-9]+", "_")
                .str.strip_chars("_")
                .alias("slug")
            )
            .filter(pl.col("slug").is_in(slugs))
            .group_by("domain", "slug")
            .agg(pl.col("technology").unique().sort())
            .pivot(on="slug", index="domain", values="technology", on_columns=list(slugs))
            .rename({s: f"tech_{s}" for s in slugs})
        )
        out = out.join(wide, on="domain", how="left", maintain_order="left")
    empty = pl.lit([], dtype=pl.List(pl.String))
    list_cols = ["tech", *(f"tech_{s}" for s in slugs)]
    out = (
        out.with_columns(
            pl.when(failed)
            .then(pl.lit(None, dtype=pl.List(pl.String)))
            .otherwise(pl.col(c).cast(pl.List(pl.String)).fill_null(empty))
            .alias(c)
            for c in list_cols
        )
        .with_columns(
            pl.when(cut & (pl.col(f"tech_{s}").list.len() == 0))
            .then(pl.lit(None, dtype=pl.List(pl.String)))
            .otherwise(pl.col(f"tech_{s}"))
            .alias(f"tech_{s}")
            for s in slugs
        )
        .with_columns(pl.col(f"tech_{s}").list.len().gt(0).alias(f"has_{s}") for s in slugs)
    )
    ordered = [
        "domain",
        "fetch_url",
        "final_url",
        *list_cols,
        *(f"has_{s}" for s in slugs),
        "page_truncated",
    ]
    if facts:
        fact_frame = pl.DataFrame(
            {
                "domain": [f.result.domain for f in found],
                "tech_facts": [f.facts for f in found],
            },
            schema={"domain": pl.String, "tech_facts": pl.List(pl.String)},
        )
        out = out.join(fact_frame, on="domain", how="left", maintain_order="left")
        ordered.append("tech_facts")
    return out.select(*ordered, "fetch_error", "fetch_error_kind").sort("domain")


def stack_categories(detector: Any, categories: Sequence[str] | None = None) -> list[str]:
    """The categories the stack has columns for, by their database names.

    Default: every category of the detector's fingerprint set, sorted by column name — the same
    columns whatever the sites turn out to run (Wappalyzer's set has about 110). Explicit
    ``categories`` are matched case-insensitively and kept in the order given (duplicates
    dropped); an unknown one is an InputError naming it.
    """
    known = {c.name.lower(): c.name for c in detector.db.categories.values()}
    if categories is None:
        return sorted(known.values(), key=lambda name: (category_slug(name), name))
    unknown = [c for c in categories if c.lower() not in known]
    if unknown:
        raise InputError(
            f"unknown technology categor{'y' if len(unknown) == 1 else 'ies'}: {unknown}; "
            "`icp fingerprints list` shows the categories of the database in use"
        )
    return list(dict.fromkeys(known[c.lower()] for c in categories))


def _slugs(categories: Sequence[str]) -> list[str]:
    """Column slugs of ``categories``, in order; two names with one slug share its column."""
    return list(dict.fromkeys(category_slug(c) for c in categories))


def detect_stack(
    domains: Iterable[str],
    *,
    detector: Any | None = None,
    config: FetchConfig | None = None,
    cache: FetchCache | None = None,
    resolver: Resolver | None = None,
    progress: Progress | None = None,
    dns: DnsLookup | None = None,
    categories: Sequence[str] | None = None,
    page_cpu_seconds: float | None = PAGE_CPU_SECONDS,
    workers: int = 1,
) -> pl.DataFrame:
    """One row per site: its technology stack as list columns, ready to join onto accounts.

    ``domain`` is the site key (normalised domain, plus the path when one was given), ``fetch_url``
    the URL asked for and ``final_url`` where the page came from after redirects. ``tech`` lists
    the lower-cased technology names; ``tech_<slug>`` / ``has_<slug>`` exist for every category
    of :func:`stack_categories` (default: all of the fingerprint set), detected or not. With
    explicit ``categories``, ``tech_facts`` lists, for each of them with nothing detected, how
    many tools the database fingerprints and how many were observable from the signals collected
    — the honest form of "has no tool in category X". Sites whose page was not read are null in
    every stack column. ``workers``: as for :func:`detect_domains`.
    """
    det = _detector(detector)
    names = stack_categories(det, categories)
    facts = names if categories is not None else None
    job = _Job(
        _Detect(det, facts, page_cpu_seconds), config, cache, resolver, progress, dns, workers
    )
    return _stack(_gather(job, domains), _slugs(names), facts is not None)


def enrich(
    df: pl.DataFrame,
    domain_column: str,
    *,
    detector: Any | None = None,
    config: FetchConfig | None = None,
    cache: FetchCache | None = None,
    resolver: Resolver | None = None,
    progress: Progress | None = None,
    dns: DnsLookup | None = None,
    categories: Sequence[str] | None = None,
    page_cpu_seconds: float | None = PAGE_CPU_SECONDS,
    workers: int = 1,
) -> pl.DataFrame:
    """``df`` with the technology stack of each row's website joined on (all input columns kept).

    A website is fetched at the path it names (``shop.example/shop/`` reads ``/shop/``, not the
    home page); spellings of one page (scheme, ``www.``, case of the host, trailing slash) are
    fetched once. ``fetch_url`` / ``final_url`` say which URL was asked for and read. Rows with
    a missing or blank website get null stack columns; rows whose website is invalid or whose page
    could not be read get null stack columns with ``fetch_error`` / ``fetch_error_kind`` saying
    why. The stack columns are the same for every input (see :func:`detect_stack`); existing
    columns with their names are replaced (re-enrichment).
    """
    if domain_column not in df.columns:
        raise MissingColumnsError([domain_column], why="the websites to enrich from")
    websites = df.get_column(domain_column).cast(pl.String)
    raw = websites.filter(websites.str.strip_chars() != "").unique().sort().to_list()
    keys: dict[str, str] = {}
    for value in raw:  # per distinct website, not per row: each is fetched once anyway
        try:
            keys[value] = target_key(value)
        except IcpkitError:
            keys[value] = value.strip()  # the key fetch_many reports an invalid target under
    mapping = pl.DataFrame(
        {"__raw": list(keys), "__site": list(keys.values())},
        schema={"__raw": pl.String, "__site": pl.String},
    )
    stack = detect_stack(
        raw,
        detector=detector,
        config=config,
        cache=cache,
        resolver=resolver,
        progress=progress,
        categories=categories,
        dns=dns,
        page_cpu_seconds=page_cpu_seconds,
        workers=workers,
    ).rename({"domain": "__site"})
    added = [c for c in stack.columns if c != "__site"]
    base = df.drop([c for c in added if c in df.columns])
    return (
        base.with_columns(pl.col(domain_column).cast(pl.String).alias("__raw"))
        .join(mapping, on="__raw", how="left", maintain_order="left")
        .join(stack, on="__site", how="left", maintain_order="left")
        .drop("__raw", "__site")
    )


__all__ = ["category_slug", "detect_domains", "detect_stack", "enrich", "stack_categories"]
