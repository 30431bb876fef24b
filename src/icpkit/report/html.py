"""The one-page ICP document as a self-contained HTML page (and PDF through headless Chromium).

Everything the page needs is inside it: CSS inline, charts as inline SVG drawn by
:mod:`icpkit.report.charts`, no scripts, fonts or images fetched from anywhere, so it can be
mailed, archived or opened offline and looks the same in five years. The content follows the
Markdown one-pager (:func:`icpkit.report.render_markdown`) and adds the charts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from icpkit.errors import InputError
from icpkit.icp import ICP
from icpkit.report.charts import calibration_chart, distribution_chart, lift_chart, tier_chart
from icpkit.report.markdown import segment_sentence
from icpkit.report.table import criteria_rows, segment_rows

if TYPE_CHECKING:
    from icpkit.calibrate import CalibrationReport

_ENV = Environment(
    loader=PackageLoader("icpkit.report", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

#: Columns shown for example best-fit accounts, when present.
EXAMPLE_COLUMNS = (
    "name",
    "domain",
    "industry",
    "employees",
    "country",
    "fit_score",
    "tier",
    "segment",
)


def _tier_of(score: float, tiers: dict[str, float]) -> str:
    for t in ("A", "B", "C"):
        if score >= tiers[t]:
            return t
    return "D"


def charts(icp: ICP, report: CalibrationReport | None = None) -> dict[str, Markup]:
    """The page's SVG charts, keyed lift / distribution / tiers / calibration (when data allows)."""
    out: dict[str, Markup] = {}
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
    if rows and any(f is not None or c is not None for _, f, c in rows):
        out["lift"] = Markup(lift_chart(rows))

    cal = icp.scoring.calibration
    if report is not None and len(report.scores):
        import numpy as np

        band = np.clip(np.floor(report.scores / 10).astype(int), 0, 9)
        bins = [
            (
                f"{b * 10}–{b * 10 + 10}",
                int(((band == b) & report.outcomes).sum()),
                int(((band == b) & ~report.outcomes).sum()),
            )
            for b in range(10)
        ]
        out["distribution"] = Markup(
            distribution_chart(
                bins, title="Score distribution: won vs lost", labels=("won", "lost")
            )
        )
        out["tiers"] = Markup(
            tier_chart(
                [(t.name, t.win_rate, t.low, t.high, t.accounts) for t in report.tiers],
                title="Win rate by tier (latest cohort)",
                base=report.win_rate,
            )
        )
    elif cal:
        bins = [
            (
                f"{r.score_from:g}–{r.score_to:g}",
                round(r.observed * r.accounts),
                r.accounts - round(r.observed * r.accounts),
            )
            for r in cal
        ]
        out["distribution"] = Markup(
            distribution_chart(bins, title="Score distribution: best customers vs others")
        )
        agg: dict[str, list[int]] = {t: [0, 0] for t in ("A", "B", "C", "D")}
        for r in cal:
            t = _tier_of((r.score_from + r.score_to) / 2, icp.scoring.tiers)
            agg[t][0] += r.accounts
            agg[t][1] += round(r.observed * r.accounts)
        total = sum(v[0] for v in agg.values())
        base = sum(v[1] for v in agg.values()) / total if total else None
        out["tiers"] = Markup(
            tier_chart(
                [(t, (b / n if n else None), None, None, n) for t, (n, b) in agg.items()],
                title="Share of best customers by tier (fit data)",
                base=base,
            )
        )
    series = []
    if cal:
        series.append(("at fit", "#2563eb", [(r.predicted, r.observed, r.accounts) for r in cal]))
    if report is not None and report.calibration:
        series.append(
            (
                "latest cohort",
                "#ea580c",
                [(b.predicted, b.observed, b.accounts) for b in report.calibration],
            )
        )
    if series:
        out["calibration"] = Markup(calibration_chart(series))
    return out


def _examples(frame: pl.DataFrame | None, limit: int) -> tuple[list[str], list[list[str]]]:
    if frame is None or frame.height == 0:
        return [], []
    df = frame
    if "fit_score" in df.columns:
        df = df.sort("fit_score", descending=True, nulls_last=True)
    cols = [c for c in EXAMPLE_COLUMNS if c in df.columns] or df.columns[:6]
    rows = []
    for r in df.head(limit).select(cols).iter_rows():
        rows.append(
            ["" if v is None else (f"{v:,.4g}" if isinstance(v, float) else str(v)) for v in r]
        )
    return [c.replace("_", " ") for c in cols], rows


