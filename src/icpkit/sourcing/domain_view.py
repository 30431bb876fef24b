"""Several captures of one registered domain → one observation of the company's website.

The observation is read from one page, chosen in this order: a good response (2xx HTML, read
within its CPU budget) before anything else, the home page before other pages, the latest
capture before older ones (then URL, file and offset, so the choice never depends on input
order). Key pages are pooled: a pricing page captured anywhere on the domain counts, and so
does a link to one on any good page.

Dates are kept, not thrown away: ``first_seen`` / ``last_seen`` span every capture (revisits
included: they say the page was still there) and ``tech_history`` gives each technology's first
and last good capture, so stack changes show when archives of several crawls are read together.
Everything is one polars pass over the rows; a domain's rows may arrive in any order.
"""

from __future__ import annotations

import polars as pl

__all__ = ["VIEW_COLUMNS", "best_first", "domain_view"]

_FROM_BEST = [
    "url",
    "fetch_time",
    "status",
    "good",
    "truncated",
    "tech",
    "tech_evidence",
    "facts",
    "tools_observable",
    "language",
    "language_source",
    "country",
    "country_hints",
    "company_name",
    "company_name_source",
    "error",
]
_KEY_PAGES = ["has_pricing_page", "has_careers_page", "has_login_page"]
HISTORY = pl.List(
    pl.Struct(
        {
            "tech": pl.String,
            "first_seen": pl.Datetime("us", "UTC"),
            "last_seen": pl.Datetime("us", "UTC"),
        }
    )
)
# The best capture's fields under the view's names (url and fetch_time are the page and the
# moment observed), then the key pages and the capture history; the error stays last.
VIEW_COLUMNS = [
    "domain",
    "page_url",
    "observed_at",
    *(c for c in _FROM_BEST if c not in ("url", "fetch_time", "error")),
    *_KEY_PAGES,
    "captures",
    "first_seen",
    "last_seen",
    "capture_dates",
    "tech_history",
    "error",
]


def best_first(rows: pl.DataFrame) -> pl.DataFrame:
    """``rows`` by domain, each domain's captures in the order the observation is chosen
    (good, home page, latest, then URL, file, offset): the first of a domain is its page. The
    choice made before detection (``source_warc(pages="best")``) uses this same order."""
    return (
        rows.with_columns((pl.col("page_kind") == "home").alias("_home"))
        .sort(
            ["domain", "good", "_home", "fetch_time", "url", "warc_file", "warc_offset"],
            descending=[False, True, True, True, False, False, False],
            nulls_last=True,
        )
        .drop("_home")
    )


def domain_view(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per registered domain (see the module docstring), sorted by domain."""
    rows = rows.filter(pl.col("domain").is_not_null() & (pl.col("domain") != ""))
    ordered = best_first(rows)
    best = (
        ordered.group_by("domain", maintain_order=True)
        .agg(pl.col(c).first() for c in _FROM_BEST)
        .rename({"url": "page_url", "fetch_time": "observed_at"})
    )
    good = pl.col("good")
    spans = rows.group_by("domain").agg(
        pl.len().cast(pl.Int64).alias("captures"),
        pl.col("fetch_time").min().alias("first_seen"),
        pl.col("fetch_time").max().alias("last_seen"),
        pl.col("fetch_time").dt.date().unique().sort().alias("capture_dates"),
        *(
            # null (unknown) when no page of the domain was read well, or when no good page
            # says yes and some did not look (a signal group the run did not read; a page
            # previewed without its links: three-valued, like the criteria)
            pl.when(good.any()).then(pl.col(c).filter(good).any(ignore_nulls=False)).alias(c)
            for c in _KEY_PAGES
        ),
    )
    history = (
        rows.filter(good)
        .select("domain", "tech", "fetch_time")
        .explode("tech")
        .drop_nulls("tech")
        .group_by("domain", "tech")
        .agg(
            pl.col("fetch_time").min().alias("first_seen"),
            pl.col("fetch_time").max().alias("last_seen"),
        )
        .sort("domain", "tech")
        .group_by("domain", maintain_order=True)
        .agg(pl.struct("tech", "first_seen", "last_seen").alias("tech_history"))
    )
    out = best.join(spans, on="domain", how="left").join(history, on="domain", how="left")
    out = out.with_columns(
        pl.col("tech_history").cast(HISTORY).fill_null(pl.lit([], dtype=HISTORY))
    )
    return out.select(VIEW_COLUMNS).sort("domain")
