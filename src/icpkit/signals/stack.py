"""Technology history per account: first seen, last seen, and changes that can be trusted.

A technology that is missing from today's page was *removed* only if today's look could have
seen it. Two things make a look blind: the page did not load (the whole look is unknown), or the
signals collected from the page cannot show the technology's category at all (a category whose
fingerprints all need DNS records, on a look without DNS). The second is the category
observability the detector already computes (:meth:`Detector.category_facts`); each look stores
the categories it could not see (``visits.unseen``), and the change rules below skip them.

Rules, per account and technology, over the looks that loaded, oldest first: each look is
*present*, *absent* (and observable) or *unknown* (its category unseen); unknown looks are
dropped, and a change is a switch between two consecutive known looks, dated by the later one.
:data:`CHANGES_SQL` evaluates this per account and technology over list columns (one row per
pair, not one per pair and look), which keeps a million accounts' history to seconds.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from icpkit.signals.store import SignalsStore, account_key

_SIGNAL_ATTRS = ("html", "scripts", "css", "headers", "cookies", "dns", "robots", "js")


def observability_key(page: Any) -> tuple[bool, ...]:
    """Which kinds of signal a page carries (what decides which categories it can show)."""
    return tuple(bool(getattr(page, attr, None)) for attr in _SIGNAL_ATTRS)


def unseen_categories(detector: Any, page: Any) -> list[str]:
    """Categories none of whose fingerprinted technologies is observable from ``page``'s signals.

    Uses the detector's own category facts (``observable == 0``); callers cache by
    :func:`observability_key`, since the answer depends only on which signals the page has.
    """
    facts = detector.category_facts(page, [])
    return sorted(f.category for f in facts if f.fingerprinted and f.observable == 0)


def basic_page_unseen(detector: Any) -> list[str]:
    """Unseen categories of a plain fetched page (HTML, headers, cookies): what ``icp enrich``
    reads, for histories recorded from its output, where the pages are gone."""
    from icpkit.technographics.page import Page

    page = Page(
        url="https://example.invalid/",
        html="<html><head><script src='/a.js'></script><meta name='x' content='y'></head></html>",
        headers={"server": "x"},
        cookies={"x": "y"},
    )
    return unseen_categories(detector, page)


def stack_frames(
    stack: pl.DataFrame, observed_on: date, unseen: list[str]
) -> dict[str, pl.DataFrame]:
    """Store rows from a :func:`~icpkit.technographics.enrich.detect_stack` / ``enrich`` frame.

    ``stack`` needs a site column (``domain``; or ``fetch_url``) and ``tech`` (a list, null where
    the page was not read) plus, optionally, ``fetch_error``. Sites whose page was not read get
    a failed look (unknown), never an empty stack.
    """
    site = "fetch_url" if "fetch_url" in stack.columns else "domain"
    sites = stack.select(
        pl.col(site).cast(pl.String).alias("site"),
        pl.col("tech"),
        (pl.col("fetch_error") if "fetch_error" in stack.columns else pl.lit(None))
        .cast(pl.String)
        .alias("detail"),
    ).filter(pl.col("site").is_not_null())
    keys: dict[str, str | None] = {}
    for value in sites["site"].unique().to_list():  # per distinct site, not per account row
        try:
            keys[value] = account_key(value)
        except Exception:  # an invalid website has no account to record
            keys[value] = None
    mapping = pl.DataFrame(
        {"site": list(keys), "account": list(keys.values())},
        schema={"site": pl.String, "account": pl.String},
    )
    sites = sites.join(mapping, on="site", how="left").drop_nulls("account")
    sites = sites.unique("account", keep="first", maintain_order=True)
    ok = pl.col("tech").is_not_null()
    visits = sites.select(
        "account",
        pl.lit(observed_on).alias("observed_on"),
        pl.lit("stack").alias("source"),
        ok.alias("ok"),
        pl.when(ok).then(None).otherwise(pl.col("detail").fill_null("not read")).alias("detail"),
        pl.when(ok).then(pl.lit(unseen, dtype=pl.List(pl.String))).otherwise(None).alias("unseen"),
    )
    tech = (
        sites.filter(ok)
        .select("account", pl.col("tech").alias("technology"))
        .explode("technology")
        .drop_nulls("technology")
        .with_columns(
            pl.lit(observed_on).alias("observed_on"),
            pl.lit(None, dtype=pl.String).alias("category"),
        )
        .unique(["account", "technology"])
    )
    return {"visits": visits, "tech": tech}


def record_stack(
    store: SignalsStore, stack: pl.DataFrame, observed_on: date, detector: Any | None = None
) -> dict[str, int]:
    """Append a ``detect``/``enrich`` stack to the technology history (the CLI hook)."""
    if detector is None:
        from icpkit.technographics.detector import Detector

        detector = Detector()
    frames = stack_frames(stack, observed_on, basic_page_unseen(detector))
    cats = detector.db.categories
    first = {
        " ".join(t.name.split()).lower(): cats[t.categories[0]].name
        for t in detector.db.technologies.values()
        if t.categories and t.categories[0] in cats
    }
    table = pl.DataFrame(
        {"technology": list(first), "__cat": list(first.values())},
        schema={"technology": pl.String, "__cat": pl.String},
    )
    frames["tech"] = (
        frames["tech"]
        .join(table, on="technology", how="left")
        .with_columns(pl.col("__cat").alias("category"))
        .drop("__cat")
    )
    return store.append(frames)


def tech_history(store: SignalsStore) -> pl.DataFrame:
    """First and last seen date per account and technology, with how many looks saw it."""
    return store.frame(
        "SELECT account, technology, min(observed_on) AS first_seen, "
        "max(observed_on) AS last_seen, count(*) AS looks FROM tech "
        "GROUP BY account, technology ORDER BY account, technology"
    )


def changes_sql(accounts: str | None = None) -> str:
    """:data:`CHANGES_SQL`, restricted to the accounts of relation ``accounts`` (a column
    ``account``) when given: the export's exact path for accounts with a blind look."""
    if accounts is None:
        return _CHANGES_TEMPLATE.replace("{tech}", "tech").replace("{visits}", "visits")
    only = f"SEMI JOIN {accounts} USING (account)"
    return _CHANGES_TEMPLATE.replace("{tech}", f"tech {only}").replace("{visits}", f"visits {only}")


