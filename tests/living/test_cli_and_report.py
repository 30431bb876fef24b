"""The four commands end to end on real files, and the report in a real headless browser."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from icpkit.cli import app
from icpkit.icp import ICP
from icpkit.report import render_html, render_markdown
from icpkit.report.html import chromium_args, html_to_pdf
from tests.living.conftest import drift_cohort, null_cohort

runner = CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, icp_file: Path) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("living")
    df = drift_cohort(201)
    icp = d / "icp.yaml"
    shutil.copy(icp_file, icp)
    df.select("Record ID", "Won").write_csv(d / "outcomes.csv")
    df.drop("Won").write_parquet(d / "accounts.parquet")
    return {
        "dir": d,
        "icp": icp,
        "outcomes": d / "outcomes.csv",
        "accounts": d / "accounts.parquet",
    }


def test_calibrate_writes_only_when_asked(files: dict[str, Path]) -> None:
    icp, before = files["icp"], files["icp"].read_text()
    args = ["calibrate", "--icp", str(icp), "--outcomes", str(files["outcomes"])]
    args += ["--accounts", str(files["accounts"]), "--today", "2026-06-01"]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "drop segment" in r.output and "country is germany" in r.output
    assert "Nothing written" in r.output
    assert icp.read_text() == before
    r = runner.invoke(app, [*args, "--write", str(icp), "--cohort", "2026-Q2"])
    assert r.exit_code == 0, r.output
    old = files["dir"] / "icp.v1.yaml"
    assert old.read_text() == before
    new = ICP.load(icp)
    assert new.version == 2 and new.changelog[-1].cohort == "2026-Q2"

    r = runner.invoke(app, ["diff", str(old), str(icp)])
    assert r.exit_code == 0, r.output
    assert "v1 → v2" in r.output and "+ segment" in r.output and "- segment" in r.output


def test_status_exit_codes(files: dict[str, Path], icp_file: Path) -> None:
    r = runner.invoke(app, ["status", str(icp_file), "--today", "2026-03-01"])
    assert r.exit_code == 0, r.output
    assert "ok" in r.output
    r = runner.invoke(app, ["status", str(icp_file), "--today", "2027-03-01"])
    assert r.exit_code == 3 and "overdue" in r.output
    r = runner.invoke(
        app,
        [
            "status",
            str(icp_file),
            "--today",
            "2026-03-01",
            "--recent",
            str(files["outcomes"].with_name("recent.csv")),
        ],
    )
    assert r.exit_code != 0  # missing file is an error, not "ok"
    # Recent wins that look like the accounts lost or churned at fit time: drift.
    null_cohort(212).with_columns(
        pl.when(pl.col("Won") == "lost").then(pl.lit("won")).otherwise(pl.lit("lost")).alias("Won")
    ).write_csv(files["dir"] / "recent.csv")
    r = runner.invoke(
        app,
        [
            "status",
            str(icp_file),
            "--today",
            "2026-03-01",
            "--recent",
            str(files["dir"] / "recent.csv"),
        ],
    )
    assert r.exit_code == 3 and "drift" in r.output


def test_report_refuses_overwrite_and_writes_markdown(files: dict[str, Path]) -> None:
    md = files["dir"] / "icp.md"
    r = runner.invoke(
        app,
        [
            "report",
            str(files["icp"]),
            "-o",
            str(md),
            "--accounts",
            str(files["accounts"]),
            "--examples",
            "3",
        ],
    )
    assert r.exit_code == 0, r.output
    text = md.read_text()
    assert "## Review and changelog" in text and "**Examples:** " in text
    # Examples are asked for by name: --examples without --accounts is a usage error.
    r = runner.invoke(
        app, ["report", str(files["icp"]), "-o", str(md) + ".2.md", "--examples", "3"]
    )
    from icpkit.errors import UsageError

    assert isinstance(r.exception, UsageError) and r.exception.exit_code == 2
    assert "--accounts" in str(r.exception)
    r = runner.invoke(app, ["report", str(files["icp"]), "-o", str(md)])
    assert r.exit_code != 0 and md.read_text() == text


def test_markdown_keeps_working_and_lists_personas(fitted_icp: ICP) -> None:
    from icpkit.icp import Persona

    plain = render_markdown(fitted_icp)
    assert plain.startswith("# ") and "Who we do not sell to" in plain and "Personas" not in plain
    with_p = fitted_icp.model_copy(
        update={
            "personas": [
                Persona(id="p1", department="finance", seniority="head", example_titles=["CFO"])
            ]
        }
    )
    assert "| p1 | all | finance | head |" in render_markdown(with_p)


# -- the browser -------------------------------------------------------------------------------


#: Chromium's own service traffic (network time, component updater, sign-in), which a fresh
#: profile starts despite --disable-background-networking. The page cannot be behind these: the
#: static check finds no http(s) reference in it at all.
BROWSER_SERVICE_HOSTS = (
    "clients2.google.com",
    "update.googleapis.com",
    "redirector.gvt1.com",
    "accounts.google.com",
)


def _hosts(hits: list[bytes]) -> list[str]:
    out = []
    for h in hits:
        m = re.match(rb"[A-Z]+ (?:https?://)?([^/:\s]+)", h)
        out.append(m.group(1).decode() if m else "?")
    return out


def _page_hosts(hits: list[bytes]) -> list[str]:
    return [h for h in _hosts(hits) if h not in BROWSER_SERVICE_HOSTS]


class _Recorder:
    """A TCP listener standing in for the proxy: records every connection, forwards nothing."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.hits: list[bytes] = []
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.settimeout(2)
            try:
                self.hits.append(conn.recv(4096))
            except OSError:
                self.hits.append(b"")
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def chromium() -> str:
    script = Path(__file__).resolve().parents[2] / ".ci" / "chromium.sh"
    found = shutil.which("chromium")
    if found is None:
        try:
            subprocess.run(["bash", str(script)], check=True, capture_output=True, timeout=600)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            pytest.skip(
                f"chromium is not installed and .ci/chromium.sh could not install it: {exc}"
            )
        found = shutil.which("chromium")
    if found is None:
        pytest.skip("chromium is not available (run .ci/chromium.sh)")
    return found


