"""Collect hiring (and, from the same home pages, stack) observations for many websites.

Collection runs in batches of accounts. For each batch it fetches, with the technographics
fetcher (robots.txt, per-host rate limit, SSRF guard, bounded decoding):

1. the home page — technologies are detected on it, and it is searched for an ATS job board,
   ``JobPosting`` JSON-LD and a link to the careers page;
2. the board's feed, else the careers page (the link found, else ``/careers``);
3. the feed of a board that only the careers page names.

A batch's observations and its accounts' visit marks are written in one transaction, so a run
that is killed resumes (same ``observed_on``) with the accounts not yet marked: nothing is lost
and nothing is counted twice. Any failure is recorded for its account as *unknown*, with a
one-line reason, and the batch goes on.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import polars as pl

from icpkit.errors import IcpkitError, UsageError
from icpkit.signals.hiring import (
    ATS_NAMES,
    Board,
    FeedError,
    Posting,
    feed_url,
    find_board,
    find_careers_page,
    jsonld_postings,
    page_postings,
    parse_feed,
)
from icpkit.signals.stack import observability_key, unseen_categories
from icpkit.signals.store import SignalsStore, account_key
from icpkit.signals.team import SOURCE as TEAM_SOURCE
from icpkit.signals.team import find_team_page, team_frames, team_people

Progress = Callable[[int], None]
FEED_SOURCES = (*ATS_NAMES,)


@dataclass(frozen=True, slots=True)
class CollectConfig:
    """What to collect and how: the observation date, fetch settings, feed URL overrides."""

    observed_on: date
    fetch: Any = None  # icpkit.technographics.fetch.FetchConfig (default: FetchConfig())
    feeds: Mapping[str, str] | None = None
    batch: int = 500
    stack: bool = True
    hiring: bool = True
    guess_careers: bool = True
    leadership: bool = True  # read the team/leadership page the home page links to


@dataclass
class CollectReport:
    """What one collection did, for the CLI's summary."""

    accounts: int = 0
    already_done: int = 0
    read: int = 0
    unknown: int = 0
    postings: int = 0
    technologies: int = 0
    leaders: int = 0  # director-or-above people stored from team pages (hashes, roles)
    sources: Counter[str] = field(default_factory=Counter)
    problems: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _State:
    target: str
    home_ok: bool = False
    board: Board | None = None
    careers: str | None = None
    postings: list[Posting] | None = None
    source: str | None = None
    error: str | None = None
    feed_tried: bool = False
    team: str | None = None  # the team page's URL, when the home page links to one
    people: list[tuple[str, str]] | None = None  # (name, title) read there; never stored
    team_error: str | None = None


def _read_feed(state: _State, url: str, result: Any) -> None:
    """Postings from a board's feed; a failed feed keeps JSON-LD postings found on the site."""
    assert state.board is not None
    state.feed_tried = True
    if result is None or not result.ok:
        state.error = f"{url}: " + (_fail_text(result) if result else "not fetched")
        return
    try:
        state.postings = parse_feed(state.board.ats, url, result.page.html)
        state.source, state.error = state.board.ats, None
    except FeedError as exc:
        state.error = str(exc)


def _read_careers(state: _State, url: str, result: Any) -> None:
    """A careers page: the board it names (read next round), else JSON-LD, else job links."""
    state.careers = None
    if result is None or not result.ok:
        if state.error is None:
            state.error = f"{url}: " + (_fail_text(result) if result else "not fetched")
        return
    page_url = result.final_url or url
    board = find_board(result.page.html, page_url)
    if board is not None:
        state.board = board
        return
    try:
        found = jsonld_postings(result.page.html, page_url)
    except FeedError as exc:
        state.error = str(exc)
        return
    state.error = None
    if found:
        state.postings, state.source = found, "jsonld"
    else:
        state.postings, state.source = page_postings(result.page.html, page_url), "careers_page"


def _fail_text(result: Any) -> str:
    kind = result.error_kind or "error"
    return " ".join(f"{kind}: {result.error or 'failed'}".split())


async def _fetch(urls: list[str], config: CollectConfig, resolver: Any) -> dict[str, Any]:
    """Fetch result by target key (:func:`_key`) for each distinct URL."""
    from icpkit.technographics.fetch import fetch_many

    out: dict[str, Any] = {}
    async for result in fetch_many(urls, config.fetch, resolver=resolver):
        out[result.domain] = result
    return out


def _key(url: str) -> str:
    from icpkit.technographics.fetch import target_key

    try:
        return target_key(url)
    except IcpkitError:
        return url.strip()


