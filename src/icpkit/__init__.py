"""icpkit: evidence-based Ideal Customer Profiles from your own customer data.

The main job, end to end::

    from icpkit import discover_file
    run = discover_file("customers.csv")
    run.icp.save("icp.yaml")

Each step is available on its own: :func:`read_table` → :func:`infer_schema` / :func:`prepare`
→ :func:`label_outcomes` → :func:`discover` → :func:`validate`; the :class:`ICP` value saves and
loads its file.
"""

from icpkit.columns import Schema, SchemaOverrides, infer_schema, prepare
from icpkit.criteria import Criterion, Evidence
from icpkit.discovery import Discovery, ICPLearner, SearchConfig, discover
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
)
from icpkit.icp import ICP, Segment
from icpkit.io import read_table, write_table
from icpkit.outcomes import Outcomes, OutcomeSpec, label_outcomes
from icpkit.pipeline import DiscoveryRun, discover_file, write_outputs
from icpkit.report.markdown import render_markdown
from icpkit.scoring import compile_sql, score
from icpkit.traits import TraitConfig
from icpkit.validation import ValidationReport, validate

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