@pytest.fixture()
def recorder() -> Iterator[_Recorder]:
    r = _Recorder()
    yield r
    r.close()


def _browse(
    browser: str, page: Path, profile: Path, recorder: _Recorder, *extra: str
) -> subprocess.CompletedProcess[str]:
    # The recorder replaces the dead proxy; the host-resolver rule goes too, since it would make
    # the proxy itself unreachable and hide requests. Nothing is forwarded: networking stays off.
    args = [
        a
        for a in chromium_args(profile)
        if not a.startswith(("--proxy-server", "--host-resolver-rules"))
    ]
    cmd = [
        browser,
        *args,
        f"--proxy-server=127.0.0.1:{recorder.port}",
        "--window-size=1200,2400",
        *extra,
        page.as_uri(),
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)


def _static_external_refs(html: str) -> list[str]:
    """http(s) URLs in src/href/url()/@import, except plain <a href> links."""
    refs = re.findall(
        r"<(?!a\b)[a-z]+[^>]*\b(?:src|href|srcset|data)\s*=\s*[\"']?\s*(https?:)?//", html, re.I
    )
    refs += re.findall(r"url\(\s*[\"']?\s*(?:https?:)?//", html, re.I)
    refs += re.findall(r"@import", html, re.I)
    return refs


@pytest.mark.browser
def test_report_renders_offline_in_headless_chromium(
    files: dict[str, Path], chromium: str, recorder: _Recorder, tmp_path: Path
) -> None:
    artifacts = Path(os.environ.get("ICPKIT_ARTIFACTS") or tmp_path / "artifacts")
    page = files["dir"] / "report.html"
    r = runner.invoke(
        app,
        [
            "report",
            str(files["icp"]),
            "-o",
            str(page),
            "--outcomes",
            str(files["outcomes"]),
            "--accounts",
            str(files["accounts"]),
            "--examples",
            "3",
        ],
    )
    assert r.exit_code == 0, r.output
    html = page.read_text()
    assert _static_external_refs(html) == []
    assert "<script" not in html.lower()
    # the page's tier chart, and lift, distribution, tiers and calibration in the appendix
    assert html.count("<svg") == 5

    artifacts.mkdir(parents=True, exist_ok=True)
    dom = _browse(chromium, page, tmp_path / "p1", recorder, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    (artifacts / "icp-report.dom.html").write_text(dom.stdout)
    assert "<h1>Ideal Customer Profile</h1>" in dom.stdout
    assert dom.stdout.count("<svg") == 5 and dom.stdout.count("<rect") > 10
    for section in (
        'id="who"',
        'id="anti"',
        'id="how-sure"',
        'id="appendix"',
        'id="charts"',
        'id="cohort"',
        'class="examples"',
        'id="changelog"',
    ):
        assert section in dom.stdout
    shot = artifacts / "icp-report.png"
    shot.unlink(missing_ok=True)
    res = _browse(chromium, page, tmp_path / "p2", recorder, f"--screenshot={shot}")
    assert res.returncode == 0, res.stderr[-2000:]
    from PIL import Image

    with Image.open(shot) as im:
        assert im.size == (1200, 2400)
        colours = im.convert("RGB").resize((120, 240)).getcolors(maxcolors=100000)
    assert colours is not None and len(colours) > 20  # not a blank page
    assert _page_hosts(recorder.hits) == []  # not one request left the page


@pytest.mark.browser
def test_network_recorder_would_catch_a_request(
    chromium: str, recorder: _Recorder, tmp_path: Path
) -> None:
    """The control: a page with one external image is caught, statically and in the browser."""
    page = tmp_path / "bad.html"
    page.write_text('<html><body><img src="http://example.com/pixel.png"></body></html>')
    assert _static_external_refs(page.read_text()) != []
    _browse(chromium, page, tmp_path / "p", recorder, "--dump-dom", "--virtual-time-budget=3000")
    assert "example.com" in _page_hosts(recorder.hits)


@pytest.mark.browser
def test_pdf_through_chromium(fitted_icp: ICP, chromium: str, tmp_path: Path) -> None:
    page = tmp_path / "icp.html"
    page.write_text(render_html(fitted_icp))
    pdf = html_to_pdf(page, tmp_path / "icp.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 10_000
