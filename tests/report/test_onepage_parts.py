"""The parts of the one-pager: confidence rule, messaging pointers, typical examples, charts,
slides, and the Markdown page."""

from __future__ import annotations

import io
import math
import re
import zipfile

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icpkit.criteria import Evidence
from icpkit.icp import ICP, SegmentEvidence
from icpkit.report.charts import (
    MIN_FONT,
    distribution_chart,
    lift_chart,
    nice_ticks,
    score_bins,
    tier_chart,
)
from icpkit.report.confidence import criterion_confidence, segment_confidence
from icpkit.report.markdown import render_markdown
from icpkit.report.messaging import FROM_DATA, FROM_INTERVIEWS, messaging_pointers
from icpkit.report.onepage import build_onepage, example_accounts
from icpkit.report.slides import render_pptx

# -- confidence ------------------------------------------------------------------------------


def evidence_of(
    p: float, n_best: int = 100, q: float | None = None, caveat: str | None = None
) -> Evidence:
    return Evidence(
        best_share=0.5,
        worst_share=0.2,
        all_share=0.3,
        lift=1.6,
        odds_ratio=4.0,
        ci_low=2.0,
        ci_high=8.0,
        p_value=p,
        q_value=q,
        n=300,
        n_best=n_best,
        n_worst=40,
        caveat=caveat,
    )


@pytest.mark.parametrize(
    ("ev", "word"),
    [
        (evidence_of(0.0009), "strong"),
        (evidence_of(0.0009, n_best=29), "moderate"),  # too few best customers to be strong
        (evidence_of(0.0009, caveat="small group"), "moderate"),
        (evidence_of(0.001), "moderate"),
        (evidence_of(0.049), "moderate"),
        (evidence_of(0.05), "weak"),
        (evidence_of(0.0001, q=0.2), "weak"),  # the adjusted value decides
        (None, "weak"),
    ],
)
def test_confidence_rule(ev: Evidence | None, word: str) -> None:
    assert criterion_confidence(ev) == word


def test_segment_confidence_uses_its_adjusted_p_and_best_count() -> None:
    def seg(p: float, best: int) -> SegmentEvidence:
        return SegmentEvidence(
            accounts=500, best=best, worst=5, best_rate=0.3, base_rate=0.1, lift=3.0,
            p_value=p, share_of_best=0.2,
        )  # fmt: skip

    assert segment_confidence(seg(0.0001, 40)) == "strong"
    assert segment_confidence(seg(0.0001, 10)) == "moderate"
    assert segment_confidence(seg(0.2, 400)) == "weak"
    assert segment_confidence(None) == "weak"


# -- messaging -------------------------------------------------------------------------------

ICP_DATA = {
    "name": "Parts",
    "created": "2026-01-01",
    "columns": {"id": "id", "name": "name"},
    "segments": [
        {
            "id": "seg-1",
            "name": "saas on shopify",
            "bonus": 3.0,
            "must": [
                {"column": "industry", "in": ["saas"], "weight": 0},
                {"column": "tech_stack", "has_any": ["shopify plus"], "weight": 0},
            ],
            "nice": [{"column": "tech_stack", "has_none": ["intercom"], "category": "live chat"}],
            "value": [
                {"metric": "retention_months", "segment": 71, "others": 25, "kind": "retention"},
                {"metric": "arr", "segment": 61000, "others": 18000, "kind": "value"},
                {
                    "metric": "worst customers",
                    "segment": 0.05,
                    "others": 0.39,
                    "unit": "share",
                    "higher_is_better": False,
                },
            ],
        }
    ],
    "scoring": {
        "intercept": -2.0,
        "points": [
            {"column": "employees", "between": [200, None], "weight": 1.0},
            {"column": "country", "in": ["de"], "weight": 0.5},
        ],
        "tiers": {"A": 60, "B": 35, "C": 15},
        "timing": [{"column": "last_funding_date", "within_days": 180}],
    },
    "disqualifiers": [{"column": "deployment", "in": ["on-prem"]}],
}


def test_pointers_give_advice_not_figures_and_say_where_they_come_from() -> None:
    icp = ICP.model_validate(ICP_DATA)
    pts = messaging_pointers(icp, icp.segments[0], limit=6)
    assert pts and all(p.source == FROM_DATA for p in pts)
    text = " ".join(p.text for p in pts)
    assert not re.search(r"\b(71|25|61|18)\b", text)  # the worth figures stay in "worth"
    assert "Shopify Plus" in text  # what they run, spelled as its makers do
    assert "no live chat tool" in text  # what they lack
    assert "180 days" in text  # when they buy (the timing signal)
    assert "long run" in text  # the biggest gain (retention) in outcome terms
    assert len({p.text for p in pts}) == len(pts)


