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


def _test(w: WebCriterion) -> tuple[pl.Expr, pl.Expr]:
    """(three-valued result, one line of evidence or the reason it is unknown)."""
    c = w.criterion
    read = pl.col("good").fill_null(False)
    where = pl.lit(" on ") + pl.col("page_url")
    result: pl.Expr
    text: pl.Expr
    if w.source == "tech":
        if c.has_any is not None:
            hit = _list_has(c.has_any)
            result = pl.when(read).then(hit)
            text = (
                pl.when(~read)
                .then(pl.lit("no page read"))
                .when(hit)
                .then(pl.lit("detected: ") + _found(c.has_any) + where)
                .otherwise(pl.lit("none of them detected") + where)
            )
            return result, text
        values = c.has_none or ()
        hit = _list_has(values)
        if c.category:
            fact = (
                pl.col("facts")
                .list.eval(
                    pl.element().filter(
                        pl.element().struct.field("category").str.to_lowercase()
                        == c.category.lower()
                    )
                )
                .list.first()
            )
            observable = fact.struct.field("observable").fill_null(0) > 0
            detected = fact.struct.field("detected").fill_null(pl.lit([], pl.List(pl.String)))
            any_cat = detected.list.len() > 0
            fingerprinted = fact.struct.field("fingerprinted").fill_null(0).cast(pl.String)
            present = hit | any_cat
            result = (
                pl.when(~read)
                .then(None)
                .when(present)
                .then(False)
                .when(observable)
                .then(True)
                .otherwise(None)
            )
            cat = c.category.lower()
            n_obs = fact.struct.field("observable").fill_null(0).cast(pl.String)
            text = (
                pl.when(~read)
                .then(pl.lit("no page read"))
                .when(present)
                .then(
                    pl.lit(f"{cat} tool detected: ")
                    + pl.concat_list(
                        pl.col("tech").list.eval(
                            pl.element().filter(pl.element().is_in([_norm(v) for v in values]))
                        ),
                        detected,
                    )
                    .list.unique()
                    .list.sort()
                    .list.join(", ")
                    + where
                )
                .when(observable)
                .then(
                    pl.lit("none of the ")
                    + fingerprinted
                    + pl.lit(f" fingerprinted {cat} tools detected; ")
                    + n_obs
                    + pl.lit(" of them observable from the archived page")
                    + where
                )
                .otherwise(
                    pl.lit(f"not observable: no {cat} tool could be seen in what was archived")
                )
            )
            return result, text
        tools = [_norm(v) for v in values]
        observable = pl.col("tools_observable").list.set_intersection(tools).list.len() == len(
            set(tools)
        )
        result = pl.when(~read).then(None).when(hit).then(False).when(observable).then(True)
        text = (
            pl.when(~read)
            .then(pl.lit("no page read"))
            .when(hit)
            .then(pl.lit("detected: ") + _found(values) + where)
            .when(observable)
            .then(pl.lit("none of them detected") + where)
            .otherwise(pl.lit("not observable: not all of them can be seen in what was archived"))
        )
        return result, text
    if w.source == "page":
        col = pl.col(c.column.strip().lower())
        result = col == pl.lit(bool(c.is_))
        text = (
            pl.when(col.is_null())
            .then(pl.lit("no page read"))
            .when(col)
            .then(pl.lit("linked or captured on the domain"))
            .otherwise(pl.lit("no such page linked or captured"))
        )
        return result, text
    words = [_norm(v) for v in c.in_ or ()]
    if w.source == "country":
        wanted = set(words)
        codes = [c for c, name in COUNTRY_NAMES.items() if c in wanted or name in wanted]
        col = pl.col("country")
        result = col.is_in(codes)
        text = (
            pl.when(col.is_null())
            .then(pl.lit("no country hint"))
            .otherwise(
                pl.lit("country ")
                + col
                + pl.lit(" from ")
                + pl.col("country_hints").list.join(", ")
            )
        )
        return result, text
    col = pl.col("language")
    result = col.is_in(sorted(_language_vocabulary(words)))
    text = (
        pl.when(col.is_null())
        .then(pl.lit("no language declared"))
        .otherwise(
            pl.lit("language ") + col + pl.lit(" (") + pl.col("language_source") + pl.lit(")")
        )
    )
    return result, text


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

    def labelled(kind: str) -> pl.Expr:
        parts = []
        for i, w in enumerate(web):
            c = pl.col(f"_c{i}")
            cond = {
                "met": c.fill_null(False),
                "failed": ~c.fill_null(True),
                "unknown": c.is_null(),
            }[kind]
            parts.append(pl.when(cond).then(pl.lit(f"{w.label} [{w.role}]")))
        if not parts:
            return pl.lit([], dtype=pl.List(pl.String))
        return pl.concat_list(parts).list.drop_nulls()

    evidence = (
        pl.concat_list(
            [pl.lit(f"{w.label}: ") + pl.col(f"_e{i}") for i, w in enumerate(web)]
        ).list.drop_nulls()
        if web
        else pl.lit([], dtype=pl.List(pl.String))
    )
    segs: list[pl.Expr] = []
    seg_ids = []
    for s in icp.segments:
        idx = [i for i, w in enumerate(web) if w.role == f"must:{s.id}"]
        if not idx:
            continue
        seg_ids.append(s.id)
        failed = pl.any_horizontal([~pl.col(f"_c{i}").fill_null(True) for i in idx])
        met = pl.any_horizontal([pl.col(f"_c{i}").fill_null(False) for i in idx])
        segs.append(pl.when(met & ~failed).then(pl.lit(s.id)))
    dq = [i for i, w in enumerate(web) if w.role == "disqualifier"]
    disqualified = (
        pl.any_horizontal([pl.col(f"_c{i}").fill_null(False) for i in dq]) if dq else pl.lit(False)
    )
    if segs:
        matched_segments = pl.concat_list(segs).list.drop_nulls()
        fits = matched_segments.list.len() > 0
    else:
        matched_segments = pl.lit([], dtype=pl.List(pl.String))
        pos = [i for i, w in enumerate(web) if w.role != "disqualifier"]
        fits = (
            pl.any_horizontal([pl.col(f"_c{i}").fill_null(False) for i in pos])
            if pos
            else pl.lit(False)
        )
    not_observable = sorted({f"{c.describe()} [{role}]" for c, role in other})
    frame = frame.with_columns(
        matched_segments.alias("matched_segments"),
        disqualified.alias("disqualified_by_website"),
    ).with_columns(
        (pl.col("matched_segments").list.len() > 0 if segs else fits).alias("_fits"),
        labelled("met").alias("criteria_met"),
        labelled("failed").alias("criteria_failed"),
        labelled("unknown").alias("criteria_unknown"),
        evidence.alias("evidence"),
        pl.lit(not_observable, dtype=pl.List(pl.String)).alias("not_observable"),
    )
    frame = frame.with_columns(
        (pl.col("_fits") & ~pl.col("disqualified_by_website")).alias("matched")
    )
    values = _icp_values(frame, web)
    frame = frame.with_columns(values) if values else frame
    lead = ["domain", "company_name", "matched", "matched_segments"]
    drop = [c for c in frame.columns if c.startswith(("_c", "_e")) or c == "_fits"]
    frame = frame.drop(drop)
    rest = [c for c in frame.columns if c not in lead]
    frame = frame.select(*lead, *rest)
    if not keep_all:
        frame = frame.filter(pl.col("matched"))
    return frame.sort("domain")
