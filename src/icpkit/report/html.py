"""The one-page ICP as a self-contained HTML page, and PDF / PNG through headless Chromium.

Everything the page needs is inside it: CSS inline, charts as inline SVG drawn by
:mod:`icpkit.report.charts`, no scripts, fonts or images fetched from anywhere, so it can be
mailed, archived or opened offline and looks the same in five years. The content is
:func:`icpkit.report.onepage.build_onepage` (shared with the Markdown and the slides), laid out
at the paper's printable width so screen, PNG and PDF agree; the evidence appendix follows on
its own page.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from icpkit.errors import InputError, UsageError
from icpkit.icp import ICP
from icpkit.report.charts import (
    BLUE,
    VERMILLION,
    calibration_chart,
    distribution_chart,
    lift_chart,
    score_bins,
    tier_chart,
)
from icpkit.report.markdown import segment_sentence
from icpkit.report.onepage import build_onepage
from icpkit.report.table import criteria_rows, points_rows, segment_rows

if TYPE_CHECKING:
    from icpkit.living.review import CohortReview

_ENV = Environment(
    loader=PackageLoader("icpkit.report", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Paper:
    """A paper size for the PDF: the CSS ``@page`` size and the printable width in CSS px."""

    name: str
    css: str
    width_mm: float
    height_mm: float
    margin_mm: float = 10.0

    @property
    def content_px(self) -> int:
        """Printable width in CSS px (96 per inch): the page is laid out at exactly this width."""
        return int((self.width_mm - 2 * self.margin_mm) * 96 / 25.4)

    @property
    def window(self) -> tuple[int, int]:
        """The whole sheet in CSS px, the browser window for a PNG of the page."""
        return round(self.width_mm * 96 / 25.4), round(self.height_mm * 96 / 25.4)


PAPERS = {
    "a4": Paper("a4", "A4", 210.0, 297.0),
    "letter": Paper("letter", "letter", 215.9, 279.4),
}


def paper_of(name: str) -> Paper:
    """The paper named by ``--paper`` (a4 or letter)."""
    try:
        return PAPERS[name.lower()]
    except KeyError:
        raise UsageError(f"--paper: unknown paper {name!r}; use {' or '.join(PAPERS)}") from None


def _tier_of(score: float, tiers: dict[str, float]) -> str:
    for t in ("A", "B", "C"):
        if score >= tiers[t]:
            return t
    return "D"


def fit_tiers(icp: ICP) -> tuple[list[tuple[str, float | None, None, None, int]], float | None]:
    """Share of best customers per tier at fit time and overall, among qualified accounts.

    Read from the ICP's calibration table, which covers the accounts the scorecard was fitted
    on (not disqualified). Bands are assigned to a tier by their midpoint, so tier counts are
    approximate; tiers without accounts are left out.
    """
    agg: dict[str, list[int]] = {t: [0, 0] for t in ("A", "B", "C", "D")}
    for r in icp.scoring.calibration:
        t = _tier_of((r.score_from + r.score_to) / 2, icp.scoring.tiers)
        agg[t][0] += r.accounts
        agg[t][1] += round(r.observed * r.accounts)
    total = sum(v[0] for v in agg.values())
    base = sum(v[1] for v in agg.values()) / total if total else None
    rows: list[tuple[str, float | None, None, None, int]] = [
        (t, b / n, None, None, n) for t, (n, b) in agg.items() if n > 0
    ]
    return rows, base


def charts(icp: ICP, report: CohortReview | None = None) -> dict[str, Markup]:
    """The appendix's SVG charts, keyed lift / distribution / tiers / calibration (when data allows).

    With a cohort ``report`` the distribution and tier charts show that cohort's won and lost
    deals; without one they show the fit data the ICP file carries.
    """
    out: dict[str, Markup] = {}
    rows = _lift_rows(icp, report)
    if rows and any(f is not None or c is not None for _, f, c in rows):
        out["lift"] = Markup(lift_chart(rows))
    if report is not None and len(report.scores):
        out.update(_cohort_charts(report))
    elif icp.scoring.calibration:
        out.update(_fit_charts(icp))
    series = _calibration_series(icp, report)
    if series:
        out["calibration"] = Markup(calibration_chart(series))
    return out


def _lift_rows(
    icp: ICP, report: CohortReview | None
) -> list[tuple[str, float | None, float | None]]:
    """Each criterion's lift at fit next to its lift in the latest cohort (when reviewed)."""
    cohort_lift: dict[tuple[str, str, int], float] = {}
    if report is not None:
        cohort_lift = {(r.where, r.role, r.index): r.lift for r in report.criteria}
    rows: list[tuple[str, float | None, float | None]] = []
    for s in icp.segments:
        for role, lst in (("must", s.must), ("nice", s.nice)):
            for i, c in enumerate(lst):
                fit = c.evidence.lift if c.evidence else None
                rows.append((f"{s.id}: {c.describe()}", fit, cohort_lift.get((s.id, role, i))))
    for i, c in enumerate(icp.scoring.timing):
        fit = c.evidence.lift if c.evidence else None
        rows.append((f"timing: {c.describe()}", fit, cohort_lift.get(("timing", "timing", i))))
    return rows


