"""The one-pager rendered in headless Chromium for the demo ICP and two real customer bases.

For each: the PDF has exactly one page (read with pypdf), no chart text is under 11 px
(measured in the browser's own layout), examples are qualified tier-A accounts of their
segment only, and every number on the page is written the way its criterion says.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
from pathlib import Path

import polars as pl
import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from icpkit.cli import app
from icpkit.report.html import PAPERS, chromium_args, pdf_page_count
from icpkit.scoring import score
from tests.report.conftest import Case

runner = CliRunner()

pytestmark = pytest.mark.browser

#: Appended to a copy of the page: the rendered size of every chart's text, in CSS px
#: (computed font size times the SVG's on-screen scale), written into the DOM for --dump-dom.
MEASURE = """<script>
(() => {
  const sizes = [...document.querySelectorAll('svg text')].map(t => {
    const m = t.getScreenCTM();
    return parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
  });
  const pre = document.createElement('pre');
  pre.id = 'measured'; pre.textContent = JSON.stringify(sizes);
  document.body.appendChild(pre);
})();
</script>"""


def _report(case: Case, out: Path, *extra: str) -> None:
    r = runner.invoke(
        app,
        [
            "report",
            str(case.icp_path),
            "-o",
            str(out),
            "--accounts",
            str(case.accounts_path),
            *extra,
        ],
    )
    assert r.exit_code == 0, r.output


def _chart_text_sizes(chromium: str, html: str, tmp: Path, width: int) -> list[float]:
    page = tmp / "measure.html"
    page.write_text(html.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    res = subprocess.run(
        [
            chromium,
            *chromium_args(tmp / "profile"),
            f"--window-size={width},1200",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    m = re.search(r'<pre id="measured">(.*?)</pre>', res.stdout, re.S)
    assert m is not None, "the measuring script did not run"
    return json.loads(m.group(1))


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_pdf_is_one_page(
    case: Case, paper: str, chromium: str, tmp_path: Path, artifacts: Path
) -> None:
    pdf = tmp_path / f"{case.icp_path.stem}-{paper}.pdf"
    _report(case, pdf, "--examples", "5", "--paper", paper)
    reader = PdfReader(pdf)
    assert len(reader.pages) == 1
    assert pdf_page_count(pdf.read_bytes()) == 1  # the library's own count agrees
    box = reader.pages[0].mediabox
    want = {"a4": (595, 842), "letter": (612, 792)}[paper]
    assert (round(float(box.width)), round(float(box.height))) == want
    text = reader.pages[0].extract_text()
    assert "How sure we are" in text and "Who not to sell to" in text
    # Every piece of text in the PDF, the tier chart's included, is at least 11 px (8.25 pt).
    sizes: list[tuple[float, str]] = []

    def visit(t: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if t.strip():
            scale = math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3])
            sizes.append((size * scale * 96 / 72, t.strip()))

    reader.pages[0].extract_text(visitor_text=visit)
    # the chart's base-rate label is among them ("qualified accounts 22%", with a ligature)
    assert re.search(r"- - quali.*accounts \d+%", " ".join(t for _, t in sizes))
    assert min(sizes)[0] >= 11 - 1e-3, min(sizes)
    (artifacts / pdf.name).write_bytes(pdf.read_bytes())


def test_appendix_is_its_own_page(case: Case, chromium: str, tmp_path: Path) -> None:
    pdf = tmp_path / "with-appendix.pdf"
    _report(case, pdf, "--appendix")
    reader = PdfReader(pdf)
    assert len(reader.pages) >= 2
    assert "Evidence appendix" not in reader.pages[0].extract_text()
    assert "Evidence appendix" in reader.pages[1].extract_text()


def test_png_screenshot_is_saved_as_artifact(
    case: Case, chromium: str, tmp_path: Path, artifacts: Path
) -> None:
    png = artifacts / f"{case.icp_path.stem}-onepage.png"
    png.unlink(missing_ok=True)
    _report(case, png, "--examples", "5", "--force")
    from PIL import Image

    with Image.open(png) as im:
        assert im.size == PAPERS["a4"].window
        colours = im.convert("RGB").resize((80, 110)).getcolors(maxcolors=100000)
    assert colours is not None and len(colours) > 20  # not a blank page


def test_no_chart_text_under_11px(case: Case, chromium: str, tmp_path: Path) -> None:
    html = tmp_path / "page.html"
    _report(case, html, "--appendix")
    sizes = _chart_text_sizes(chromium, html.read_text(), tmp_path, PAPERS["a4"].window[0])
    assert len(sizes) > 20  # the page's chart and the appendix's charts were measured
    assert min(sizes) >= 11, sorted(sizes)[:5]


def test_the_measurement_would_catch_small_chart_text(chromium: str, tmp_path: Path) -> None:
    """The control: a 12 px label in an SVG squeezed to half its width measures 6 px."""
    html = (
        '<html><body><div style="width:300px"><svg viewBox="0 0 600 100" width="100%">'
        '<text x="10" y="50" font-size="12">tiny</text></svg></div></body></html>'
    )
    sizes = _chart_text_sizes(chromium, html, tmp_path, 800)
    assert sizes == [pytest.approx(6.0, abs=0.1)]


def test_examples_are_qualified_tier_a_of_their_segment(
    case: Case, chromium: str, tmp_path: Path
) -> None:
    html = tmp_path / "examples.html"
    _report(case, html, "--examples", "5")
    text = html.read_text()
    icp = case.icp
    accounts = case.accounts()
    scored = score(accounts, icp, missing="unknown")
    name_col = next(
        c
        for c in scored.columns
        if c.lower().replace(" ", "_") in ("name", "company_name", "customerid")
    )
    cards = re.findall(r'data-segment="([^"]+)">.*?<p class="examples">(.*?)</p>', text, re.S)
    assert len(cards) == min(len(icp.segments), 3)
    for seg_id, names in cards:
        listed = [n.strip() for n in names.replace("&amp;", "&").replace("&#39;", "'").split(" · ")]
        assert 1 <= len(listed) <= 5 and len(set(listed)) == len(listed)
        rows = scored.filter(pl.col(name_col).cast(pl.String).is_in(listed))
        ok = rows.filter(
            (pl.col("tier") == "A") & ~pl.col("disqualified") & (pl.col("segment") == seg_id)
        )
        # Every listed name has a qualified tier-A row of this segment.
        assert set(ok[name_col].cast(pl.String)) == set(listed)


def test_no_company_is_named_unless_asked(case: Case, tmp_path: Path) -> None:
    html = tmp_path / "anonymous.html"
    _report(case, html, "--appendix")
    assert 'class="examples"' not in html.read_text()


def test_numbers_on_the_page_follow_their_kind(case: Case, tmp_path: Path) -> None:
    html = tmp_path / "numbers.html"
    _report(case, html, "--appendix")
    text = re.sub(r"<[^>]+>", " ", html.read_text())
    # Years never get a thousands separator; counts never a currency sign.
    assert not re.search(r"\byear[^.;:\n]{0,12}\d,\d{3}", text)
    assert not re.search(r"\b(rounds?|employees|tickets|count)\s*(≥|<|is)?\s*\$", text)
    icp = case.icp
    for c in icp.criteria():
        if c.between is not None:
            assert c.ideal_fit() in html.read_text().replace("&lt;", "<").replace("&gt;", ">")