async def _batch(
    targets: dict[str, str],
    config: CollectConfig,
    resolver: Any,
    detector: Any,
    obs_cache: dict[Any, list[str]],
) -> tuple[dict[str, _State], list[dict[str, Any]]]:
    states = {acc: _State(target) for acc, target in targets.items()}
    tech_rows: list[dict[str, Any]] = []
    stack_visits: list[dict[str, Any]] = []
    # 1. home pages
    home = {_key(s.target): acc for acc, s in states.items()}
    results = await _fetch([s.target for s in states.values()], config, resolver)
    for key, acc in home.items():
        state, result = states[acc], results.get(key)
        if result is None or not result.ok:
            state.error = _fail_text(result) if result is not None else "error: not fetched"
            if config.stack and detector is not None:
                stack_visits.append({"account": acc, "ok": False, "detail": state.error})
            continue
        state.home_ok = True
        if config.stack and detector is not None:
            okey = observability_key(result.page)
            if okey not in obs_cache:
                obs_cache[okey] = unseen_categories(detector, result.page)
            stack_visits.append({"account": acc, "ok": True, "detail": None, "unseen": okey})
            tech_rows += _tech_rows(acc, detector.detect(result.page))
        _read_home(state, result, config)
    # 2. feeds, else careers pages; 3. feeds named only by careers pages
    await _read_jobs(states, config, resolver)
    # 4. team / leadership pages
    await _read_teams(states, config, resolver)
    rows = []
    for acc, okey_row in ((v["account"], v) for v in stack_visits):
        unseen = obs_cache.get(okey_row.get("unseen")) if okey_row["ok"] else None
        rows.append(
            {"account": acc, "source": "stack", "ok": okey_row["ok"], "detail": okey_row["detail"],
             "unseen": unseen}
        )  # fmt: skip
    return states, [*rows, *({"tech": t} for t in tech_rows)]


def _tech_rows(acc: str, detections: Any) -> list[dict[str, Any]]:
    """One row per technology detected on an account's home page."""
    return [
        {
            "account": acc,
            "technology": " ".join(d.name.split()).lower(),
            "category": (d.categories[0] if d.categories else None),
        }
        for d in detections
    ]


def _read_home(state: _State, result: Any, config: CollectConfig) -> None:
    """What a fetched home page links to: the team page, a job board, a careers page, and the
    postings it embeds as JSON-LD (a guessed ``/careers`` when it names none)."""
    page = result.page
    base = result.final_url or result.url
    if config.leadership:
        state.team = find_team_page(page.html, base)
    if not config.hiring:
        return
    state.board = find_board(page.html, base)
    state.careers = find_careers_page(page.html, base)
    try:
        found = jsonld_postings(page.html, base)
    except FeedError as exc:
        state.error = str(exc)
        found = []
    if found:
        state.postings, state.source = found, "jsonld"
    if state.careers is None and state.board is None and not found and config.guess_careers:
        parts = urlsplit(base)
        state.careers = f"{parts.scheme}://{parts.netloc}/careers"


async def _read_jobs(states: dict[str, _State], config: CollectConfig, resolver: Any) -> None:
    """Feeds, else careers pages; then the feeds named only by careers pages (two rounds)."""
    for round_ in range(2):
        wanted: dict[str, tuple[str, str]] = {}  # account → (kind, url)
        for acc, state in states.items():
            if not state.home_ok or state.source in (*FEED_SOURCES, "careers_page"):
                continue
            if state.board is not None and not state.feed_tried:
                wanted[acc] = ("feed", feed_url(state.board, config.feeds))
            elif state.careers is not None and state.source is None and round_ == 0:
                wanted[acc] = ("careers", state.careers)
        if not wanted:
            break
        results = await _fetch([url for _, url in wanted.values()], config, resolver)
        for acc, (kind, url) in wanted.items():
            state, result = states[acc], results.get(_key(url))
            if kind == "feed":
                _read_feed(state, url, result)
            else:
                _read_careers(state, url, result)


async def _read_teams(states: dict[str, _State], config: CollectConfig, resolver: Any) -> None:
    """The names and titles on each team / leadership page a home page linked to."""
    teams = {acc: s.team for acc, s in states.items() if s.team is not None}
    if not teams:
        return
    results = await _fetch(list(teams.values()), config, resolver)
    for acc, url in teams.items():
        state, result = states[acc], results.get(_key(url))
        if result is None or not result.ok:
            state.team_error = f"{url}: " + (_fail_text(result) if result else "not fetched")
            continue
        people = team_people(result.page.html)
        if people:
            state.people = people
        else:
            state.team_error = f"{url}: no names with titles found"


