"""The one-pager stays one page when customers' own words are on it.

The insights come through the real path: planted synthetic interviews for each of the ICP's
segments (up to three) written as Markdown notes, then ``icp interviews analyze --write``, then
``icp report`` to PDF on A4 and Letter in headless Chromium. The page must be one sheet at its
normal type size (not only through the smaller-type fallback), every text at least 11 px, and
every card must say "In their words".
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from icpkit.cli import main
from icpkit.icp import ICP
from icpkit.interviews import generate_interviews, write_interviews
from icpkit.interviews.synthetic import PlantedTheme
from icpkit.report.html import html_to_pdf, pdf_page_count, render_html
from icpkit.report.onepage import MAX_SEGMENTS
from tests.report.conftest import Case

pytestmark = pytest.mark.browser

#: Long-ish planted phrases, one per question and segment, so the quotes fill their lines.
PHRASES = {
    "challenges": (
        "spreadsheets broke at two hundred people",
        "audit findings piled up every quarter",
        "our checkout kept timing out on sale days",
    ),
    "aha": (
        "first automated board report",
        "the reconciliation ran overnight by itself",
        "the abandoned cart emails paid for it in a week",
    ),
    "results": (
        "closed the books in three days",
        "cut onboarding time for new reps in half",
        "repeat orders went up by a third",
    ),
}


def _cli(monkeypatch: pytest.MonkeyPatch, *args: str | Path) -> int:
    monkeypatch.setattr(sys, "argv", ["icp", *map(str, args)])
    try:
        main()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _with_insights(case: Case, d: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The case's ICP with an ``insights`` section written by ``icp interviews analyze``."""
    icp = case.icp
    ids = [s.id for s in icp.segments][:MAX_SEGMENTS]
    themes = [
        PlantedTheme(sid, q, PHRASES[q][i], 0.5, 0.04)
        for i, sid in enumerate(ids)
        for q in ("challenges", "aha", "results")
    ]
    corpus = generate_interviews(30, 30, segments=ids, themes=themes, words=300, seed=3)
    write_interviews(corpus, d / "notes")
    id_col = icp.columns.get("id", "id")
    corpus.accounts.rename({"id": id_col}).write_csv(d / "interviewed.csv")
    path = d / "icp.yaml"
    icp.save(path)
    code = _cli(
        monkeypatch, "interviews", "analyze", d / "notes", "--icp", path,
        "--accounts", d / "interviewed.csv", "--write",
    )  # fmt: skip
    assert code == 0
    return path


def _text_sizes(pdf: Path) -> list[tuple[float, str]]:
    """Every text run on the first page with its rendered size in CSS px."""
    sizes: list[tuple[float, str]] = []

    def visit(t: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if t.strip():
            scale = math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3])
            sizes.append((size * scale * 96 / 72, t.strip()))

    PdfReader(pdf).pages[0].extract_text(visitor_text=visit)
    return sizes


@pytest.mark.parametrize("name", ["demo", pytest.param("crunchbase", marks=pytest.mark.slow)])
def test_page_with_their_words_is_one_page(
    name: str,
    request: pytest.FixtureRequest,
    chromium: str,
    tmp_path: Path,
    artifacts: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case: Case = request.getfixturevalue(f"{name}_case")
    icp_path = _with_insights(case, tmp_path, monkeypatch)
    icp = ICP.load(icp_path)
    assert icp.insights is not None
    shown = min(len(icp.segments), MAX_SEGMENTS)
    with_themes = [s for s in icp.insights.segments if s.themes]
    assert len(with_themes) == shown  # every card on the page has customers' words to show
    for paper in ("a4", "letter"):
        pdf = tmp_path / f"{name}-insights-{paper}.pdf"
        code = _cli(
            monkeypatch, "report", icp_path, "-o", pdf, "--accounts", case.accounts_path,
            "--examples", "5", "--paper", paper,
        )  # fmt: skip
        assert code == 0
        reader = PdfReader(pdf)
        assert len(reader.pages) == 1
        text = reader.pages[0].extract_text()
        assert text.count("IN THEIR WORDS") + text.count("In their words") == shown
        assert "from interviews" in text
        sizes = _text_sizes(pdf)
        assert min(sizes)[0] >= 11 - 1e-3, min(sizes)
        # one page at the normal type size, not only through the smaller-type fallback
        html = render_html(icp, accounts=case.accounts(), examples=5, paper=paper, appendix=False)
        page = tmp_path / f"normal-{paper}.html"
        page.write_text(html, encoding="utf-8")
        out = html_to_pdf(page, tmp_path / f"normal-{paper}.pdf")
        assert pdf_page_count(out.read_bytes()) == 1, f"{name} on {paper} needs the fallback"
        assert not re.search(r'<body class="compact"', html)
        (artifacts / pdf.name).write_bytes(pdf.read_bytes())