def _cohort_charts(report: CohortReview) -> dict[str, Markup]:
    """Score distribution of won vs lost and win rate by tier, in the reviewed cohort."""
    import numpy as np

    band = np.clip(np.floor(report.scores / 10).astype(int), 0, 9)
    edges = [
        (
            float(b * 10),
            float(b * 10 + 10),
            int(((band == b) & report.outcomes).sum()),
            int(((band == b) & ~report.outcomes).sum()),
        )
        for b in range(10)
    ]
    return {
        "distribution": Markup(
            distribution_chart(
                score_bins(edges, min_width=10),
                title="Fit scores: won vs lost",
                labels=("won", "lost"),
            )
        ),
        "tiers": Markup(
            tier_chart(
                [(t.name, t.win_rate, t.low, t.high, t.accounts) for t in report.tiers],
                title="Win rate by tier (latest cohort)",
                base=report.win_rate,
            )
        ),
    }


def _fit_charts(icp: ICP) -> dict[str, Markup]:
    """Score distribution and share of best customers by tier, from the calibration at fit."""
    edges = [
        (
            r.score_from,
            r.score_to,
            round(r.observed * r.accounts),
            r.accounts - round(r.observed * r.accounts),
        )
        for r in icp.scoring.calibration
    ]
    rows_t, base = fit_tiers(icp)
    return {
        "distribution": Markup(
            distribution_chart(score_bins(edges), title="Fit scores: best customers vs others")
        ),
        "tiers": Markup(
            tier_chart(
                rows_t,
                title="Share of best customers by tier (fit data)",
                base=base,
                base_label="qualified accounts",
                approximate=True,
            )
        ),
    }


def _calibration_series(
    icp: ICP, report: CohortReview | None
) -> list[tuple[str, str, list[tuple[float, float, int]]]]:
    """Predicted vs observed per score band: at fit, and in the latest cohort when reviewed."""
    cal = icp.scoring.calibration
    series = []
    if cal:
        series.append(("at fit", BLUE, [(r.predicted, r.observed, r.accounts) for r in cal]))
    if report is not None and report.calibration:
        series.append(
            (
                "latest cohort",
                VERMILLION,
                [(b.predicted, b.observed, b.accounts) for b in report.calibration],
            )
        )
    return series


