"""Evaluate every criterion of an ICP that a website can show, with evidence and observability.

A criterion is **website-observable** when its column is one a page can answer:

* technologies — ``has_any`` / ``has_none`` on a technographic column (``tech``, ``tech_stack``,
  ``technologies``…, or any criterion with ``layer: technographic``);
* country — ``in`` on ``country`` / ``hq_country`` / ``country_code`` (ISO codes or English
  names, from the page's country hints);
* language — ``in`` on ``language`` / ``website_language`` (ISO 639-1 codes, primary subtag:
  ``en``, or English names: ``english``, from the page's declared language);
* key pages — ``is`` on ``has_pricing_page`` / ``has_careers_page`` / ``has_login_page``.

Every other criterion (employees, funding, …) is listed as not observable from a website, never
failed. Results are three-valued like the scoring engine's: met, failed, or unknown. A "has
none" criterion is met only where the page was captured well enough to see such tools: with a
``category`` it needs the detector's category observability (:class:`~icpkit.technographics.
detector.CategoryFact`: at least one fingerprinted tool of the category observable from the
signals the archive kept); with named tools, each of them must be observable. Otherwise it is
unknown, with the reason.

A domain **matches** when some segment has no failed website-observable must-have and at least
one met, and no observable disqualifier is met. An ICP whose segments read no website column
matches on any met criterion (points, nice-to-haves) instead, disqualifiers still applying.
The output carries the ICP's own column names filled from the website (so ``icp score`` reads
the file as it is) beside the observation, the criteria met / failed / unknown, and evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl
from polars.expr.whenthen import Then

from icpkit.criteria import Criterion, Operator
from icpkit.icp import ICP
from icpkit.sourcing.pagesignals import COUNTRY_NAMES, LANGUAGE_NAMES

__all__ = ["TECH_COLUMNS", "WebCriterion", "evaluate", "web_criteria"]

TECH_COLUMNS = frozenset(
    {"tech", "tech_stack", "technologies", "technology", "stack", "technographics"}
)
COUNTRY_COLUMNS = frozenset(
    {"country", "hq_country", "country_code", "headquarters_country", "company_country"}
)
LANGUAGE_COLUMNS = frozenset({"language", "website_language", "site_language"})
PAGE_COLUMNS = frozenset({"has_pricing_page", "has_careers_page", "has_login_page"})


def _norm(value: str) -> str:
    return " ".join(value.split()).lower()


@dataclass(frozen=True)
class WebCriterion:
    """A criterion of the ICP and what answers it on a website (``source``)."""

    criterion: Criterion
    source: str  # "tech" | "country" | "language" | "page"
    role: str  # "must:<segment id>" | "nice:<segment id>" | "points" | "disqualifier" | "timing"

    @property
    def label(self) -> str:
        return self.criterion.describe()


def _source(c: Criterion) -> str | None:
    col = c.column.strip().lower()
    op = c.operator
    if op in (Operator.HAS_ANY, Operator.HAS_NONE) and (
        col in TECH_COLUMNS or col.startswith("tech_") or c.layer == "technographic"
    ):
        return "tech"
    if op is Operator.IN and col in COUNTRY_COLUMNS:
        return "country"
    if op is Operator.IN and col in LANGUAGE_COLUMNS:
        return "language"
    if op is Operator.IS and col in PAGE_COLUMNS:
        return "page"
    return None


def _roles(icp: ICP) -> list[tuple[Criterion, str]]:
    out: list[tuple[Criterion, str]] = []
    for s in icp.segments:
        out.extend((c, f"must:{s.id}") for c in s.must)
        out.extend((c, f"nice:{s.id}") for c in s.nice)
    out.extend((c, "points") for c in icp.scoring.points)
    out.extend((c, "disqualifier") for c in icp.disqualifiers)
    out.extend((c, "timing") for c in icp.scoring.timing)
    return out


def web_criteria(icp: ICP) -> tuple[list[WebCriterion], list[tuple[Criterion, str]]]:
    """The ICP's criteria split into website-observable ones and the rest (with roles)."""
    web, other = [], []
    for c, role in _roles(icp):
        source = _source(c)
        if source is None:
            other.append((c, role))
        else:
            web.append(WebCriterion(c, source, role))
    return web, other


