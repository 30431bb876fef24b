"""The stored insights in words for the report: "In their words" and messaging pointers.

Reads only the ICP file model, so the report can show interviews without loading the analysis
(SciPy, scikit-learn). Every sentence is built from the stored, already scrubbed, themes.
"""

from __future__ import annotations

from icpkit.icp import ICP, InsightTheme

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


__all__ = ["in_their_words", "interview_themes"]
