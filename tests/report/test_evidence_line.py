"""The evidence line of a criterion says which p-value it shows.

On the Crunchbase export a segment member read "p=1.00, q=1, OR 1.7 [1.4–2.1]": the p was
adjusted for the whole search, the odds-ratio interval was not, and the line did not say so.
"""

from __future__ import annotations

from icpkit.criteria import Evidence
from icpkit.report.table import format_evidence


def _evidence(**extra: object) -> Evidence:
    shares = {"best_share": 0.39, "worst_share": 0.28, "all_share": 0.3, "lift": 1.44}
    test = {"odds_ratio": 1.7, "ci_low": 1.4, "ci_high": 2.1, "p_value": 1.0, "q_value": 1.0}
    counts = {"n": 4819, "n_best": 700, "n_worst": 300}
    return Evidence.model_validate({**shares, **test, **counts, **extra})


def test_an_adjusted_p_is_marked_and_shown_beside_the_raw_one() -> None:
    line = format_evidence(
        _evidence(raw_p_value=2e-9, adjustment="permutation over the whole search")
    )
    assert line == "adj. p=1.00 (raw p<0.001), OR 1.7 [1.4–2.1], n=4,819"


def test_an_adjusted_p_that_reads_as_the_raw_one_is_shown_once() -> None:
    line = format_evidence(_evidence(p_value=0.0004, raw_p_value=1e-12, adjustment="x"))
    assert line == "adj. p<0.001, OR 1.7 [1.4–2.1], n=4,819"


def test_a_plain_p_keeps_its_q() -> None:
    line = format_evidence(_evidence(p_value=0.004, q_value=0.03))
    assert line == "p=0.004, q=0.03, OR 1.7 [1.4–2.1], n=4,819"


def test_hand_written_criteria_say_so() -> None:
    assert format_evidence(None) == "no evidence recorded (hand-written)"


def _must(evidence: Evidence):
    from icpkit.criteria import Criterion
    from icpkit.icp import Segment

    crit = Criterion.model_validate({"column": "funding_rounds", "between": [None, 4]})
    return Segment(id="seg-1", name="x", must=[crit.model_copy(update={"evidence": evidence})])


def test_a_must_have_leads_with_what_it_adds_to_the_other_must_haves() -> None:
    # The Crunchbase export's "funding rounds < 4": 0.37 odds ratio on its own, yet 155 of 667
    # (23%) best among accounts meeting the segment's other must-haves against 12 of 133 (9%).
    from icpkit.criteria import GivenOthers
    from icpkit.report.table import segment_rows

    given = GivenOthers(accounts_with=667, best_with=155, accounts_without=133, best_without=12)
    row = segment_rows(_must(_evidence(given_others=given)))[0]
    assert row.evidence == (
        "given the other must-haves: 23% best with it (667 accounts) vs 9% without (133); "
        "on its own: p=1.00, q=1, OR 1.7 [1.4–2.1], n=4,819"
    )


def test_a_must_have_every_other_account_meets_says_so() -> None:
    from icpkit.criteria import GivenOthers
    from icpkit.report.table import segment_rows

    given = GivenOthers(accounts_with=667, best_with=155, accounts_without=0, best_without=0)
    row = segment_rows(_must(_evidence(given_others=given)))[0]
    assert row.evidence.startswith(
        "given the other must-haves: all 667 accounts meeting them meet this one too; on its own:"
    )


def test_a_must_have_without_the_figure_reads_as_before() -> None:
    from icpkit.report.table import segment_rows

    row = segment_rows(_must(_evidence()))[0]
    assert row.evidence == "p=1.00, q=1, OR 1.7 [1.4–2.1], n=4,819"
