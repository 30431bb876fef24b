"""Sourcing: find the companies that match an ICP in web archives (WARC files, URL indexes).

``source_warc`` streams WARC files and judges every registered domain captured in them;
``source_index`` looks a list of domains up in a Common Crawl style URL index and reads only
their records by byte range. Both run the same per-record code (``Analyser``), keep one
observation per domain (``domain_view``) and evaluate the ICP's website-observable criteria
(``evaluate``); ``engine="spark"`` runs that code as a Spark job (needs ``icpkit[spark]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from icpkit._lazy import lazy_exports

#: Where the per-record work runs: this process, or a Spark job (``icpkit[spark]``). Here, not
#: in ``run``, so the CLI can offer the choice without importing the sourcing machinery.
SourceEngine = Literal["single", "spark"]

if TYPE_CHECKING:  # for type checkers; at run time each name loads on first use
    from icpkit.sourcing.analyse import Analyser, registered_domain
    from icpkit.sourcing.domain_view import domain_view
    from icpkit.sourcing.evaluate import evaluate, web_criteria
    from icpkit.sourcing.index import lookup
    from icpkit.sourcing.ranges import ArchiveReader, RecordRef
    from icpkit.sourcing.run import SourceResult, source_index, source_warc, write_found
    from icpkit.sourcing.warc import Capture, ReadStats, iter_captures

_LAZY = {
    **dict.fromkeys(("Analyser", "registered_domain"), "icpkit.sourcing.analyse"),
    "domain_view": "icpkit.sourcing.domain_view",
    **dict.fromkeys(("evaluate", "web_criteria"), "icpkit.sourcing.evaluate"),
    "lookup": "icpkit.sourcing.index",
    **dict.fromkeys(("ArchiveReader", "RecordRef"), "icpkit.sourcing.ranges"),
    **dict.fromkeys(
        ("SourceResult", "source_index", "source_warc", "write_found"), "icpkit.sourcing.run"
    ),
    **dict.fromkeys(("Capture", "ReadStats", "iter_captures"), "icpkit.sourcing.warc"),
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())

__all__ = [
    "Analyser",
    "ArchiveReader",
    "Capture",
    "ReadStats",
    "RecordRef",
    "SourceEngine",
    "SourceResult",
    "domain_view",
    "evaluate",
    "iter_captures",
    "lookup",
    "registered_domain",
    "source_index",
    "source_warc",
    "web_criteria",
    "write_found",
]
