"""The store's histories as one row per account of derived signal columns, as of a date.

Every column is computed in DuckDB over whole tables (a million accounts' histories in seconds)
and only from observations made on or before ``as_of``, so an export for a past date is what
would have been known then. Each column has a fixed window, and :data:`COLUMN_DOCS` says what it
counts; :func:`column_metadata` returns both with the as-of date, and :func:`write_signals`
writes them into the Parquet file's metadata and a ``<output>.meta.json`` sidecar.

Unknown is null: a count over a window with no successful look at the account is null, not 0;
``new_marketing_leader_180d`` needs two contacts snapshots; stack columns need two comparable
looks. Column names follow icpkit's conventions so ``icp discover`` and ``icp score`` read them
as behavioural traits (``hiring_…``, ``…_leader…``, ``…funding…``) with no configuration; the
``…_date`` columns are what discovery turns into timing signals ("within 90 days before the
purchase").
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from icpkit.errors import InputError, UsageError
from icpkit.signals.leadership import NEW_LEADERS_SQL
from icpkit.signals.stack import changes_sql
from icpkit.signals.store import SignalsStore

if TYPE_CHECKING:
    from icpkit.criteria import Criterion
    from icpkit.icp import ICP

HIRING_DAYS = 90
LEADER_DAYS = 180
STACK_DAYS = 90

#: column → (window in days or None, what it says). The as-of date is the export's.
COLUMN_DOCS: dict[str, tuple[int | None, str]] = {
    "hiring_open_roles": (None, "open roles at the latest successful look on or before as-of"),
    "hiring_sales_roles_90d": (HIRING_DAYS, "distinct open sales roles seen in the window"),
    "hiring_growth_90d": (
        HIRING_DAYS,
        "open roles at the latest look minus open roles at the latest look before the window",
    ),
    "hiring_roles_90d": (HIRING_DAYS, "distinct open roles matching --roles seen in the window"),
    "hiring_roles_last_date": (
        None,
        "latest date a role matching --roles was first seen (its posting date when earlier)",
    ),
    "hiring_leader_roles_180d": (LEADER_DAYS, "distinct C-level or VP roles open in the window"),
    "new_marketing_leader_180d": (
        LEADER_DAYS,
        "a marketing director-or-above arrived in the window (two contacts snapshots or two"
        " looks at the team page needed)",
    ),
    "leadership_change_date": (
        None,
        "latest date a new director-or-above (any department) appeared",
    ),
    "last_funding_date": (None, "date of the latest funding round on or before as-of"),
    "funding_stage": (None, "round type of the latest funding round"),
    "added_tech_90d": (STACK_DAYS, "technologies added in the window (both looks could see them)"),
    "removed_tech_90d": (STACK_DAYS, "technologies removed in the window (same rule)"),
    "stack_change_90d": (STACK_DAYS, "any technology added or removed in the window"),
}


def _sql(roles: bool) -> str:
    """One aggregation per table, grouped by account only, joined on the account.

    Grouping by (account, posting) or (account, technology) makes millions of groups, and the
    size of the hash table, not the rows, is what costs; so each table is folded into short
    lists per account once, and the per-posting and per-look questions are asked of those
    lists (distinct postings in a window, roles open at a look, see :data:`FAST_CHANGES_SQL`).
    """
    match = "regexp_matches(title, $roles, 'i')"
    role_cols = (
        f""",
        list(posting_id) FILTER ({match} AND observed_on > $as_of - {HIRING_DAYS}) AS roles90,
        list(posting_id) FILTER ({match}) AS rp,
        list(least(observed_on, coalesce(posted_on, observed_on))) FILTER ({match}) AS rd"""
        if roles
        else ""
    )
    role_v2 = (
        ", len(list_distinct(pa.roles90)) AS roles90,"
        # a role's first sighting (its posting date when earlier); the latest of those
        " list_max(list_transform(list_distinct(pa.rp), lambda p:"
        " list_min(list_filter(pa.rd, lambda x, j: pa.rp[j] = p)))) AS hiring_roles_last_date"
        if roles
        else ""
    )
    return _per_account_sql(role_cols, role_v2) + _final_select_sql(roles)


def _per_account_sql(role_cols: str, role_v2: str) -> str:
    """The CTEs: visits, postings, new leaders and funding folded per account, and the stack
    changes (``role_cols``/``role_v2`` add the ``--roles`` lists when asked for)."""
    return f"""
