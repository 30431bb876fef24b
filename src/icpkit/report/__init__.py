"""Human-facing renderings of an ICP: the criteria table and the one-page document."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers; at run time each name loads on first use
    from icpkit.report.html import html_to_pdf, render_html
    from icpkit.report.markdown import render_markdown
    from icpkit.report.table import CriteriaRow, criteria_rows, format_evidence, format_p

# Public name → defining module, loaded on first access (PEP 562):
# the HTML report needs Jinja, the Markdown one does not.
_LAZY = {
    **dict.fromkeys(("html_to_pdf", "render_html"), "icpkit.report.html"),
    "render_markdown": "icpkit.report.markdown",
    **dict.fromkeys(
        ("CriteriaRow", "criteria_rows", "format_evidence", "format_p"), "icpkit.report.table"
    ),
}


def __getattr__(name: str) -> Any:
    """Import the module defining a public name on first access and cache the name here."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "CriteriaRow",
    "criteria_rows",
    "format_evidence",
    "format_p",
    "html_to_pdf",
    "render_html",
    "render_markdown",
]