def test_interview_themes_come_first_and_are_labelled() -> None:
    icp = ICP.model_validate(ICP_DATA)
    themes = {"seg-1": ["Spreadsheets broke at 200 people: lead with the migration."]}
    pts = messaging_pointers(icp, icp.segments[0], interview_themes=themes, limit=3)
    assert pts[0].source == FROM_INTERVIEWS and pts[0].text.startswith("Spreadsheets")
    assert [p.source for p in pts[1:]] == [FROM_DATA, FROM_DATA]


def test_a_segment_that_does_not_do_better_gets_no_gain_claim() -> None:
    data = {**ICP_DATA}
    seg = dict(ICP_DATA["segments"][0])  # type: ignore[index]
    seg["value"] = [
        {"metric": "worst customers", "segment": 0.03, "others": 0.031, "unit": "share",
         "higher_is_better": False},
    ]  # fmt: skip
    data["segments"] = [seg]
    icp = ICP.model_validate(data)
    text = " ".join(p.text for p in messaging_pointers(icp, icp.segments[0], limit=9))
    assert "rarely end up" not in text


# -- examples --------------------------------------------------------------------------------


def _accounts() -> pl.DataFrame:
    """14 tier-A saas accounts (10 typical, 3 without Germany, 1 small outlier), 2 disqualified
    saas accounts that would otherwise score highest, and non-saas accounts in tier B."""
    rows = []
    for i in range(10):
        rows.append((f"typical-{i:02d}", "saas", 500.0, "de", "cloud"))
    for i in range(3):
        rows.append((f"elsewhere-{i}", "saas", 500.0, "fr", "cloud"))
    rows.append(("outlier", "saas", 50.0, "fr", "cloud"))
    rows += [(f"onprem-{i}", "saas", 900.0, "de", "on-prem") for i in range(2)]
    rows += [(f"other-{i}", "retail", 500.0, "de", "cloud") for i in range(5)]
    names, industry, employees, country, deployment = zip(*rows, strict=True)
    return pl.DataFrame(
        {
            "id": [f"id{i}" for i in range(len(rows))],
            "name": list(names),
            "industry": list(industry),
            "employees": list(employees),
            "country": list(country),
            "deployment": list(deployment),
            "tech_stack": [["shopify plus"]] * len(rows),
            "last_funding_date": [None] * len(rows),
        },
        schema_overrides={"last_funding_date": pl.Date},
    )


def test_examples_are_the_most_typical_qualified_tier_a_members() -> None:
    icp = ICP.model_validate(ICP_DATA)
    got = example_accounts(icp, _accounts(), "seg-1", 5)
    # Tied on distance, completeness and score: the name decides, so the list is stable.
    assert got == [f"typical-{i:02d}" for i in range(5)]
    everyone = example_accounts(icp, _accounts(), "seg-1", 100)
    assert len(everyone) == 14
    assert everyone[-1] == "outlier"  # farthest from the centroid
    assert not any(n.startswith(("onprem", "other")) for n in everyone)


@settings(max_examples=15, deadline=None)
@given(st.randoms(use_true_random=False))
def test_example_order_does_not_depend_on_row_order(rnd) -> None:  # type: ignore[no-untyped-def]
    icp = ICP.model_validate(ICP_DATA)
    df = _accounts()
    idx = list(range(df.height))
    rnd.shuffle(idx)
    shuffled = df[idx]
    assert example_accounts(icp, shuffled, "seg-1", 8) == example_accounts(icp, df, "seg-1", 8)


def test_page_names_no_company_unless_examples_are_asked() -> None:
    icp = ICP.model_validate(ICP_DATA)
    assert build_onepage(icp, accounts=_accounts()).segments[0].examples == []
    assert len(build_onepage(icp, accounts=_accounts(), examples=3).segments[0].examples) == 3
    # The page shows at most five per segment, whatever is asked.
    assert len(build_onepage(icp, accounts=_accounts(), examples=50).segments[0].examples) == 5


# -- charts ----------------------------------------------------------------------------------


def _font_sizes(svg: str) -> list[float]:
    return [float(x) for x in re.findall(r'font-size="([\d.]+)"', svg)]


def test_chart_text_is_never_small_and_empty_series_are_not_drawn() -> None:
    lift = lift_chart([("a", 2.0, None), ("b", 1.2, None)])
    tiers = tier_chart(
        [("A", 0.5, 0.4, 0.6, 100), ("B", 0.3, None, None, 50), ("D", None, None, None, 0)]
    )
    dist = distribution_chart(score_bins([(0, 10, 5, 50), (10, 20, 0, 0), (20, 40, 30, 20)]))
    for svg in (lift, tiers, dist):
        sizes = _font_sizes(svg)
        assert sizes and min(sizes) >= MIN_FONT >= 11
        # drawn at its own size: the page never scales a chart down
        w = re.search(r'viewBox="0 0 (\d+) (\d+)" width="(\d+)" height="(\d+)"', svg)
        assert w is not None and w.group(1) == w.group(3) and w.group(2) == w.group(4)
    assert "latest cohort" not in lift  # no cohort, no legend for it
    assert ">D<" not in tiers  # an empty tier is not drawn
    assert "10–20" not in dist  # an empty bucket is not drawn


