"""Human-facing renderings of an ICP: the criteria table and the one-page document."""

from __future__ import annotations

from typing import TYPE_CHECKING

from icpkit._lazy import lazy_exports

if TYPE_CHECKING:  # for type checkers; at run time each name loads on first use
    from icpkit.report.html import html_to_pdf, render_html
    from icpkit.report.markdown import render_markdown
    from icpkit.report.table import (
        CriteriaRow,
        PointsRow,
        criteria_rows,
        format_evidence,
        format_p,
        points_rows,
    )

# Public name → defining module, loaded on first access (PEP 562):
# the HTML report needs Jinja, the Markdown one does not.
_LAZY = {
    **dict.fromkeys(("html_to_pdf", "render_html"), "icpkit.report.html"),
    "render_markdown": "icpkit.report.markdown",
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
    "PointsRow",
    "criteria_rows",
    "format_evidence",
    "format_p",
    "html_to_pdf",
    "points_rows",
    "render_html",
    "render_markdown",
]
