"""``icp detect``, ``icp enrich`` and ``icp fingerprints …``: parse, call the library, render."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from icpkit.cli._app import app, console, err_console, escape
from icpkit.cli._options import ForceOpt, RawCellsOpt

if TYPE_CHECKING:  # the library loads when a command runs, so `icp --help` stays fast
    import polars as pl

    from icpkit.technographics.cache import FetchCache
    from icpkit.technographics.fetch import FetchConfig, FetchResult

fingerprints_app = typer.Typer(
    help="Manage technology fingerprint databases.", no_args_is_help=True
)
app.add_typer(fingerprints_app, name="fingerprints")

_TABLE_EXTS = (".csv", ".tsv", ".parquet", ".xlsx", ".xls", ".json", ".jsonl", ".ndjson")
_PAGE_EXTS = (".html", ".htm", ".xhtml", ".mhtml", ".warc")  # saved pages (also as .gz)
_FEW_SITES = 10

FingerprintsOpt = Annotated[
    Path | None, typer.Option("--fingerprints", help="Wappalyzer-format data (folder or file).")
]
ConcurrencyOpt = Annotated[int, typer.Option(help="Sites fetched at once.")]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="Processes detecting pages (default: the number of CPUs; 1: this one only).",
    ),
]
AllowPrivateOpt = Annotated[
    bool, typer.Option("--allow-private", help="Allow private/loopback targets (intranets, tests).")
]
NoRobotsOpt = Annotated[bool, typer.Option("--no-robots", help="Ignore robots.txt.")]
CacheOpt = Annotated[
    Path | None, typer.Option("--cache", help="Fetch cache (default: the user cache directory).")
]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Do not read or write the cache.")]
RefreshOpt = Annotated[bool, typer.Option("--refresh", help="Refetch even fresh cached sites.")]
DnsOpt = Annotated[
    bool,
    typer.Option(
        "--dns",
        help="Also look up DNS records (MX, TXT/SPF …); needs the dns extra: "
        "pip install 'icpkit\\[dns]'.",
    ),
]
DnsServerOpt = Annotated[
    list[str] | None, typer.Option("--dns-server", help="Resolver IP to ask (repeatable).")
]
PageCpuOpt = Annotated[
    float,
    typer.Option(
        "--page-cpu-seconds",
        min=0.1,
        help="CPU budget of detection on one page; a page past it is recorded as a timeout "
        "and the job goes on.",
    ),
]
MaxPageBytesOpt = Annotated[
    int,
    typer.Option(
        "--max-page-bytes",
        min=1024,
        help="Bytes of a page body read (after decompression); the rest is cut.",
    ),
]
_MAX_PAGE_BYTES = 5 * 1024 * 1024  # FetchConfig.max_bytes (the library is not imported at startup)
_PAGE_CPU_SECONDS = 10.0  # enrich.PAGE_CPU_SECONDS


def _count(n: int, one: str, many: str | None = None) -> str:
    """``1 site``, ``2 sites``: a count with its noun agreeing (users read these lines)."""
    return f"{n:,} {one if n == 1 else many or one + 's'}"


def _dns(enabled: bool, servers: list[str] | None) -> Any:
    if not enabled and not servers:
        return None
    from icpkit.technographics.dnsrecords import DnsLookup

    host_ports = [s.rsplit(":", 1) if s.count(":") == 1 else [s] for s in servers or []]
    port = int(host_ports[0][1]) if host_ports and len(host_ports[0]) == 2 else 53
    return DnsLookup(nameservers=[hp[0] for hp in host_ports] or None, port=port)


def _detector(fingerprints: Path | None, min_confidence: int) -> Any:
    from icpkit.technographics.detector import Detector
    from icpkit.technographics.update import resolve_fingerprints

    return Detector(resolve_fingerprints(fingerprints), min_confidence=min_confidence)


def _config(
    concurrency: int, allow_private: bool, no_robots: bool, refresh: bool, max_bytes: int
) -> FetchConfig:
    from icpkit.technographics.fetch import FetchConfig

    return FetchConfig(
        concurrency=concurrency,
        allow_private=allow_private,
        respect_robots=not no_robots,
        refresh=refresh,
        max_bytes=max_bytes,
    )


@contextmanager
def _cache(path: Path | None, disabled: bool) -> Iterator[FetchCache | None]:
    if disabled:
        yield None
        return
    from icpkit.technographics.cache import FetchCache

    with FetchCache(path) as cache:
        yield cache


@contextmanager
def _progress(total: int, show: bool) -> Iterator[Callable[[FetchResult], None] | None]:
    """A bar with rate and ETA for bulk jobs; nothing for a handful of sites."""
    if not show:
        yield None
        return
    columns = (
        TextColumn("[bold]fetch + detect"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]} sites/s"),
        TextColumn("[red]{task.fields[failed]} failed"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, transient=False) as bar:
        task = bar.add_task("sites", total=total, rate="-", failed=0)
        failed = 0

        def advance(result: FetchResult) -> None:
            nonlocal failed
            failed += result.error is not None
            bar.advance(task)
            elapsed = bar.tasks[task].elapsed or 0.0
            done = bar.tasks[task].completed
            rate = f"{done / elapsed:.0f}" if elapsed > 0 else "-"
            bar.update(task, rate=rate, failed=failed)

        yield advance


def _targets(targets: list[str], column: str) -> list[str]:
    """Domains/URLs given on the command line, or read from the ``column`` of table files.

    A target named like a file is one: a table that does not exist is refused (not looked up in
    DNS as the domain ``accounts.csv``), and a saved page is refused with what to do instead.
    """
    import polars as pl

    from icpkit.errors import InputError, UsageError
    from icpkit.io import read_table

    out: list[str] = []
    for target in targets:
        path = Path(target)
        suffixes = [s.lower() for s in path.suffixes]
        is_url = "://" in target
        if not is_url and path.suffix.lower() in _TABLE_EXTS:
            if not path.is_file():
                raise UsageError("no such file", file=path)
            df = read_table(path)
            if column not in df.columns:
                from icpkit.errors import MissingColumnsError

                raise MissingColumnsError(
                    [column], file=path, why=f"pass --column; it has {_names(df.columns)}"
                )
            out.extend(df.get_column(column).cast(pl.String).drop_nulls().to_list())
        elif not is_url and set(suffixes) & set(_PAGE_EXTS):
            if not path.is_file() and "/" not in target:  # no TLD is .html: a mistyped file
                raise UsageError("no such file", file=path)
            if not path.is_file():  # example.com/index.html: a page of a website
                out.append(target)
                continue
            raise InputError(
                "is a saved page, not a website: icp detect fetches domains and URLs (serve "
                "the file and pass its URL with --allow-private, or in Python: "
                "Detector().detect(Page(url, html)))",
                file=path,
            )
        else:
            out.append(target)
    return out


def _names(columns: list[str], most: int = 8) -> str:
    """A table's columns for an error line: the first few, quoted, and how many more."""
    shown = ", ".join(repr(c) for c in columns[:most])
    return shown + (f" and {len(columns) - most:,} more" if len(columns) > most else "")


