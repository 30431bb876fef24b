"""What a new user met running `icp detect`, `icp enrich` and `icp source` on real inputs.

Each test is a finding of the issue-17/16 audit: an output refused only after every site was
fetched, a missing table looked up in DNS, a saved page fetched as a domain, a progress bar
stopping at 46/47, a file that is not a WARC reported as "0 matching domains" with exit 0, and
a sourcing summary whose counts did not say what they counted. Real local HTTP servers and
real files in tmp_path.
"""

from __future__ import annotations

import gzip
import re
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import polars as pl
import pytest

from icpkit.cli import main

PAGE = (
    b"<!doctype html><html lang='en'><head><title>Acme</title>"
    b"<script src='https://code.jquery.com/jquery-3.6.0.min.js'></script></head>"
    b"<body><p>Acme sells anvils.</p></body></html>"
)


class _Server:
    """A local site that serves the same page on every path and remembers what was asked."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        seen = self.paths

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                seen.append(self.path)
                if self.path == "/robots.txt":
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(PAGE)))
                self.end_headers()
                self.wfile.write(PAGE)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def pages(self) -> set[str]:
        return {p for p in self.paths if p != "/robots.txt"}


class Ran:
    def __init__(self, code: int, output: str) -> None:
        self.exit_code, self.output = code, output


@pytest.fixture
def icp(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Ran]:
    """``icp`` through its entry point: exit codes and one-line errors as users see them."""

    def run(*args: str) -> Ran:
        monkeypatch.setattr(sys, "argv", ["icp", *args])
        monkeypatch.setenv("COLUMNS", "200")  # rich wraps tables at 80 columns otherwise
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        assert "Traceback" not in out.err + out.out
        return Ran(code, out.err + out.out)

    return run


@pytest.fixture
def site() -> Iterator[_Server]:
    srv = _Server()
    srv.thread.start()
    try:
        yield srv
    finally:
        srv.httpd.shutdown()
        srv.httpd.server_close()


def _net(tmp_path: Path) -> list[str]:
    return ["--allow-private", "--no-cache", "--workers", "1"]


def test_detect_refuses_an_existing_output_before_fetching_anything(
    icp: Callable[..., Ran], site: _Server, tmp_path: Path
) -> None:
    out = tmp_path / "stack.parquet"
    out.write_bytes(b"keep me")
    res = icp("detect", f"http://127.0.0.1:{site.port}/", *_net(tmp_path), "-o", str(out))
    assert res.exit_code == 2, res.output
    assert "already exists" in res.output and "--force" in res.output
    assert site.paths == []  # refused first: no site was fetched for nothing
    assert out.read_bytes() == b"keep me"


def test_enrich_refuses_an_existing_output_before_fetching_anything(
    icp: Callable[..., Ran], site: _Server, tmp_path: Path
) -> None:
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(f"name,website\nacme,http://127.0.0.1:{site.port}/\n")
    out = tmp_path / "enriched.parquet"
    out.write_bytes(b"keep me")
    res = icp(*["enrich", str(accounts), *_net(tmp_path), "-o", str(out)])
    assert res.exit_code == 2, res.output
    assert "already exists" in res.output
    assert site.paths == []
    # and with --force the job runs and replaces it
    res = icp(*["enrich", str(accounts), *_net(tmp_path), "-o", str(out), "--force"])
    assert res.exit_code == 0, res.output
    assert "jquery" in pl.read_parquet(out)["tech"][0]


def test_detect_names_a_missing_table_instead_of_looking_it_up_in_dns(
    icp: Callable[..., Ran], tmp_path: Path
) -> None:
    missing = tmp_path / "domains.csv"
    res = icp(*["detect", str(missing), "--no-cache"])
    assert res.exit_code == 2, res.output
    assert f"{missing}: no such file" in " ".join(res.output.split())
    assert "dns" not in res.output.lower()


def test_detect_refuses_a_saved_page_and_says_what_to_do(
    icp: Callable[..., Ran], tmp_path: Path
) -> None:
    for name, data in (("page.html", PAGE), ("page.html.gz", gzip.compress(PAGE))):
        page = tmp_path / name
        page.write_bytes(data)
        res = icp(*["detect", str(page), "--no-cache"])
        text = " ".join(res.output.split())
        assert res.exit_code == 1, res.output
        assert f"{page}: is a saved page, not a website" in text
        assert "--allow-private" in text and "Detector().detect" in text
        assert "dns" not in text.lower()
    mistyped = icp(*["detect", "pgae.html", "--no-cache"])
    assert mistyped.exit_code == 2 and "pgae.html: no such file" in mistyped.output


def test_the_enrich_progress_bar_counts_the_sites_fetched_so_it_ends_full(
    icp: Callable[..., Ran], site: _Server, tmp_path: Path
) -> None:
    """Blank websites are not fetched and two spellings of one page are fetched once; the bar's
    total counted them all and stopped at 46/47 (98%) on a finished job."""
    base = f"127.0.0.1:{site.port}"
    websites = [f"http://{base}/p{i}" for i in range(12)]
    websites += [f"{base}/p0", f"HTTP://{base}/p1", "", "   ", f"http://{base}/p2"]
    accounts = tmp_path / "accounts.csv"
    pl.DataFrame({"website": websites}).write_csv(accounts)
    out = tmp_path / "enriched.parquet"
    res = icp(*["enrich", str(accounts), *_net(tmp_path), "-o", str(out)])
    assert res.exit_code == 0, res.output
    fetched = len(site.pages())
    assert fetched == 12  # what the server saw: each page once
    assert f"{fetched}/{fetched} 100%" in res.output
    assert pl.read_parquet(out)["fetch_url"].null_count() == 2  # the two blanks


def _warc_record(rtype: str, url: str, block: bytes, content_type: str) -> bytes:
    head = (
        "WARC/1.0\r\n"
        f"WARC-Type: {rtype}\r\n"
        f"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-{abs(hash((rtype, url))) % 10**12:012d}>\r\n"
        "WARC-Date: 2026-09-20T10:00:00Z\r\n"
        f"WARC-Target-URI: {url}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(block)}\r\n\r\n"
    )
    return gzip.compress(head.encode() + block + b"\r\n\r\n", mtime=0)


def _http(body: bytes, ctype: str) -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


def _warc(path: Path) -> Path:
    """5 records: warcinfo, a request, 2 HTML pages (2 domains), a PNG (a third domain)."""
    http_ = "application/http; msgtype=response"
    records = [
        _warc_record("warcinfo", "", b"software: audit17\r\n", "application/warc-fields"),
        _warc_record(
            "request",
            "http://acme.example.com/",
            b"GET / HTTP/1.1\r\nHost: acme.example.com\r\n\r\n",
            "application/http; msgtype=request",
        ),
        _warc_record("response", "http://acme.example.com/", _http(PAGE, "text/html"), http_),
        _warc_record("response", "http://www.other.example.org/", _http(PAGE, "text/html"), http_),
        _warc_record(
            "response",
            "http://img.third.example.net/a.png",
            _http(b"\x89PNG...", "image/png"),
            http_,
        ),
    ]
    path.write_bytes(b"".join(records))
    return path


ICP = """format: 1
name: audit
segments:
- id: shopify
  name: runs Shopify; no live chat
  must:
  - column: tech
    has_any: [shopify]
  - column: tech
    has_none: [intercom, drift]
    category: live chat