def render_html(
    icp: ICP,
    *,
    report: CohortReview | None = None,
    accounts: pl.DataFrame | None = None,
    examples: int = 0,
    paper: str = "a4",
    appendix: bool = True,
    interview_themes: Mapping[str, Sequence[str]] | None = None,
    insights: Mapping[str, Any] | None = None,
    title: str | None = None,
    compact: bool = False,
) -> str:
    """The one-page document (plus, with ``appendix``, the evidence appendix) as HTML.

    The page is laid out at the printable width of ``paper`` so the screen view, the PNG and the
    PDF show the same thing; ``compact`` sets the page a size smaller (charts keep their size),
    the fallback when a long ICP would not fit one sheet. ``report`` adds the latest cohort to the appendix; ``accounts`` and
    ``examples`` > 0 name that many typical tier-A accounts per segment (see
    :func:`icpkit.report.onepage.build_onepage`).
    """
    page = build_onepage(
        icp,
        accounts=accounts,
        examples=examples,
        interview_themes=interview_themes,
        insights=insights,
    )
    rows_all = criteria_rows(icp)
    ctx: dict[str, Any] = {
        "icp": icp,
        "page": page,
        "paper": paper_of(paper),
        "appendix": appendix,
        "title": title or f"{icp.name} — v{icp.version}",
        "tier_chart": _page_tier_chart(icp),
        "has_segment_personas": any(p.segment for p in icp.personas),
        "segments": _segment_context(icp),
        "timing": [r for r in rows_all if r.role == "timing"],
        "disqualifiers": [r for r in rows_all if r.role == "disqualifier"],
        "validation": _validation_rows(icp.validation),
        "charts": charts(icp, report) if appendix else {},
        "charts_tiers_caption": (
            "Win rate by tier in the latest cohort"
            if report is not None
            else "Share of best customers by tier"
        ),
        "points": points_rows(icp),
        "interviews": _interview_evidence(icp),
        "report": report,
        "overdue": icp.is_stale(),
        "compact": compact,
    }
    return _ENV.get_template("report.html.j2").render(**ctx)


def _segment_context(icp: ICP) -> list[dict[str, Any]]:
    """What the template shows of each segment in the appendix: sentence, rows, value, messaging."""
    return [
        {
            "seg": s,
            "sentence": segment_sentence(s),
            "rows": segment_rows(s),
            "value": [v.phrase() for v in s.value],
            "messaging": s.messaging,
        }
        for s in icp.segments
    ]


def _page_tier_chart(icp: ICP) -> Markup | None:
    """The small tier chart on the page itself (none when the file has no calibration)."""
    tiers_rows, base = fit_tiers(icp)
    if not tiers_rows:
        return None
    return Markup(
        tier_chart(
            tiers_rows,
            title="Share of best customers by tier",
            base=base,
            base_label="qualified accounts",
            width=250,
            height=150,
            approximate=True,
        )
    )


def _interview_evidence(icp: ICP) -> list[Any]:
    if icp.insights is None:
        return []
    from icpkit.interviews.words import interview_evidence

    return interview_evidence(icp)


def _validation_rows(v: dict[str, Any]) -> list[dict[str, str]]:
    names = [
        ("in_sample", "In-sample (fitted data)"),
        ("kfold", f"Out-of-sample, {v.get('folds', 'k')}-fold"),
        ("kfold_baseline", "Black-box baseline, same folds"),
        ("time_split", f"Time split (after {v.get('holdout_after', '?')})"),
        ("time_split_baseline", "Black-box baseline, time split"),
    ]
    out = []
    for key, title in names:
        m = v.get(key) if v else None
        if not m:
            continue
        out.append(
            {
                "view": title,
                "accounts": f"{m.get('accounts', 0):,}",
                "selected": f"{m.get('selected', 0):,}",
                "precision": f"{m.get('precision', 0):.0%}",
                "recall": f"{m.get('recall', 0):.0%}",
                "screened": f"{m.get('worst_screened_out', 0):.0%}",
                "lift": f"{m['top_tier_lift']:.2f}x" if m.get("top_tier_lift") is not None else "–",
                "auc": f"{m['auc']:.3f}" if m.get("auc") is not None else "–",
            }
        )
    return out


#: Output formats :func:`write_report` writes, by file extension.
REPORT_TYPES = (".html", ".htm", ".md", ".pdf", ".png", ".pptx")


