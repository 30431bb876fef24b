"""Human-facing renderings of an ICP: the one-page document (PDF, HTML, PNG, slides, Markdown),
its evidence appendix, and the criteria table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from icpkit._lazy import lazy_exports

if TYPE_CHECKING:  # for type checkers; at run time each name loads on first use
    from icpkit.report.confidence import criterion_confidence, segment_confidence
    from icpkit.report.html import html_to_pdf, html_to_png, render_html, write_report
    from icpkit.report.markdown import render_markdown
    from icpkit.report.messaging import Pointer, messaging_pointers
    from icpkit.report.onepage import OnePage, build_onepage, example_accounts
    from icpkit.report.slides import render_pptx
    from icpkit.report.table import (
        CriteriaRow,
        PointsRow,
        criteria_rows,
        format_evidence,
        format_p,
        points_rows,
    )

# Public name → defining module, loaded on first access (PEP 562):
# the HTML report needs Jinja and the deck python-pptx; the Markdown one needs neither.
_LAZY = {
    **dict.fromkeys(
        ("html_to_pdf", "html_to_png", "render_html", "write_report"), "icpkit.report.html"
    ),
    **dict.fromkeys(("criterion_confidence", "segment_confidence"), "icpkit.report.confidence"),
    **dict.fromkeys(("Pointer", "messaging_pointers"), "icpkit.report.messaging"),
    **dict.fromkeys(("OnePage", "build_onepage", "example_accounts"), "icpkit.report.onepage"),
    "render_markdown": "icpkit.report.markdown",
    "render_pptx": "icpkit.report.slides",
    **dict.fromkeys(
        (
            "CriteriaRow",
            "PointsRow",
            "criteria_rows",
            "format_evidence",
            "format_p",
            "points_rows",
        ),
        "icpkit.report.table",
    ),
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())


__all__ = [
    "CriteriaRow",
    "OnePage",
    "Pointer",
    "PointsRow",
    "build_onepage",
    "criteria_rows",
    "criterion_confidence",
    "example_accounts",
    "format_evidence",
    "format_p",
    "html_to_pdf",
    "html_to_png",
    "messaging_pointers",
    "points_rows",
    "render_html",
    "render_markdown",
    "render_pptx",
    "segment_confidence",
    "write_report",
]