WITH v AS (
    SELECT account,
        max(observed_on) FILTER (source = 'hiring' AND ok) AS h_latest,
        max(observed_on) FILTER (source = 'hiring' AND ok
                                 AND observed_on <= $as_of - {HIRING_DAYS}) AS h_base,
        coalesce(bool_or(source = 'hiring' AND ok AND observed_on > $as_of - {HIRING_DAYS}),
                 false) AS h_win,
        coalesce(bool_or(source = 'hiring' AND ok AND observed_on > $as_of - {LEADER_DAYS}),
                 false) AS h_180,
        greatest(count(*) FILTER (source = 'contacts' AND ok),
                 count(*) FILTER (source = 'team_page' AND ok)) AS c_looks,
        count(*) FILTER (source = 'stack' AND ok) AS s_looks,
        max(observed_on) FILTER (source = 'stack' AND ok) AS s_latest,
        max(observed_on) FILTER (source = 'stack' AND ok AND observed_on <= $since) AS s_prev,
        list(observed_on ORDER BY observed_on)
            FILTER (source = 'stack' AND ok AND observed_on > $since) AS s_win
    FROM visits WHERE observed_on <= $as_of GROUP BY account
), pa AS (  -- postings per account: the looks' dates (open roles at a look are the rows of
            -- that date: one row per posting and look) and the postings seen in each window
    SELECT account, list(observed_on) AS days,
        list(posting_id) FILTER (observed_on > $as_of - {HIRING_DAYS}
                                 AND department = 'sales') AS sales90,
        list(posting_id) FILTER (observed_on > $as_of - {LEADER_DAYS}
                                 AND seniority IN ('c-level/owner', 'vp')) AS lead180{role_cols}
    FROM postings WHERE observed_on <= $as_of GROUP BY account
), nl AS (
    SELECT account,
           bool_or(department = 'marketing' AND arrived_on > $as_of - {LEADER_DAYS}) AS mkt,
           max(arrived_on) AS leadership_change_date
    FROM ({NEW_LEADERS_SQL}) GROUP BY account
), fu AS (
    SELECT account, max(announced_on) AS last_funding_date,
           arg_max(round_type, announced_on) AS funding_stage
    FROM funding WHERE announced_on <= $as_of GROUP BY account
), {FAST_CHANGES_SQL}, v2 AS (
    SELECT v.account, v.h_latest, v.h_base, v.h_win, v.h_180, v.c_looks,
           v.s_looks >= 2 AND v.s_latest > $as_of - {STACK_DAYS} AS comparable,
           len(list_filter(pa.days, lambda x: x = v.h_latest)) AS open_now,
           len(list_filter(pa.days, lambda x: x = v.h_base)) AS open_then,
           len(list_distinct(pa.sales90)) AS sales90, len(list_distinct(pa.lead180)) AS lead180
           {role_v2}
    FROM v LEFT JOIN pa USING (account)
)
"""


def _final_select_sql(roles: bool) -> str:
    """The signal columns from the per-account CTEs, one row per account."""
    role_select = (
        "CASE WHEN v.h_win THEN coalesce(v.roles90, 0) END AS hiring_roles_90d,"
        " v.hiring_roles_last_date,"
        if roles
        else ""
    )
    return f"""SELECT coalesce(v.account, fu.account) AS domain,
       CASE WHEN v.h_latest IS NOT NULL THEN coalesce(v.open_now, 0) END AS hiring_open_roles,
       CASE WHEN v.h_win THEN coalesce(v.sales90, 0) END AS hiring_sales_roles_90d,
       CASE WHEN v.h_win AND v.h_base IS NOT NULL
            THEN coalesce(v.open_now, 0) - coalesce(v.open_then, 0) END AS hiring_growth_90d,
       {role_select}
       CASE WHEN v.h_180 THEN coalesce(v.lead180, 0) END AS hiring_leader_roles_180d,
       CASE WHEN v.c_looks >= 2 THEN coalesce(nl.mkt, false) END AS new_marketing_leader_180d,
       nl.leadership_change_date,
       fu.last_funding_date, fu.funding_stage,
       CASE WHEN v.comparable THEN {_LIST.format(side="added")} END AS added_tech_90d,
       CASE WHEN v.comparable THEN {_LIST.format(side="removed")} END AS removed_tech_90d,
       CASE WHEN v.comparable
            THEN coalesce(chf.changed, len(chs.added) + len(chs.removed) > 0, false) END
           AS stack_change_90d
