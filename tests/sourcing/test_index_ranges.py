"""Index lookup (DuckDB over a Common Crawl style Parquet index) and byte-range reads from a
local mirror or an HTTP archive (a local server with range support), politely and safely."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import httpx
import polars as pl
import pytest

from icpkit.errors import IcpkitError, InputError, NetworkRefused
from icpkit.icp import ICP
from icpkit.sourcing.index import lookup
from icpkit.sourcing.ranges import ArchiveReader, RecordRef, check_archive_url
from icpkit.sourcing.run import source_index, source_warc
from tests.sourcing.ccindex import write_index
from tests.sourcing.warcgen import (
    fixture_pages,
    fixture_records,
    http_response,
    warc_record,
    write_warc,
)

ICP_PHP = ICP.model_validate(
    {"segments": [{"id": "s", "name": "S", "must": [{"column": "tech", "has_any": ["php"]}]}]}
)
CRAWL = "CC-MAIN-2026-40"


def _archive(root: Path, n: int = 30) -> tuple[list[str], list]:
    """Two WARC files of fixture home pages plus a pricing page and a 404 for some domains."""
    names = sorted(fixture_pages())[:n]
    recs = fixture_records(names)
    extra = []
    for i in (0, 1):
        host = f"site{i:04d}.example"
        url = f"https://www.{host}/pricing"
        extra.append(
            (url, warc_record(url, http_response(b"<html><title>Pricing</title></html>")), {})
        )
    seg = root / "crawl-data" / CRAWL / "segments" / "1" / "warc"
    seg.mkdir(parents=True)
    a = write_warc(seg / "a.warc.gz", recs[: n // 2] + extra)
    b = write_warc(seg / "b.warc.gz", recs[n // 2 :])
    rel = lambda p: str(p.relative_to(root))  # noqa: E731
    files = [(rel(a.path), a), (rel(b.path), b)]
    domains = [f"site{i:04d}.example" for i in range(n)]
    return domains, files


def test_lookup_finds_home_and_key_pages_by_cc_field_names(tmp_path: Path) -> None:
    domains, files = _archive(tmp_path / "archive")
    index = write_index(tmp_path, CRAWL, files)
    hits = lookup(
        ["https://www.site0000.example/", "site0003.example", "nowhere.example"], index, crawl=CRAWL
    )
    assert hits.filter(pl.col("domain") == "site0000.example")["page_kind"].sort().to_list() == [
        "home",
        "pricing",
    ]
    assert set(hits["domain"]) == {"site0000.example", "site0003.example"}
    assert lookup(domains, index, crawl="CC-MAIN-1999-01").height == 0
    bad = tmp_path / "bad"
    bad.mkdir()
    pl.DataFrame({"x": [1]}).write_parquet(bad / "x.parquet")
    with pytest.raises(InputError, match="not a Common Crawl URL index"):
        lookup(domains, bad)


def test_index_and_range_reads_over_http_equal_streaming_the_same_files(
    tmp_path: Path, range_server
) -> None:
    domains, files = _archive(range_server.root)
    index = write_index(tmp_path, CRAWL, files)
    wanted = [*domains[::2], "unknown.example"]
    got = source_index(
        wanted, ICP_PHP, index=index, archive=range_server.url, crawl=CRAWL, allow_private=True,
        keep_all=True, rate=200,
    )  # fmt: skip
    streamed = source_warc([str(written.path) for _, written in files], ICP_PHP, keep_all=True)
    want = streamed.frame.filter(pl.col("domain").is_in(wanted))
    assert got.frame.height == len(wanted)  # the list goes in, the same list comes out
    unknown = got.frame.filter(pl.col("domain") == "unknown.example").row(0, named=True)
    assert unknown["matched"] is False and unknown["page_url"] is None
    known = got.frame.filter(pl.col("domain") != "unknown.example")
    cols = ["domain", "matched", "page_url", "tech", "has_pricing_page", "criteria_met"]
    assert known.select(cols).equals(want.select(cols))
    ranges = [r for r in range_server.log if r[2]]
    assert all(status == 206 for *_, status in ranges)
    assert len(ranges) == got.captures  # one range request per record, nothing else


def test_a_local_mirror_reads_the_same(tmp_path: Path) -> None:
    root = tmp_path / "mirror"
    domains, files = _archive(root)
    index = write_index(tmp_path, CRAWL, files)
    got = source_index(domains, ICP_PHP, index=index, archive=str(root), crawl=CRAWL, keep_all=True)
    assert got.frame.height == len(domains) and got.stats.broken == 0
    assert got.matched == int(
        source_warc([str(w.path) for _, w in files], ICP_PHP, keep_all=True).matched
    )


def test_retries_then_reads_and_spaces_requests_to_the_archive_host(range_server) -> None:
    rec = warc_record("https://x.example/", http_response(b"<html>x</html>"))
    (range_server.root / "f.warc.gz").write_bytes(rec * 5)
    range_server.fail_first = 2
    reader = ArchiveReader(range_server.url, allow_private=True, rate=20, backoff=0.01)
    refs = [RecordRef("f.warc.gz", i * len(rec), len(rec)) for i in range(5)]
    caps = list(reader.captures(refs))
    reader.close()
    assert [c.url for c in caps] == ["https://x.example/"] * 5
    assert [c.offset for c in caps] == [r.offset for r in refs]
    statuses = [s for *_, s in range_server.log]
    assert statuses == [503, 503, 206, 206, 206, 206, 206]
    # never faster than the rate: the span of the 7 requests, not each gap, because the server
    # thread logging a request late under load makes that one gap look short (a lower bound)
    times = [t for t, *_ in range_server.log]
    assert times[-1] - times[0] >= 6 / 20 * 0.8


def test_a_server_without_range_support_and_oversized_records_are_skipped(range_server) -> None:
    rec = warc_record("https://x.example/", http_response(b"<html>x</html>"))
    (range_server.root / "f.warc.gz").write_bytes(rec)
    range_server.ignore_range = True
    reader = ArchiveReader(range_server.url, allow_private=True, rate=100, max_record_bytes=10_000)
    caps = list(
        reader.captures([RecordRef("f.warc.gz", 0, len(rec)), RecordRef("f.warc.gz", 0, 50_000)])
    )
    assert caps == [] and reader.stats.broken == 2
    assert "ignores Range" in reader.errors[0] and "outside 1..10000" in reader.errors[1]
    assert len(range_server.log) == 1  # the oversized record was refused before any request


def test_the_ssrf_guard_applies_to_the_archive_url(tmp_path: Path, range_server) -> None:
    with pytest.raises(NetworkRefused):
        check_archive_url(range_server.url)  # loopback without allow_private
    with pytest.raises(NetworkRefused):
        check_archive_url("http://169.254.169.254/latest/", allow_private=True)
    with pytest.raises(NetworkRefused):
        check_archive_url("file:///etc/passwd")
    reader = ArchiveReader(range_server.url)  # guarded transport, private addresses refused
    (range_server.root / "f.warc.gz").write_bytes(b"x" * 100)
    assert list(reader.captures([RecordRef("f.warc.gz", 0, 100)])) == []
    assert reader.stats.broken == 1 and range_server.log == []
    with pytest.raises(IcpkitError, match="outside the archive"):
        ArchiveReader(str(tmp_path)).read_bytes(RecordRef("../../etc/passwd", 0, 10))
    assert httpx  # the transport under test is httpx's


def test_history_across_two_crawls(tmp_path: Path) -> None:
    root = tmp_path / "mirror"
    old_html = b'<html><script src="/js/jquery-1.4.2.min.js"></script></html>'
    new_html = b'<html><div data-reactroot=""></div><script src="/react.production.min.js"></script></html>'
    for crawl, html, when in (
        ("CC-MAIN-2025-05", old_html, datetime(2025, 1, 20, tzinfo=timezone.utc)),
        ("CC-MAIN-2026-40", new_html, datetime(2026, 9, 20, tzinfo=timezone.utc)),
    ):
        folder = root / crawl
        folder.mkdir(parents=True)
        url = "https://www.acme.example/"
        w = write_warc(
            folder / "x.warc.gz",
            [(url, warc_record(url, http_response(html), date=when.isoformat().replace("+00:00", "Z")),
              {"fetch_time": when})],
        )  # fmt: skip
        write_index(tmp_path, crawl, [(f"{crawl}/x.warc.gz", w)])
    index = tmp_path / "cc-index"
    got = source_index(["acme.example"], ICP_PHP, index=index, archive=str(root), keep_all=True)
    row = got.frame.row(0, named=True)
    assert row["tech"] == ["react"]  # the latest crawl is the observation
    history = {h["tech"]: h for h in row["tech_history"]}
    assert history["jquery"]["last_seen"].year == 2025
    assert history["react"]["first_seen"].year == 2026
    assert [d.year for d in row["capture_dates"]] == [2025, 2026]


def test_warc_files_streamed_from_urls_through_the_guard(tmp_path: Path, range_server) -> None:
    names = sorted(fixture_pages())[:12]
    write_warc(range_server.root / "seg.warc.gz", fixture_records(names))
    local = source_warc([str(range_server.root / "seg.warc.gz")], ICP_PHP, keep_all=True)
    url = f"{range_server.url}/seg.warc.gz"
    remote = source_warc([url], ICP_PHP, keep_all=True, allow_private=True)
    cols = ["domain", "matched", "tech", "criteria_met"]
    assert remote.frame.select(cols).equals(local.frame.select(cols))
    assert remote.frame.height == 12
    with pytest.raises(NetworkRefused):
        source_warc([url], ICP_PHP)  # loopback is refused unless allowed
    assert len(range_server.log) == 1