def _site_count(values: list[str]) -> int:
    """How many sites the fetcher reads for ``values``, so a progress bar ends at 100%: it
    fetches (and reports) each distinct target once, by the key it caches under, so
    ``acme.com`` and ``https://www.acme.com/`` are one site."""
    from icpkit.errors import IcpkitError
    from icpkit.technographics.fetch import target_key

    keys: set[str] = set()
    for value in values:  # per distinct value: the fetcher walks the same list
        try:
            keys.add(target_key(value))
        except IcpkitError:
            keys.add(f"\0{value}")  # invalid: still reported once
    return len(keys)


def _render_sites(df: pl.DataFrame) -> None:
    import polars as pl

    for domain, site in df.group_by("domain", maintain_order=True):
        error = site["error"][0]
        title = f"[bold]{escape(str(domain[0]))}[/]"
        if site["final_url"][0]:
            title += f"  [dim]{escape(site['final_url'][0])}[/]"
        found = site.filter(pl.col("technology").is_not_null())
        if error is not None and found.is_empty():
            kind = site["error_kind"][0] or "error"
            # The error often starts with its kind ("refused http://…"): say it once.
            text = error if error.split(" ", 1)[0] == kind else f"{kind}: {error}"
            console.print(f"{title}\n  [red]{escape(text)}[/]")
            continue
        table = Table(title=title, title_justify="left")
        for col in ("Technology", "Version", "Categories", "Confidence", "Evidence"):
            table.add_column(col, overflow="fold")
        for row in found.iter_rows(named=True):
            table.add_row(
                escape(row["technology"]),
                escape(row["version"] or ""),
                escape(", ".join(row["categories"] or [])),
                f"{row['confidence']}%",
                escape((row["evidence"] or "")[:120]),
            )
        if found.is_empty():
            console.print(f"{title}\n  no technology detected")
        else:
            console.print(table)


