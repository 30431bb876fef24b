"""Technographics: detect the technologies a website uses from Wappalyzer-format fingerprints.

``load_fingerprints`` reads and compiles a database; ``Detector`` matches it against a
``Page`` (HTML, headers, cookies, scripts … collected by the caller) with the reference's
semantics and a fast prefiltered engine; ``CategoryFact`` states what a page says about a
category ("none of the N fingerprinted tools detected; M of them observable").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from icpkit._lazy import lazy_exports

if TYPE_CHECKING:  # for type checkers; at run time each name loads on first use
    from icpkit.technographics.detector import CategoryFact, Detection, Detector, Sighting
    from icpkit.technographics.fingerprints import (
        Category,
        DomRule,
        FingerprintDB,
        Implied,
        LintIssue,
        Pattern,
        Technology,
        lint_pattern,
        load_fingerprints,
    )
    from icpkit.technographics.hits import hyperscan_available
    from icpkit.technographics.page import Page

# Public name → defining module, loaded on first access (PEP 562):
# parsing pages and Hyperscan matter to detection, not to reading categories.
_LAZY = {
    **dict.fromkeys(
        ("CategoryFact", "Detection", "Detector", "Sighting"), "icpkit.technographics.detector"
    ),
    **dict.fromkeys(
        (
            "Category",
            "DomRule",
            "FingerprintDB",
            "Implied",
            "LintIssue",
            "Pattern",
            "Technology",
            "lint_pattern",
            "load_fingerprints",
        ),
        "icpkit.technographics.fingerprints",
    ),
    "hyperscan_available": "icpkit.technographics.hits",
    "Page": "icpkit.technographics.page",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())


__all__ = [
    "Category",
    "CategoryFact",
    "Detection",
    "Detector",
    "DomRule",
    "FingerprintDB",
    "Implied",
    "LintIssue",
    "Page",
    "Pattern",
    "Sighting",
    "Technology",
    "hyperscan_available",
    "lint_pattern",
    "load_fingerprints",
]