def asked_categories(icp: ICP) -> list[str]:
    """Categories named by the ICP's website "has none" criteria (for the analyser)."""
    web, _ = web_criteria(icp)
    return sorted({w.criterion.category for w in web if w.criterion.category})


def asked_signals(icp: ICP) -> set[str]:
    """The page-signal groups (:data:`~icpkit.sourcing.pagesignals.SIGNALS`) the ICP's
    website criteria read: ``country``, ``language``, ``pages`` (key pages)."""
    web, _ = web_criteria(icp)
    return {"pages" if w.source == "page" else w.source for w in web if w.source != "tech"}


def asked_tools(icp: ICP) -> list[str]:
    """Technologies named by the ICP's website "has none" criteria without a category."""
    web, _ = web_criteria(icp)
    return sorted(
        {_norm(v) for w in web if not w.criterion.category for v in w.criterion.has_none or ()}
    )


def _list_has(values: tuple[str, ...]) -> pl.Expr:
    wanted = [_norm(v) for v in values]
    return pl.col("tech").list.eval(pl.element().is_in(wanted)).list.any()


def _found(values: tuple[str, ...]) -> pl.Expr:
    wanted = [_norm(v) for v in values]
    return pl.col("tech").list.eval(pl.element().filter(pl.element().is_in(wanted))).list.join(", ")


_READ = pl.col("good").fill_null(False)
_WHERE = pl.lit(" on ") + pl.col("page_url")
# A page cut at --max-record-bytes (or stored truncated: WARC-Truncated) shows what was read;
# a tool whose script sits after the cut cannot be seen, so "has none" is not claimed there.
# On the real pages, cut at 20,000 bytes, givewell.org read "no live chat tool" though its
# full page carries Intercom.
_CUT = pl.col("truncated").fill_null(False)
_CUT_TEXT = pl.lit(
    "not observable: the page was cut (record size limit); what follows the cut cannot be seen"
)

Test = tuple[pl.Expr, pl.Expr]
"""A criterion's (three-valued result, one line of evidence or the reason it is unknown)."""


def _unread() -> Then:
    """The first branch of every technology test: no page of the domain was read well."""
    return pl.when(~_READ).then(pl.lit("no page read"))


def _test_has_any(values: tuple[str, ...]) -> Test:
    hit = _list_has(values)
    text = (
        _unread()
        .when(hit)
        .then(pl.lit("detected: ") + _found(values) + _WHERE)
        .otherwise(pl.lit("none of them detected") + _WHERE)
    )
    return pl.when(_READ).then(hit), text


def _test_lacks_category(values: tuple[str, ...], category: str) -> Test:
    """ "Has none" of a category: met only where the category was observable on the page."""
    cat = category.lower()
    fact = (
        pl.col("facts")
        .list.eval(
            pl.element().filter(pl.element().struct.field("category").str.to_lowercase() == cat)
        )
        .list.first()
    )
    n_obs = fact.struct.field("observable").fill_null(0)
    observable = n_obs > 0
    detected = fact.struct.field("detected").fill_null(pl.lit([], pl.List(pl.String)))
    present = _list_has(values) | (detected.list.len() > 0)
    result = (
        pl.when(~_READ)
        .then(None)
        .when(present)
        .then(False)
        .when(_CUT)
        .then(None)
        .when(observable)
        .then(True)
        .otherwise(None)
    )
    named = pl.col("tech").list.eval(
        pl.element().filter(pl.element().is_in([_norm(v) for v in values]))
    )
    text = (
        _unread()
        .when(present)
        .then(
            pl.lit(f"{cat} tool detected: ")
            + pl.concat_list(named, detected).list.unique().list.sort().list.join(", ")
            + _WHERE
        )
        .when(_CUT)
        .then(_CUT_TEXT + _WHERE)
        .when(observable)
        .then(
            pl.lit("none of the ")
            + fact.struct.field("fingerprinted").fill_null(0).cast(pl.String)
            + pl.lit(f" fingerprinted {cat} tools detected; ")
            + n_obs.cast(pl.String)
            + pl.lit(" of them observable from the archived page")
            + _WHERE
        )
        .otherwise(pl.lit(f"not observable: no {cat} tool could be seen in what was archived"))
    )
    return result, text