def write_report(
    icp_path: str | Path,
    output: str | Path,
    *,
    outcomes_path: str | Path | None = None,
    accounts_path: str | Path | None = None,
    examples: int = 0,
    paper: str = "a4",
    appendix: bool | None = None,
    force: bool = False,
    on_note: Callable[[str], None] | None = None,
) -> Path:
    """Write the one-pager for an ICP file, by extension: ``.html`` ``.md`` ``.pdf`` ``.png`` ``.pptx``.

    ``appendix`` (default: yes for HTML and Markdown, no for PDF and PNG) adds the evidence
    appendix; in the PDF it starts on its own page. ``outcomes_path`` adds the latest cohort
    (joined to ``accounts_path`` when given); ``accounts_path`` with ``examples`` > 0 names
    that many typical tier-A accounts per segment. ``.pptx`` is one slide per segment.
    ``on_note`` is told how the accounts were read where it was not plain (a number
    convention the scoring engine guessed), each note once, as ``icp score`` reports them;
    without it those stay Python warnings.
    """

    def write() -> Path:
        return _write_report(
            icp_path,
            output,
            outcomes_path=outcomes_path,
            accounts_path=accounts_path,
            examples=examples,
            paper=paper,
            appendix=appendix,
            force=force,
        )

    if on_note is None:
        return write()
    from icpkit.scoring.result import reading_notes

    with reading_notes() as notes:
        path = write()
    for note in notes:
        on_note(note)
    return path


def _write_report(
    icp_path: str | Path,
    output: str | Path,
    *,
    outcomes_path: str | Path | None,
    accounts_path: str | Path | None,
    examples: int,
    paper: str,
    appendix: bool | None,
    force: bool,
) -> Path:
    from icpkit.io import atomic_write_bytes, atomic_write_text, read_table
    from icpkit.report.markdown import render_markdown

    out = Path(output)
    ext = out.suffix.lower()
    _check_report_request(out, ext, examples, accounts_path, paper, force)
    icp = ICP.load(icp_path)
    inputs = [str(p) for p in (icp_path, outcomes_path, accounts_path) if p is not None]
    accounts = read_table(accounts_path) if accounts_path is not None else None
    report = _latest_cohort(icp, outcomes_path, accounts, accounts_path)
    if ext == ".md":
        text = render_markdown(
            icp, accounts=accounts, examples=examples, appendix=appendix is not False
        )
        return atomic_write_text(out, text, force=force, inputs=inputs)
    if ext == ".pptx":
        from icpkit.report.slides import render_pptx

        data = render_pptx(icp, accounts=accounts, examples=examples)
        return atomic_write_bytes(out, data, force=force, inputs=inputs)
    with_appendix = appendix if appendix is not None else ext in (".html", ".htm")

    def html(compact: bool = False) -> str:
        return render_html(
            icp,
            report=report,
            accounts=accounts,
            examples=examples,
            paper=paper,
            appendix=with_appendix,
            compact=compact,
        )

    if ext in (".html", ".htm"):
        return atomic_write_text(out, html(), force=force, inputs=inputs)
    if ext == ".png":
        data = _render(html(), ext, paper)
    else:
        data = _one_sheet_pdf(html, paper, with_appendix, out)
    return atomic_write_bytes(out, data, force=force, inputs=inputs)


def _check_report_request(
    out: Path, ext: str, examples: int, accounts_path: str | Path | None, paper: str, force: bool
) -> None:
    """Refuse a bad request before any input is read: type, examples, paper, existing output."""
    from icpkit.errors import OutputExistsError

    if ext not in REPORT_TYPES:
        raise UsageError(f"unknown report type; use {', '.join(REPORT_TYPES)}", file=out)
    if examples < 0:
        raise UsageError("--examples must be 0 or more")
    if examples and accounts_path is None:
        raise UsageError("--examples needs --accounts (the accounts to pick examples from)")
    paper_of(paper)
    if out.exists() and not force:
        raise OutputExistsError(out)


def _latest_cohort(
    icp: ICP,
    outcomes_path: str | Path | None,
    accounts: pl.DataFrame | None,
    accounts_path: str | Path | None,
) -> CohortReview | None:
    """The review of the latest won/lost cohort for the appendix, when outcomes are given."""
    if outcomes_path is None:
        return None
    from icpkit.io import read_table
    from icpkit.living.review import review_cohort

    return review_cohort(
        icp,
        read_table(outcomes_path),
        accounts=accounts,
        file=str(outcomes_path),
        accounts_file=str(accounts_path) if accounts_path else None,
        cohort=Path(outcomes_path).name,
    )


