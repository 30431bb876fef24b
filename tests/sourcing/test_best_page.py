"""Choosing each domain's page before detection (``source_warc(pages="best")``), reading only
the page signals the ICP asks about, and re-reading records by offset."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icpkit.errors import UsageError
from icpkit.icp import ICP
from icpkit.sourcing.run import source_warc
from icpkit.sourcing.warc import captures_at, iter_captures
from icpkit.technographics.detector import Detector
from tests.helpers import shared_file
from tests.sourcing.warcgen import http_response, warc_record

JQUERY = '<script src="/js/jquery-3.6.0.min.js"></script>'
REACT = '<div data-reactroot=""></div><script src="/static/react.production.min.js"></script>'
SHOPIFY = '<script src="https://cdn.shopify.com/s/files/1/theme.js"></script>'
STACKS = (JQUERY, REACT, SHOPIFY, "")

ICP_PAGES = ICP.model_validate(
    {
        "segments": [
            {
                "id": "s",
                "name": "Shops with a pricing page",
                "must": [
                    {"column": "tech", "has_any": ["shopify", "react"]},
                    {"column": "has_pricing_page", "is": True},
                ],
            }
        ]
    }
)
ICP_TECH = ICP.model_validate(
    {"segments": [{"id": "s", "name": "S", "must": [{"column": "tech", "has_any": ["jquery"]}]}]}
)


class CountingDetector:
    """The real detector, counting the pages it is asked about and failing on chosen URLs
    (as a page over its CPU budget does: the analyser records the error, the page is not
    good)."""

    def __init__(self, detector: Detector, fail: frozenset[str] = frozenset()) -> None:
        self._detector = detector
        self.fail = fail
        self.urls: list[str] = []

    def detect(self, page: Any) -> Any:
        self.urls.append(page.url)
        if page.url in self.fail:
            raise RuntimeError("planted failure")
        return self._detector.detect(page)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._detector, name)


_DETECTOR = Detector()


def _page(title: str, extra: str, links: str = "") -> bytes:
    return (f"<html><head><title>{title}</title></head><body>{extra}{links}</body></html>").encode()


def _write(path: Path, records: list[bytes]) -> str:
    path.write_bytes(b"".join(records))
    return str(path)


def _site(
    tmp_path: Path,
) -> tuple[list[str], int, int]:
    """Two files; domains whose captures spread over both, with every kind of record the
    choice must rank: older and newer home pages, other pages, a pricing page, a later 503,
    a redirect, a revisit, an image. (paths, good HTML pages, domains with one)."""
    rng = random.Random(3)
    files: list[list[bytes]] = [[], []]
    good = 0
    domains = 0
    for d in range(12):
        host = f"https://www.site{d:02d}.example"
        domains += 1
        pages = [
            (f"{host}/", "2026-01-05T00:00:00Z", 200, rng.choice(STACKS)),
            (f"{host}/", "2026-03-05T00:00:00Z", 200, rng.choice(STACKS)),
            (f"{host}/about", "2026-04-01T00:00:00Z", 200, rng.choice(STACKS)),
            (f"{host}/pricing", "2026-02-01T00:00:00Z", 200, rng.choice(STACKS)),
            (f"{host}/", "2026-05-01T00:00:00Z", 503, ""),
            (f"{host}/old", "2026-05-02T00:00:00Z", 301, ""),
        ]
        if d % 3 == 0:  # no home page captured well: an inner page is the observation
            pages = [p for p in pages if not p[0].endswith("/") or p[2] != 200]
        for url, when, status, stack in pages:
            links = '<a href="/plans">Plans</a>' if d % 4 == 1 and "about" in url else ""
            block = http_response(_page(f"Site {d}", stack, links), status=f"HTTP/1.1 {status} X")
            files[rng.randrange(2)].append(warc_record(url, block, date=when))
            good += status == 200
        files[d % 2].append(
            warc_record(f"{host}/", b"", rtype="revisit", date="2026-06-01T00:00:00Z")
        )
        files[d % 2].append(
            warc_record(
                f"{host}/logo.png",
                http_response(b"\x89PNG...", content_type="image/png"),
                date="2026-03-05T00:00:00Z",
            )
        )
    paths = [_write(tmp_path / f"part-{i}.warc.gz", recs) for i, recs in enumerate(files)]
    return paths, good, domains


def _same_but_history(best: pl.DataFrame, every: pl.DataFrame) -> None:
    from polars.testing import assert_frame_equal

    assert_frame_equal(best.drop("tech_history"), every.drop("tech_history"))


def test_best_page_is_chosen_before_detection_and_the_result_is_the_same(tmp_path: Path) -> None:
    paths, good, domains = _site(tmp_path)
    every_det = CountingDetector(_DETECTOR)
    every = source_warc(paths, ICP_PAGES, detector=every_det, keep_all=True)
    best_det = CountingDetector(_DETECTOR)
    best = source_warc(paths, ICP_PAGES, detector=best_det, keep_all=True, pages="best")
    assert len(every_det.urls) == good  # every good HTML page detected
    assert len(best_det.urls) == domains  # one page a domain
    _same_but_history(best.frame, every.frame)
    assert best.stats == every.stats and best.captures == every.captures
    assert every.matched == best.matched > 0
    # key pages still pool every page: the /plans link sits on an /about page, never chosen
    site01 = best.frame.filter(pl.col("domain") == "site01.example").row(0, named=True)
    assert site01["page_url"] == "https://www.site01.example/"
    assert site01["has_pricing_page"] is True
    # the observation's own technologies are in the history; other pages' are not read
    for row in best.frame.iter_rows(named=True):
        assert {h["tech"] for h in row["tech_history"]} == set(row["tech"])


def test_a_failed_choice_hands_over_to_the_next_candidate(tmp_path: Path) -> None:
    paths, _, domains = _site(tmp_path)
    # both home captures of site01 and site02 fail (one URL, two dates); site03 has no home
    # page and both its good pages fail, so it keeps no good page at all
    fail = frozenset(
        {
            "https://www.site01.example/",
            "https://www.site02.example/",
            "https://www.site03.example/about",
            "https://www.site03.example/pricing",
        }
    )
    every = source_warc(paths, ICP_PAGES, detector=CountingDetector(_DETECTOR, fail), keep_all=True)
    det = CountingDetector(_DETECTOR, fail)
    best = source_warc(paths, ICP_PAGES, detector=det, keep_all=True, pages="best")
    _same_but_history(best.frame, every.frame)
    site02 = best.frame.filter(pl.col("domain") == "site02.example").row(0, named=True)
    assert site02["page_url"] == "https://www.site02.example/about"  # the next candidate
    assert len(det.urls) == (domains - 1) + 6  # eleven choices that hold, six failures
    assert det.urls.count("https://www.site01.example/") == 2  # both its home captures tried
    site03 = best.frame.filter(pl.col("domain") == "site03.example").row(0, named=True)
    assert site03["good"] is False and site03["tech"] is None  # no page read well


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    layout=st.lists(
        st.tuples(
            st.integers(0, 4),  # domain
            st.sampled_from(["/", "/pricing", "/about", "/index.html", "/?q=1"]),
            st.integers(1, 28),  # day
            st.sampled_from([200, 200, 200, 404, 302]),
            st.sampled_from(STACKS),
            st.integers(0, 2),  # file
        ),
        min_size=1,
        max_size=14,
    ),
    icp=st.sampled_from([ICP_PAGES, ICP_TECH]),
)
def test_best_equals_every_page_on_any_layout(
    tmp_path_factory: Any, layout: list, icp: ICP
) -> None:
    tmp = tmp_path_factory.mktemp("layout")
    files: list[list[bytes]] = [[], [], []]
    for d, path, day, status, stack, file in layout:
        url = f"https://d{d}.example{path}"
        block = http_response(_page(f"D{d}", stack), status=f"HTTP/1.1 {status} X")
        files[file].append(warc_record(url, block, date=f"2026-02-{day:02d}T00:00:00Z"))
    paths = [_write(tmp / f"{i}.warc.gz", recs) for i, recs in enumerate(files) if recs]
    every = source_warc(paths, icp, detector=_DETECTOR, keep_all=True)
    best = source_warc(paths, icp, detector=_DETECTOR, keep_all=True, pages="best")
    _same_but_history(best.frame, every.frame)


def test_the_real_2008_archive_detects_three_pages_for_three_domains() -> None:
    path = str(shared_file("data", "warc-aut-2008", "example.warc.gz"))
    every_det, best_det = CountingDetector(_DETECTOR), CountingDetector(_DETECTOR)
    every = source_warc([path], ICP_TECH, detector=every_det, keep_all=True)
    best = source_warc([path], ICP_TECH, detector=best_det, keep_all=True, pages="best")
    _same_but_history(best.frame, every.frame)
    # 94 good HTML pages of 9 domains, 3 of which have one
    assert len(every_det.urls) == 94 and best.domains == 9
    assert every.analysed == 94 and best.analysed == 3 and best.captures == every.captures
    assert sorted(best_det.urls) == [
        "http://deadlists.com/deadlists/showresults.asp?KEY=12/28/88",
        "http://www.archive.org/",
        "http://www.hideout.com.br/",
    ]
    archive = best.frame.filter(pl.col("domain") == "archive.org").row(0, named=True)
    assert archive["page_url"] == "http://www.archive.org/" and archive["captures"] > 50


def test_best_is_refused_where_it_cannot_see_every_capture(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="single engine"):
        source_warc([], ICP_TECH, engine="spark", pages="best")
    with pytest.raises(UsageError, match="all or best"):
        source_warc([], ICP_TECH, pages="some")


def test_signals_are_read_only_where_a_criterion_looks(tmp_path: Path) -> None:
    html = (
        '<html lang="de"><head><meta property="og:site_name" content="Acme GmbH"></head>'
        '<body><a href="/preise">Preise</a><a href="tel:+49 30 1234567">Anrufen</a>'
        f"{JQUERY}</body></html>"
    )
    path = _write(
        tmp_path / "de.warc.gz",
        [warc_record("https://www.acme.de/", http_response(html.encode()))],
    )
    plain = source_warc([path], ICP_TECH, detector=_DETECTOR, keep_all=True).frame.row(
        0, named=True
    )
    # the cheap ones always: the name leads the output
    assert plain["company_name"] == "Acme GmbH" and plain["language"] == "de"
    # no criterion reads the country or key pages: not read, null (never a guessed False)
    assert plain["country"] is None and plain["country_hints"] is None
    assert plain["has_pricing_page"] is None and plain["matched"] is True
    asking = ICP.model_validate(
        {"segments": [{"id": "s", "name": "S", "must": [
            {"column": "country", "in": ["de"]},
            {"column": "has_pricing_page", "is": True},
        ]}]}
    )  # fmt: skip
    read = source_warc([path], asking, detector=_DETECTOR, keep_all=True).frame.row(0, named=True)
    assert read["has_pricing_page"] is True and read["matched"] is True
    assert "de (phone)" in read["country_hints"]
    # --all reads no more than a plain run: its matching rows are the plain run's rows
    from polars.testing import assert_frame_equal

    full = source_warc([path], asking, detector=_DETECTOR, keep_all=True).frame
    assert_frame_equal(full.filter(pl.col("matched")), source_warc([path], asking).frame)


@pytest.mark.parametrize("compress", [True, False])
def test_records_are_read_again_by_offset(tmp_path: Path, compress: bool) -> None:
    recs = [
        warc_record(
            f"https://www.s{i}.example/",
            http_response(_page(f"S{i}", STACKS[i % 4])),
            compress=compress,
        )
        for i in range(9)
    ]
    recs.insert(4, warc_record("dns:s.example", b"1.2.3.4", compress=compress))
    path = _write(tmp_path / "r.warc", recs)
    with open(path, "rb") as f:  # noqa: PTH123
        caps = list(iter_captures(f, path))
        chosen = [caps[7].offset, caps[2].offset, caps[5].offset]
        again = list(captures_at(f, path, chosen))
    assert again == [caps[7], caps[2], caps[5]]
    with open(path, "rb") as f:  # noqa: PTH123
        # an offset where no record starts reads nothing (the caller records it)
        assert list(captures_at(f, path, [caps[3].offset + 1])) == []


def test_spark_hands_out_the_largest_local_files_first(tmp_path: Path) -> None:
    from icpkit.sourcing.spark import _size

    small, large = tmp_path / "small.warc.gz", tmp_path / "large.warc.gz"
    small.write_bytes(b"x" * 10)
    large.write_bytes(b"x" * 1000)
    paths = [str(small), "https://a.example/1.warc.gz", str(large), str(tmp_path / "gone")]
    assert sorted(paths, key=_size, reverse=True) == [
        str(large),
        str(small),
        "https://a.example/1.warc.gz",  # unknown sizes keep their order, after the rest
        str(tmp_path / "gone"),
    ]


def test_best_over_warc_urls_downloads_each_file_once(tmp_path: Path, range_server: Any) -> None:
    paths, _, domains = _site(tmp_path)
    urls = []
    for path in paths:
        name = Path(path).name
        (range_server.root / name).write_bytes(Path(path).read_bytes())
        urls.append(f"{range_server.url}/{name}")
    seen: list[str] = []
    det = CountingDetector(_DETECTOR)
    best = source_warc(
        urls, ICP_PAGES, detector=det, keep_all=True, pages="best", allow_private=True,
        on_file=seen.append,
    )  # fmt: skip
    every = source_warc(paths, ICP_PAGES, detector=_DETECTOR, keep_all=True)
    # the frames name the files they read (URLs here), everything else is the same
    assert best.frame.drop("tech_history").equals(every.frame.drop("tech_history"))
    assert seen == urls and len(det.urls) == domains
    assert [r[1] for r in range_server.log] == [f"/{Path(p).name}" for p in paths]


def test_a_record_that_no_longer_reads_is_not_good_and_says_why(tmp_path: Path) -> None:
    first = _write(
        tmp_path / "a.warc.gz",
        [warc_record("https://www.alpha.example/", http_response(_page("Alpha", JQUERY)))],
    )
    second = _write(
        tmp_path / "b.warc.gz",
        [warc_record("https://www.beta.example/", http_response(_page("Beta", JQUERY)))],
    )

    def change_the_first(path: str) -> None:  # between the two reads of the first file
        if path == second:
            Path(first).write_bytes(b"\0" * Path(first).stat().st_size)

    res = source_warc(
        [first, second], ICP_TECH, detector=_DETECTOR, keep_all=True, pages="best",
        on_file=change_the_first,
    )  # fmt: skip
    alpha, beta = res.frame.row(0, named=True), res.frame.row(1, named=True)
    assert alpha["domain"] == "alpha.example" and alpha["good"] is False
    assert "not read again" in alpha["error"] and alpha["matched"] is False
    assert beta["good"] is True and beta["matched"] is True
