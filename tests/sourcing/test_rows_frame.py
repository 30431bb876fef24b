"""The per-record step's cheaper paths give the rows the plain ones gave.

Rows become a frame through Arrow (:func:`~icpkit.sourcing.analyse.rows_frame`) and the analyser
remembers, per combination of signals a page carries, its category counts and observable tools;
a record stored without a ``Content-Encoding`` skips the decoder. Each test holds one of these to
an independent reference: polars' own constructor, an analyser that has seen no other page, the
body bytes as written.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from icpkit.icp import ICP
from icpkit.sourcing.analyse import ROW_SCHEMA, Analyser, rows_frame
from icpkit.sourcing.run import make_analyser
from icpkit.sourcing.warc import ReadStats, iter_captures
from icpkit.technographics.detector import Detector
from tests.helpers import shared_file
from tests.sourcing.warcgen import (
    fixture_pages,
    fixture_records,
    http_response,
    warc_record,
    write_warc,
)

# categories and tools asked about, the country and key-page signals read: every column filled
ICP_FULL = ICP.model_validate(
    {
        "segments": [
            {
                "id": "s",
                "name": "S",
                "must": [
                    {"column": "tech", "has_any": ["php", "jquery", "wordpress"]},
                    {"column": "tech", "has_none": ["intercom", "drift"], "category": "live chat"},
                    {"column": "tech", "has_none": ["hotjar"], "category": "analytics"},
                    {"column": "tech", "has_none": ["google analytics", "intercom"]},
                    {"column": "country", "in": ["us", "gb"]},
                    {"column": "has_pricing_page", "is": True},
                ],
            }
        ]
    }
)


def _polars_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """The reference: polars' own constructor over the columns, as rows_frame once was."""
    return pl.DataFrame({name: [r[name] for r in rows] for name in ROW_SCHEMA}, schema=ROW_SCHEMA)


def _captures(tmp_path: Path) -> list[Any]:
    names = sorted(fixture_pages())[:60]
    made = write_warc(tmp_path / "a.warc.gz", fixture_records(names))
    # the real 2008 archive: revisits, dns: records, non-HTML, 404s, old charsets
    paths = [made.path, shared_file("data", "warc-aut-2008", "example.warc.gz")]
    out: list[Any] = []
    for path in paths:
        with Path(path).open("rb") as f:
            out.extend(iter_captures(f, str(path)))
    return out


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector()


def test_rows_frame_equals_polars_own_constructor_on_real_rows(
    tmp_path: Path, detector: Detector
) -> None:
    captures = _captures(tmp_path)
    analyser = make_analyser(ICP_FULL, detector)
    rows = [analyser.row(c) for c in captures]
    rows += [analyser.preview(c, links=True) for c in captures[:30]]  # facts None, links read
    deep = b"<html><title>Deep</title>" + b"<div>" * 100_000 + b"</html>"
    path = tmp_path / "deep.warc.gz"
    path.write_bytes(warc_record("https://deep.example/", http_response(deep)))
    tight = Analyser(detector, categories=["live chat"], page_cpu_seconds=1e-4)
    with path.open("rb") as f:
        rows += [tight.row(c) for c in iter_captures(f, "deep")]  # past the budget: no facts
    assert any(r["facts"] for r in rows) and any(r["facts"] is None for r in rows)
    assert any(r["error"] for r in rows) and any(r["tech"] == [] for r in rows)
    frame = rows_frame(rows)
    assert frame.schema == pl.Schema(ROW_SCHEMA)
    assert_frame_equal(frame, _polars_frame(rows))
    assert_frame_equal(rows_frame([]), _polars_frame([]))


_text = st.one_of(st.none(), st.text(max_size=12))
_texts = st.one_of(st.none(), st.lists(st.text(max_size=8), max_size=4))
_fact = st.fixed_dictionaries(
    {
        "category": _text,
        "detected": _texts,
        "fingerprinted": st.one_of(st.none(), st.integers(0, 5000)),
        "observable": st.one_of(st.none(), st.integers(0, 5000)),
    }
)
_when = st.one_of(
    st.none(),
    st.datetimes(
        min_value=datetime(1990, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.just(timezone.utc),
    ),
)
_bool = st.one_of(st.none(), st.booleans())
_int = st.one_of(st.none(), st.integers(-(2**40), 2**40))
_BY_TYPE = {
    pl.String: _text,
    pl.Boolean: _bool,
    pl.Int64: _int,
    pl.Datetime("us", "UTC"): _when,
    pl.List(pl.String): _texts,
}
_row = st.fixed_dictionaries(
    {
        name: st.one_of(st.none(), st.lists(_fact, max_size=3))
        if name == "facts"
        else _BY_TYPE[dtype]
        for name, dtype in ROW_SCHEMA.items()
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_row, max_size=6))
def test_rows_frame_equals_polars_own_constructor_on_any_rows(rows: list[dict]) -> None:
    """Nulls, empty lists, nulls inside lists and structs, any text: the same frame."""
    assert_frame_equal(rows_frame(rows), _polars_frame(rows))


def test_remembered_facts_and_tools_are_those_of_a_fresh_analyser(
    tmp_path: Path, detector: Detector
) -> None:
    """Pages with and without headers, cookies and HTML share one analyser; each row equals
    the row of an analyser that has seen no page before it."""
    page = b"<html><head><title>Acme</title></head><body><p>hello</p></body></html>"
    records = [
        warc_record("https://a.example/", http_response(page)),
        warc_record(
            "https://b.example/",
            http_response(page, headers={"Set-Cookie": "intercom-session-x=1; Path=/"}),
        ),
        warc_record("https://c.example/", http_response(b"", content_type="text/html")),
        warc_record(
            "https://e.example/",
            http_response(b"", content_type="text/html", headers={"Set-Cookie": "_ga=GA1"}),
        ),
        warc_record("https://d.example/", http_response(page, content_type=None)),
    ]
    path = tmp_path / "mix.warc.gz"
    path.write_bytes(b"".join(records))
    with path.open("rb") as f:
        captures = list(iter_captures(f, "mix")) + _captures(tmp_path)[:40]
    shared = make_analyser(ICP_FULL, detector)
    shared_rows = [shared.row(c) for c in captures]
    fresh_rows = [make_analyser(ICP_FULL, detector).row(c) for c in captures]
    assert shared_rows == fresh_rows
    assert len(shared._tools_seen) >= 2  # the combinations did differ
    by_url = {r["url"]: r for r in shared_rows}
    # what a page could show: HTML shows both tools, a bare cookie only the one with cookies
    assert by_url["https://b.example/"]["tools_observable"] == ["google analytics", "intercom"]
    assert by_url["https://c.example/"]["tools_observable"] == []
    assert by_url["https://e.example/"]["tools_observable"] == ["google analytics"]


@pytest.mark.parametrize(
    ("size", "cut"), [(1000, False), (1024, False), (1025, True), (5000, True)]
)
def test_a_body_stored_without_encoding_is_cut_at_the_cap(
    tmp_path: Path, size: int, cut: bool
) -> None:
    body = b"<html>" + b"x" * (size - 6)
    path = tmp_path / "cap.warc.gz"
    path.write_bytes(warc_record("https://cap.example/", http_response(body)))
    stats = ReadStats()
    with path.open("rb") as f:
        (capture,) = iter_captures(f, "cap", max_record_bytes=1024, stats=stats)
    assert capture.body == body[:1024]
    assert capture.truncated is cut and stats.cut == int(cut)