def _frames(
    states: dict[str, _State], extra: list[dict[str, Any]], observed_on: date, hiring: bool
) -> dict[str, pl.DataFrame]:
    from icpkit.people.titles import classify_titles

    visits = [
        {
            "account": acc,
            "source": "hiring",
            "ok": s.postings is not None,
            "detail": s.source if s.postings is not None else (s.error or "no job source found"),
            "unseen": None,
        }
        for acc, s in states.items()
        if hiring
    ]
    visits += [e for e in extra if "tech" not in e]
    vis_schema: dict[str, pl.DataType | type[pl.DataType]] = {
        "account": pl.String,
        "source": pl.String,
        "ok": pl.Boolean,
        "detail": pl.String,
        "unseen": pl.List(pl.String),
    }
    vframe = pl.DataFrame(visits, schema=vis_schema).with_columns(
        pl.lit(observed_on).alias("observed_on")
    )
    post_rows = [
        {
            "account": acc,
            "source": s.source,
            "posting_id": p.posting_id,
            "title": p.title,
            "posted_on": p.posted_on,
        }
        for acc, s in states.items()
        for p in (s.postings or [])
    ]
    pframe = pl.DataFrame(
        post_rows,
        schema={
            "account": pl.String,
            "source": pl.String,
            "posting_id": pl.String,
            "title": pl.String,
            "posted_on": pl.Date,
        },
    ).unique(["account", "posting_id"], keep="first", maintain_order=True)
    titles = classify_titles(pframe["title"])
    pframe = pframe.with_columns(
        titles["department"].alias("department"),
        titles["seniority"].alias("seniority"),
        pl.lit(observed_on).alias("observed_on"),
    )
    tframe = pl.DataFrame(
        [e["tech"] for e in extra if "tech" in e],
        schema={"account": pl.String, "technology": pl.String, "category": pl.String},
    ).with_columns(pl.lit(observed_on).alias("observed_on"))
    return {"postings": pframe, "tech": tframe.unique(["account", "technology"]), "visits": vframe}


def collect(
    targets: Sequence[str],
    store: SignalsStore,
    config: CollectConfig,
    *,
    resolver: Any = None,
    detector: Any = None,
    progress: Progress | None = None,
) -> CollectReport:
    """Collect hiring (and stack) observations for ``targets`` (websites) into ``store``.

    Accounts already collected for ``config.observed_on`` are skipped (resume); each batch is
    committed before the next starts. ``detector`` (default: the bundled fingerprints) is used
    when ``config.stack`` is on.
    """
    from icpkit.technographics.fetch import FetchConfig
    from icpkit.technographics.netguard import Resolver

    cfg = config if config.fetch is not None else _with_fetch(config, FetchConfig())
    if cfg.stack and detector is None:
        from icpkit.technographics.detector import Detector

        detector = Detector()
    resolver = resolver or Resolver(allow_private=cfg.fetch.allow_private)
    report = CollectReport()
    accounts, invalid = _accounts(targets)
    report.accounts = len(accounts) + len(invalid)
    marker = "hiring" if cfg.hiring else "stack"  # the visit that marks an account done
    if invalid:
        _record_invalid(store, invalid, marker, cfg.observed_on)
        report.unknown += len(invalid)
        report.problems += list(invalid.items())
    done = store.visited(marker, cfg.observed_on, accounts)
    report.already_done = len(done)
    todo = [a for a in accounts if a not in done]
    obs_cache: dict[Any, list[str]] = {}
    finished = report.already_done + len(invalid)
    if progress is not None:
        progress(finished)
    chunks = [
        {a: accounts[a] for a in todo[start : start + cfg.batch]}
        for start in range(0, len(todo), max(1, cfg.batch))
    ]
    salt = store.salt() if cfg.leadership else ""

    async def run_all() -> None:
        # one event loop for the whole run: the resolver's locks and DNS verdicts carry over
        done_so_far = finished
        for chunk in chunks:
            states, extra = await _batch(chunk, cfg, resolver, detector, obs_cache)
            _record(report, store, cfg, salt, states, extra)
            done_so_far += len(chunk)
            if progress is not None:
                progress(done_so_far)

    if chunks:
        asyncio.run(run_all())
    return report