_CHANGES_TEMPLATE = """
WITH looks AS (
    SELECT account, list(observed_on ORDER BY observed_on) AS days,
           list(coalesce(unseen, []) ORDER BY observed_on) AS blind
    FROM {visits} WHERE source = 'stack' AND ok AND observed_on <= $as_of GROUP BY account
    HAVING count(*) > 1 AND max(observed_on) > $since
), ever AS (
    SELECT account, technology, any_value(category) AS category, list(observed_on) AS seen
    FROM {tech} WHERE observed_on <= $as_of GROUP BY account, technology
), known AS (
    SELECT e.account, e.technology,
           list_filter(
               list_transform(
                   range(1, len(l.days) + 1),
                   lambda i: {
                       'day': l.days[i],
                       'present': CASE WHEN list_contains(e.seen, l.days[i]) THEN true
                                       WHEN e.category IS NOT NULL
                                            AND list_contains(l.blind[i], e.category) THEN NULL
                                       ELSE false END}),
               lambda x: x.present IS NOT NULL) AS k
    FROM ever e JOIN looks l USING (account)
    WHERE len(e.seen) < len(l.days)  -- seen at every look (tech rows exist only for looks
                                     -- that loaded): nothing can have changed
), steps AS (
    SELECT account, technology, k, unnest(range(2, len(k) + 1)) AS i FROM known
)
SELECT account, technology, k[i].day AS changed_on,
       CASE WHEN k[i].present THEN 'added' ELSE 'removed' END AS change
FROM steps WHERE k[i].present <> k[i - 1].present AND k[i].day > $since
"""
CHANGES_SQL = changes_sql()
"""Every trusted change after ``$since`` up to ``$as_of``: account, technology, changed_on,
change."""


def tech_changes(store: SignalsStore, as_of: date) -> pl.DataFrame:
    """Trusted technology changes up to ``as_of`` (see the module rules), oldest first."""
    sql = CHANGES_SQL + " ORDER BY account, changed_on, technology"
    return store.frame(sql, {"as_of": as_of, "since": date(1, 1, 1)})


__all__ = [
    "CHANGES_SQL",
    "basic_page_unseen",
    "changes_sql",
    "observability_key",
    "record_stack",
    "stack_frames",
    "tech_changes",
    "tech_history",
    "unseen_categories",
]
