"""Human-facing renderings of an ICP: the criteria table and the one-page document."""

from icpkit.report.html import html_to_pdf, render_html
from icpkit.report.markdown import render_markdown
from icpkit.report.table import CriteriaRow, criteria_rows, format_evidence, format_p

__all__ = [
    "CriteriaRow",
    "criteria_rows",
    "format_evidence",
    "format_p",
    "html_to_pdf",
    "render_html",
    "render_markdown",
]