def _render_summary(df: pl.DataFrame) -> None:
    import polars as pl

    sites = df.group_by("domain").agg(pl.col("error").first())
    failed = sites["error"].drop_nulls().len()
    console.print(
        f"{_count(sites.height, 'site')}: {sites.height - failed:,} fetched, {failed:,} failed"
    )
    top = (
        df.drop_nulls("technology")
        .group_by("technology")
        .agg(pl.col("domain").n_unique().alias("sites"))
        .sort("sites", "technology", descending=[True, False])
        .head(15)
    )
    table = Table(title="Most common technologies", title_justify="left")
    table.add_column("Technology")
    table.add_column("Sites", justify="right")
    for tech, n in top.iter_rows():
        table.add_row(escape(tech), f"{n:,}")
    console.print(table)


def _workers(workers: int | None) -> int:
    """--workers, or the CPUs this process may run on."""
    if workers is not None:
        return workers
    import os

    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count() or 1


@app.command()
def detect(
    targets: Annotated[list[str], typer.Argument(help="Domains, URLs, or table files.")],
    column: Annotated[
        str, typer.Option(help="Column holding websites in table files.")
    ] = "website",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write rows here.")] = None,
    fingerprints: FingerprintsOpt = None,
    concurrency: ConcurrencyOpt = 50,
    workers: WorkersOpt = None,
    min_confidence: Annotated[int, typer.Option(help="Report at this confidence or above.")] = 50,
    allow_private: AllowPrivateOpt = False,
    no_robots: NoRobotsOpt = False,
    cache: CacheOpt = None,
    no_cache: NoCacheOpt = False,
    refresh: RefreshOpt = False,
    dns: DnsOpt = False,
    dns_server: DnsServerOpt = None,
    page_cpu_seconds: PageCpuOpt = _PAGE_CPU_SECONDS,
    max_page_bytes: MaxPageBytesOpt = _MAX_PAGE_BYTES,
    force: ForceOpt = False,
    raw: RawCellsOpt = False,
) -> None:
    """Detect the technologies websites use (one row per site × technology).

    Exits 1 when no site could be read at all (every target refused or failed), saying why.
    """
    from icpkit.io import check_output, write_table
    from icpkit.technographics.enrich import detect_domains

    inputs = [t for t in targets if Path(t).is_file()]
    if output is not None:  # before any fetch: a refused output after a long job wastes it
        check_output(output, force=force, inputs=inputs)
    sites = _targets(targets, column)
    if not sites:
        from icpkit.errors import InputError

        raise InputError(f"no targets: the --column {column!r} of the table files is empty")
    detector = _detector(fingerprints, min_confidence)
    config = _config(concurrency, allow_private, no_robots, refresh, max_page_bytes)
    n = _site_count(sites)
    with _cache(cache, no_cache) as store, _progress(n, n > _FEW_SITES) as prog:
        df = detect_domains(
            sites,
            detector=detector,
            config=config,
            cache=store,
            progress=prog,
            dns=_dns(dns, dns_server),
            page_cpu_seconds=page_cpu_seconds,
            workers=_workers(workers),
        )
    if output is not None:
        written = write_table(
            df,
            output,
            force=force,
            inputs=inputs,
            raw_cells=raw,
        )
        err_console.print(f"wrote {_count(df.height, 'row')} to {escape(str(written))}")
    if df["domain"].n_unique() <= _FEW_SITES:
        _render_sites(df)
    else:
        _render_summary(df)
    _fail_if_nothing_read(df, "domain", "error", "error_kind")


def _fail_if_nothing_read(
    df: pl.DataFrame, key: str, error: str, kind: str, *, http_error_is_read: bool = True
) -> None:
    """Exit 1 with the reasons when every site failed: an all-failed job is not a success.

    For ``icp detect`` an HTTP error answer counts as read (the site is up and its status is
    shown; no detection runs on error pages); ``icp enrich`` has no stack for it, so it does not.
    """
    import sys

    import polars as pl

    sites = df.group_by(key).agg(pl.col(error).first(), pl.col(kind).first())
    read = pl.col(error).is_null()
    if http_error_is_read:
        read = read | (pl.col(kind) == "http_status")
    if sites.height == 0 or sites.filter(read).height > 0:
        return
    kinds = sites[kind].fill_null("error").value_counts(sort=True)
    why = ", ".join(f"{k} {n:,}" for k, n in kinds.iter_rows())
    err_console.print(
        f"[bold red]error:[/] none of the {_count(sites.height, 'site')} could be read "
        f"({escape(why)})"
    )
    refused = sites.filter(
        (pl.col(kind) == "refused") & ~pl.col(error).str.contains("metadata|scheme")
    )
    if refused.height:
        one = refused.height == 1
        err_console.print(
            f"{refused.height:,} {'was' if one else 'were'} refused because "
            f"{'it resolves' if one else 'they resolve'} to private, loopback or reserved "
            f"addresses; pass --allow-private to fetch {'it' if one else 'them'} (intranets, tests)"
        )
    if kinds.filter(pl.col(kind) == "dns").height:
        err_console.print("check the domains (typos, defunct sites) and your DNS resolver")
    sys.exit(1)