def test_lift_chart_shows_the_cohort_when_there_is_one() -> None:
    assert "latest cohort" in lift_chart([("a", 2.0, 1.5)])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0, 5, allow_nan=False),
            st.integers(0, 50),
            st.integers(0, 50),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_score_buckets_have_meaningful_edges(parts: list[tuple[float, int, int]]) -> None:
    rows, lo = [], 0.0
    for width, good, other in parts:
        rows.append((lo, lo + width, good, other))
        lo += width
    bins = score_bins(rows)
    assert sum(g for _, g, _ in bins) == sum(p[1] for p in parts)
    assert sum(o for _, _, o in bins) == sum(p[2] for p in parts)
    for label, g, o in bins:
        a, b = (int(x) for x in label.split("–"))
        assert a < b and g + o > 0  # no '8.4–8.4', no empty bucket
    labels = [b[0] for b in bins]
    assert len(set(labels)) == len(labels)


@given(st.floats(min_value=1e-3, max_value=1e7, allow_nan=False))
def test_axis_ticks_are_few_and_round(vmax: float) -> None:
    ticks = nice_ticks(vmax)
    assert 3 <= len(ticks) <= 6 and ticks[0] == 0 and ticks[-1] >= vmax
    step = ticks[1]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(math.isclose(mantissa, m) for m in (1, 2, 2.5, 5))


# -- slides and Markdown ---------------------------------------------------------------------


def _slide_texts(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = sorted(n for n in z.namelist() if re.fullmatch(r"ppt/slides/slide\d+\.xml", n))
        return [" ".join(re.findall(r"<a:t>([^<]*)</a:t>", z.read(n).decode())) for n in names]


def test_one_slide_per_segment() -> None:
    from pptx import Presentation

    two = dict(ICP_DATA)
    second = {**ICP_DATA["segments"][0], "id": "seg-2", "name": "second"}  # type: ignore[index]
    two["segments"] = [*ICP_DATA["segments"], second]  # type: ignore[misc]
    data = render_pptx(ICP.model_validate(two))
    assert len(Presentation(io.BytesIO(data)).slides) == 2
    texts = _slide_texts(data)
    assert all("How to recognise one".upper() in t and "What to say".upper() in t for t in texts)
    assert "deployment is on-prem" in texts[0]


def test_markdown_page_comes_first_and_the_appendix_after() -> None:
    md = render_markdown(ICP.model_validate(ICP_DATA))
    page, _, appendix = md.partition("# Evidence appendix")
    assert "How to recognise one" in page and "- [ ] industry is SaaS" in page
    assert "p<" not in page and "OR " not in page  # statistics stay in the appendix
    assert "## Review and changelog" in appendix
    assert "Evidence appendix" not in render_markdown(ICP.model_validate(ICP_DATA), appendix=False)


def test_worth_is_against_everyone_else() -> None:
    icp = ICP.model_validate(ICP_DATA)
    worth = build_onepage(icp).segments[0].worth
    assert worth[0].startswith("ARR $61K vs $18K")  # value first, then retention
    assert any("stay 71 months vs 25" in w for w in worth)


def test_worth_lists_only_real_differences() -> None:
    """Planted: two clear gains and two non-differences; only the gains are reasons."""
    data = {**ICP_DATA}
    seg = dict(ICP_DATA["segments"][0])  # type: ignore[index]
    seg["value"] = [
        {"metric": "arr", "segment": 61000, "others": 18000, "kind": "value"},
        {"metric": "sales_cycle_days", "segment": 50, "others": 55, "kind": "sales_cycle",
         "higher_is_better": False},  # 9% apart: not a reason
        {"metric": "worst customers", "segment": 0.03, "others": 0.031, "unit": "share",
         "higher_is_better": False},  # "3% against 3%"
        {"metric": "best customers", "segment": 0.30, "others": 0.20, "unit": "share"},
    ]  # fmt: skip
    data["segments"] = [seg]
    icp = ICP.model_validate(data)
    worth = build_onepage(icp).segments[0].worth
    assert worth == [
        "ARR $61K vs $18K for everyone else",
        "30% become best customers, against 20%",
    ]
    # The boundary is the messaging's 25% of the larger figure: 75 vs 100 is in, 76 is out.
    seg["value"] = [
        {"metric": "retention_months", "segment": 75, "others": 100, "kind": "retention"},
        {"metric": "onboarding_days", "segment": 76, "others": 100, "kind": "onboarding"},
    ]
    data["segments"] = [seg]
    worth = build_onepage(ICP.model_validate(data)).segments[0].worth
    assert [w.split()[0] for w in worth] == ["stay"]
