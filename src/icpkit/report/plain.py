"""Criteria in the words a seller uses: proper names and a plain segment name.

Prepared data is lower-cased (``shopify plus``, ``saas``), and discovery names a segment after
its tests (``tech stack has shopify plus; no live chat tool``). That is right for matching and
for the appendix, but a VP Sales reading the page should see "Accounts running Shopify Plus
without a live chat tool". This module only rewords: every phrase says exactly what the
criterion tests, nothing is inferred that the data did not show (no "stores" for Shopify
users). Technology names come from the bundled fingerprint database; a few business acronyms
are written in capitals; anything else is left as the data spells it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from icpkit.criteria import Criterion, Operator
from icpkit.icp import Segment

#: Business words written in capitals (or their usual mixed case) wherever they are a word.
ACRONYMS = {
    "ai": "AI",
    "api": "API",
    "arr": "ARR",
    "ipo": "IPO",
    "mrr": "MRR",
    "nps": "NPS",
    "b2b": "B2B",
    "b2c": "B2C",
    "crm": "CRM",
    "erp": "ERP",
    "eu": "EU",
    "hr": "HR",
    "iot": "IoT",
    "it": "IT",
    "saas": "SaaS",
    "paas": "PaaS",
    "uk": "UK",
    "us": "US",
    "usa": "USA",
}

#: Columns that say what kind of company an account is: their values lead the segment name
#: ("Fintech or SaaS companies").
KIND_COLUMNS = frozenset(
    {"industry", "category", "category_code", "sector", "vertical", "market", "business_type"}
)
#: Columns that say where an account is: "in CA or NY".
PLACE_COLUMNS = frozenset(
    {"country", "country_code", "state", "state_code", "region", "city", "location"}
)


@lru_cache(maxsize=1)
def technology_names() -> dict[str, str]:
    """Lower-cased technology name → its proper spelling, from the bundled fingerprints."""
    root = resources.files("icpkit") / "technographics" / "data" / "technologies"
    names: dict[str, str] = {}
    for entry in root.iterdir():
        if entry.name.endswith(".json"):
            for name in json.loads(entry.read_text(encoding="utf-8")):
                names.setdefault(name.casefold(), name)
    return names


def proper(value: str, *, technology: bool = False) -> str:
    """A value as people write it: a known technology's own spelling, acronyms in capitals."""
    if technology:
        name = technology_names().get(value.casefold())
        if name is not None:
            return name
    return " ".join(ACRONYMS.get(w.casefold(), w) for w in value.split(" "))


def place(value: str) -> str:
    """A place as people write it: "SF Bay", "Los Angeles", "CA" (data lower-cases them)."""
    return " ".join(
        ACRONYMS.get(w, w.upper() if len(w) <= 2 else w.capitalize()) for w in value.split(" ")
    )


def _either(values: tuple[str, ...] | list[str], *, technology: bool = False) -> str:
    words = [proper(v, technology=technology) for v in values]
    if len(words) <= 2:
        return " or ".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _col(c: Criterion) -> str:
    return c.column.replace("_", " ")


def _plain_test(c: Criterion) -> bool:
    """Whether the criterion reads as its generic form (not a label, a window or a signal
    column with its own words), the only form this module rewords."""
    if c.label or c.within_days is not None:
        return False
    generic = {
        Operator.HAS_ANY: f"{_col(c)} has ",
        Operator.HAS_NONE: "no " if c.category else f"{_col(c)} has none of ",
        Operator.IN: f"{_col(c)} is ",
        Operator.IS: f"{_col(c)}" if c.is_ else f"no {_col(c)}",
        Operator.BETWEEN: f"{_col(c)} ",
    }.get(c.operator)
    return generic is not None and c.describe().startswith(generic)