@app.command("enrich")
def enrich_command(
    accounts: Annotated[Path, typer.Argument(help="Accounts table (CSV, Parquet, Excel …).")],
    domain_column: Annotated[str, typer.Option(help="Column holding the website.")] = "website",
    output: Annotated[Path, typer.Option("-o", "--output", help="Enriched table.")] = Path(
        "accounts_enriched.parquet"
    ),
    category: Annotated[
        list[str] | None, typer.Option(help="Category to report on (repeatable).")
    ] = None,
    fingerprints: FingerprintsOpt = None,
    concurrency: ConcurrencyOpt = 50,
    workers: WorkersOpt = None,
    allow_private: AllowPrivateOpt = False,
    no_robots: NoRobotsOpt = False,
    cache: CacheOpt = None,
    no_cache: NoCacheOpt = False,
    refresh: RefreshOpt = False,
    dns: DnsOpt = False,
    dns_server: DnsServerOpt = None,
    page_cpu_seconds: PageCpuOpt = _PAGE_CPU_SECONDS,
    max_page_bytes: MaxPageBytesOpt = _MAX_PAGE_BYTES,
    force: ForceOpt = False,
    raw: RawCellsOpt = False,
    signals_store: Annotated[
        Path | None,
        typer.Option(help="Also add this run to the technology history of a signals store."),
    ] = None,
) -> None:
    """Add each account's technology stack to a table.

    Adds tech, tech_<category> and has_<category> for every category of the database.
    fetch_url and final_url name the page asked for and read; a website's path is kept.
    Unread sites are null, never empty; fetch_error says why. A page cut at --max-page-bytes
    (page_truncated) leaves categories it did not show null.
    Exits 1 when no page could be read at all, saying why.
    """
    import polars as pl

    from icpkit.io import check_output, read_table, write_table
    from icpkit.technographics.enrich import enrich

    check_output(output, force=force, inputs=[accounts])  # before any fetch, not after
    df = read_table(accounts)
    if domain_column not in df.columns:  # name the file and what it has, not only the column
        from icpkit.errors import MissingColumnsError

        why = f"pass --domain-column; it has {_names(df.columns)}"
        raise MissingColumnsError([domain_column], file=accounts, why=why)
    websites = df.get_column(domain_column).cast(pl.String).str.strip_chars()
    if not (websites.is_not_null() & (websites != "")).any():
        from icpkit.errors import InputError

        raise InputError(
            f"{accounts}: the --domain-column {domain_column!r} holds no website on any row"
        )
    detector = _detector(fingerprints, 50)
    config = _config(concurrency, allow_private, no_robots, refresh, max_page_bytes)
    values = df.get_column(domain_column).cast(pl.String).drop_nulls().unique()
    n = _site_count(values.filter(values.str.strip_chars() != "").to_list())  # as enrich fetches
    with _cache(cache, no_cache) as store, _progress(n, n > _FEW_SITES) as prog:
        out = enrich(
            df,
            domain_column,
            detector=detector,
            config=config,
            cache=store,
            progress=prog,
            categories=category or None,
            dns=_dns(dns, dns_server),
            page_cpu_seconds=page_cpu_seconds,
            workers=_workers(workers),
        )
    written = write_table(out, output, force=force, inputs=[accounts], raw_cells=raw)
    _render_enrich_summary(out, written)
    if signals_store is not None:  # icp signals: each run adds to the technology history
        from datetime import date

        from icpkit.signals.stack import record_stack
        from icpkit.signals.store import SignalsStore

        with SignalsStore(signals_store) as history:
            added = record_stack(history, out, date.today(), detector)
        console.print(f"technology history: {added.get('tech', 0):,} sightings added")
    tried = out.filter(out["fetch_url"].is_not_null() | out["fetch_error"].is_not_null())
    _fail_if_nothing_read(
        tried, domain_column, "fetch_error", "fetch_error_kind", http_error_is_read=False
    )


