"""icpkit: evidence-based Ideal Customer Profiles from your own customer data.

The main job, end to end::

    from icpkit import discover_file
    run = discover_file("customers.csv")
    run.icp.save("icp.yaml")

Each step is available on its own: :func:`read_table` → :func:`infer_schema` / :func:`prepare`
→ :func:`label_outcomes` → :func:`discover` → :func:`validate`; the :class:`ICP` value saves and
loads its file.
"""

from typing import TYPE_CHECKING

from icpkit._lazy import lazy_exports

if TYPE_CHECKING:  # the names below, for type checkers; at run time they load on first use
    from icpkit.columns.infer import infer_schema
    from icpkit.columns.preparation import prepare
    from icpkit.columns.schema import Schema, SchemaOverrides
    from icpkit.criteria import Criterion, Evidence
    from icpkit.discovery.config import SearchConfig
    from icpkit.discovery.learner import ICPLearner
    from icpkit.discovery.profile import Discovery, discover
    from icpkit.discovery.traits import TraitConfig
    from icpkit.discovery.validation import ValidationReport, validate
    from icpkit.errors import (
        FingerprintError,
        IcpFileError,
        IcpkitError,
        InputError,
        MissingColumnsError,
        NetworkRefused,
        NotFittedError,
        OutcomeError,
        OutputExistsError,
        UsageError,
    )
    from icpkit.icp import ICP, Segment
    from icpkit.io import read_table, write_table
    from icpkit.outcomes import Outcomes, OutcomeSpec, label_outcomes
    from icpkit.pipeline import DiscoveryRun, discover_file, write_outputs
    from icpkit.report.markdown import render_markdown
    from icpkit.scoring import compile_sql, score

# Public name → module that defines it. Importing icpkit loads none of them: discovery pulls in
# scikit-learn and SciPy, scoring DuckDB, reports Jinja, so `import icpkit` and `icp --help`
# would otherwise wait a second or more for libraries the caller may never use (PEP 562).
_LAZY = {
    **dict.fromkeys(("Schema", "SchemaOverrides", "infer_schema", "prepare"), "icpkit.columns"),
    **dict.fromkeys(("Criterion", "Evidence"), "icpkit.criteria"),
    **dict.fromkeys(("Discovery", "SearchConfig", "discover"), "icpkit.discovery"),
    **dict.fromkeys(
        (
            "FingerprintError",
            "IcpFileError",
            "IcpkitError",
            "InputError",
            "MissingColumnsError",
            "NetworkRefused",
            "NotFittedError",
            "OutcomeError",
            "OutputExistsError",
            "UsageError",
        ),
        "icpkit.errors",
    ),
    **dict.fromkeys(("ICP", "Segment"), "icpkit.icp"),
    **dict.fromkeys(("read_table", "write_table"), "icpkit.io"),
    "ICPLearner": "icpkit.discovery.learner",
    **dict.fromkeys(("Outcomes", "OutcomeSpec", "label_outcomes"), "icpkit.outcomes"),
    **dict.fromkeys(("DiscoveryRun", "discover_file", "write_outputs"), "icpkit.pipeline"),
    "render_markdown": "icpkit.report.markdown",
    **dict.fromkeys(("compile_sql", "score"), "icpkit.scoring"),
    "TraitConfig": "icpkit.discovery.traits",
    **dict.fromkeys(("ValidationReport", "validate"), "icpkit.discovery.validation"),
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals(), submodules=True)


__version__ = "0.1.0"

__all__ = [
    "ICP",
    "Criterion",
    "Discovery",
    "DiscoveryRun",
    "Evidence",
    "FingerprintError",
    "ICPLearner",
    "IcpFileError",
    "IcpkitError",
    "InputError",
    "MissingColumnsError",
    "NetworkRefused",
    "NotFittedError",
    "OutcomeError",
    "OutcomeSpec",
    "Outcomes",
    "OutputExistsError",
    "Schema",
    "SchemaOverrides",
    "SearchConfig",
    "Segment",
    "TraitConfig",
    "UsageError",
    "ValidationReport",
    "__version__",
    "compile_sql",
    "discover",
    "discover_file",
    "infer_schema",
    "label_outcomes",
    "prepare",
    "read_table",
    "render_markdown",
    "score",
    "validate",
    "write_outputs",
    "write_table",
]
