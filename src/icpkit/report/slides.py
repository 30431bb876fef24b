"""The one-pager as a deck: one 16:9 slide per segment, to paste into a QBR.

Each slide carries what the page says about its segment (who, why worth it, the checklist,
what to say, examples when asked) and what applies to all segments (who not to sell to, when
to call, how sure we are), as editable text boxes: no images, so the team can restyle it.
Built with python-pptx from the same :class:`~icpkit.report.onepage.OnePage` as the HTML.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import polars as pl
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Emu, Inches, Pt

from icpkit.icp import ICP
from icpkit.report.onepage import OnePage, SegmentCard, build_onepage

_ACCENT = RGBColor(0x00, 0x72, 0xB2)
_MUTED = RGBColor(0x4B, 0x55, 0x63)
_INK = RGBColor(0x1F, 0x29, 0x37)


def _box(
    slide: object,
    left: float,
    top: float,
    width: float,
    height: float,
    blocks: Sequence[tuple[str, Sequence[str]]],
    *,
    size: int = 12,
) -> None:
    """A text box of headed bullet lists: ``[(heading, lines), …]``."""
    shape = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))  # type: ignore[attr-defined]
    tf = shape.text_frame
    tf.word_wrap = True
    first = True
    for heading, lines in blocks:
        if not lines:
            continue
        p = tf.paragraphs[0] if first else tf.add_paragraph()
        first = False
        run = p.add_run()
        run.text = heading.upper()
        run.font.bold = True
        run.font.size = Pt(size - 1)
        run.font.color.rgb = _ACCENT
        for line in lines:
            q = tf.add_paragraph()
            r = q.add_run()
            r.text = f"• {line}"
            r.font.size = Pt(size)
            r.font.color.rgb = _INK


def _segment_slide(prs: object, page: OnePage, index: int, card: SegmentCard) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[6])  # type: ignore[attr-defined]  # blank
    title = slide.shapes.add_textbox(Inches(0.4), Inches(0.25), Inches(12.5), Inches(0.8))
    tp = title.text_frame.paragraphs[0]
    r = tp.add_run()
    r.text = f"{index}. {card.name}"
    r.font.size = Pt(26)
    r.font.bold = True
    r.font.color.rgb = _INK
    sub = title.text_frame.add_paragraph().add_run()
    sub.text = f"{page.title} · confidence: {card.confidence}"
    sub.font.size = Pt(12)
    sub.font.color.rgb = _MUTED
    checklist = [
        f"☐ {c.text}{' (a plus)' if c.optional else ''} — {c.confidence}" for c in card.checklist
    ]
    _box(
        slide,
        0.4,
        1.3,
        6.2,
        5.2,
        [
            ("Who they are", [card.who]),
            ("Why they are worth it", card.worth),
            ("How to recognise one", checklist),
            ("Examples", [" · ".join(card.examples)] if card.examples else []),
        ],
    )
    _box(
        slide,
        6.9,
        1.3,
        6.0,
        5.2,
        [
            ("What to say", [f"{p.text} ({p.source})" for p in card.pointers]),
            ("In their words", list(page.insights.get(card.id, []))),
            ("Who not to sell to", [f"{d.text} — {d.reason}" for d in page.disqualifiers]),
            ("When to call", [t.text for t in page.timing]),
            ("Who to talk to", card.personas + page.personas),
        ],
    )
    foot = slide.shapes.add_textbox(Inches(0.4), Inches(6.75), Inches(12.5), Inches(0.6))
    foot.text_frame.word_wrap = True
    fr = foot.text_frame.paragraphs[0].add_run()
    fr.text = f"How sure we are: {page.how_sure}"
    fr.font.size = Pt(11)
    fr.font.color.rgb = _MUTED


def render_pptx(icp: ICP, *, accounts: pl.DataFrame | None = None, examples: int = 0) -> bytes:
    """The deck as bytes: one slide per segment shown on the page (one slide if there is none)."""
    page = build_onepage(icp, accounts=accounts, examples=examples)
    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(Inches(13.333)), Emu(Inches(7.5))
    if not page.segments:
        slide = prs.slides.add_slide(prs.slide_layouts[6])
        _box(
            slide,
            0.5,
            0.5,
            12.3,
            6.0,
            [
                (page.title, ["No segment passed the evidence bar."]),
                ("Who not to sell to", [f"{d.text} — {d.reason}" for d in page.disqualifiers]),
                ("How sure we are", [page.how_sure]),
            ],
            size=16,
        )
    for i, card in enumerate(page.segments, 1):
        _segment_slide(prs, page, i, card)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


__all__ = ["render_pptx"]
