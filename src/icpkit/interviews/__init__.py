"""Customer interviews: plan whom to talk to, read notes, find what each segment says.

The third step of the method (after outcomes and the traits of the best customers): talk to the
key people at those accounts. :func:`plan_interviews` picks typical best-fit customers and
contrasting accounts per segment and writes the guide; :func:`analyze_folder` reads notes and
transcripts, links them to accounts, scrubs personal data, and finds the words, phrases and
themes each segment's customers use more than the others (log-odds ratios with an informative
Dirichlet prior, selection-adjusted by permutation), with scrubbed quotes, stored as the ICP
file's ``insights`` section by :func:`with_insights`.
"""

from __future__ import annotations

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
    "link_interviews",
    "log_odds",
    "plan_interviews",
    "read_interviews",
    "term_matrix",
    "with_insights",
    "write_interviews",
]
