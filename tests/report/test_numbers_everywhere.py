"""Numbers formatted by what they are, in every place a criterion is printed.

One ICP holds a criterion of every kind (year, count, money with currency, share, percent,
days, plain); the same expected text must appear in the terminal table, Markdown, the HTML
page and appendix, the slide deck and the CRM reason text, and the wrong forms must not.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import polars as pl
import pytest
from rich.console import Console

from icpkit.icp import ICP
from icpkit.report import render_html, render_markdown
from icpkit.report.slides import render_pptx
from icpkit.report.table import segment_rows
from icpkit.scoring import score

# (criterion, what it must read, forms it must never take)
KINDS = [
    ({"column": "founded_year", "between": [None, 2000]}, "< 2000", ["2,000", "$2"]),
    ({"column": "funding_rounds", "between": [3, None]}, "≥ 3", ["$3", "3%"]),
    ({"column": "funding_total_usd", "between": [2500000, None]}, "≥ $2.5M", ["2,500,000"]),
    ({"column": "arr_eur", "between": [50000, 250000], "unit": "money"}, "$50K–$250K", ["50,000"]),
    ({"column": "churn_share", "between": [0.05, None], "unit": "share"}, "≥ 5%", ["0.05"]),
    ({"column": "discount_pct", "between": [None, 12.5]}, "< 12.5%", ["0.125"]),
    ({"column": "sales_cycle_days", "between": [30, 90]}, "30–90 days", ["$30", "30%"]),
    ({"column": "nps", "between": [1500, None], "unit": "plain"}, "≥ 1,500", ["$1,500", "1500%"]),
]


def _icp() -> ICP:
    must = [dict(c) for c, _, _ in KINDS]
    return ICP.model_validate(
        {
            "name": "Kinds",
            "created": "2026-01-01",
            "segments": [{"id": "seg-1", "name": "every kind", "must": must}],
            "disqualifiers": [{"column": "employees", "between": [None, 10]}],
        }
    )


def _plain(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html).replace("&lt;", "<").replace("&gt;", ">")


def _terminal(icp: ICP) -> str:
    from icpkit.cli.discover import _criteria_table

    console = Console(record=True, width=250, file=io.StringIO())
    console.print(_criteria_table("seg-1", segment_rows(icp.segments[0])))
    return console.export_text()


def _slides(icp: ICP) -> str:
    data = render_pptx(icp)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = " ".join(z.read(n).decode() for n in z.namelist() if n.startswith("ppt/slides/slide"))
    return (
        " ".join(re.findall(r"<a:t>([^<]*)</a:t>", xml)).replace("&lt;", "<").replace("&gt;", ">")
    )


def _reasons(icp: ICP) -> str:
    # One account that fails every criterion, one that meets all and is disqualified.
    row = {c["column"]: [0.0, 1e9] for c, _, _ in KINDS}
    row["founded_year"] = [2010.0, 1990.0]
    row["discount_pct"] = [50.0, 1.0]
    row["employees"] = [500.0, 5.0]
    df = pl.DataFrame({"id": ["a", "b"], **row})
    out = score(df, icp, reasons="text", as_of=date(2026, 6, 1))
    return " ".join(str(v) for v in out["reasons"].to_list() + out["disqualified_by"].to_list())


@pytest.fixture(scope="module")
def renderings() -> dict[str, str]:
    icp = _icp()
    return {
        "terminal": _terminal(icp),
        "markdown": render_markdown(icp),
        "html": _plain(render_html(icp)),
        "slides": _slides(icp),
    }


@pytest.mark.parametrize(
    ("criterion", "right", "wrong"), KINDS, ids=[k[0]["column"] for k in KINDS]
)
@pytest.mark.parametrize("where", ["terminal", "markdown", "html", "slides"])
def test_each_kind_is_written_its_way_everywhere(
    renderings: dict[str, str], where: str, criterion: dict, right: str, wrong: list[str]
) -> None:
    text = renderings[where]
    words = criterion["column"].replace("_", " ")
    if where == "terminal":
        assert right in text  # the table's "Ideal fit" column
    else:
        assert f"{words} {right}" in text
    for bad in wrong:
        assert not re.search(rf"{re.escape(words)}\s*(≥|<)?\s*{re.escape(bad)}", text), bad


def test_crm_reason_text_uses_the_same_words() -> None:
    text = _reasons(_icp())
    assert "disqualified: employees < 10" in text
    for criterion, right, wrong in KINDS:
        words = criterion["column"].replace("_", " ")
        assert f"{words} {right}" in text
        for bad in wrong:
            assert not re.search(rf"{re.escape(words)}\s*(≥|<)?\s*{re.escape(bad)}", text), bad