def _render_enrich_summary(out: pl.DataFrame, written: Path) -> None:
    """Accounts whose page was read (stack known), not read (with why) and without a website."""
    import polars as pl

    read = pl.col("fetch_error").is_null() & pl.col("tech").is_not_null()
    failed = pl.col("fetch_error").is_not_null()
    counts = out.select(read.sum().alias("read"), failed.sum().alias("failed"))
    n_read, n_failed = counts.row(0)
    n_none = out.height - n_read - n_failed
    text = (
        f"wrote {_count(out.height, 'account')} to {escape(str(written))}; stack known for {n_read:,} "
        f"(page read), unknown for {n_failed:,} (page not read)"
    )
    if n_none:
        text += f" and {n_none:,} without a website"
    console.print(text)
    if n_failed:
        kinds = out.filter(failed)["fetch_error_kind"].fill_null("error").value_counts(sort=True)
        why = ", ".join(f"{k} {n:,}" for k, n in kinds.iter_rows())
        console.print(f"not read: {escape(why)} (see fetch_error)")


@fingerprints_app.command("update")
def fingerprints_update(
    source: Annotated[str, typer.Option("--from", help="URL of an archive or technologies.json.")],
    name: Annotated[str | None, typer.Option(help="Name of the installed database.")] = None,
    allow_private: AllowPrivateOpt = False,
) -> None:
    """Download a Wappalyzer-format database into the user cache (validated, switched atomically)."""
    import httpx

    from icpkit.errors import FingerprintError
    from icpkit.technographics.fingerprints import load_fingerprints
    from icpkit.technographics.update import update_fingerprints

    try:
        path = update_fingerprints(source, name=name, allow_private=allow_private)
    except (httpx.HTTPError, FingerprintError) as exc:
        # The source failed (network, server, bad archive): an error, not a usage mistake.
        import sys

        detail = " ".join((str(exc) or type(exc).__name__).split())
        err_console.print(
            f"[bold red]error:[/] --from {escape(source)}: {escape(detail)}; "
            "the installed database is unchanged"
        )
        sys.exit(1)
    db = load_fingerprints(path)
    console.print(
        f"installed {_count(len(db.technologies), 'technology', 'technologies')} in "
        f"{_count(len(db.categories), 'category', 'categories')} "
        f"at {escape(str(path))}"
    )


@fingerprints_app.command("lint")
def fingerprints_lint(
    path: Annotated[Path | None, typer.Argument(help="Database to lint (default: in use).")] = None,
) -> None:
    """Check a database: invalid JSON or fields fail; risky or non-compiling patterns are listed."""
    from icpkit.technographics.update import resolve_fingerprints

    db = resolve_fingerprints(path)
    errors = [i for i in db.issues if i.severity == "error"]
    if db.issues:
        table = Table(title=_count(len(db.issues), "issue"), title_justify="left")
        for col in ("Severity", "Technology", "Field", "Pattern", "Message"):
            table.add_column(col, overflow="fold")
        # errors first: on a 4,000-technology set one error sat among 657 warnings
        for issue in sorted(db.issues, key=lambda i: i.severity != "error"):
            colour = "red" if issue.severity == "error" else "yellow"
            table.add_row(
                f"[{colour}]{issue.severity}[/]",
                escape(issue.technology),
                escape(issue.field),
                escape(issue.pattern[:80]),
                escape(issue.message),
            )
        console.print(table)
    console.print(
        f"{len(db.technologies):,} technologies, {len(db.categories):,} categories: "
        f"{len(errors):,} errors, {len(db.issues) - len(errors):,} warnings"
    )
    if errors:
        raise typer.Exit(1)


@fingerprints_app.command("list")
def fingerprints_list(
    category: Annotated[str | None, typer.Option(help="List the tools of this category.")] = None,
    fingerprints: FingerprintsOpt = None,
) -> None:
    """List categories with their tool counts, or the tools of one category."""
    from icpkit.technographics.update import resolve_fingerprints

    db = resolve_fingerprints(fingerprints)
    if category is not None:
        for name in db.members(category):
            console.print(escape(name))
        return
    table = Table(title="Categories", title_justify="left")
    table.add_column("Category")
    table.add_column("Tools", justify="right")
    counts: dict[int, int] = {}
    for tech in db.technologies.values():
        for cid in tech.categories:
            counts[cid] = counts.get(cid, 0) + 1
    for cat in sorted(db.categories.values(), key=lambda c: c.name.lower()):
        table.add_row(escape(cat.name), f"{counts.get(cat.id, 0):,}")
    console.print(table)
