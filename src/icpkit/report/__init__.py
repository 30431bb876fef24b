"""Human-facing renderings of an ICP: the criteria table and the one-page document."""

from icpkit.report.markdown import render_markdown
from icpkit.report.table import CriteriaRow, criteria_rows, format_evidence, format_p

__all__ = ["CriteriaRow", "criteria_rows", "format_evidence", "format_p", "render_markdown"]
