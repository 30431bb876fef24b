"""The per-record step: one archived capture → one row of facts about its page.

This is the code both engines run: the single process over a list of WARC files and the Spark
job inside each partition (:mod:`.spark`), so their results are the same by construction and a
test checks it. A capture becomes a :class:`~icpkit.technographics.page.Page` exactly as a live
fetch does (same parser cuts, same detector) and detection runs under the fetcher's per-page CPU
deadline, so a hostile archived page is recorded with an ``error`` and the batch goes on.

The row keeps what the domain view (:mod:`.domain_view`) and the ICP evaluation
(:mod:`.evaluate`) need: the registered domain, capture time, page kind, detected technologies
with evidence, the observability of the categories and tools the ICP asks about, and the page
signals of :mod:`.pagesignals`.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import polars as pl

from icpkit.sourcing.pagesignals import SIGNALS, key_pages, page_kind, page_signals
from icpkit.sourcing.warc import Capture

__all__ = [
    "ROW_SCHEMA",
    "STAGES",
    "Analyser",
    "StageClock",
    "domain_of",
    "registered_domain",
    "rows_frame",
    "split_categories",
]

FACT = pl.Struct(
    {
        "category": pl.String,
        "detected": pl.List(pl.String),
        "fingerprinted": pl.Int64,
        "observable": pl.Int64,
    }
)
ROW_SCHEMA: dict[str, Any] = {
    "domain": pl.String,
    "host": pl.String,
    "url": pl.String,
    "fetch_time": pl.Datetime("us", "UTC"),
    "kind": pl.String,
    "status": pl.Int64,
    "mime": pl.String,
    "page_kind": pl.String,
    "good": pl.Boolean,
    "truncated": pl.Boolean,
    "warc_file": pl.String,
    "warc_offset": pl.Int64,
    "tech": pl.List(pl.String),
    "tech_evidence": pl.List(pl.String),
    "facts": pl.List(FACT),
    "tools_observable": pl.List(pl.String),
    "language": pl.String,
    "language_source": pl.String,
    "country": pl.String,
    "country_hints": pl.List(pl.String),
    "company_name": pl.String,
    "company_name_source": pl.String,
    "has_pricing_page": pl.Boolean,
    "has_careers_page": pl.Boolean,
    "has_login_page": pl.Boolean,
    "error": pl.String,
}

# Fields of a fingerprint a static archived page can show (no JS run, no fetched scripts/CSS).
_STATIC_FIELDS = ("url", "html", "text", "script_src", "meta", "dom", "headers", "cookies")
_BLANK: dict[str, Any] = dict.fromkeys(ROW_SCHEMA)  # a row with nothing read yet


@lru_cache(maxsize=1)
def _extractor() -> Any:
    import tldextract

    # the bundled Public Suffix List snapshot: no network, same answer on every executor
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@lru_cache(maxsize=1 << 16)
def registered_domain(host: str) -> str:
    """The registrable domain of ``host`` (``shop.bbc.co.uk`` → ``bbc.co.uk``); hosts under no
    public suffix (``acme.example``, ``localhost``) keep their last two labels. Remembered per
    host: an archive holds many captures of each (a Public Suffix List lookup is ~2-4 µs)."""
    host = host.strip().rstrip(".").lower()
    if host.startswith("www."):
        host = host[4:]
    parts = _extractor()(host)
    if parts.suffix and parts.domain:
        return f"{parts.domain}.{parts.suffix}"
    return ".".join(host.split(".")[-2:])


def domain_of(value: str) -> str:
    """The registered domain of a website as users write it: ``https://www.Acme.co.uk/shop``,
    ``acme.co.uk``, ``www.acme.co.uk:8080`` → ``acme.co.uk``."""
    text = value.strip()
    host = urlsplit(text if "://" in text else f"http://{text}").hostname or ""
    return registered_domain(host) if host else ""


def split_categories(categories: Iterable[str], db: Any) -> tuple[list[str], list[str]]:
    """(the categories the fingerprint set ``db`` has, in the order given; those it lacks,
    sorted). A lacking category can be observed on no page, so its criterion stays unknown
    everywhere and the run says so once instead of failing every page."""
    known = {c.name.lower() for c in db.categories.values()}
    names = list(categories)
    return (
        [c for c in names if c.strip().lower() in known],
        sorted(c for c in names if c.strip().lower() not in known),
    )


@lru_cache(maxsize=1 << 14)
def _name(name: str) -> str:
    """A technology's name as rows carry it; remembered, as the database's names recur on
    every page."""
    return " ".join(name.split()).lower()


def _evidence(detection: Any) -> str:
    parts = []
    for ev in detection.evidence[:3]:
        where = f"{ev.field}[{ev.key}]" if ev.key else ev.field
        parts.append(f"{where} ~ {ev.matched}")
    if detection.implied_by:
        parts.append("implied by " + ", ".join(detection.implied_by))
    return f"{detection.name}: " + "; ".join(parts)


STAGES = (
    "read",
    "decode",
    "page",
    "parse",
    "detect",
    "facts",
    "text",
    "signals",
    "row",
    "release",
    "frame",
)
"""The per-record step's stages in the order they run (see :class:`StageClock`): reading the
record (FastWARC, gunzip), the body's text, the :class:`~icpkit.technographics.page.Page`,
the HTML parse, detection, category facts, the visible text page signals read (where
detection has not taken it), the signals themselves, the rest of the row, freeing the page
(its parsed tree, its texts), and the rows made a frame."""


class StageClock:
    """CPU seconds (``time.process_time``) per stage of :meth:`Analyser.frame`, summed over
    records: set as :attr:`Analyser.clock`, it splits the path users run, not a copy of it
    (bench_source prints the split). Off (``None``), the step pays nothing for it."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = dict.fromkeys(STAGES, 0.0)
        self.html = 0  # good HTML records analysed (the ones with a page)
        self._last = time.process_time()

    def start(self) -> None:
        """Start timing from now (what ran since the last lap counts nowhere)."""
        self._last = time.process_time()

    def lap(self, stage: str) -> None:
        """Charge the CPU since the last lap (or start) to ``stage``."""
        now = time.process_time()
        self.cpu[stage] += now - self._last
        self._last = now