def render_html(
    icp: ICP,
    *,
    report: CalibrationReport | None = None,
    examples: pl.DataFrame | None = None,
    max_examples: int = 10,
    title: str | None = None,
) -> str:
    """The one-page document as one self-contained HTML string.

    ``report`` adds the latest cohort's calibration (conversion by tier, won/lost score
    distribution, cohort lift next to fit-time lift); ``examples`` is a (scored) account table
    whose best-fitting rows are shown as example accounts.
    """
    ex_cols, ex_rows = _examples(examples, max_examples)
    segments = []
    for s in icp.segments:
        segments.append(
            {
                "seg": s,
                "sentence": segment_sentence(s),
                "rows": segment_rows(s),
                "value": [v.phrase() if hasattr(v, "phrase") else str(v) for v in s.value],
                "messaging": s.messaging,
            }
        )
    rows_all = criteria_rows(icp)
    ctx: dict[str, Any] = {
        "icp": icp,
        "title": title or f"{icp.name} — v{icp.version}",
        "segments": segments,
        "timing": [r for r in rows_all if r.role == "timing"],
        "disqualifiers": [r for r in rows_all if r.role == "disqualifier"],
        "validation": _validation_rows(icp.validation),
        "charts": charts(icp, report),
        "examples_cols": ex_cols,
        "examples_rows": ex_rows,
        "report": report,
        "overdue": icp.is_stale(),
    }
    return _ENV.get_template("report.html.j2").render(**ctx)


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


def write_report(
    icp_path: str | Path,
    output: str | Path,
    *,
    outcomes_path: str | Path | None = None,
    accounts_path: str | Path | None = None,
    max_examples: int = 10,
    force: bool = False,
) -> Path:
    """Write the one-pager for an ICP file: ``.html`` (self-contained), ``.md`` or ``.pdf``.

    ``outcomes_path`` adds the latest cohort (joined to ``accounts_path`` when given);
    ``accounts_path`` (a scored table) supplies example best-fit accounts.
    """
    from icpkit.errors import OutputExistsError
    from icpkit.io import atomic_write_text, read_table
    from icpkit.report.markdown import render_markdown

    out = Path(output)
    ext = out.suffix.lower()
    if ext not in (".html", ".htm", ".md", ".pdf"):
        raise InputError("unknown report type; use .html, .md or .pdf", file=out)
    if out.exists() and not force:
        raise OutputExistsError(out)
    icp = ICP.load(icp_path)
    inputs = [str(p) for p in (icp_path, outcomes_path, accounts_path) if p is not None]
    accounts = read_table(accounts_path) if accounts_path is not None else None
    examples = None
    if accounts is not None:
        from icpkit.calibrate import prepare_accounts
        from icpkit.columns import canonical_frame
        from icpkit.validation import predict

        examples = canonical_frame(accounts)
        if "fit_score" not in examples.columns:
            # Unscored accounts: score them now so the examples are the best fits.
            frame, _, _ = prepare_accounts(icp, accounts, repeats=True)
            pred = predict(icp, frame)
            examples = examples.with_columns(
                pl.Series("fit_score", pred.fit_score), pl.Series("tier", pred.tier)
            ).filter(~pl.Series(pred.disqualified))
    report = None
    if outcomes_path is not None:
        from icpkit.calibrate import calibrate

        report = calibrate(
            icp,
            read_table(outcomes_path),
            accounts=accounts,
            file=str(outcomes_path),
            accounts_file=str(accounts_path) if accounts_path else None,
            cohort=Path(outcomes_path).name,
        )
    if ext == ".md":
        return atomic_write_text(
            out,
            render_markdown(icp, examples=examples, max_examples=max_examples),
            force=force,
            inputs=inputs,
        )
    html = render_html(icp, report=report, examples=examples, max_examples=max_examples)
    if ext in (".html", ".htm"):
        return atomic_write_text(out, html, force=force, inputs=inputs)
    with tempfile.TemporaryDirectory(prefix="icpkit-report-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        return html_to_pdf(page, out)


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
    browser = find_chromium()
    if browser is None:
        raise InputError(
            "PDF output needs Chromium (apt-get install chromium, or set ICPKIT_CHROMIUM)",
            file=pdf_path,
        )
    src = Path(html_path).resolve()
    target = Path(pdf_path).resolve()
    with tempfile.TemporaryDirectory(prefix="icpkit-chromium-") as profile:
        tmp = target.with_name(f".{target.name}.tmp.pdf")
        cmd = [
            browser,
            *chromium_args(profile),
            "--no-pdf-header-footer",
            f"--print-to-pdf={tmp}",
            src.as_uri(),
        ]
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=timeout)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            tmp.unlink(missing_ok=True)
            raise InputError(f"Chromium could not print the page: {exc}", file=pdf_path) from None
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise InputError("Chromium wrote no PDF", file=pdf_path)
        tmp.replace(target)
    return target


__all__ = [
    "EXAMPLE_COLUMNS",
    "charts",
    "chromium_args",
    "find_chromium",
    "html_to_pdf",
    "render_html",
    "write_report",
]