FROM v2 v
FULL JOIN fu ON fu.account = v.account
LEFT JOIN nl ON nl.account = v.account
LEFT JOIN chf ON chf.account = v.account
LEFT JOIN chs ON chs.account = v.account
ORDER BY domain
"""


_LIST = (
    "CASE WHEN chs.account IS NULL THEN coalesce(chf.{side}, [])"
    " ELSE list_sort(list_distinct(coalesce(chf.{side}, []) || chs.{side})) END"
)


FAST_CHANGES_SQL = f"""
cats AS (SELECT list(DISTINCT category) AS c FROM tech WHERE category IS NOT NULL
), blind AS (  -- accounts with a look blind to a category they run: the exact rule decides
    SELECT DISTINCT account FROM visits, cats
    WHERE source = 'stack' AND ok AND observed_on <= $as_of AND list_has_any(unseen, cats.c)
), ta AS (  -- one list per account (never one group per account and technology)
    SELECT account, list(technology) AS t, list(observed_on) AS d
    FROM tech WHERE observed_on <= $as_of GROUP BY account
), ts AS (  -- the technologies seen at each look that matters: the last before the window
            -- (when any) and those in it
    SELECT account, list_transform(
               CASE WHEN v.s_prev IS NULL THEN v.s_win ELSE list_prepend(v.s_prev, v.s_win) END,
               lambda day: list_filter(ta.t, lambda x, j: ta.d[j] = day)) AS s
    FROM ta JOIN v USING (account)
    WHERE v.s_looks > 1 AND len(v.s_win) > 0 AND account NOT IN (SELECT account FROM blind)
), chf AS (  -- with no look blind to anything it runs, the previous known look is the
             -- previous look: changes are set differences of neighbouring looks
    SELECT account, added, removed, len(added) + len(removed) > 0 AS changed FROM (
        SELECT account,
               list_sort(list_distinct(flatten(list_transform(range(2, len(s) + 1), lambda i:
                   list_filter(s[i], lambda x: NOT list_contains(s[i - 1], x)))))) AS added,
               list_sort(list_distinct(flatten(list_transform(range(2, len(s) + 1), lambda i:
                   list_filter(s[i - 1], lambda x: NOT list_contains(s[i], x)))))) AS removed
        FROM ts
    )
), chs AS (  -- accounts the exact path decided (listed even without a change)
    SELECT b.account, coalesce(c.added, []) AS added, coalesce(c.removed, []) AS removed
    FROM blind b LEFT JOIN (
        SELECT account, list(technology) FILTER (change = 'added') AS added,
               list(technology) FILTER (change = 'removed') AS removed
        FROM ({changes_sql("blind")}) GROUP BY account
    ) c USING (account)
)"""
"""Technology changes in the window, per account (the ``changes`` CTE of the export).

