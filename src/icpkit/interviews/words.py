"""The stored insights in words for the report: "In their words" and messaging pointers.

Reads only the ICP file model, so the report can show interviews without loading the analysis
(SciPy, scikit-learn). Every sentence is built from the stored, already scrubbed, themes.
"""

from __future__ import annotations

from dataclasses import dataclass

from icpkit.icp import ICP, Insights, InsightTheme

#: How a theme becomes advice, by the question it answers.
_ADVICE = {
    "challenges": "Open with the pain they had before buying: {label}",
    "aha": "Show the moment it clicked for them: {label}",
    "results": "Promise the result they report: {label}",
}
_DEFAULT_ADVICE = "Use their own words: {label}"

#: Characters of a quote shown on the one-page report ("In their words"); the whole scrubbed
#: quote stays in the ICP file. Two quotes of this length fit a card of a three-segment page.
QUOTE_CHARS = 80
#: Characters of a customer's phrase inside a messaging pointer.
PHRASE_CHARS = 50


def _count(t: InsightTheme) -> str:
    return f"{t.interviews} of {t.of_interviews} interviews"


def excerpt(text: str, terms: list[str], width: int) -> str:
    """The part of a quote that carries the theme, at most ``width`` characters, cut at words.

    The window starts a little before the first of the theme's terms and covers as many of
    them as fit, so the customer's own phrase ("closed the books in three days") is what
    shows; an ellipsis marks each cut.
    """
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    low = text.lower()
    found = [(h, h + len(t)) for t in terms if (h := low.find(t.lower())) >= 0]
    first, need = min(found) if found else (0, 1)
    start = max(0, first - width // 5)
    if start > 0:
        cut = text.rfind(" ", 0, start + 1)
        start = cut + 1 if cut >= 0 else 0
    if need > start + width:  # backing up to a word left no room: start at the term's word
        start = text.rfind(" ", 0, first) + 1
        start = start if need <= start + width else first
    end = start + width
    if end < len(text):
        # cut after the last whole word that keeps the term; mid-word only if nothing else does
        cut = text.rfind(" ", start, end + 1)
        end = cut if cut >= need else end
    part = text[start:end].strip().rstrip(",;:")
    return ("…" if start > 0 else "") + part + ("…" if end < len(text) else "")


def _phrase(t: InsightTheme, width: int) -> str:
    """The theme in the customers' words: a quote's excerpt, else the stored label."""
    if t.quotes:
        return f"“{excerpt(t.quotes[0].text, t.terms, width)}”"
    return t.label


def interview_themes(icp: ICP, *, per_segment: int = 1) -> dict[str, list[str]]:
    """Messaging pointers drawn from interview themes, per segment id (strongest first).

    One per segment by default: "In their words" shows the themes with their quotes, so the
    pointer turns the strongest one into advice rather than repeating them all.
    """
    if icp.insights is None:
        return {}
    out: dict[str, list[str]] = {}
    for seg in icp.insights.segments:
        if seg.flagged:
            continue
        lines = [
            _ADVICE.get(t.question, _DEFAULT_ADVICE).format(label=_phrase(t, PHRASE_CHARS))
            + f" ({_count(t)})."
            for t in seg.themes[:per_segment]
        ]
        if lines:
            out[seg.segment] = lines
    return out


def in_their_words(
    icp: ICP, *, per_segment: int = 2, width: int = QUOTE_CHARS, skip: int = 0
) -> dict[str, list[str]]:
    """Per segment id: each theme as a customer said it (an excerpt of one scrubbed quote, at
    most ``width`` characters) and how many interviews mention it.

    ``skip`` leaves out the strongest themes, those a messaging pointer already quotes (see
    :func:`interview_themes`), so the page does not say the same words twice; a segment with
    no other theme keeps its strongest.
    """
    if icp.insights is None:
        return {}
    out: dict[str, list[str]] = {}
    for seg in icp.insights.segments:
        if seg.flagged:
            continue
        themes = seg.themes[skip:] or seg.themes
        lines = [f"{_phrase(t, width)} ({_count(t)})" for t in themes[:per_segment]]
        if lines:
            out[seg.segment] = lines
    return out


@dataclass(frozen=True)
class ThemeRecord:
    """One theme in full, for the evidence appendix."""

    label: str
    question: str
    mentions: str
    others: str
    quotes: list[str]


@dataclass(frozen=True)
class SegmentRecord:
    """One segment's interviews in full, for the evidence appendix."""

    segment: str
    interviews: int
    accounts: int
    caveat: str | None
    flagged: str | None
    themes: list[ThemeRecord]


def interview_evidence(icp: ICP) -> list[SegmentRecord]:
    """The evidence appendix's interview section: per segment, every theme in full.

    The page shows excerpts; here are the stored labels, the question, how many of the
    segment's interviews and of the others mention each theme, and the whole scrubbed quotes,
    so the excerpt can be checked against what the customer said. Flagged segments (dropped by
    calibration) are listed with their flag.
    """
    if icp.insights is None:
        return []
    return [
        SegmentRecord(
            segment=seg.segment,
            interviews=seg.interviews,
            accounts=seg.accounts,
            caveat=seg.caveat,
            flagged=seg.flagged,
            themes=[
                ThemeRecord(
                    label=t.label,
                    question=t.question,
                    mentions=_count(t),
                    others=f"{t.others} of {t.of_others} other interviews",
                    quotes=[q.text for q in t.quotes],
                )
                for t in seg.themes
            ],
        )
        for seg in icp.insights.segments
    ]


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


__all__ = [
    "PHRASE_CHARS",
    "QUOTE_CHARS",
    "SegmentRecord",
    "ThemeRecord",
    "excerpt",
    "flag_dropped",
    "in_their_words",
    "insight_changes",
    "interview_evidence",
    "interview_themes",
]
