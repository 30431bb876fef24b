"""One won/lost vocabulary: every spelling any module once accepted reads the same everywhere.

The spellings below are written out by hand (the union of what outcomes, calibrate, personas and
the label reader used to accept before they shared :mod:`icpkit.outcomes`); each reader of an
outcome cell must classify every one of them the same way.
"""

from __future__ import annotations

import polars as pl
import pytest

from icpkit.columns.infer import infer_schema
from icpkit.columns.preparation import prepare
from icpkit.icp import ICP
from icpkit.outcomes import OutcomeSpec, label_outcomes, won_lost
from icpkit.people.personas import prepare_contacts

WON = [
    "won", "Won", "closed won", "Closed Won", "closed-won", "CLOSED_WON", "closedwon", "win",
    "true", "yes", "y", "1", "success", "customer", "signed", "best", "good", "positive",
    "ideal", "acquired", "ipo", "promoter", "champion", "expanded", "expansion",
]  # fmt: skip
LOST = [
    "lost", "closed lost", "Closed Lost", "closed-lost", "closedlost", "loss", "lose", "false",
    "no", "n", "0", "churned", "churn", "worst", "bad", "negative", "former customer",
    "closed", "cancelled", "canceled", "bankrupt", "dead", "disqualified",
]  # fmt: skip
NEITHER = ["open", "negotiation", "prospect", "n/a", ""]


def test_won_lost_classifies_every_former_spelling_one_way() -> None:
    s = pl.Series("v", [*WON, *LOST, *NEITHER, None], dtype=pl.String)
    got = s.to_frame().select(won_lost(pl.col("v"))).to_series().to_list()
    assert got == [True] * len(WON) + [False] * len(LOST) + [None] * (len(NEITHER) + 1)


def test_label_column_reads_the_same_vocabulary() -> None:
    words = [*WON, *LOST, *NEITHER]
    reps = 40
    raw = pl.DataFrame({"id": [str(i) for i in range(len(words) * reps)], "result": words * reps})
    pf = prepare(raw, infer_schema(raw))
    o = label_outcomes(pf.frame, pf.schema, OutcomeSpec(label="result"))
    per_word = pl.DataFrame({"w": words * reps, "best": o.best, "worst": o.worst})
    agg = per_word.group_by("w", maintain_order=True).agg(pl.all().all())
    verdict = {r["w"]: (r["best"], r["worst"]) for r in agg.iter_rows(named=True)}
    assert all(verdict[w] == (True, False) for w in WON), verdict
    assert all(verdict[w] == (False, True) for w in LOST), verdict
    assert all(verdict[w] == (False, False) for w in NEITHER if w in verdict), verdict


def test_status_column_reads_the_same_vocabulary() -> None:
    """A status column (no label, no metrics): success words are best, failure words worst."""
    words = [*WON, *LOST, *NEITHER]
    reps = 40
    raw = pl.DataFrame({"id": [str(i) for i in range(len(words) * reps)], "status": words * reps})
    pf = prepare(raw, infer_schema(raw))
    o = label_outcomes(pf.frame, pf.schema)
    best = {w for w, b in zip(words * reps, o.best, strict=True) if b}
    worst = {w for w, b in zip(words * reps, o.worst, strict=True) if b}
    assert best == set(WON) and worst == set(LOST)


def test_personas_deal_stage_reads_the_same_vocabulary() -> None:
    words = [*WON, *LOST, *NEITHER]
    contacts = pl.DataFrame(
        {
            "Email": [f"p{i}@example.com" for i in range(len(words))],
            "Job Title": ["VP Sales"] * len(words),
            "Deal Stage": words,
        }
    )
    out = prepare_contacts(contacts).frame["deal_outcome"].to_list()
    expected = ["won"] * len(WON) + ["lost"] * len(LOST) + [None] * len(NEITHER)
    assert out == expected


@pytest.mark.parametrize("word", ["closed won", "Closed-Won", "success", "signed"])
def test_living_cohort_counts_the_same_wins(word: str) -> None:
    """The cohort reader (icp calibrate) and discovery's label reader agree on a won word."""
    from icpkit.living.cohort import load_cohort

    icp = ICP.model_validate(
        {"name": "t", "version": 1, "created": "2026-01-01", "review_by": "2026-07-01"}
    )
    deals = pl.DataFrame({"id": ["a", "b", "c"], "won": [word, "Closed Lost", "open"]})
    cohort = load_cohort(icp, deals)
    assert cohort.won.tolist() == [True, False]
    assert cohort.undecided == 1