def _one_sheet_pdf(
    html: Callable[[bool], str], paper: str, with_appendix: bool, out: Path
) -> bytes:
    """The PDF, with the one-pager on exactly one sheet.

    Lengths on the page are capped; a smaller type size is the fallback for ICPs whose own
    labels are long. The one-pager is never written on two sheets.
    """
    for compact in (False, True):
        data = _render(html(compact), ".pdf", paper)
        pages = pdf_page_count(data)
        if with_appendix or pages == 1:
            return data
    raise InputError(
        f"the one-pager would print on {pages} pages; shorten the longest labels in the ICP file",
        file=out,
    )


def _render(html: str, ext: str, paper: str) -> bytes:
    """The page as PDF or PNG bytes, through a throwaway folder."""
    with tempfile.TemporaryDirectory(prefix="icpkit-report-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        rendered = Path(tmp) / f"report{ext}"
        if ext == ".png":
            html_to_png(page, rendered, paper=paper)
        else:
            html_to_pdf(page, rendered)
        return rendered.read_bytes()


def pdf_page_count(data: bytes) -> int:
    """Pages of a PDF Chromium printed (its page objects are plain ``/Type /Page`` dicts)."""
    import re

    return len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", data))


# -- PDF -----------------------------------------------------------------------------------------

CHROMIUM_CANDIDATES: Sequence[str] = ("chromium", "chromium-browser", "google-chrome", "chrome")


def find_chromium() -> str | None:
    """Path of a Chromium-family browser (``ICPKIT_CHROMIUM`` wins), or None."""
    env = os.environ.get("ICPKIT_CHROMIUM")
    if env and Path(env).exists():
        return env
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_args(user_data_dir: str | Path) -> list[str]:
    """Headless, fresh-profile, offline flags: the page must never reach the network."""
    return [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--no-first-run",
        "--no-default-browser-check",
        "--proxy-server=127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={user_data_dir}",
    ]


def html_to_pdf(html_path: str | Path, pdf_path: str | Path, *, timeout: float = 60.0) -> Path:
    """Print an HTML file to PDF with headless Chromium (offline, throwaway profile)."""
    return _run_chromium(html_path, pdf_path, ["--no-pdf-header-footer"], "--print-to-pdf", timeout)


def _run_chromium(
    html_path: str | Path,
    out_path: str | Path,
    extra: list[str],
    output_flag: str,
    timeout: float,
) -> Path:
    """Run headless Chromium on a local page, writing ``output_flag=<tmp>`` then moving it."""
    browser = find_chromium()
    what = "PDF" if output_flag == "--print-to-pdf" else "PNG"
    if browser is None:
        raise InputError(
            f"{what} output needs Chromium (apt-get install chromium, or set ICPKIT_CHROMIUM)",
            file=out_path,
        )
    src = Path(html_path).resolve()
    target = Path(out_path).resolve()
    with tempfile.TemporaryDirectory(prefix="icpkit-chromium-") as profile:
        tmp = target.with_name(f".{target.name}.tmp{target.suffix}")
        cmd = [browser, *chromium_args(profile), *extra, f"{output_flag}={tmp}", src.as_uri()]
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=timeout)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            tmp.unlink(missing_ok=True)
            raise InputError(f"Chromium could not render the page: {exc}", file=out_path) from None
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise InputError(f"Chromium wrote no {what}", file=out_path)
        tmp.replace(target)
    return target


def html_to_png(
    html_path: str | Path, png_path: str | Path, *, paper: str = "a4", timeout: float = 60.0
) -> Path:
    """A screenshot of the page at the paper's size, from the same headless browser as the PDF."""
    width, height = paper_of(paper).window
    return _run_chromium(
        html_path,
        png_path,
        [f"--window-size={width},{height}", "--hide-scrollbars"],
        "--screenshot",
        timeout,
    )


__all__ = [
    "PAPERS",
    "REPORT_TYPES",
    "Paper",
    "charts",
    "chromium_args",
    "find_chromium",
    "html_to_pdf",
    "html_to_png",
    "paper_of",
    "pdf_page_count",
    "render_html",
    "write_report",
]