def criterion_text(c: Criterion) -> str:
    """A checklist line: what :meth:`Criterion.describe` says, with names spelled properly.

    Numbers are untouched (they are already written by kind); only technologies and category
    values change: ``runs Shopify Plus``, ``industry is fintech or SaaS``.
    """
    if not _plain_test(c):
        return c.describe()
    op = c.operator
    if op is Operator.HAS_ANY:
        return f"runs {_either(c.has_any or (), technology=True)}"
    if op is Operator.HAS_NONE:
        if c.category:
            return f"no {c.category} tool"
        return f"runs none of {_either(c.has_none or (), technology=True)}"
    if op is Operator.IN:
        values = c.in_ or ()
        if c.column in PLACE_COLUMNS:
            return f"{_col(c)} is {_either([place(v) for v in values])}"
        return f"{_col(c)} is {_either(values)}"
    return c.describe()


def _qualifier(c: Criterion) -> str:
    """The part of a segment's name one must-have contributes ("running Shopify Plus")."""
    op = c.operator
    if not _plain_test(c):
        return f"where {c.describe()}"
    if op is Operator.HAS_ANY:
        return f"running {_either(c.has_any or (), technology=True)}"
    if op is Operator.HAS_NONE:
        if c.category:
            return f"without {_article(c.category)} {c.category} tool"
        return f"not running {_either(c.has_none or (), technology=True)}"
    if op is Operator.IS:
        return f"with {_col(c)}" if c.is_ else f"without {_col(c)}"
    if op is Operator.IN and c.column in PLACE_COLUMNS:
        return "in " + _either([place(v) for v in c.in_ or ()])
    if op is Operator.IN:
        return f"whose {_col(c)} is {_either(c.in_ or ())}"
    band = c.describe().removeprefix(_col(c)).strip()  # "200–1,000", "< 2000", "≥ $3M"
    if c.column.endswith("employees"):
        return f"with {band} {_col(c)}"
    if c.column.startswith("founded") or c.column.endswith("founded_year"):
        if band.startswith("< "):
            return f"founded before {band[2:]}"
        if band.startswith("≥ "):
            return f"founded in {band[2:]} or later"
        return f"founded {band}"
    words = _col(c)
    if "$" in band or "€" in band or "£" in band:  # the sign says the currency already
        words = " ".join(w for w in words.split(" ") if w not in ("usd", "eur", "gbp"))
    return f"with {words} {band}"


def _join(parts: list[str]) -> str:
    """Qualifiers in a row: "a, b and c"; a "without …" follows the previous one directly."""
    out = ""
    for i, p in enumerate(parts):
        if i == 0:
            out = p
        elif p.startswith(("without", "not running")):
            out += f" {p}"
        elif i == len(parts) - 1:
            out += f" and {p}"
        else:
            out += f", {p}"
    return out


def segment_phrase(seg: Segment) -> str:
    """Who the segment's accounts are, as one noun phrase built from its must-haves.

    "Fintech or SaaS companies with 200–1,000 employees", "Accounts running Shopify Plus
    without a live chat tool". Industry-like values lead; the rest qualify.
    """
    kinds = [c for c in seg.must if c.operator is Operator.IN and c.column in KIND_COLUMNS]
    rest = [c for c in seg.must if c not in kinds]
    lead = " ".join(_either(c.in_ or ()) for c in kinds if not c.label)
    noun = f"{lead} companies" if lead else "accounts"
    text = f"{noun} {_join([_qualifier(c) for c in rest])}" if rest else noun
    return text[:1].upper() + text[1:]


def discovered_name(seg: Segment) -> bool:
    """Whether the segment still has the name discovery gave it (its tests, joined by ';')."""
    return seg.name == "; ".join(c.describe() for c in seg.must)


def segment_title(seg: Segment) -> str:
    """The card's heading: the name a person gave the segment, else its plain phrase."""
    if seg.name and not discovered_name(seg):
        return seg.name
    return segment_phrase(seg)


__all__ = [
    "ACRONYMS",
    "KIND_COLUMNS",
    "PLACE_COLUMNS",
    "criterion_text",
    "discovered_name",
    "proper",
    "segment_phrase",
    "segment_title",
    "technology_names",
]
