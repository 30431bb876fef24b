"""The stored insights in words for the report: "In their words" and messaging pointers.

Reads only the ICP file model, so the report can show interviews without loading the analysis
(SciPy, scikit-learn). Every sentence is built from the stored, already scrubbed, themes.
"""

from __future__ import annotations

from icpkit.icp import ICP, Insights, InsightTheme

#: How a theme becomes advice, by the question it answers.
_ADVICE = {
    "challenges": "Open with the pain they had before buying: {label}",
    "aha": "Show the moment it clicked for them: {label}",
    "results": "Promise the result they report: {label}",
}
_DEFAULT_ADVICE = "Use their own words: {label}"


def _count(t: InsightTheme) -> str:
    return f"{t.interviews} of {t.of_interviews} interviews"


def interview_themes(icp: ICP, *, per_segment: int = 2) -> dict[str, list[str]]:
    """Messaging pointers drawn from interview themes, per segment id (strongest first)."""
    if icp.insights is None:
        return {}
    out: dict[str, list[str]] = {}
    for seg in icp.insights.segments:
        if seg.flagged:
            continue
        lines = [
            _ADVICE.get(t.question, _DEFAULT_ADVICE).format(label=t.label) + f" ({_count(t)})."
            for t in seg.themes[:per_segment]
        ]
        if lines:
            out[seg.segment] = lines
    return out


def in_their_words(icp: ICP, *, per_segment: int = 3) -> dict[str, list[str]]:
    """Per segment id: each theme with its count and one scrubbed quote."""
    if icp.insights is None:
        return {}
    out: dict[str, list[str]] = {}
    for seg in icp.insights.segments:
        if seg.flagged:
            continue
        lines = []
        for t in seg.themes[:per_segment]:
            quote = f": “{t.quotes[0].text}”" if t.quotes else ""
            lines.append(f"{t.label} ({_count(t)}){quote}")
        if lines:
            out[seg.segment] = lines
    return out


def flag_dropped(insights: Insights | None, kept: set[str], note: str) -> Insights | None:
    """Insights whose segments not in ``kept`` are flagged with ``note`` (kept as a record).

    Calibration keeps the insights of a segment that survives as they are; those of a dropped
    segment stay in the file, flagged, so the interviews are not silently lost nor shown as if
    they described a current segment.
    """
    if insights is None:
        return None
    segments = [
        s if s.segment in kept or s.flagged else s.model_copy(update={"flagged": note})
        for s in insights.segments
    ]
    return insights.model_copy(update={"segments": segments})


def insight_changes(old: Insights | None, new: Insights | None) -> list[tuple[str, str, str]]:
    """``(added|removed|changed, subject, detail)`` for ``icp diff``: themes by label, counts."""
    if old is None and new is None:
        return []
    if old is None or new is None:
        ins = new or old
        assert ins is not None
        themes = sum(len(s.themes) for s in ins.segments)
        return [
            (
                "added" if old is None else "removed",
                "interview insights",
                f"{ins.linked} interviews, {themes} themes (analysed {ins.analysed.isoformat()})",
            )
        ]
    out: list[tuple[str, str, str]] = []
    if (old.linked, old.analysed) != (new.linked, new.analysed):
        out.append(
            (
                "changed",
                "interviews",
                f"{old.linked} analysed {old.analysed.isoformat()} → "
                f"{new.linked} analysed {new.analysed.isoformat()}",
            )
        )
    before = {s.segment: s for s in old.segments}
    after = {s.segment: s for s in new.segments}
    for sid in sorted(before.keys() | after.keys()):
        a, b = before.get(sid), after.get(sid)
        if b is not None and b.flagged and (a is None or a.flagged != b.flagged):
            out.append(("changed", f"segment {sid}", f"flagged: {b.flagged}"))
        ta = {t.label: t for t in (a.themes if a else [])}
        tb = {t.label: t for t in (b.themes if b else [])}
        for label in ta.keys() - tb.keys():
            out.append(("removed", f"{sid} theme", label))
        for label in tb.keys() - ta.keys():
            out.append(("added", f"{sid} theme", f"{label} ({_count(tb[label])})"))
        for label in sorted(ta.keys() & tb.keys()):
            x, y = ta[label], tb[label]
            if (x.interviews, x.of_interviews) != (y.interviews, y.of_interviews):
                out.append(("changed", f"{sid} theme", f"{label}: {_count(x)} → {_count(y)}"))
    return out


__all__ = ["flag_dropped", "in_their_words", "insight_changes", "interview_themes"]
