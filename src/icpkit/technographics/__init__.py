"""Technographics: detect the technologies a website uses from Wappalyzer-format fingerprints.

``load_fingerprints`` reads and compiles a database; ``Detector`` matches it against a
``Page`` (HTML, headers, cookies, scripts … collected by the caller) with the reference's
semantics and a fast prefiltered engine; ``CategoryFact`` states what a page says about a
category ("none of the N fingerprinted tools detected; M of them observable").
"""

from icpkit.technographics.detector import CategoryFact, Detection, Detector, Evidence
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
from icpkit.technographics.matcher import hyperscan_available
from icpkit.technographics.page import Page

__all__ = [
    "Category",
    "CategoryFact",
    "Detection",
    "Detector",
    "DomRule",
    "Evidence",
    "FingerprintDB",
    "Implied",
    "LintIssue",
    "Page",
    "Pattern",
    "Technology",
    "hyperscan_available",
    "lint_pattern",
    "load_fingerprints",
]