class Analyser:
    """Turns captures into rows. ``categories`` / ``tools`` are what the ICP's "has none"
    criteria ask about: their observability is recorded on every page. ``signals`` are the
    page-signal groups read (:data:`~icpkit.sourcing.pagesignals.SIGNALS`; the others are left
    ``None``): the country's text scan and the key pages' link walk are a quarter of the
    per-record cost outside detection, paid only where the run looks at them."""

    def __init__(
        self,
        detector: Any,
        *,
        categories: Sequence[str] = (),
        tools: Sequence[str] = (),
        page_cpu_seconds: float | None = 10.0,
        signals: Collection[str] = SIGNALS,
    ) -> None:
        self.detector = detector
        self.signals = frozenset(signals)
        # A category the fingerprint set does not have cannot be observed on any page: its
        # "has none" criterion stays unknown (no fact), instead of failing every page.
        self.categories, self.unknown_categories = split_categories(categories, detector.db)
        self.page_cpu_seconds = page_cpu_seconds
        self.clock: StageClock | None = None
        self.analysed = 0  # captures detected (2xx HTML pages given to the detector)
        # A category's members are fixed, and how many of them a page could show depends only
        # on which signals it carries, which for the pages built here (:meth:`_page`) is one of
        # a few combinations: the detector's facts are taken once per combination and each
        # page's detections filled in (``category_facts`` walks all 4,000 technologies).
        # The same holds for the asked tools a page could show: one answer per combination.
        self._members = {c: frozenset(detector.db.members(c)) for c in self.categories}
        self._fact_counts: dict[tuple[bool, ...], list[tuple[str, int, int]]] = {}
        self._tools_seen: dict[tuple[bool, ...], list[str]] = {}
        by_name = {_name(t.name): t for t in detector.db.technologies.values()}
        self.tools = {_name(t): by_name.get(_name(t)) for t in tools}

    @staticmethod
    def _carries(page: Any) -> tuple[bool, bool, bool, bool]:
        """Which signals ``page`` carries (URL, HTML, headers, cookies): all that its facts
        and its observable tools depend on."""
        return (bool(page.url), bool(page.html), bool(page.headers), bool(page.cookies))

    def _tools_observable(self, carries: tuple[bool, bool, bool, bool]) -> list[str]:
        """The asked tools a page carrying ``carries`` could show (any fingerprint field of
        theirs among its signals), sorted."""
        seen = self._tools_seen.get(carries)
        if seen is None:
            _, html, headers, cookies = carries
            have = {"url", "html", "text", "script_src", "meta", "dom"} if html else {"url"}
            have |= {"headers"} if headers else set()
            have |= {"cookies"} if cookies else set()
            seen = sorted(
                name
                for name, tech in self.tools.items()
                if tech is not None and any(getattr(tech, fld) for fld in have)
            )
            self._tools_seen[carries] = seen
        return list(seen)

    def _facts(
        self, page: Any, detections: list[Any], carries: tuple[bool, ...] | None = None
    ) -> list[dict[str, Any]]:
        """The detector's category facts (:meth:`~icpkit.technographics.detector.Detector.
        category_facts`) of ``page`` as row values, the counts reused across pages."""
        if not self.categories:
            return []
        key = carries if carries is not None else self._carries(page)
        counts = self._fact_counts.get(key)
        if counts is None:
            facts = self.detector.category_facts(page, [], self.categories)
            counts = [(f.category, f.fingerprinted, f.observable) for f in facts]
            self._fact_counts[key] = counts
        found = {d.name for d in detections}
        return [
            {
                "category": category,
                "detected": [_name(n) for n in sorted(self._members[asked] & found)],
                "fingerprinted": fingerprinted,
                "observable": observable,
            }
            for asked, (category, fingerprinted, observable) in zip(
                self.categories, counts, strict=True
            )
        ]

    def _meta(self, capture: Capture) -> dict[str, Any]:
        """The row's fields read from the record alone (no page built): every capture's."""
        url = capture.url
        host = (urlsplit(url).hostname or "").lower()
        status = capture.status
        good = (
            capture.kind == "response"
            and status is not None
            and 200 <= status < 300
            and capture.is_html
        )
        return {
            **_BLANK,
            "domain": registered_domain(host) if host else "",
            "host": host,
            "url": url,
            "fetch_time": capture.fetch_time,
            "kind": capture.kind,
            "status": status,
            "mime": capture.mime or None,
            "page_kind": page_kind(url),
            "good": good,
            "truncated": capture.truncated,
            "warc_file": capture.warc_file,
            "warc_offset": capture.offset,
        }

    def preview(self, capture: Capture, *, links: bool = False) -> dict[str, Any]:
        """The row of a capture that is not (yet) its domain's observation: the record's
        fields, nothing detected, ``good`` as its status and type say. With ``links`` (a run
        that reads key pages) its key pages too, its URL's kind and its links (the page
        parsed, never detected), since a domain's key pages pool every good page; else they
        stay ``None``, as a fully analysed page's do when key pages are not read."""
        row = self._meta(capture)
        if not row["good"]:
            return row
        if links:
            from icpkit.technographics.bounded import PageTimeout, cpu_deadline

            try:
                with cpu_deadline(self.page_cpu_seconds, f"links of {capture.url}"):
                    row.update(key_pages(self._page(capture)))
            except PageTimeout:
                pass  # kinds not read stay None; the page's own kind is known
        return row

    def row(self, capture: Capture) -> dict[str, Any]:
        """The facts of one capture (every key of :data:`ROW_SCHEMA`)."""
        from icpkit.technographics.bounded import PageTimeout, cpu_deadline

        row = self._meta(capture)
        if not row["good"]:
            return row
        self.analysed += 1
        clock = self.clock
        if clock is not None:
            clock.html += 1
            clock.lap("row")
        decoded = capture.decoded()
        if clock is not None:
            clock.lap("decode")
        page = self._page(capture, decoded)
        if clock is not None:
            clock.lap("page")
        try:
            with cpu_deadline(self.page_cpu_seconds, f"detection on {capture.url}"):
                if clock is not None:  # taken here to be timed; detection would take it
                    _ = page.tree
                    clock.lap("parse")
                detections = self.detector.detect(page)
                if clock is not None:
                    clock.lap("detect")
                carries = self._carries(page)
                facts = self._facts(page, detections, carries)
                if clock is not None:  # the signals read it where detection has not
                    clock.lap("facts")
                    if "country" in self.signals:
                        _ = page.text
                    clock.lap("text")
                signals = page_signals(page, row["domain"], self.signals)
                if clock is not None:
                    clock.lap("signals")
        except PageTimeout as exc:
            row.update(good=False, error=str(exc))
            return row
        except Exception as exc:  # one strange page never ends a job over millions
            row.update(good=False, error=f"unexpected {type(exc).__name__}: {exc}")
            return row
        row.update(signals)
        row["tech"] = sorted({_name(d.name) for d in detections})
        row["tech_evidence"] = [_evidence(d) for d in detections]
        row["facts"] = facts
        row["tools_observable"] = self._tools_observable(carries)
        if clock is not None:  # the page's tree and texts are freed here (else on return)
            clock.lap("row")
            del page
            clock.lap("release")
        return row

    @staticmethod
    def _page(capture: Capture, decoded: tuple[str, bytes | None] | None = None) -> Any:
        """The capture as a :class:`~icpkit.technographics.page.Page`: headers, cookies and
        the body's text (``decoded``: :meth:`Capture.decoded`'s answer, when already taken),
        with its UTF-8 handed over where the body is just that (not encoded again)."""
        from icpkit.technographics.page import Page

        headers: dict[str, str | list[str]] = {}
        cookies: dict[str, str] = {}
        for name, value in capture.headers:
            key = name.lower()
            if key == "set-cookie":
                pair = value.split(";", 1)[0]
                cname, _, cval = pair.partition("=")
                if cname.strip():
                    cookies[cname.strip()] = cval.strip().strip('"')
            prev = headers.get(key)
            headers[key] = (
                value if prev is None else [*([prev] if isinstance(prev, str) else prev), value]
            )
        text, utf8 = decoded if decoded is not None else capture.decoded()
        return Page(url=capture.url, html=text, headers=headers, cookies=cookies, html_utf8=utf8)

    def frame(self, captures: Iterable[Capture]) -> pl.DataFrame:
        """Rows of every capture, as a frame with :data:`ROW_SCHEMA`."""
        clock = self.clock
        if clock is None:
            rows = [self.row(c) for c in captures]
        else:
            rows = []
            for capture in _clocked(captures, clock):
                rows.append(self.row(capture))
                clock.lap("row")
        out = rows_frame(rows)
        if clock is not None:
            clock.lap("frame")
        return out


@lru_cache(maxsize=1)
def _arrow_rows() -> Any:
    """:data:`ROW_SCHEMA` as the Arrow struct type one row dict converts to."""
    import pyarrow as pa

    return pa.struct(pl.DataFrame(schema=ROW_SCHEMA).to_arrow().schema)


def rows_frame(rows: Sequence[dict[str, Any]]) -> pl.DataFrame:
    """Row dicts (:meth:`Analyser.row`, :meth:`Analyser.preview`) as a :data:`ROW_SCHEMA`
    frame. Arrow converts the dicts in one native pass (nested lists and the category facts'
    structs included): ~5 µs a row where polars' own constructor took ~40, most of it on the
    nested columns."""
    import pyarrow as pa

    table = pa.Table.from_struct_array(pa.array(rows, type=_arrow_rows()))
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _clocked(captures: Iterable[Capture], clock: StageClock) -> Iterator[Capture]:
    """``captures``, the CPU of producing each (reading the record) charged to ``read``."""
    it = iter(captures)
    clock.start()
    while True:
        capture = next(it, None)
        clock.lap("read")
        if capture is None:
            return
        yield capture