:data:`~icpkit.signals.stack.CHANGES_SQL` walks every look of every account and technology;
over a million accounts that is most of the export's time. Where no look was blind to a
technology's category (almost everywhere), the rule reduces to counting: the previous look of
any look in the window is the last look before the window or a look in the window, so only the
sightings in that range matter, and whether they form one run from its start or to its end
says whether the technology was removed or added. The other pairs take the exact walk.
"""


def _roles_pattern(roles: str | None) -> str | None:
    if roles is None or not roles.strip():
        return None
    pattern = roles.strip()
    try:
        re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise UsageError(f"--roles is not a valid pattern: {exc}") from None
    return pattern


def signal_columns(store: SignalsStore, as_of: date, *, roles: str | None = None) -> pl.DataFrame:
    """One row per account known to the store: ``domain`` (the account) and the signal columns.

    ``roles`` is a regular expression over lower-cased posting titles (``"seo|content|demand
    gen"``): the roles in the user's solution area, counted as ``hiring_roles_90d`` and dated as
    ``hiring_roles_last_date``.
    """
    pattern = _roles_pattern(roles)
    params: dict[str, Any] = {"as_of": as_of, "since": as_of - timedelta(days=STACK_DAYS)}
    if pattern is not None:
        params["roles"] = pattern
    out = store.frame(_sql(pattern is not None), params)
    casts: dict[str, pl.DataType] = {
        c: pl.Int64() for c in out.columns if c.endswith(("_90d", "_180d", "open_roles"))
    }
    casts.update(dict.fromkeys(("new_marketing_leader_180d", "stack_change_90d"), pl.Boolean()))
    casts.update({c: pl.List(pl.String) for c in ("added_tech_90d", "removed_tech_90d")})
    return out.with_columns(pl.col(c).cast(t) for c, t in casts.items() if c in out.columns)


def column_metadata(columns: list[str], as_of: date, roles: str | None = None) -> dict[str, Any]:
    """What each signal column means: its window and the as-of date (JSON-ready)."""
    cols = {}
    for name in columns:
        if name in COLUMN_DOCS:
            window, what = COLUMN_DOCS[name]
            cols[name] = {
                "as_of": as_of.isoformat(),
                "window_days": window,
                "means": what,
            }
    meta: dict[str, Any] = {"as_of": as_of.isoformat(), "columns": cols}
    if roles:
        meta["roles"] = roles
    return meta


_NEEDS = {
    "hiring": "a successful job-board look in the window",
    "hiring_growth_90d": "looks before and within the window",
    "new_marketing_leader_180d": "two contacts snapshots (--contacts on two dates) or two "
    "looks at a team page",
    "stack": "two comparable looks at the site, the later in the window",
    "funding": "a matched funding round",
}


_KEYS = (
    ("hiring_growth_90d", ("growth",)),
    ("new_marketing_leader_180d", ("new_marketing", "leadership_change")),
    ("stack", ("tech", "stack")),
    ("funding", ("funding",)),
)


def history_notes(frame: pl.DataFrame, min_share: float = 0.5) -> list[str]:
    """One line per windowed signal column known for fewer than ``min_share`` of the rows: too
    little history to judge it (discovery treats unknown as unknown, so such a column has little
    power; the note says what more history it needs). Event dates are left out: their null
    means no event was seen, not that nobody looked."""
    notes = []
    rows = max(frame.height, 1)
    for name in frame.columns:
        if COLUMN_DOCS.get(name, (None, ""))[0] is None:
            continue
        known = int(frame.get_column(name).is_not_null().sum())
        if known / rows >= min_share:
            continue
        key = next((k for k, words in _KEYS if any(w in name for w in words)), "hiring")
        need = _NEEDS.get(key, "more observations")
        notes.append(
            f"{name}: known for {known:,} of {frame.height:,} accounts "
            f"({known / rows:.0%}); too little history to judge — needs {need}"
        )
    return notes


def history_caveat(frame: pl.DataFrame, criterion: Criterion, min_share: float = 0.5) -> str | None:
    """Why a criterion on a signal column has too little history to judge, or None.

    A windowed column (``hiring_sales_roles_90d``) known for fewer than ``min_share`` of the
    accounts; or a date window before a reference date ("within 90 days before close date")
    that starts before the history does (its first recorded date) for more than half of the
    accounts with a reference date: for them "no event" only means "not recorded yet".
    """
    name = criterion.column
    if name not in COLUMN_DOCS or name not in frame.columns or frame.height == 0:
        return None
    col = frame.get_column(name)
    if COLUMN_DOCS[name][0] is not None:
        known = int(col.is_not_null().sum())
        if known < min_share * frame.height:
            return (
                f"too little signal history to judge: {name} known for {known:,} of "
                f"{frame.height:,} accounts ({known / frame.height:.0%})"
            )
        return None
    ref = criterion.before
    if not criterion.within_days or ref is None or ref not in frame.columns:
        return None
    if col.dtype != pl.Date or frame.schema[ref] != pl.Date or col.null_count() == col.len():
        return None
    start = col.min()
    assert isinstance(start, date)  # a Date column with a value
    refs = frame.get_column(ref).drop_nulls()
    early = int((refs - timedelta(days=criterion.within_days) < start).sum())
    if refs.len() and early > refs.len() / 2:
        return (
            f"too little signal history to judge: {name} is recorded from {start}, after the "
            f"start of the {criterion.within_days}-day window for {early:,} of {refs.len():,} "
            "accounts"
        )
    return None


def with_history_caveats(icp: ICP, frame: pl.DataFrame) -> tuple[ICP, list[str]]:
    """``icp`` with :func:`history_caveat` added to the evidence of each criterion on a signal
    column that has too little history, and one note per such criterion (discovery's
    warnings). Criteria without evidence, and other columns, are left as they are."""
    notes: list[str] = []

    def fix(c: Criterion) -> Criterion:
        why = history_caveat(frame, c) if c.evidence is not None else None
        if why is None or c.evidence is None:
            return c
        notes.append(f"{c.describe()}: {why}")
        joined = "; ".join(x for x in (c.evidence.caveat, why) if x)
        return c.model_copy(update={"evidence": c.evidence.model_copy(update={"caveat": joined})})

    if not any(c.column in COLUMN_DOCS for c in icp.criteria()):
        return icp, notes
    segments = [
        s.model_copy(update={"must": [fix(c) for c in s.must], "nice": [fix(c) for c in s.nice]})
        for s in icp.segments
    ]
    scoring = icp.scoring.model_copy(
        update={
            "points": [fix(c) for c in icp.scoring.points],
            "timing": [fix(c) for c in icp.scoring.timing],
        }
    )
    out = icp.model_copy(
        update={
            "segments": segments,
            "scoring": scoring,
            "disqualifiers": [fix(c) for c in icp.disqualifiers],
        }
    )
    return out, list(dict.fromkeys(notes))


def _account_key(accounts: pl.DataFrame, domain_column: str, name_column: str | None) -> pl.Expr:
    """The store's account key for each accounts row: the normalised website, else (with
    ``name_column``) the normalised company name, the rule ``icp signals collect`` keys by."""
    from icpkit.signals.funding import domain_expr, name_expr

    if domain_column not in accounts.columns:
        raise InputError(f"no column {domain_column!r} (--domain-column) in the accounts file")
    key = domain_expr(pl.col(domain_column))
    if name_column is not None:
        if name_column not in accounts.columns:
            raise InputError(f"no column {name_column!r} (--name-column) in the accounts file")
        key = pl.coalesce(key, name_expr(pl.col(name_column)))
    return key


def join_accounts(
    signals: pl.DataFrame,
    accounts: pl.DataFrame,
    domain_column: str,
    name_column: str | None = None,
) -> pl.DataFrame:
    """``accounts`` (all rows and columns kept) with the signal columns joined by website, else
    by company name when ``name_column`` is given (funding rounds matched by name are stored
    under the name: joined by website alone, none of them reached an account without one)."""
    added = [c for c in signals.columns if c != "domain"]
    base = accounts.drop([c for c in added if c in accounts.columns])
    return (
        base.with_columns(_account_key(accounts, domain_column, name_column).alias("__account"))
        .join(
            signals.rename({"domain": "__account"}),
            on="__account",
            how="left",
            maintain_order="left",
        )
        .drop("__account")
    )


def matched_accounts(
    signals: pl.DataFrame,
    accounts: pl.DataFrame,
    domain_column: str,
    name_column: str | None = None,
) -> int:
    """How many accounts rows have a history in the store (the rest get unknown signals)."""
    keys = accounts.select(_account_key(accounts, domain_column, name_column).alias("k"))
    return int(keys.get_column("k").is_in(signals.get_column("domain").implode()).sum())


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What :func:`write_signals` wrote: the frame, its file, the sidecar and the metadata."""

    frame: pl.DataFrame
    path: Path
    sidecar: Path
    metadata: dict[str, Any]


