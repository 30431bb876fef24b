"""A segment must-have is shown with what it adds to the segment's other must-haves, and one
that adds nothing there is flagged (sequential covering can choose it only against earlier
segments: Telco's seg-2 "monthly charges < $75", 73% best with it and 77% without)."""

from __future__ import annotations

import numpy as np
import polars as pl

from icpkit.criteria import Criterion, Evidence
from icpkit.discovery.masks import possible_mask
from icpkit.discovery.profile import _given_others

_EV = Evidence(
    best_share=0.5,
    worst_share=0.5,
    all_share=0.5,
    lift=1.0,
    odds_ratio=1.0,
    ci_low=0.5,
    ci_high=2.0,
    p_value=0.5,
    n=10,
    n_best=5,
    n_worst=5,
)


def _crit(**kw: object) -> Criterion:
    return Criterion.model_validate(kw).model_copy(update={"evidence": _EV})


def _groups() -> tuple[pl.DataFrame, np.ndarray]:
    # g1: in seg-1 (a = x, b >= 15), 300 accounts, 285 best; g2: seg-2 proper (c = lo), 100
    # accounts, 60 best; g3: seg-2's others without c = lo, 100 accounts, 10 best.
    sizes = {"g1": (300, 285, 20, "hi"), "g2": (100, 60, 12, "lo"), "g3": (100, 10, 12, "hi")}
    a, b, c, best = [], [], [], []
    for n, k, bv, cv in sizes.values():
        a += ["x"] * n
        b += [bv] * n
        c += [cv] * n
        best += [True] * k + [False] * (n - k)
    frame = pl.DataFrame(
        {"a": a, "b": b, "c": c}, schema={"a": pl.String, "b": pl.Float64, "c": pl.String}
    )
    return frame, np.array(best)


def test_must_haves_carry_what_they_add_and_an_idle_one_is_flagged() -> None:
    frame, best = _groups()
    must1 = [_crit(column="a", **{"in": ["x"]}), _crit(column="b", between=[15, None])]
    seg1, notes1 = _given_others(frame, must1, best)
    must2 = [
        _crit(column="a", **{"in": ["x"]}),
        _crit(column="b", between=[10, None]),
        _crit(column="c", **{"in": ["lo"]}),
    ]
    # Discovery looks for seg-2 among the accounts seg-1 cannot hold.
    outside = ~possible_mask(frame, seg1)
    seg2, notes2 = _given_others(frame, must2, best, outside, ["seg-1"])
    g = seg2[2].evidence.given_others
    # With c = lo: g2 (60 of 100); without: g1 + g3 (295 of 400).
    assert (g.accounts_with, g.best_with, g.accounts_without, g.best_without) == (100, 60, 400, 295)
    assert notes1 == [] and all(c.evidence.caveat is None for c in seg1)  # both add: untouched
    flagged = seg2[2].evidence.caveat
    assert flagged is not None
    assert "60% with it, 74% without" in flagged
    # Outside seg-1 (g2 + g3) it does add: 60% against 10%.
    assert "chosen among accounts outside seg-1, where it does (60% against 10%)" in flagged
    assert len(notes2) == 1 and notes2[0].startswith("must-have 'c is lo'"), notes2
    assert seg2[0].evidence.caveat is None and seg2[1].evidence.caveat is None


def test_an_idle_must_have_of_the_first_segment_is_flagged_without_an_excuse() -> None:
    frame, best = _groups()
    must = [_crit(column="a", **{"in": ["x"]}), _crit(column="c", **{"in": ["lo"]})]
    out, notes = _given_others(frame, must, best, np.ones(frame.height, bool), [])
    caveat = out[1].evidence.caveat
    assert caveat is not None and "outside" not in caveat
    assert "60% with it, 74% without" in caveat
    assert len(notes) == 1