def _test_lacks_tools(values: tuple[str, ...]) -> Test:
    """ "Has none" of named tools: met only where each of them was observable on the page."""
    hit = _list_has(values)
    tools = [_norm(v) for v in values]
    observable = pl.col("tools_observable").list.set_intersection(tools).list.len() == len(
        set(tools)
    )
    result = (
        pl.when(~_READ).then(None).when(hit).then(False).when(_CUT).then(None)
        .when(observable).then(True)
    )  # fmt: skip
    text = (
        _unread()
        .when(hit)
        .then(pl.lit("detected: ") + _found(values) + _WHERE)
        .when(_CUT)
        .then(_CUT_TEXT + _WHERE)
        .when(observable)
        .then(pl.lit("none of them detected") + _WHERE)
        .otherwise(pl.lit("not observable: not all of them can be seen in what was archived"))
    )
    return result, text


def _test_page(column: str, wanted: bool) -> Test:
    col = pl.col(column.strip().lower())
    text = (
        pl.when(col.is_null())
        .then(pl.lit("no page read"))
        .when(col)
        .then(pl.lit("linked or captured on the domain"))
        .otherwise(pl.lit("no such page linked or captured"))
    )
    return col == pl.lit(wanted), text


def _test_country(words: list[str]) -> Test:
    wanted = set(words)
    codes = [code for code, name in COUNTRY_NAMES.items() if code in wanted or name in wanted]
    col = pl.col("country")
    text = (
        pl.when(col.is_null())
        .then(pl.lit("no country hint"))
        .otherwise(
            pl.lit("country ") + col + pl.lit(" from ") + pl.col("country_hints").list.join(", ")
        )
    )
    return col.is_in(codes), text


def _test_language(words: list[str]) -> Test:
    col = pl.col("language")
    text = (
        pl.when(col.is_null())
        .then(pl.lit("no language declared"))
        .otherwise(
            pl.lit("language ") + col + pl.lit(" (") + pl.col("language_source") + pl.lit(")")
        )
    )
    return col.is_in(sorted(_language_vocabulary(words))), text


def _test(w: WebCriterion) -> Test:
    """(three-valued result, one line of evidence or the reason it is unknown)."""
    c = w.criterion
    if w.source == "tech":
        if c.has_any is not None:
            return _test_has_any(c.has_any)
        if c.category:
            return _test_lacks_category(c.has_none or (), c.category)
        return _test_lacks_tools(c.has_none or ())
    if w.source == "page":
        return _test_page(c.column, bool(c.is_))
    words = [_norm(v) for v in c.in_ or ()]
    return _test_country(words) if w.source == "country" else _test_language(words)


def _language_vocabulary(values: list[str]) -> dict[str, str]:
    """Page language code → the criterion value that names it: codes by their primary subtag
    (``en-gb`` → ``en``), English names through :data:`LANGUAGE_NAMES` (``english`` → ``en``)."""
    out: dict[str, str] = {}
    for value in values:
        out.setdefault(re.split(r"[-_]", value)[0], value)
        for code, name in LANGUAGE_NAMES.items():
            if name == value:
                out.setdefault(code, value)
    return out


def _icp_values(view: pl.DataFrame, web: list[WebCriterion]) -> list[pl.Expr]:
    """The ICP's own columns, filled from the website, so ``icp score`` reads the file as is."""
    out: dict[str, pl.Expr] = {}
    read = pl.col("good").fill_null(False)
    for w in web:
        name = w.criterion.column
        if name in out:
            continue
        if w.source == "tech":
            out[name] = pl.when(read).then(pl.col("tech")).alias(name)
        elif w.source == "country":
            as_codes = all(len(v.strip()) == 2 for v in w.criterion.in_ or ())
            if as_codes:
                out[name] = pl.col("country").alias(name)
            else:
                out[name] = (
                    pl.col("country")
                    .replace_strict(COUNTRY_NAMES, default=None, return_dtype=pl.String)
                    .alias(name)
                )
        elif w.source == "language":
            # the criterion's own word for the page's language (``english`` or ``en-gb``), so
            # the criterion reads the same in icp score; other languages keep their code
            vocab = _language_vocabulary([_norm(v) for v in w.criterion.in_ or ()])
            out[name] = (
                pl.col("language")
                .replace_strict(vocab, default=pl.col("language"), return_dtype=pl.String)
                .alias(name)
            )
        else:
            out[name] = pl.col(name.strip().lower()).alias(name)
    return list(out.values())


