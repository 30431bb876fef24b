"""The living ICP: read a cohort of decided deals (cohort), review the ICP against it (review),
propose and apply the next version (proposal), and track versions, age and drift (versions).
"""

from __future__ import annotations

from icpkit.living.cohort import (
    CHURN_COLUMNS,
    CYCLE_COLUMNS,
    SCORE_BANDS,
    SCORE_COLUMNS,
    VALUE_COLUMNS,
    WON_COLUMNS,
    Cohort,
    find_outcome_column,
    join_accounts,
    load_cohort,
    prepare_accounts,
)
from icpkit.living.proposal import (
    Action,
    Change,
    Proposal,
    ReviewRun,
    apply,
    previous_version_path,
    propose,
    review_file,
    write_revision,
)
from icpkit.living.review import (
    CohortReview,
    CriterionResult,
    GroupResult,
    IgnoredTrait,
    Role_,
    review_cohort,
)

__all__ = [
    "CHURN_COLUMNS",
    "CYCLE_COLUMNS",
    "SCORE_BANDS",
    "SCORE_COLUMNS",
    "VALUE_COLUMNS",
    "WON_COLUMNS",
    "Action",
    "Change",
    "Cohort",
    "CohortReview",
    "CriterionResult",
    "GroupResult",
    "IgnoredTrait",
    "Proposal",
    "ReviewRun",
    "Role_",
    "apply",
    "find_outcome_column",
    "join_accounts",
    "load_cohort",
    "prepare_accounts",
    "previous_version_path",
    "propose",
    "review_cohort",
    "review_file",
    "write_revision",
]