"""


def _counts(output: str) -> dict[str, int]:
    rows = re.findall(r"│\s*([\d,]+)\s*│\s*(.+?)\s*│", output)
    return {what: int(n.replace(",", "")) for n, what in rows}


def test_source_summary_says_what_each_count_counts(
    icp: Callable[..., Ran], tmp_path: Path
) -> None:
    warc = _warc(tmp_path / "seg.warc.gz")
    (tmp_path / "icp.yaml").write_text(ICP)
    out = tmp_path / "found.parquet"
    args = ["source", "--icp", str(tmp_path / "icp.yaml"), "--warc", str(warc), "-o", str(out)]
    res = icp(*args)
    assert res.exit_code == 0, res.output
    counts = _counts(res.output)
    assert counts["WARC records read, of every type"] == 5
    assert counts["HTTP responses among them"] == 3
    assert counts["non-HTML responses (counted, bodies not read)"] == 1
    assert counts["pages detected (2xx HTML given to the detector)"] == 2
    assert counts["other records (requests, metadata, warcinfo …)"] == 2
    assert counts["registered domains seen"] == 3
    assert counts["matching domains"] == 0
    assert "of them with a page read (2xx HTML)" not in counts  # unknown without --all
    assert "no domain of 3 matched; --all keeps them all" in " ".join(res.output.split())
    res = icp(*[*args, "--all", "--force"])
    assert res.exit_code == 0, res.output
    assert _counts(res.output)["of them with a page read (2xx HTML)"] == 2  # the PNG's is not
    assert pl.read_parquet(out).height == 3
    assert "--all keeps" not in res.output


def test_source_on_a_file_that_is_not_a_warc_is_an_error_not_zero_matches(
    icp: Callable[..., Ran], tmp_path: Path
) -> None:
    (tmp_path / "icp.yaml").write_text(ICP)
    fake = tmp_path / "page.warc.gz"
    fake.write_bytes(gzip.compress(PAGE))  # a gzipped HTML page named like a WARC
    out = tmp_path / "found.parquet"
    res = icp(*["source", "--icp", str(tmp_path / "icp.yaml"), "--warc", str(fake), "-o", str(out)])
    assert res.exit_code == 1, res.output
    text = " ".join(res.output.split())
    assert f"no WARC record could be read from {fake}" in text
    assert "matching domains" not in text


def test_lint_lists_errors_before_warnings(icp: Callable[..., Ran], tmp_path: Path) -> None:
    """On the 4,000-technology set the one error sat at row 400-odd of 658, by name."""
    import json

    db = tmp_path / "db"
    (db / "technologies").mkdir(parents=True)
    (db / "categories.json").write_text(json.dumps({"1": {"name": "Widgets", "priority": 1}}))
    techs = {
        f"Alpha{i}": {"cats": [1], "scriptSrc": f"alpha{i}.*\\.js"}  # unbounded: a warning
        for i in range(3)
    }
    techs["Zulu"] = {"cats": [1], "scriptSrc": "zulu-(\\d)\\1\\.js"}  # backreference
    for letter in "az":
        part = {k: v for k, v in techs.items() if k[0].lower() == letter}
        (db / "technologies" / f"{letter}.json").write_text(json.dumps(part))
    res = icp("fingerprints", "lint", str(db))
    assert res.exit_code == 1, res.output
    rows = [line for line in res.output.splitlines() if line.startswith("│")]
    assert [r.split("│")[1].strip() for r in rows] == ["error", "warning", "warning", "warning"]
    assert "Zulu" in rows[0]
    assert "1 errors, 3 warnings" in res.output


def test_counts_agree_with_their_nouns(
    icp: Callable[..., Ran], site: _Server, tmp_path: Path
) -> None:
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(f"name,website\nacme,http://127.0.0.1:{site.port}/\n")
    res = icp("enrich", str(accounts), *_net(tmp_path), "-o", str(tmp_path / "e.parquet"))
    assert res.exit_code == 0, res.output
    assert "wrote 1 account to" in res.output
    res = icp("detect", "http://localhost:9/", "--no-cache")  # refused: loopback
    assert res.exit_code == 1
    text = " ".join(res.output.split())
    assert (
        "none of the 1 site could be read" in text and "1 was refused because it resolves" in text
    )


def test_source_warns_when_bodies_were_cut(icp: Callable[..., Ran], tmp_path: Path) -> None:
    """A live-chat widget loads near the end of a page: on a body cut short, "has no live-chat
    tool" was judged on the part read, with no word about it."""
    warc = _warc(tmp_path / "seg.warc.gz")
    (tmp_path / "icp.yaml").write_text(ICP)
    args = ["source", "--icp", str(tmp_path / "icp.yaml"), "--warc", str(warc)]
    res = icp(*args, "-o", str(tmp_path / "a.parquet"))
    assert res.exit_code == 0 and "were cut" not in res.output
    res = icp(*args, "-o", str(tmp_path / "b.parquet"), "--max-record-bytes", "40")
    assert res.exit_code == 0, res.output
    assert _counts(res.output)["bodies cut at --max-record-bytes"] == 2  # the HTML ones
    text = " ".join(res.output.split())
    assert "warning: 2 bodies were cut at --max-record-bytes" in text
    assert "'has no …' criteria on those pages were judged on the part read" in text


