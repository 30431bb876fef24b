"""Reading WARC files: every record shape an archive written by strangers can hold."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
import pytest

from icpkit.icp import ICP
from icpkit.sourcing.analyse import Analyser
from icpkit.sourcing.run import source_warc
from icpkit.sourcing.warc import ReadStats, iter_captures
from icpkit.technographics.detector import Detector
from tests.helpers import shared_file
from tests.sourcing.warcgen import (
    fixture_host,
    fixture_pages,
    fixture_records,
    http_response,
    warc_record,
    write_warc,
)

ANY = ICP.model_validate(
    {"segments": [{"id": "s", "name": "S", "must": [{"column": "tech", "has_any": ["php"]}]}]}
)


def _page(i: int, title: str = "Acme") -> tuple[str, bytes, dict]:
    url = f"https://www.s{i}.example/"
    body = f"<html><head><title>{title} {i}</title></head><body>hi</body></html>".encode()
    return url, warc_record(url, http_response(body)), {}


def _read(path: Path, **kw) -> tuple[list, ReadStats]:
    stats = ReadStats()
    with path.open("rb") as f:
        caps = list(iter_captures(f, path.name, stats=stats, **kw))
    return caps, stats


def test_every_bundled_fixture_page_is_read_and_its_technology_detected(tmp_path: Path) -> None:
    """476 fixture pages, one host each: every technology observable from a static page is
    found on its own domain (DNS-only fingerprints cannot be, and are not)."""
    pages = fixture_pages()
    names = sorted(pages)
    w = write_warc(tmp_path / "fx.warc.gz", fixture_records(names))
    res = source_warc([str(w.path)], ANY, keep_all=True)
    assert res.stats.responses == len(names) and res.stats.broken == 0
    assert res.domains == len(names)
    by_domain = dict(zip(res.frame["domain"], res.frame["tech"].to_list(), strict=True))
    missed = [n for i, n in enumerate(names) if n.lower() not in (by_domain[fixture_host(i)] or [])]
    # fixtures that show their technology only in DNS records, which an archive does not keep
    dns_only = {n for n in names if pages[n].get("dns")}
    assert set(missed) == dns_only
    assert 0 < len(dns_only) < 10


def _broken_file(tmp_path: Path) -> tuple[Path, int]:
    good = [_page(i) for i in range(6)]
    corrupt = bytearray(good[1][1])
    corrupt[40:60] = b"\x00" * 20  # inside the deflate stream
    cut = good[3][1][: len(good[3][1]) // 2]  # a member cut in half
    members = [good[0][1], bytes(corrupt), good[2][1], cut, good[4][1], b"garbage!!", good[5][1]]
    path = tmp_path / "broken.warc.gz"
    path.write_bytes(b"".join(members))
    return path, 4


def test_broken_records_are_counted_and_skipped_and_reading_goes_on(tmp_path: Path) -> None:
    path, _ = _broken_file(tmp_path)
    caps, stats = _read(path)
    assert [c.url for c in caps] == [f"https://www.s{i}.example/" for i in (0, 2, 4, 5)]
    # the corrupt member, the cut member and the garbage between members: three broken records
    assert stats.broken == 3
    assert stats.responses == 4 and stats.records == 7


def test_a_member_cut_short_mid_file_never_hides_the_records_after_it() -> None:
    """At every cut point of a gzip member followed by good ones. FastWARC, which checks no
    member's end, used to inflate the members after a cut one as its own and stop without an
    error at about a quarter of the cut points (the test above failed under some hash
    seeds): the records after it were lost and nothing was counted."""
    import io

    members = [_page(i)[1] for i in range(4)]
    lost = []
    for cut in range(1, len(members[1])):
        data = members[0] + members[1][:cut] + members[2] + members[3]
        stats = ReadStats()
        urls = [c.url for c in iter_captures(io.BytesIO(data), "cut", stats=stats)]
        if urls != [f"https://www.s{i}.example/" for i in (0, 2, 3)] or (
            stats.broken,
            stats.records,
        ) != (1, 4):
            lost.append((cut, urls, stats.broken, stats.records))
    assert lost == []


def test_a_file_cut_inside_its_last_record(tmp_path: Path) -> None:
    data = b"".join(m for _, m, _ in (_page(i) for i in range(3)))
    path = tmp_path / "cut.warc.gz"
    path.write_bytes(data[:-25])
    caps, stats = _read(path)
    assert [c.url for c in caps] == ["https://www.s0.example/", "https://www.s1.example/"]
    assert stats.broken == 1


def test_uncompressed_warc_and_a_broken_record_in_it(tmp_path: Path) -> None:
    recs = [
        warc_record(f"https://www.s{i}.example/", http_response(b"<html>x</html>"), compress=False)
        for i in range(3)
    ]
    bad = recs[1].replace(b"HTTP/1.1 200 OK", b"NOT HTTP AT ALL")
    path = tmp_path / "plain.warc"
    path.write_bytes(recs[0] + bad + recs[2])
    caps, stats = _read(path)
    assert [c.url for c in caps] == ["https://www.s0.example/", "https://www.s2.example/"]
    assert stats.broken == 1


def test_revisit_non_html_request_and_http10_records(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 50
    members = [
        warc_record("https://www.a.example/", http_response(b"<html>a</html>")),
        warc_record("https://www.a.example/", b"", rtype="request"),
        warc_record(
            "https://www.a.example/",
            http_response(b"", content_type=None),
            rtype="revisit",
            date="2026-10-01T00:00:00Z",
            extra={
                "WARC-Profile": "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"
            },
        ),
        warc_record("https://www.a.example/logo.png", http_response(png, content_type="image/png")),
        # HTTP/1.0, bare LF line ends, no reason phrase, no content type
        warc_record(
            "http://old.example/",
            b"HTTP/1.0 200\nServer: NCSA/1.5\n\n<html><title>Old</title></html>",
        ),
    ]
    path = tmp_path / "mixed.warc.gz"
    path.write_bytes(b"".join(members))
    caps, stats = _read(path)
    assert [c.kind for c in caps] == ["response", "revisit", "response", "response"]
    assert stats.revisits == 1 and stats.other_types == 1 and stats.non_html == 1
    assert stats.broken == 0
    old = caps[-1]
    assert old.status == 200 and old.is_html and "Old" in old.text()
    assert dict(old.headers)["Server"] == "NCSA/1.5"
    assert caps[2].body == b""  # non-HTML bodies are never read


@pytest.mark.parametrize(
    ("body", "content_type", "expect"),
    [
        ("Café Zürich".encode("latin-1"), "text/html; charset=ISO-8859-1", "Café Zürich"),
        (
            b'<meta charset="windows-1252"><title>' + "Société".encode("cp1252") + b"</title>",
            "text/html",
            "Société",
        ),
        (
            "\ufeffNaïve".encode("utf-16-le").replace(b"\xff\xfe", b"\xff\xfe", 1),
            "text/html",
            "Naïve",
        ),
        ("Ünïcode".encode(), "text/html", "Ünïcode"),
        ("Ärger".encode("cp1252"), "text/html", "Ärger"),  # undeclared, not UTF-8
    ],
)
def test_charsets_from_headers_meta_and_bom(
    tmp_path: Path, body: bytes, content_type: str, expect: str
) -> None:
    if body.startswith(b"\xff\xfe"):
        pass
    elif body.startswith("\ufeff".encode("utf-16-le")):
        body = b"\xff\xfe" + body[2:]
    path = tmp_path / "cs.warc.gz"
    path.write_bytes(
        warc_record("https://x.example/", http_response(body, content_type=content_type))
    )
    (cap,), _ = _read(path)
    assert expect in cap.text()


def test_stored_content_encoding_is_decoded_within_the_fetchers_bound(tmp_path: Path) -> None:
    page = b"<html><title>Zipped</title>" + b"<p>x</p>" * 100 + b"</html>"
    bomb = gzip.compress(b"<html>" + b"\x20" * (20 * 1024 * 1024), mtime=0)  # 20 MB of spaces
    path = tmp_path / "enc.warc.gz"
    path.write_bytes(
        warc_record(
            "https://z.example/",
            http_response(gzip.compress(page), headers={"Content-Encoding": "gzip"}),
        )
        + warc_record(
            "https://bomb.example/", http_response(bomb, headers={"Content-Encoding": "gzip"})
        )
    )
    caps, stats = _read(path, max_record_bytes=1024 * 1024)
    assert caps[0].body == page and not caps[0].truncated
    assert len(caps[1].body) == 1024 * 1024 and caps[1].truncated  # cut inside the decoder
    assert stats.cut == 1


def test_hostile_archived_pages_are_bounded_and_the_job_goes_on(tmp_path: Path) -> None:
    deep = b"<html><title>Deep</title>" + b"<div>" * 100_000 + b"</html>"
    path = tmp_path / "hostile.warc.gz"
    path.write_bytes(warc_record("https://deep.example/", http_response(deep)) + _page(1)[1])
    analyser = Analyser(Detector(), page_cpu_seconds=30.0)
    with path.open("rb") as f:
        rows = analyser.frame(iter_captures(f, "h"))
    assert rows["good"].to_list() == [True, True]  # the parser's depth cut applied
    tight = Analyser(Detector(), page_cpu_seconds=1e-4)
    with path.open("rb") as f:
        rows = tight.frame(iter_captures(f, "h"))
    deep_row = rows.filter(pl.col("host") == "deep.example").row(0, named=True)
    assert deep_row["good"] is False and "CPU budget" in deep_row["error"]
    assert rows.height == 2


def test_the_real_2008_archive(tmp_path: Path) -> None:
    path = shared_file("data", "warc-aut-2008", "example.warc.gz")
    caps, stats = _read(path)
    # 299 response records: 261 HTTP responses and 38 dns: lookups (Heritrix) that are not pages
    assert stats.responses == 261 and stats.other_types - 261 - 261 - 1 == 38
    assert stats.broken == 0
    html = [c for c in caps if c.is_html and c.status == 200]
    assert len(html) >= 90
    res = source_warc([str(path)], ANY, keep_all=True)
    archive = res.frame.filter(pl.col("domain") == "archive.org").row(0, named=True)
    assert archive["page_url"] == "http://www.archive.org/"  # the home page is the observation
    assert "apache http server" in archive["tech"]
    history = {h["tech"] for h in archive["tech_history"]}
    assert {"apache http server", "php"} <= history  # PHP shows on other pages of the domain
    assert archive["captures"] > 50
    assert archive["first_seen"].year == 2008
