"""Customer interviews: plan whom to talk to, read notes, find what each segment says.

The third step of the method (after outcomes and the traits of the best customers): talk to the
key people at those accounts. :func:`plan_interviews` picks typical best-fit customers and
contrasting accounts per segment and writes the guide; :func:`analyze_folder` reads notes and
transcripts, links them to accounts, scrubs personal data, and finds the words, phrases and
themes each segment's customers use more than the others (log-odds ratios with an informative
Dirichlet prior, selection-adjusted by permutation), with scrubbed quotes, stored as the ICP
file's ``insights`` section by :func:`with_insights`. :mod:`icpkit.interviews.words` turns that
section into the report's "In their words" and messaging pointers.

Names load on first use (PEP 562): the report reads stored insights without SciPy or
scikit-learn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from icpkit._lazy import lazy_exports

if TYPE_CHECKING:  # for type checkers; at run time each name loads on first use
    from icpkit.interviews.analyze import distinctive_terms, log_odds, term_matrix
    from icpkit.interviews.link import link_interviews
    from icpkit.interviews.pipeline import (
        InterviewAnalysis,
        analyze_folder,
        analyze_interviews,
        with_insights,
    )
    from icpkit.interviews.plan import InterviewPlan, plan_interviews
    from icpkit.interviews.read import Interview, InterviewSet, read_interviews
    from icpkit.interviews.scrub import Scrubber, contact_names
    from icpkit.interviews.synthetic import generate_interviews, write_interviews
    from icpkit.interviews.words import in_their_words, interview_themes

_LAZY = {
    **dict.fromkeys(("distinctive_terms", "log_odds", "term_matrix"), "icpkit.interviews.analyze"),
    "link_interviews": "icpkit.interviews.link",
    **dict.fromkeys(
        ("InterviewAnalysis", "analyze_folder", "analyze_interviews", "with_insights"),
        "icpkit.interviews.pipeline",
    ),
    **dict.fromkeys(("InterviewPlan", "plan_interviews"), "icpkit.interviews.plan"),
    **dict.fromkeys(("Interview", "InterviewSet", "read_interviews"), "icpkit.interviews.read"),
    **dict.fromkeys(("Scrubber", "contact_names"), "icpkit.interviews.scrub"),
    **dict.fromkeys(("generate_interviews", "write_interviews"), "icpkit.interviews.synthetic"),
    **dict.fromkeys(("in_their_words", "interview_themes"), "icpkit.interviews.words"),
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals(), submodules=True)

__all__ = [
    "Interview",
    "InterviewAnalysis",
    "InterviewPlan",
    "InterviewSet",
    "Scrubber",
    "analyze_folder",
    "analyze_interviews",
    "contact_names",
    "distinctive_terms",
    "generate_interviews",
    "in_their_words",
    "interview_themes",
    "link_interviews",
    "log_odds",
    "plan_interviews",
    "read_interviews",
    "term_matrix",
    "with_insights",
    "write_interviews",
]