def collect_accounts(
    accounts: pl.DataFrame,
    store: SignalsStore,
    config: CollectConfig,
    *,
    domain_column: str,
    fingerprints: str | os.PathLike[str] | None = None,
) -> CollectReport:
    """:func:`collect` over the websites in ``accounts[domain_column]``, detecting stacks with
    ``fingerprints`` (default: the bundled set) when ``config.stack`` is on."""
    targets = accounts.get_column(domain_column).cast(str).drop_nulls().to_list()
    detector = None
    if config.stack:
        from icpkit.technographics.detector import Detector
        from icpkit.technographics.update import resolve_fingerprints

        detector = Detector(resolve_fingerprints(fingerprints))
    return collect(targets, store, config, detector=detector)


def check_domain_column(
    accounts: pl.DataFrame, domain_column: str, *, file: str | os.PathLike[str] | None = None
) -> None:
    """Refuse an accounts table without the website column a collection reads."""
    if domain_column not in accounts.columns:
        raise UsageError(
            f"no column {domain_column!r} in the accounts file; name it with --domain-column",
            file=file,
        )


def _accounts(targets: Sequence[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Targets by account key (first spelling wins), and the ones that name no site with why."""
    accounts: dict[str, str] = {}
    invalid: dict[str, str] = {}
    for raw in targets:
        if raw is None or not str(raw).strip():
            continue
        try:
            accounts.setdefault(account_key(str(raw)), str(raw).strip())
        except IcpkitError as exc:
            invalid.setdefault(str(raw).strip().lower(), " ".join(str(exc).split()))
    return accounts, invalid


def _record_invalid(
    store: SignalsStore, invalid: dict[str, str], marker: str, observed_on: date
) -> None:
    """A failed visit for each invalid target, so it is reported and resumes as done."""
    bad = pl.DataFrame(
        {"account": list(invalid), "detail": list(invalid.values())},
        schema={"account": pl.String, "detail": pl.String},
    ).with_columns(
        pl.lit(marker).alias("source"),
        pl.lit(False).alias("ok"),
        pl.lit(None, dtype=pl.List(pl.String)).alias("unseen"),
        pl.lit(observed_on).alias("observed_on"),
    )
    store.append({"visits": bad})


def _record(
    report: CollectReport,
    store: SignalsStore,
    cfg: CollectConfig,
    salt: str,
    states: dict[str, _State],
    extra: list[dict[str, Any]],
) -> None:
    """Commit one batch to the store and count what it read into ``report``."""
    frames = _frames(states, extra, cfg.observed_on, cfg.hiring)
    if cfg.leadership:
        frames = _with_team(frames, states, cfg.observed_on, salt)
    added = store.append(frames)
    report.leaders += added.get("leaders", 0)
    report.postings += added.get("postings", 0)
    report.technologies += added.get("tech", 0)
    for acc, state in states.items():
        if state.postings is not None or (not cfg.hiring and state.home_ok):
            report.read += 1
            report.sources[state.source or "home page"] += 1
        else:
            report.unknown += 1
            report.problems.append((acc, state.error or "no job source found"))


def _with_team(
    frames: dict[str, pl.DataFrame], states: dict[str, _State], observed_on: date, salt: str
) -> dict[str, pl.DataFrame]:
    """``frames`` plus the team-page looks: people (as hashes and roles) and visit marks; a
    team page that failed or named nobody is an unknown look."""
    read = {acc: s.people for acc, s in states.items() if s.people}
    team = team_frames(read, observed_on, salt)
    failed = pl.DataFrame(
        {
            "account": [a for a, s in states.items() if s.team_error is not None],
            "detail": [s.team_error for s in states.values() if s.team_error is not None],
        },
        schema={"account": pl.String, "detail": pl.String},
    ).with_columns(
        pl.lit(observed_on).alias("observed_on"),
        pl.lit(TEAM_SOURCE).alias("source"),
        pl.lit(False).alias("ok"),
        pl.lit(None, dtype=pl.List(pl.String)).alias("unseen"),
    )
    cols = frames["visits"].columns
    visits = pl.concat(
        [frames["visits"], team["visits"].select(cols), failed.select(cols)], how="vertical"
    )
    return {**frames, "visits": visits, "leaders": team["leaders"]}


def _with_fetch(config: CollectConfig, fetch: Any) -> CollectConfig:
    from dataclasses import replace

    return replace(config, fetch=fetch)


__all__ = [
    "CollectConfig",
    "CollectReport",
    "check_domain_column",
    "collect",
    "collect_accounts",
]