def write_signals(
    frame: pl.DataFrame,
    path: str | os.PathLike[str],
    as_of: date,
    *,
    roles: str | None = None,
    force: bool = False,
    inputs: tuple[str | os.PathLike[str], ...] = (),
) -> ExportResult:
    """Write ``frame`` (any table format) with the column metadata in a sidecar, and in the
    file itself for Parquet (key ``icpkit.signals``); both written atomically."""
    from icpkit.io import atomic_write_bytes, atomic_write_text, check_output, write_table

    target = Path(path)
    sidecar = target.with_name(target.name + ".meta.json")
    check_output(target, force=force, inputs=inputs)
    check_output(sidecar, force=force, inputs=inputs)
    meta = column_metadata(frame.columns, as_of, roles)
    text = json.dumps(meta, indent=2, sort_keys=True)
    if target.name.lower().endswith(".parquet"):
        import io

        buffer = io.BytesIO()
        frame.write_parquet(buffer, metadata={"icpkit.signals": text})
        atomic_write_bytes(target, buffer.getvalue(), force=True)
    else:
        write_table(frame, target, force=True)
    atomic_write_text(sidecar, text + "\n", force=True)
    return ExportResult(frame, target, sidecar, meta)


__all__ = [
    "COLUMN_DOCS",
    "ExportResult",
    "column_metadata",
    "history_caveat",
    "history_notes",
    "join_accounts",
    "matched_accounts",
    "signal_columns",
    "with_history_caveats",
    "write_signals",
]
