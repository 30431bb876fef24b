"""Proposing the next version from a review, applying it, and writing the revision beside the
previous file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import polars as pl

from icpkit.criteria import Criterion, Operator
from icpkit.discovery.traits import nice_grid
from icpkit.errors import IcpkitError
from icpkit.evidence import SMALL_GROUP, fisher_two_sided
from icpkit.icp import ICP, ChangeEntry, Segment
from icpkit.living.cohort import load_cohort
from icpkit.living.review import review_cohort

if TYPE_CHECKING:
    from icpkit.living.cohort import Cohort
    from icpkit.living.review import CohortReview, CriterionResult, IgnoredTrait


Action = Literal["drop", "add", "tighten", "reweight"]


@dataclass(frozen=True)
class Change:
    """One proposed edit with the evidence for it, in words a reviewer can check."""

    action: Action
    where: str  # segment id, "disqualifiers", "timing" or "new segment"
    role: str  # must, nice, disqualifier, timing, segment
    index: int | None
    before: Criterion | None
    after: Criterion | None
    weight: float | None
    reason: str

    def describe(self) -> str:
        what = (
            self.before.describe() if self.before else (self.after.describe() if self.after else "")
        )
        if self.action == "drop" and self.role == "segment":
            return f"drop segment {self.where}: {self.reason}"
        if self.action == "drop":
            return f"drop {self.role} '{what}' ({self.where}): {self.reason}"
        if self.action == "add":
            return f"add {self.role} '{what}' ({self.where}): {self.reason}"
        if self.action == "tighten":
            after = self.after.describe() if self.after else ""
            return f"tighten '{what}' to '{after}' ({self.where}): {self.reason}"
        return f"re-weight '{what}' ({self.where}) to {self.weight:+.3f}: {self.reason}"


@dataclass
class Proposal:
    """The changes :func:`propose` suggests; empty when the ICP holds up."""

    from_version: int
    cohort: str
    changes: list[Change]

    def __bool__(self) -> bool:
        return bool(self.changes)

    def summary(self) -> str:
        if not self.changes:
            return "no change: nothing in this cohort confidently contradicts a criterion"
        counts: dict[str, int] = {}
        for c in self.changes:
            counts[c.action] = counts.get(c.action, 0) + 1
        return ", ".join(f"{v} {k}" for k, v in counts.items())


def _fmt_or(r: CriterionResult) -> str:
    fit = f"{r.fit_odds_ratio:.2g} at fit" if r.fit_odds_ratio is not None else "no fit evidence"
    return (
        f"win rate {r.win_rate:.0%} when met vs {r.win_rate_without:.0%} when not; OR "
        f"{r.odds_ratio:.2g} [{r.ci_low:.2g}–{r.ci_high:.2g}] vs {fit} (n={r.accounts:,})"
    )


def propose(
    icp: ICP,
    report: CohortReview,
    *,
    cohort: Cohort | None = None,
    min_effect: float = 1.5,
    alpha: float = 0.01,
    max_add: int = 3,
) -> Proposal:
    """Turn a calibration report into explicit, evidenced changes.

    * **drop** a must, nice-to-have or timing signal when the cohort's odds ratio is confidently
      below ``min_effect`` (upper 95% bound) and below its fit-time lower bound; a disqualifier
      when its odds ratio is confidently above 1/``min_effect``; a segment when all its musts go;
    * **add** a trait the ICP ignores that the missed winners share (q < ``alpha``), as a new
      one-criterion segment;
    * **tighten** an ``in`` list by the values that convert significantly worse than the rest,
      or a ``between`` band by a part that does (needs ``cohort``, Bonferroni over splits);
    * **re-weight** a weighted criterion whose odds ratio moved beyond both samples' error
      (Bonferroni over criteria) by more than a factor 1.5 in log-odds.
    """
    changes = _drops(icp, report, min_effect)
    dropped_keys = {(c.where, c.role, c.index) for c in changes if c.action == "drop"}
    changes += _reweights(report, dropped_keys, alpha)
    if cohort is not None:
        for r in report.criteria:
            if r.role not in ("must", "nice") or (r.where, r.role, r.index) in dropped_keys:
                continue
            new, why = _tighten(r.criterion, cohort, alpha)
            if new is not None:
                changes.append(
                    Change("tighten", r.where, r.role, r.index, r.criterion, new, None, why)
                )
    cap = _largest_weight(icp)
    changes += [_addition(t, cap) for t in report.ignored[:max_add]]
    return Proposal(report.icp_version, report.cohort, changes)


def _largest_weight(icp: ICP) -> float | None:
    """The largest points, weight or bonus the ICP adds to a score (disqualifiers aside: they
    act on the score as a rule), or None when it adds none."""
    crits = [*icp.scoring.points, *icp.scoring.timing]
    crits += [c for s in icp.segments for c in (*s.must, *s.nice)]
    ws = [abs(c.weight) for c in crits if c.weight] + [abs(s.bonus) for s in icp.segments]
    ws = [w for w in ws if w > 0]
    return max(ws) if ws else None


def _drops(icp: ICP, report: CohortReview, min_effect: float) -> list[Change]:
    """Criteria the cohort confidently contradicts, and segments left without a must."""
    changes: list[Change] = []
    dropped: dict[str, set[int]] = {}
    for r in report.criteria:
        if r.role == "points":
            continue  # the points table is refitted by discovery, not edited one weight at a time
        if r.known < 2 * SMALL_GROUP or (r.caveat and "fewer than 30" in r.caveat):
            continue
        fit = r.criterion.evidence
        if r.role == "disqualifier":
            bar = max(1 / min_effect, fit.ci_high if fit else 0.0)
            if r.ci_low > bar:
                changes.append(
                    Change("drop", r.where, r.role, r.index, r.criterion, None, None, _fmt_or(r))
                )
            continue
        bar = min(min_effect, fit.ci_low if fit else min_effect)
        if r.ci_high < bar:
            changes.append(
                Change("drop", r.where, r.role, r.index, r.criterion, None, None, _fmt_or(r))
            )
            if r.role == "must":
                dropped.setdefault(r.where, set()).add(r.index)
    for s in icp.segments:
        if len(dropped.get(s.id, ())) == len(s.must):
            changes.append(
                Change(
                    "drop",
                    s.id,
                    "segment",
                    None,
                    None,
                    None,
                    None,
                    "none of its must-haves predicts winning in this cohort",
                )
            )
    return changes


def _reweights(
    report: CohortReview, dropped_keys: set[tuple[str, str, int | None]], alpha: float
) -> list[Change]:
    """Weighted criteria whose odds ratio moved significantly (Bonferroni over criteria) by
    more than a factor 1.5 in log-odds: the weight scales by the ratio."""
    testable = [
        r
        for r in report.criteria
        if r.change_p is not None
        and r.criterion.weight not in (None, 0)
        and r.role in ("must", "nice", "timing")
        and (r.where, r.role, r.index) not in dropped_keys
    ]
    changes: list[Change] = []
    for r in testable:
        if r.change_p is None or r.change_p * len(testable) >= alpha:
            continue
        lf, lc = math.log(r.fit_odds_ratio or 1.0), math.log(max(r.odds_ratio, 1e-6))
        if lf <= 0 or lc <= 0:
            continue
        ratio = lc / lf
        if 1 / 1.5 <= ratio <= 1.5:
            continue
        w = round(float(r.criterion.weight or 0.0) * ratio, 3)
        changes.append(
            Change(
                "reweight",
                r.where,
                r.role,
                r.index,
                r.criterion,
                None,
                w,
                f"odds ratio moved from {r.fit_odds_ratio:.2g} to {r.odds_ratio:.2g} "
                f"(p={r.change_p:.2g}); weight scaled by the ratio of log-odds",
            )
        )
    return changes


def _addition(t: IgnoredTrait, cap: float | None = None) -> Change:
    """An ignored trait the missed winners share, as a new one-criterion segment.

    Its bonus is the log of the odds ratio's lower 95% bound, at most ``cap`` (the largest
    weight the ICP already gives): one cohort's marginal odds ratio — 1.3e5 on a Telco cohort,
    a bonus of +11.8 that outweighed every fitted point — is no measure of what the trait adds
    to the rest; discovery refits it.
    """
    w = math.log(max(t.evidence.ci_low, 1.0))
    why = "log of the OR's lower bound"
    if cap is not None and w > cap:
        w, why = cap, "capped at the ICP's largest weight"
    w = round(w, 3)
    return Change(
        "add",
        "new segment",
        "must",
        None,
        None,
        t.criterion.model_copy(update={"evidence": t.evidence}),
        w,
        f"{t.share_of_missed_wins:.0%} of the wins outside every segment have it; win "
        f"rate {t.win_rate:.0%}, OR {t.evidence.odds_ratio:.2g} "
        f"[{t.evidence.ci_low:.2g}–{t.evidence.ci_high:.2g}], q={t.evidence.q_value:.2g}; "
        f"bonus {w:+.2f} ({why})",
    )


def _tighten(c: Criterion, co: Cohort, alpha: float) -> tuple[Criterion | None, str]:
    """A narrower version of ``c`` when part of it converts significantly worse."""
    if c.operator is Operator.IN and c.in_ and len(c.in_) > 1:
        return _tighten_in(c, co, alpha)
    if c.operator is Operator.BETWEEN and c.column in co.frame.columns:
        return _tighten_between(c, co, alpha)
    return None, ""


def _tighten_in(c: Criterion, co: Cohort, alpha: float) -> tuple[Criterion | None, str]:
    """Drop the values of an ``in`` list that convert worse than the rest (Bonferroni over
    values, at least 20 accounts each), unless that would drop them all."""
    s = co.frame.get_column(c.column) if c.column in co.frame.columns else None
    if s is None:
        return None, ""
    df = pl.DataFrame({"v": s, "w": co.won}).filter(pl.col("v").is_in(list(c.in_ or ())))
    by_value = df.group_by("v").agg(pl.len().alias("n"), pl.col("w").sum().alias("k"))
    if by_value.height < 2:
        return None, ""
    n = by_value["n"].to_numpy().astype(np.int64)
    k = by_value["k"].to_numpy().astype(np.int64)
    N, K = int(n.sum()), int(k.sum())
    p = fisher_two_sided(k, n - k, K - k, (N - K) - (n - k))
    worse = (k / n < (K - k) / np.maximum(N - n, 1)) & (p * len(n) < alpha) & (n >= 20)
    if not worse.any() or worse.all():
        return None, ""
    values = by_value["v"].to_list()
    keep = tuple(sorted(v for v, w in zip(values, worse, strict=True) if not w))
    gone = sorted(v for v, w in zip(values, worse, strict=True) if w)
    rates = ", ".join(
        f"{v} {kk / nn:.0%} of {nn}" for v, kk, nn, w in zip(values, k, n, worse, strict=True) if w
    )
    return (
        c.model_copy(update={"in_": keep, "label": None, "evidence": None}),
        f"{', '.join(gone)} converted worse than the other values ({rates} vs "
        f"{(K - k[worse].sum()) / max(N - n[worse].sum(), 1):.0%})",
    )


def _tighten_between(c: Criterion, co: Cohort, alpha: float) -> tuple[Criterion | None, str]:
    """Cut a ``between`` band at the split (on a nice grid, Bonferroni over splits) where one
    side converts significantly worse, and no better than accounts outside the band."""
    lo, hi = c.between or (None, None)
    new_between: tuple[float | None, float | None]
    x = co.frame.get_column(c.column).cast(pl.Float64).to_numpy()
    inside = ~np.isnan(x)
    if lo is not None:
        inside &= x >= lo
    if hi is not None:
        inside &= x < hi
    if inside.sum() < 2 * SMALL_GROUP:
        return None, ""
    xs, ys = x[inside], co.won[inside]
    grid = np.asarray(nice_grid(float(np.quantile(xs, 0.1)), float(np.quantile(xs, 0.9))))
    if len(grid) == 0:
        return None, ""
    below = xs[None, :] < grid[:, None]  # g × m
    n1 = below.sum(axis=1)
    k1 = (below & ys[None, :]).sum(axis=1)
    N, K = len(xs), int(ys.sum())
    n2, k2 = N - n1, K - k1
    ok = (n1 >= 20) & (n2 >= 20)
    p = fisher_two_sided(k1, n1 - k1, k2, n2 - k2)
    p = np.where(ok, p * len(grid), 1.0)
    j = int(np.argmin(p))
    if p[j] >= alpha:
        return None, ""
    r1, r2 = k1[j] / n1[j], k2[j] / n2[j]
    # Only tighten when the dropped part is no better than accounts outside the band.
    outside = ~inside & ~np.isnan(x)
    r_out = float(co.won[outside].mean()) if outside.any() else 0.0
    g = float(grid[j])
    if r1 < r2 and r1 <= r_out + 0.05:
        new_between = (g, hi)
        part = f"below {g:g}: {r1:.0%} of {n1[j]} vs {r2:.0%}"
    elif r2 < r1 and r2 <= r_out + 0.05:
        new_between = (lo, g)
        part = f"from {g:g}: {r2:.0%} of {n2[j]} vs {r1:.0%}"
    else:
        return None, ""
    return (
        c.model_copy(update={"between": new_between, "label": None, "evidence": None}),
        f"the part of the band {part} converted significantly worse "
        f"(p={float(p[j]):.2g} after Bonferroni)",
    )


def _edit_in_place(
    proposal: Proposal, segs: dict[str, Segment], disq: list[Criterion], timing: list[Criterion]
) -> tuple[dict[tuple[str, str], set[int]], set[str]]:
    """Apply every tighten and re-weight in place (indices stay valid); return the drops to
    make afterwards: criterion indices per ``(where, role)`` and whole segments."""
    drop_idx: dict[tuple[str, str], set[int]] = {}
    drop_segments: set[str] = set()
    for ch in proposal.changes:
        if ch.action == "drop" and ch.role == "segment":
            drop_segments.add(ch.where)
        elif ch.action == "drop" and ch.index is not None:
            drop_idx.setdefault((ch.where, ch.role), set()).add(ch.index)
        elif ch.action in ("tighten", "reweight") and ch.index is not None:
            if ch.action == "tighten" and ch.after is not None:
                new = ch.after
            else:
                new = (ch.before or ch.after).model_copy(update={"weight": ch.weight})  # type: ignore[union-attr]
            if ch.where == "timing":
                timing[ch.index] = new
            elif ch.where == "disqualifiers":
                disq[ch.index] = new
            elif ch.where in segs:
                seg = segs[ch.where]
                lst = seg.must if ch.role == "must" else seg.nice
                if ch.action == "tighten":
                    new = new.model_copy(update={"weight": lst[ch.index].weight})
                lst[ch.index] = new
    return drop_idx, drop_segments


def _added_segments(icp: ICP, proposal: Proposal, cohort: str) -> list[Segment]:
    """One new segment per added trait, with an id no existing segment has."""
    out: list[Segment] = []
    taken = {s.id for s in icp.segments}
    k = len(icp.segments) + 1
    for ch in proposal.changes:
        if ch.action == "add" and ch.after is not None:
            while f"seg-{k}" in taken:
                k += 1
            sid = f"seg-{k}"
            taken.add(sid)
            out.append(
                Segment(
                    id=sid,
                    name=ch.after.describe(),
                    bonus=ch.weight or 0.0,
                    must=[ch.after.model_copy(update={"weight": 0.0})],
                    messaging=[f"added from cohort {cohort}: {ch.reason}"],
                )
            )
    return out


def apply(
    icp: ICP, proposal: Proposal, *, cohort: str | None = None, today: date | None = None
) -> ICP:
    """The next version of ``icp`` with ``proposal`` applied and a changelog entry appended.

    The entry lists every change in words, including the full text of each criterion removed,
    so the previous version can be read from the changelog; ``icp calibrate --write`` also keeps
    the previous file beside the new one (``icp.v<N>.yaml``). An empty proposal keeps the
    version: the result differs only by the changelog entry recording the review and the review
    date it restarts.
    """
    today = today or date.today()
    segs = {s.id: s.model_copy(deep=True) for s in icp.segments}
    disq = list(icp.disqualifiers)
    timing = list(icp.scoring.timing)
    drop_idx, drop_segments = _edit_in_place(proposal, segs, disq, timing)
    # drops, by index, after in-place edits
    for (where, role), idxs in drop_idx.items():
        if where == "timing":
            timing = [c for i, c in enumerate(timing) if i not in idxs]
        elif where == "disqualifiers":
            disq = [c for i, c in enumerate(disq) if i not in idxs]
        elif where in segs:
            seg = segs[where]
            if role == "must":
                seg.must = [c for i, c in enumerate(seg.must) if i not in idxs]
                if not seg.must:
                    drop_segments.add(where)
            else:
                seg.nice = [c for i, c in enumerate(seg.nice) if i not in idxs]
            seg.name = "; ".join(c.describe() for c in seg.must) or seg.name
    new_segments: list[Segment] = [s for sid, s in segs.items() if sid not in drop_segments]
    new_segments += _added_segments(icp, proposal, cohort or proposal.cohort)
    # A version number says the criteria changed; a review that changes nothing keeps it and is
    # recorded in the changelog (its date restarts the review clock) under the same version.
    version = icp.version + 1 if proposal.changes else icp.version
    entry = ChangeEntry(
        version=version,
        date=today,
        summary=proposal.summary(),
        cohort=cohort or proposal.cohort,
        changes=[c.describe() for c in proposal.changes],
    )
    notes = list(icp.notes)
    if proposal.changes:
        notes.append(
            f"v{version}: validation figures are from v{icp.version}; re-run discovery or "
            "calibration to refresh them"
        )
    scoring = icp.scoring.model_copy(update={"timing": timing})
    from icpkit.interviews.words import flag_dropped

    insights = flag_dropped(  # interviews of a surviving segment stay; a dropped one's are flagged
        icp.insights,
        {s.id for s in new_segments},
        f"segment dropped by calibration in v{version}; kept as a record",
    )
    # A review restarts the review clock with the ICP's own cadence (a year by default).
    cadence = (icp.review_by - icp.created).days if icp.review_by else 365
    return icp.model_copy(
        update={
            "version": version,
            "review_by": today + timedelta(days=max(cadence, 1)),
            "segments": new_segments,
            "disqualifiers": disq,
            "scoring": scoring,
            "notes": notes,
            "changelog": [*icp.changelog, entry],
            "insights": insights,
        }
    )


@dataclass
class ReviewRun:
    """One calibration from files: the report, the proposal and the next version it implies."""

    icp: ICP
    cohort: Cohort
    report: CohortReview
    proposal: Proposal
    revised: ICP
    inputs: list[str]


def review_file(
    icp_path: str | Path,
    outcomes_path: str | Path,
    *,
    accounts_path: str | Path | None = None,
    outcome_column: str | None = None,
    cohort_name: str | None = None,
    today: date | None = None,
    as_of: date | None = None,
) -> ReviewRun:
    """Read the ICP, the outcomes (and accounts) files; calibrate, propose and apply (in memory)."""
    from icpkit.io import read_table

    icp = ICP.load(icp_path)
    outcomes = read_table(outcomes_path)
    accounts = read_table(accounts_path) if accounts_path is not None else None
    name = cohort_name or Path(outcomes_path).name
    co = load_cohort(
        icp,
        outcomes,
        accounts=accounts,
        outcome_column=outcome_column,
        file=str(outcomes_path),
        accounts_file=str(accounts_path) if accounts_path else None,
        as_of=as_of,
    )
    report = review_cohort(icp, co, cohort=name, file=str(outcomes_path), as_of=as_of)
    proposal = propose(icp, report, cohort=co)
    revised = apply(icp, proposal, cohort=name, today=today)
    inputs = [str(outcomes_path)] + ([str(accounts_path)] if accounts_path else [])
    return ReviewRun(icp, co, report, proposal, revised, inputs)


def previous_version_path(target: str | Path, version: int) -> Path:
    """Where ``--write`` keeps the version it replaces: ``icp.yaml`` → ``icp.v1.yaml``."""
    t = Path(target)
    return t.with_name(f"{t.stem}.v{version}{t.suffix or '.yaml'}")


def write_revision(
    old: ICP,
    new: ICP,
    target: str | Path,
    *,
    inputs: Sequence[str | Path] = (),
    force: bool = False,
) -> list[Path]:
    """Write ``new`` to ``target``, keeping whatever ``target`` held as ``<stem>.v<N>.yaml``.

    Nothing is lost: the file being replaced (or ``old`` when ``target`` is new) is written
    beside it first; an existing, different backup is never overwritten without ``force``.
    A review that changed nothing (``new`` has ``old``'s version and ``target`` holds ``old``)
    keeps no backup: the criteria are the same and the changelog records the review, while a
    backup named after the unchanged version would collide with the next real revision's.
    """
    from icpkit.errors import OutputExistsError
    from icpkit.io import atomic_write_text

    t = Path(target)
    written: list[Path] = []
    prior_text = t.read_text(encoding="utf-8") if t.is_file() else old.to_yaml()
    try:
        prior = ICP.from_yaml(prior_text, file=t)
    except IcpkitError:
        prior = old
    if new.version == prior.version and prior.to_yaml() == old.to_yaml():
        return [atomic_write_text(t, new.to_yaml(), force=True, inputs=inputs)]
    backup = previous_version_path(t, prior.version)
    if backup.exists() and backup.read_text(encoding="utf-8") != prior_text and not force:
        raise OutputExistsError(backup)
    if not backup.exists() or force:
        written.append(atomic_write_text(backup, prior_text, force=True, inputs=inputs))
    written.append(atomic_write_text(t, new.to_yaml(), force=True, inputs=inputs))
    return written


__all__ = [
    "Action",
    "Change",
    "Proposal",
    "ReviewRun",
    "apply",
    "previous_version_path",
    "propose",
    "review_file",
    "write_revision",
]