def test_a_missing_website_column_names_the_file_and_its_columns(
    icp: Callable[..., Ran], tmp_path: Path
) -> None:
    """A CSV exported with 'site' instead of 'website': the error said only "missing column(s)
    'website'", not which file nor what it holds."""
    table = tmp_path / "accounts.csv"
    table.write_text("name,site\nacme,acme.example\n")
    res = icp("enrich", str(table), "-o", str(tmp_path / "e.parquet"), "--no-cache")
    text = " ".join(res.output.split())
    assert res.exit_code == 1, res.output
    assert f"{table}: missing column(s) 'website'" in text
    assert "pass --domain-column; it has 'name', 'site'" in text
    res = icp("detect", str(table), "--no-cache")
    assert res.exit_code == 1 and "pass --column; it has 'name', 'site'" in res.output


def test_source_says_which_flag_allows_a_private_archive(
    icp: Callable[..., Ran], tmp_path: Path
) -> None:
    """`icp detect` says --allow-private for a loopback target; `icp source --warc` did not."""
    (tmp_path / "icp.yaml").write_text(ICP)
    args = ["source", "--icp", str(tmp_path / "icp.yaml"), "-o", str(tmp_path / "f.parquet")]
    res = icp(*args, "--warc", "http://127.0.0.1:9/seg.warc.gz")
    text = " ".join(res.output.split())
    assert res.exit_code == 1, res.output
    assert "refused http://127.0.0.1:9/seg.warc.gz: loopback" in text
    assert "pass --allow-private for an archive on your own network" in text
    res = icp(*args, "--warc", "http://169.254.169.254/seg.warc.gz")  # never allowed: no hint
    assert res.exit_code == 1 and "metadata" in res.output and "--allow-private" not in res.output
