"""Looking domains up in a Common Crawl style columnar URL index (Parquet), with DuckDB.

Common Crawl publishes, per crawl, Parquet files under
``cc-index/table/cc-main/warc/crawl=CC-MAIN-YYYY-WW/subset=warc/part-*.parquet``, one row per
capture with (among others) ``url``, ``url_host_name``, ``url_host_registered_domain``,
``url_path``, ``url_query``, ``fetch_time``, ``fetch_status``, ``content_mime_detected``,
``content_languages``, ``warc_filename``, ``warc_record_offset`` and ``warc_record_length``. This
module reads that schema by those names (a local mirror of some of the files, or a small index a
test writes) and returns, per wanted domain, the captures worth reading: the latest good home
page and the latest good pricing, careers and login pages. DuckDB reads only the columns and row
groups the query needs, and the hive-style ``crawl=`` / ``subset=`` folders prune whole crawls.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import polars as pl

from icpkit.errors import InputError, UsageError
from icpkit.sourcing.analyse import domain_of
from icpkit.sourcing.pagesignals import KIND_PATTERNS

__all__ = ["CC_COLUMNS", "lookup"]

CC_COLUMNS = (
    "url",
    "url_host_name",
    "url_host_registered_domain",
    "url_path",
    "url_query",
    "fetch_time",
    "fetch_status",
    "content_mime_detected",
    "warc_filename",
    "warc_record_offset",
    "warc_record_length",
)
_HOME = ("/", "", "/index.html", "/index.htm", "/index.php", "/default.aspx")


def _kind_sql() -> str:
    """CASE expression classifying ``url_path`` like :func:`.pagesignals.page_kind`."""
    homes = ", ".join(f"'{p}'" for p in _HOME)
    parts = [f"WHEN coalesce(url_path, '/') IN ({homes}) AND url_query IS NULL THEN 'home'"]
    for kind, pattern in KIND_PATTERNS.items():
        regex = pattern.pattern.replace("'", "''")
        parts.append(f"WHEN regexp_matches(coalesce(url_path, ''), '{regex}', 'i') THEN '{kind}'")
    return "CASE " + " ".join(parts) + " ELSE 'other' END"


def _files(index: Path) -> str:
    if index.is_file():
        return str(index)
    if not index.is_dir():
        raise UsageError("no such index file or directory", file=index)
    if not any(index.rglob("*.parquet")):
        raise InputError("holds no Parquet files (a Common Crawl columnar index)", file=index)
    return str(index / "**" / "*.parquet")


def lookup(
    domains: Iterable[str],
    index: str | Path,
    *,
    crawl: str | Iterable[str] | None = None,
    kinds: tuple[str, ...] = ("home", "pricing", "careers", "login"),
) -> pl.DataFrame:
    """Captures to fetch for ``domains``: per domain, page kind and crawl, the latest 2xx HTML
    capture.

    ``crawl`` names one crawl or several (``CC-MAIN-2026-40``); None reads every crawl in the
    index, so the domain view can date the stack across crawls. Columns: domain, url, page_kind, fetch_time,
    fetch_status, warc_filename, warc_record_offset, warc_record_length, crawl.
    """
    import duckdb

    wanted = sorted({domain_of(d) for d in domains if d and d.strip()} - {""})
    source = _files(Path(index))
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        rel = con.sql(
            f"SELECT * FROM read_parquet('{source.replace(chr(39), chr(39) * 2)}', "
            "hive_partitioning = true, union_by_name = true)"
        )
        missing = [c for c in CC_COLUMNS if c not in rel.columns]
        if missing:
            raise InputError(
                f"is not a Common Crawl URL index: missing columns {missing}", file=index
            )
        has_crawl = "crawl" in rel.columns
        has_subset = "subset" in rel.columns
        crawls = [crawl] if isinstance(crawl, str) else list(crawl) if crawl else []
        where = ["url_host_registered_domain IN (SELECT domain FROM wanted)"]
        where.append("fetch_status BETWEEN 200 AND 299")
        where.append(
            "coalesce(content_mime_detected, '') IN ('text/html', 'application/xhtml+xml')"
        )
        if has_subset:
            where.append("subset = 'warc'")
        if crawls:
            if not has_crawl:
                raise InputError("has no crawl= partition to select a crawl from", file=index)
            where.append("crawl IN (SELECT crawl FROM crawls)")
        con.register("wanted", pl.DataFrame({"domain": wanted}, schema={"domain": pl.String}))
        con.register("crawls", pl.DataFrame({"crawl": crawls}, schema={"crawl": pl.String}))
        con.register("captures", rel)
        kind_list = ", ".join(f"'{k}'" for k in kinds)
        crawl_col = "crawl" if has_crawl else "NULL::VARCHAR"
        sql = f"""
            WITH hits AS (
                SELECT url_host_registered_domain AS domain, url, {_kind_sql()} AS page_kind,
                       CAST(fetch_time AS TIMESTAMPTZ) AS fetch_time,
                       CAST(fetch_status AS BIGINT) AS fetch_status, warc_filename,
                       CAST(warc_record_offset AS BIGINT) AS warc_record_offset,
                       CAST(warc_record_length AS BIGINT) AS warc_record_length,
                       {crawl_col} AS crawl
                FROM captures WHERE {" AND ".join(where)}
            )
            SELECT * FROM hits WHERE page_kind IN ({kind_list})
            QUALIFY row_number() OVER (
                PARTITION BY domain, page_kind, crawl
                ORDER BY fetch_time DESC, url, warc_filename, warc_record_offset) = 1
            ORDER BY domain, page_kind, fetch_time DESC
        """
        return con.sql(sql).pl()
    finally:
        con.close()