def _result(i: int) -> pl.Expr:
    """Criterion ``i``'s three-valued result (a column while :func:`evaluate` runs)."""
    return pl.col(f"_c{i}")


def _condition(result: pl.Expr, kind: str) -> pl.Expr:
    if kind == "met":
        return result.fill_null(False)
    if kind == "failed":
        return ~result.fill_null(True)
    return result.is_null()


def _labelled(web: list[WebCriterion], kind: str) -> pl.Expr:
    """Labels of the criteria ``met``, ``failed`` or ``unknown`` on each domain."""
    if not web:
        return pl.lit([], dtype=pl.List(pl.String))
    parts = [
        pl.when(_condition(_result(i), kind)).then(pl.lit(f"{w.label} [{w.role}]"))
        for i, w in enumerate(web)
    ]
    return pl.concat_list(parts).list.drop_nulls()


def _evidence_lines(web: list[WebCriterion]) -> pl.Expr:
    if not web:
        return pl.lit([], dtype=pl.List(pl.String))
    lines = [pl.lit(f"{w.label}: ") + pl.col(f"_e{i}") for i, w in enumerate(web)]
    return pl.concat_list(lines).list.drop_nulls()


def _any_met(idx: list[int]) -> pl.Expr:
    return pl.any_horizontal([_result(i).fill_null(False) for i in idx]) if idx else pl.lit(False)


def _fit(icp: ICP, web: list[WebCriterion]) -> tuple[pl.Expr, pl.Expr]:
    """(segments matched, whether the domain fits before disqualifiers): a segment matches with
    no failed website must-have and one met; an ICP whose segments read no website column fits
    on any met criterion that is not a disqualifier."""
    segs: list[pl.Expr] = []
    for s in icp.segments:
        idx = [i for i, w in enumerate(web) if w.role == f"must:{s.id}"]
        if idx:
            failed = pl.any_horizontal([~_result(i).fill_null(True) for i in idx])
            segs.append(pl.when(_any_met(idx) & ~failed).then(pl.lit(s.id)))
    if segs:
        matched = pl.concat_list(segs).list.drop_nulls()
        return matched, matched.list.len() > 0
    positive = [i for i, w in enumerate(web) if w.role != "disqualifier"]
    return pl.lit([], dtype=pl.List(pl.String)), _any_met(positive)


def evaluate(view: pl.DataFrame, icp: ICP, *, keep_all: bool = False) -> pl.DataFrame:
    """The domains of ``view`` (see :mod:`.domain_view`) judged against ``icp``.

    Adds ``matched``, ``matched_segments``, ``criteria_met`` / ``criteria_failed`` /
    ``criteria_unknown`` (labels), ``evidence`` (one line per evaluated criterion) and
    ``not_observable`` (the criteria a website cannot answer). Without ``keep_all`` only
    matching domains are returned.
    """
    web, other = web_criteria(icp)
    tests = [_test(w) for w in web]
    frame = view.with_columns(
        *(t.alias(f"_c{i}") for i, (t, _) in enumerate(tests)),
        *(e.alias(f"_e{i}") for i, (_, e) in enumerate(tests)),
    )
    matched_segments, fits = _fit(icp, web)
    disqualified = _any_met([i for i, w in enumerate(web) if w.role == "disqualifier"])
    not_observable = sorted({f"{c.describe()} [{role}]" for c, role in other})
    frame = frame.with_columns(
        matched_segments.alias("matched_segments"),
        disqualified.alias("disqualified_by_website"),
        (fits & ~disqualified).alias("matched"),
        *(_labelled(web, k).alias(f"criteria_{k}") for k in ("met", "failed", "unknown")),
        _evidence_lines(web).alias("evidence"),
        pl.lit(not_observable, dtype=pl.List(pl.String)).alias("not_observable"),
    )
    values = _icp_values(frame, web)
    frame = frame.with_columns(values) if values else frame
    frame = frame.drop([c for c in frame.columns if c.startswith(("_c", "_e"))])
    lead = ["domain", "company_name", "matched", "matched_segments"]
    frame = frame.select(*lead, *(c for c in frame.columns if c not in lead))
    if not keep_all:
        frame = frame.filter(pl.col("matched"))
    return frame.sort("domain")
