"""Versions of an ICP: a readable diff between two, and whether one has gone stale.

:func:`diff` compares two ICPs the way a reviewer reads them (criteria, weights, thresholds,
segments, disqualifiers, timing signals, the points table: added, removed or changed), not line
by line.
:func:`status` says how old an ICP is, when its review is due and whether recent wins still look
like the wins it was fitted on (drift), so a scheduled job can fail when it needs attention.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

import numpy as np
import polars as pl

from icpkit.criteria import Criterion
from icpkit.icp import ICP, Segment

ChangeKind = Literal["added", "removed", "changed"]
_SYMBOL = {"added": "+", "removed": "-", "changed": "~"}


@dataclass(frozen=True)
class DiffEntry:
    """One difference: where it is, what kind, what it is about and the details."""

    section: str
    change: ChangeKind
    subject: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{_SYMBOL[self.change]} {self.subject}" + (
            f": {self.detail}" if self.detail else ""
        )


@dataclass
class IcpDiff:
    """All differences between two ICPs, grouped by section in reading order."""

    old_version: int
    new_version: int
    entries: list[DiffEntry]

    def __bool__(self) -> bool:
        return bool(self.entries)

    def sections(self) -> dict[str, list[DiffEntry]]:
        out: dict[str, list[DiffEntry]] = {}
        for e in self.entries:
            out.setdefault(e.section, []).append(e)
        return out

    def render(self) -> str:
        """Plain text: a heading per section, one line per change (+ added, - removed, ~ changed)."""
        if not self.entries:
            return f"v{self.old_version} → v{self.new_version}: no differences"
        lines = [f"v{self.old_version} → v{self.new_version}"]
        for section, entries in self.sections().items():
            lines.append(f"\n{section}")
            lines += [f"  {e}" for e in entries]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


def _w(c: Criterion) -> str:
    return "none" if c.weight is None else f"{c.weight:+.3g}"


def _criteria_diff(
    section: str,
    old: Sequence[Criterion],
    new: Sequence[Criterion],
    what: str,
    *,
    changed_tests: bool = True,
) -> list[DiffEntry]:
    """Match by identical test, then by column and operator (a changed test), else add/remove.

    ``changed_tests=False`` pairs identical tests only: a points table holds several thresholds
    on one column (≥ $1K, ≥ $3K, ≥ $6K), and pairing them by column would report made-up edits.
    """
    out: list[DiffEntry] = []
    left = list(range(len(old)))
    right = list(range(len(new)))
    pairs: list[tuple[int, int]] = []
    for i in list(left):
        j = next((j for j in right if old[i].same_test(new[j])), None)
        if j is not None:
            pairs.append((i, j))
            left.remove(i)
            right.remove(j)
    for i in list(left if changed_tests else []):
        j = next(
            (
                j
                for j in right
                if new[j].column == old[i].column and new[j].operator is old[i].operator
            ),
            None,
        )
        if j is not None:
            pairs.append((i, j))
            left.remove(i)
            right.remove(j)
    for i, j in sorted(pairs):
        a, b = old[i], new[j]
        details = []
        if not a.same_test(b):
            details.append(f"{a.ideal_fit()} → {b.ideal_fit()}")
        if a.weight != b.weight:
            details.append(f"weight {_w(a)} → {_w(b)}")
        if details:
            out.append(DiffEntry(section, "changed", f"{what} {b.describe()}", "; ".join(details)))
    for i in left:
        out.append(DiffEntry(section, "removed", f"{what} {old[i].describe()}"))
    for j in right:
        detail = f"weight {_w(new[j])}" if new[j].weight is not None else ""
        out.append(DiffEntry(section, "added", f"{what} {new[j].describe()}", detail))
    return out


def _match_segments(old: list[Segment], new: list[Segment]) -> list[tuple[int | None, int | None]]:
    """Pairs by id, then by identical must-have tests (a renumbered segment is the same one)."""
    pairs: list[tuple[int | None, int | None]] = []
    used: set[int] = set()
    for i, s in enumerate(old):
        j = next((j for j, t in enumerate(new) if t.id == s.id and j not in used), None)
        if j is None:
            keys = sorted(c.key() for c in s.must)
            j = next(
                (
                    j
                    for j, t in enumerate(new)
                    if j not in used and sorted(c.key() for c in t.must) == keys
                ),
                None,
            )
        if j is not None:
            used.add(j)
        pairs.append((i, j))
    pairs += [(None, j) for j in range(len(new)) if j not in used]
    return pairs


def diff(old: ICP, new: ICP) -> IcpDiff:
    """What changed from ``old`` to ``new``, in the terms people review an ICP in."""
    from icpkit.interviews.words import insight_changes

    e = _profile_diff(old, new) + _segments_diff(old, new)
    e += _criteria_diff("Disqualifiers", old.disqualifiers, new.disqualifiers, "disqualifier")
    e += _criteria_diff("Timing", old.scoring.timing, new.scoring.timing, "timing signal")
    # The points table is what fit_score adds up: a diff that leaves it out hides most changes.
    e += _criteria_diff(
        "Points", old.scoring.points, new.scoring.points, "points for", changed_tests=False
    )
    e += _thresholds_diff(old, new) + _personas_diff(old, new)
    for change, subject, detail in insight_changes(old.insights, new.insights):
        e.append(DiffEntry("Insights", change, subject, detail))  # type: ignore[arg-type]
    return IcpDiff(old.version, new.version, e)


def _profile_diff(old: ICP, new: ICP) -> list[DiffEntry]:
    """Name, format, review date and the outcome definitions."""
    e: list[DiffEntry] = []
    prof = "Profile"
    for attr in ("name", "format", "review_by"):
        a, b = getattr(old, attr), getattr(new, attr)
        if a != b:
            e.append(DiffEntry(prof, "changed", attr.replace("_", " "), f"{a} → {b}"))
    if old.outcomes and new.outcomes:
        for attr in ("best", "worst"):
            a, b = getattr(old.outcomes, attr), getattr(new.outcomes, attr)
            if a != b:
                e.append(DiffEntry(prof, "changed", f"definition of {attr}", f"{a} → {b}"))
    return e


def _segments_diff(old: ICP, new: ICP) -> list[DiffEntry]:
    """Segments removed, added, and changed (matched even when renamed or renumbered)."""
    e: list[DiffEntry] = []
    for i, j in _match_segments(old.segments, new.segments):
        if j is None:
            s = old.segments[i]  # type: ignore[index]
            e.append(DiffEntry("Segments", "removed", f"segment {s.id}", s.name))
            continue
        t = new.segments[j]
        if i is None:
            musts = " and ".join(c.describe() for c in t.must)
            e.append(
                DiffEntry("Segments", "added", f"segment {t.id}", f"{musts}; bonus {t.bonus:+.3g}")
            )
            continue
        s = old.segments[i]
        sec = f"Segment {t.id}" + (f" (was {s.id})" if s.id != t.id else "")
        if s.name != t.name:
            e.append(DiffEntry(sec, "changed", "name", f"{s.name} → {t.name}"))
        if s.bonus != t.bonus:
            e.append(DiffEntry(sec, "changed", "bonus", f"{s.bonus:+.3g} → {t.bonus:+.3g}"))
        e += _criteria_diff(sec, s.must, t.must, "must-have")
        e += _criteria_diff(sec, s.nice, t.nice, "nice-to-have")
    return e


def _thresholds_diff(old: ICP, new: ICP) -> list[DiffEntry]:
    """Tier thresholds, the intercept and the in-market threshold."""
    e: list[DiffEntry] = []
    th = "Thresholds"
    for k in ("A", "B", "C"):
        a, b = old.scoring.tiers.get(k), new.scoring.tiers.get(k)
        if a != b:
            e.append(DiffEntry(th, "changed", f"tier {k}", f"fit score ≥ {a:g} → ≥ {b:g}"))
    if old.scoring.intercept != new.scoring.intercept:
        e.append(
            DiffEntry(
                th,
                "changed",
                "intercept",
                f"{old.scoring.intercept:+.3g} → {new.scoring.intercept:+.3g}",
            )
        )
    if old.scoring.in_market_at != new.scoring.in_market_at:
        e.append(
            DiffEntry(
                th,
                "changed",
                "in-market at",
                f"{old.scoring.in_market_at:g} → {new.scoring.in_market_at:g}",
            )
        )
    return e


def _personas_diff(old: ICP, new: ICP) -> list[DiffEntry]:
    """Personas removed, added or changed, by id."""
    e: list[DiffEntry] = []
    old_p = {p.id: p for p in old.personas}
    new_p = {p.id: p for p in new.personas}
    for pid in old_p.keys() - new_p.keys():
        e.append(DiffEntry("Personas", "removed", f"persona {pid}"))
    for pid in new_p.keys() - old_p.keys():
        e.append(DiffEntry("Personas", "added", f"persona {pid}"))
    for pid in old_p.keys() & new_p.keys():
        if old_p[pid] != new_p[pid]:
            e.append(DiffEntry("Personas", "changed", f"persona {pid}"))
    return e


# -- status ------------------------------------------------------------------------------------

#: Below this many recent wins, drift is judged only when the share's 95% interval lies wholly
#: on one side of the threshold.
MIN_RECENT_WINS = 30


@dataclass
class Status:
    """Age, review date and drift of an ICP; ``needs_attention`` drives a non-zero exit."""

    name: str
    version: int
    today: date
    created: date
    last_revised: date
    age_days: int
    review_by: date
    days_to_review: int
    overdue: bool
    fit_share: float | None = None  # share of winners the ICP selected at fit time
    fit_basis: str = "best customers"  # which fit accounts fit_share is the share of
    recent_wins: int | None = None
    recent_selected: int | None = None
    recent_share: float | None = None
    recent_low: float | None = None
    recent_high: float | None = None
    drift: float | None = None  # fit_share - recent_share (positive: fewer wins selected now)
    drift_threshold: float = 0.15
    drifted: bool = False
    #: Why the recent wins could not be compared with the ICP, when they could not: a drift
    #: check that cannot be made must not read as "ok".
    not_judged: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def needs_attention(self) -> bool:
        return self.overdue or self.drifted

    @property
    def exit_code(self) -> int:
        """0 when fine, 3 when the review is overdue or drift exceeds the threshold."""
        return 3 if self.needs_attention else 0


def status(
    icp: ICP,
    *,
    recent: pl.DataFrame | None = None,
    today: date | None = None,
    drift_threshold: float = 0.15,
    review_days: int | None = None,
    file: str | None = None,
    accounts: pl.DataFrame | None = None,
    accounts_file: str | None = None,
) -> Status:
    """How stale the ICP is and whether recent wins still look like the wins it was fitted on.

    ``recent`` is a table of recently won accounts (raw headers are fine; a won/lost column, if
    present, keeps only the won rows). Drift is the fit-time share the ICP selected of the
    accounts like recent wins (:func:`_fit_share`: its recall of best customers, or, when best
    was a top share of an outcome composite, of the accounts not among the worst) minus the
    share of recent wins it selects now; it counts as drift when that exceeds
    ``drift_threshold``. When that cannot be judged, ``not_judged`` says why. ``review_days`` overrides the file's
    ``review_by`` with "this many days after the last revision". ``accounts`` (e.g. the scored
    accounts) supplies the attributes when ``recent`` only has ids/domains and outcomes; columns
    ``recent`` lacks, or that are empty, count as unknown.
    """
    today = today or date.today()
    last = max([icp.created, *(c.date for c in icp.changelog)])
    review_by = (
        last + timedelta(days=review_days)
        if review_days is not None
        else (icp.review_by or icp.created + timedelta(days=365))
    )
    st = Status(
        name=icp.name,
        version=icp.version,
        today=today,
        created=icp.created,
        last_revised=last,
        age_days=(today - icp.created).days,
        review_by=review_by,
        days_to_review=(review_by - today).days,
        overdue=today > review_by,
        drift_threshold=drift_threshold,
    )
    st.fit_share = _fit_share(icp, st)
    if recent is None:
        return st
    frame = _recent_wins(icp, recent, st, file=file, accounts=accounts, accounts_file=accounts_file)
    n = frame.height
    st.recent_wins = n
    if n == 0:
        st.not_judged = "no recent wins to compare"
        return st
    needed = [c for c in icp.required_columns() if c in frame.columns]
    unknown = [c for c in needed if frame[c].null_count() == n]
    if needed and len(unknown) == len(needed):
        # Every criterion unknown would read as "the ICP selects none of them": false drift.
        st.not_judged = (
            "the recent wins have none of the attributes the ICP reads "
            f"({_names(needed)}), so they cannot be compared; pass the accounts "
            "(--accounts scored.parquet) to join them by id or domain"
        )
        return st
    _measure_drift(icp, frame, st)
    if st.drifted and unknown:
        # An unknown attribute adds no points, so the ICP selects fewer of these wins than it
        # would with the data: a fall cannot be told apart from the missing columns.
        st.drifted = False
        st.not_judged = (
            f"the recent wins lack {_names(unknown)} (empty or absent), which the ICP reads; "
            "with them unknown it selects fewer accounts, so this fall may be the missing data, "
            "not drift; pass the accounts (--accounts scored.parquet) or a file with those columns"
        )
    return st


def _names(columns: Sequence[str], most: int = 4) -> str:
    """``a, b, c, d and 3 more``: column names for a one-line note."""
    head = ", ".join(columns[:most])
    return head + (f" and {len(columns) - most} more" if len(columns) > most else "")


def _fit_share(icp: ICP, st: Status) -> float | None:
    """The fit-time share recent wins are compared with: of the fit accounts like them.

    When best customers were the won ones, that is recall (the share of best selected). When
    best was a top share of an outcome composite, most wins are not best by that rule, and
    recall overstates what a same-as-ever win would score: Telco wins from the very data the
    ICP was fitted on were selected at 24% against a recall of 71% — "drift" of 47 points. Then
    the comparison is the share of the accounts that were not among the worst (lost, churned
    or bottom of the composite) that the ICP selected.
    """
    fit = (icp.validation or {}).get("in_sample") or {}
    if "recall" not in fit:
        return None
    best = icp.outcomes.best if icp.outcomes else ""
    keys = ("accounts", "worst", "selected", "selected_worst")
    if best.startswith("top ") and all(isinstance(fit.get(k), int | float) for k in keys):
        pool = float(fit["accounts"]) - float(fit["worst"])
        if pool > 0:
            st.fit_basis = "accounts not among the worst"
            return (float(fit["selected"]) - float(fit["selected_worst"])) / pool
    return float(fit["recall"])


def _recent_wins(
    icp: ICP,
    recent: pl.DataFrame,
    st: Status,
    *,
    file: str | None,
    accounts: pl.DataFrame | None,
    accounts_file: str | None,
) -> pl.DataFrame:
    """The recent wins prepared like the accounts the ICP reads: won rows only (when a won/lost
    column says), attributes joined from ``accounts``; notes go to ``st``."""
    from icpkit.columns.names import canonical_frame
    from icpkit.errors import OutcomeError
    from icpkit.living.cohort import attributes_label, find_outcome_column, prepare_accounts
    from icpkit.outcomes import won_lost

    df = canonical_frame(recent)
    try:
        oc = find_outcome_column(df, file=file)
    except OutcomeError:
        oc = None
    if oc is not None:
        before = df.height
        df = df.filter(won_lost(pl.col(oc)).fill_null(False)).drop(oc)
        st.notes.append(f"kept the {df.height:,} of {before:,} rows marked won in column {oc!r}")
    if accounts is not None and df.height:
        from icpkit.living.cohort import join_accounts

        # The recent file's own non-empty columns win; the accounts fill in the rest.
        own = [c for c in df.columns if df[c].null_count() < df.height]
        df, joined = join_accounts(
            icp, df, accounts, keep=own, file=file, accounts_file=accounts_file, what="recent wins"
        )
        st.notes += joined
    frame, _, warnings = prepare_accounts(
        icp, df, file=attributes_label(file, accounts_file, accounts)
    )
    st.notes += warnings
    return frame


def _measure_drift(icp: ICP, frame: pl.DataFrame, st: Status) -> None:
    """The share of recent wins the ICP selects as of ``st.today``, against the fit-time share,
    into ``st``. Windows ("funded in the last 180 days") end on ``st.today`` (``--today``):
    replaying a history, the day the status is taken is the day they are measured from."""
    from icpkit.discovery.validation import SELECTED_TIERS
    from icpkit.evidence import wilson
    from icpkit.scoring.engine import score

    n = frame.height
    out = score(frame, icp, prepared=True, rank=False, reasons="none", as_of=st.today)
    selected = out.get_column("tier").is_in(list(SELECTED_TIERS)) & ~out.get_column(
        "disqualified"
    ).fill_null(False)
    k = int(selected.sum())
    lo, hi = wilson(k, n)
    st.recent_selected = k
    st.recent_share = k / n
    st.recent_low, st.recent_high = float(lo), float(hi)
    if st.fit_share is None:
        st.not_judged = (
            "the ICP file records no fit-time recall (validation.in_sample), so there is "
            "nothing to compare the recent share with"
        )
        return
    if st.fit_basis != "best customers":
        best = icp.outcomes.best.split(" (")[0] if icp.outcomes else "?"
        st.notes.append(
            f"at fit, best customers were the {best}, which most new wins are not; recent "
            "wins are compared with the share of fit accounts not among the worst (lost, "
            "churned or bottom) that the ICP selected, not with its recall of best customers"
        )
    st.drift = st.fit_share - st.recent_share
    st.drifted = bool(st.drift > st.drift_threshold)
    if not math.isfinite(st.drift):  # pragma: no cover - defensive
        st.drifted = False
    boundary = st.fit_share - st.drift_threshold
    if n < MIN_RECENT_WINS and lo <= boundary <= hi:
        # The interval holds both "within threshold" and "drift": the verdict would be chance.
        st.drifted = False
        st.not_judged = (
            f"only {n} recent wins: the share selected, {k / n:.0%} [{lo:.0%}–{hi:.0%}], is "
            f"consistent both with no drift and with a fall of more than "
            f"{100 * st.drift_threshold:.0f} points from {st.fit_share:.0%}; "
            f"judge with at least {MIN_RECENT_WINS}"
        )
    elif n < MIN_RECENT_WINS:
        st.notes.append(f"only {n} recent wins: the share is uncertain ({lo:.0%}–{hi:.0%})")


def selected_share(icp: ICP, frame: pl.DataFrame) -> float:
    """Share of accounts (a prepared frame) the ICP selects: tiers A/B, not disqualified."""
    from icpkit.discovery.validation import predict

    if frame.height == 0:
        return float("nan")
    return float(np.mean(predict(icp, frame).selected))


__all__ = [
    "MIN_RECENT_WINS",
    "DiffEntry",
    "IcpDiff",
    "Status",
    "diff",
    "selected_share",
    "status",
]
