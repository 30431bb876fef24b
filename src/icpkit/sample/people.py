"""Synthetic contacts with a planted buying committee, for tests and demos.

Persona discovery can only be tested against data whose answer is known, so
:func:`generate_contacts` plants one: in the SaaS/fintech mid-market segment of
:mod:`icpkit.sample.customers`, won deals are usually championed by a marketing VP or director and signed by
a C-level executive, while lost deals mostly were not; in the Shopify-Plus segment the champion is
usually a head of e-commerce. Everything else is noise drawn from a realistic title mix (English
plus German, French, Spanish, Dutch, Italian and Portuguese titles) with CRM-style mess: mixed
case and malformed emails, country names in many spellings, contacts without an account key,
opted-out contacts.

Vectorised numpy/polars, one ``np.random.default_rng(seed)``: a seed always yields the same frame.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl

from icpkit.columns.parsing import normalize_domain, normalize_text, parse_number, split_multi
from icpkit.errors import InputError
from icpkit.sample.customers import TECH_CATEGORIES


@dataclass(frozen=True)
class PlantedPersona:
    """A planted buying-committee member: department, accepted seniorities, deal role."""

    segment: str
    department: str
    seniorities: tuple[str, ...]
    deal_role: str


PLANTED_PERSONAS: tuple[PlantedPersona, ...] = (
    PlantedPersona("saas-fintech-midmarket", "marketing", ("vp", "head/director"), "champion"),
    PlantedPersona("saas-fintech-midmarket", "executive", ("c-level/owner",), "decision maker"),
    PlantedPersona("shopify-plus-no-chat", "marketing", ("head/director",), "champion"),
)
"""What :func:`icpkit.people.personas.discover_personas` should recover (segments of ``sample``)."""

# Title pools by persona code; each pool mixes English and non-English spellings.
_POOLS: tuple[tuple[str, ...], ...] = (
    # 0 marketing vp/director (segment-1 champion)
    (
        "VP Marketing", "VP of Marketing", "Vice President, Marketing", "SVP Marketing",
        "Sr. Dir., Demand Gen", "Director of Marketing", "Marketing Director",
        "Directeur Marketing", "Leiterin Marketing", "Directora de Marketing",
        "VP Growth Marketing", "Head of Marketing",
    ),
    # 1 c-level executive (segment-1 signer)
    (
        "CEO", "Founder & CEO", "Co-Founder", "Geschäftsführer", "Managing Director",
        "Directeur Général", "Chief Executive Officer", "President & CEO", "Director General",
        "Algemeen Directeur", "Amministratore Delegato",
    ),
    # 2 head of e-commerce (segment-2 champion)
    ("Head of E-Commerce", "E-Commerce Director", "Director, Ecommerce", "Leiter E-Commerce",
     "Head of Digital Commerce", "Directeur E-commerce"),
    # 3 marketing manager / IC
    ("Marketing Manager", "Marketing Ops Manager", "Content Marketing Manager",
     "Demand Generation Manager", "Marketing Specialist", "Growth Marketer",
     "Gerente de Marketing", "Marketing Coordinator"),
    # 4 sales
    ("Account Executive", "Sales Manager", "VP Sales", "Head of Sales", "Leiter Vertrieb",
     "Responsable de Ventas", "Directeur Commercial", "SDR", "Key Account Manager"),
    # 5 engineering / IT
    ("CTO", "IT Manager", "Head of IT", "Software Engineer", "Senior Software Engineer",
     "VP Engineering", "Jefe de Sistemas", "Softwareentwickler"),
    # 6 finance
    ("CFO", "Finance Director", "Financial Controller", "Head of Finance",
     "Directeur Administratif et Financier", "Kaufmännischer Leiter"),
    # 7 customer success / support
    ("Customer Success Manager", "Head of Customer Experience", "VP Customer Success",
     "Support Team Lead", "Teamleiter Kundenservice"),
    # 8 operations / other
    ("Operations Manager", "COO", "Office Manager", "Project Manager", "Hoofd Operations",
     "Executive Assistant to the CEO"),
    # 9 product / data
    ("Product Manager", "Head of Product", "Data Analyst", "Head of Data", "Product Owner"),
)  # fmt: skip

#: A missing cell inside np.where (a 0-d object array: numpy's stubs reject a bare None).
_NULL = np.array(None, dtype=object)

_FIRST = (
    "Anna", "Ben", "Carla", "David", "Elena", "Felix", "Grace", "Hugo", "Ines", "Jonas", "Kate",
    "Lukas", "Maria", "Nils", "Olivia", "Pablo", "Quentin", "Rosa", "Sven", "Tara", "Umar",
    "Vera", "Will", "Xenia", "Yusuf", "Zoe",
)  # fmt: skip
_LAST = (
    "Smith", "Müller", "Dubois", "García", "Jansen", "Rossi", "Silva", "Brown", "Schmidt",
    "Martin", "López", "de Vries", "Bianchi", "Costa", "Taylor", "Weber", "Moreau", "Fernández",
    "Bakker", "Romano", "Santos", "Wilson", "Fischer", "Bernard",
)  # fmt: skip
_ROLE_SPELLINGS = {
    "champion": ("Champion", "champion", "CHAMPION ", "Internal Champion"),
    "decision maker": ("Decision Maker", "decision-maker", "Economic Buyer", "Signer"),
    "user": ("End User", "User", "user"),
    "influencer": ("Influencer", "Technical Evaluator", "Evaluator"),
    "blocker": ("Blocker", "blocker"),
}
_COUNTRY_SPELLINGS = {
    "United States": ("United States", "USA", "US", "U.S.A.", "united states of america"),
    "United Kingdom": ("United Kingdom", "UK", "GB", "England", "GBR"),
    "Germany": ("Germany", "Deutschland", "DE", "DEU"),
    "France": ("France", "FR", "FRA"),
    "Canada": ("Canada", "CA", "CAN"),
    "Australia": ("Australia", "AU"),
    "Netherlands": ("Netherlands", "The Netherlands", "NL", "Holland"),
    "India": ("India", "IN"),
    "Brazil": ("Brazil", "Brasil", "BR"),
    "Spain": ("Spain", "España", "ES"),
}

# Persona-code probabilities per slot, by context: (won seg-1, lost seg-1, seg-2 won, other).
_CHAMPION_P = {
    "seg1_won": (0.80, 0.02, 0.00, 0.06, 0.04, 0.03, 0.00, 0.02, 0.01, 0.02),
    "seg1_lost": (0.15, 0.02, 0.00, 0.30, 0.25, 0.15, 0.00, 0.05, 0.03, 0.05),
    "seg2_won": (0.08, 0.02, 0.72, 0.06, 0.04, 0.02, 0.00, 0.04, 0.01, 0.01),
    "seg2_lost": (0.10, 0.02, 0.15, 0.25, 0.25, 0.10, 0.00, 0.08, 0.03, 0.02),
    "other": (0.15, 0.05, 0.05, 0.20, 0.20, 0.15, 0.02, 0.08, 0.05, 0.05),
}
_SIGNER_P = {
    "seg1_won": (0.05, 0.85, 0.00, 0.00, 0.02, 0.03, 0.04, 0.00, 0.01, 0.00),
    "seg1_lost": (0.10, 0.25, 0.00, 0.05, 0.20, 0.15, 0.20, 0.00, 0.05, 0.00),
    "seg2_won": (0.05, 0.60, 0.10, 0.00, 0.05, 0.05, 0.10, 0.00, 0.05, 0.00),
    "seg2_lost": (0.10, 0.30, 0.05, 0.05, 0.15, 0.10, 0.20, 0.00, 0.05, 0.00),
    "other": (0.10, 0.40, 0.02, 0.03, 0.15, 0.10, 0.15, 0.00, 0.05, 0.00),
}
_OTHER_P = (0.05, 0.03, 0.03, 0.20, 0.18, 0.18, 0.06, 0.12, 0.09, 0.06)


def _draw(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category per row from a row-wise probability matrix (inverse CDF, vectorised)."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(probs.shape[0]) * cum[:, -1]
    return np.minimum((u[:, None] >= cum).sum(axis=1), probs.shape[1] - 1)


def _from_pools(
    rng: np.random.Generator, pools: tuple[tuple[str, ...], ...], codes: np.ndarray
) -> pl.Series:
    flat = [t for pool in pools for t in pool]
    sizes = np.array([len(p) for p in pools])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    idx = offsets[codes] + np.floor(rng.random(codes.shape[0]) * sizes[codes]).astype(np.int64)
    return pl.Series(flat, dtype=pl.String).gather(idx)


def _segments(accounts: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The planted segment memberships of ``icpkit.sample.customers`` accounts (raw HubSpot headers)."""
    cols = accounts.columns
    ind = accounts.select(normalize_text(pl.col("Industry"))).to_series()
    emp = accounts.select(parse_number(pl.col("Number of Employees").cast(pl.String))).to_series()
    seg1 = (ind.is_in(["saas", "fintech"]) & (emp >= 200) & (emp < 1000)).fill_null(False)
    if "Tech Stack" in cols:
        stack = accounts.select(split_multi(pl.col("Tech Stack"))).to_series()
        chat = [t.lower() for t, c in TECH_CATEGORIES.items() if c == "live chat"]
        seg2 = (
            stack.list.contains("shopify plus")
            & ~stack.list.eval(pl.element().is_in(chat)).list.any()
        ).fill_null(False)
    else:
        seg2 = pl.Series([False] * accounts.height)
    return seg1.to_numpy(), (seg2 & ~seg1).to_numpy()


def generate_contacts(
    accounts: pl.DataFrame, seed: int = 7, *, lost_share: float = 0.5
) -> pl.DataFrame:
    """Contacts (CRM export headers) for the accounts of :func:`icpkit.sample.generate_customers`.

    Every account gets one won deal with a champion, a signer and 0-2 users/influencers; with
    probability ``lost_share`` it also has an earlier lost deal; plus 0-3 contacts outside deals.
    The buying committee follows :data:`PLANTED_PERSONAS`. Columns: Contact ID, First Name, Last
    Name, Email, Job Title, Country, Company ID, Company Domain, Deal ID, Deal Stage, Deal Role,
    Unsubscribed.
    """
    if accounts.height == 0:
        raise InputError("no accounts to generate contacts for")
    for need in ("Record ID", "Industry", "Number of Employees"):
        if need not in accounts.columns:
            raise InputError(f"accounts need the column {need!r} (icpkit.sample.customers headers)")
    rng = np.random.default_rng(seed)
    n = accounts.height
    seg1, seg2 = _segments(accounts)
    ids = accounts["Record ID"].cast(pl.String).to_numpy()
    domain_col = "Company Domain Name" if "Company Domain Name" in accounts.columns else None
    domains = (
        accounts.select(normalize_domain(pl.col(domain_col))).to_series().to_numpy()
        if domain_col
        else np.full(n, None, dtype=object)
    )
    country_col = "Country/Region" if "Country/Region" in accounts.columns else None
    countries = accounts[country_col].to_numpy() if country_col else np.full(n, None, dtype=object)

    # Deals: one won per account, a lost one for some.
    has_lost = rng.random(n) < lost_share
    deal_acc = np.concatenate([np.arange(n), np.flatnonzero(has_lost)])
    deal_won = np.concatenate([np.ones(n, bool), np.zeros(int(has_lost.sum()), bool)])
    n_deals = deal_acc.shape[0]
    context = np.where(
        seg1[deal_acc],
        np.where(deal_won, "seg1_won", "seg1_lost"),
        np.where(seg2[deal_acc], np.where(deal_won, "seg2_won", "seg2_lost"), "other"),
    )

    def probs(table: Mapping[str, tuple[float, ...]]) -> np.ndarray:
        keys = list(table)
        return np.array([table[k] for k in keys])[_index(keys, context)]

    # Slots per deal: champion, signer, two optional users/influencers, an occasional blocker.
    slot_codes = [_draw(rng, probs(_CHAMPION_P)), _draw(rng, probs(_SIGNER_P))]
    slot_roles = ["champion", "decision maker"]
    slot_present = [np.ones(n_deals, bool), np.asarray(rng.random(n_deals) < 0.92)]
    for _ in range(2):
        slot_codes.append(_draw(rng, np.tile(_OTHER_P, (n_deals, 1))))
        slot_roles.append("user")
        slot_present.append(np.asarray(rng.random(n_deals) < 0.5))
    slot_codes.append(_draw(rng, np.tile(_OTHER_P, (n_deals, 1))))
    slot_roles.append("blocker")
    slot_present.append(np.asarray(rng.random(n_deals) < 0.1))

    deal_ids = np.array([f"D{100000 + i}" for i in range(n_deals)], dtype=object)
    parts: list[pl.DataFrame] = []
    for codes, role, present in zip(slot_codes, slot_roles, slot_present, strict=True):
        idx = np.flatnonzero(present)
        spellings = _ROLE_SPELLINGS[role if role != "user" else "user"]
        if role == "user":
            alt = rng.random(idx.shape[0]) < 0.4
            spell = np.where(
                alt,
                np.array(_ROLE_SPELLINGS["influencer"], dtype=object)[
                    rng.integers(0, len(_ROLE_SPELLINGS["influencer"]), idx.shape[0])
                ],
                np.array(spellings, dtype=object)[rng.integers(0, len(spellings), idx.shape[0])],
            )
        else:
            spell = np.array(spellings, dtype=object)[rng.integers(0, len(spellings), idx.shape[0])]
        parts.append(
            pl.DataFrame(
                {
                    "acc": deal_acc[idx],
                    "code": codes[idx],
                    "deal": deal_ids[idx],
                    "stage": np.where(deal_won[idx], "Closed Won", "Closed Lost"),
                    "role": spell.astype(str),
                },
                schema_overrides={"deal": pl.String},
            )
        )
    # Contacts outside any deal.
    extra = rng.integers(0, 4, n)
    acc_extra = np.repeat(np.arange(n), extra)
    parts.append(
        pl.DataFrame(
            {
                "acc": acc_extra,
                "code": _draw(rng, np.tile(_OTHER_P, (acc_extra.shape[0], 1))),
                "deal": pl.Series([None] * acc_extra.shape[0], dtype=pl.String),
                "stage": pl.Series([None] * acc_extra.shape[0], dtype=pl.String),
                "role": pl.Series([None] * acc_extra.shape[0], dtype=pl.String),
            }
        )
    )
    rows = pl.concat([p.with_columns(pl.col("code").cast(pl.Int64)) for p in parts])
    m = rows.height
    acc = rows["acc"].to_numpy()
    title = _from_pools(rng, _POOLS, rows["code"].to_numpy())

    first = np.array(_FIRST, dtype=object)[rng.integers(0, len(_FIRST), m)]
    last = np.array(_LAST, dtype=object)[rng.integers(0, len(_LAST), m)]
    dom = domains[acc]
    local = pl.select(
        pl.concat_str(
            [pl.Series(first, dtype=pl.String), pl.Series(last, dtype=pl.String)], separator="."
        )
        .str.to_lowercase()
        .str.normalize("NFKD")
        .str.replace_all(r"\p{Mn}", "")
        .str.replace_all(r"[^a-z.]", "")
    ).to_series()
    dom_s = pl.Series(dom, dtype=pl.String)
    free = rng.random(m) < 0.04  # personal mailbox
    email = pl.select(
        pl.when(pl.Series(free) | dom_s.is_null())
        .then(pl.format("{}{}@gmail.com", local, pl.lit(pl.Series(rng.integers(1, 99, m)))))
        .otherwise(pl.format("{}@{}", local, dom_s))
    ).to_series()
    style = rng.random(m)
    email = pl.select(
        pl.when(pl.Series(style < 0.02))
        .then(email.str.replace("@", " at ", literal=True))  # malformed
        .when(pl.Series(style < 0.03))
        .then(email.str.replace(r"@.*$", "@"))  # malformed
        .when(pl.Series(style < 0.10))
        .then(pl.format(" {} ", email.str.to_uppercase()))
        .when(pl.Series(style < 0.12))
        .then(pl.lit(None, dtype=pl.String))
        .otherwise(email)
    ).to_series()

    # Country: the account's, spelled many ways; some missing or unrecognisable.
    base_country = countries[acc]
    names = list(_COUNTRY_SPELLINGS)
    pools = (*(_COUNTRY_SPELLINGS[c] for c in names), ("",))
    code = pl.Series(base_country, dtype=pl.String).replace_strict(
        names, list(range(len(names))), default=len(names), return_dtype=pl.Int64
    )
    spelled = _from_pools(rng, pools, code.to_numpy()).to_numpy().astype(object)
    spelled = np.where(spelled == "", base_country, spelled)
    cstyle = rng.random(m)
    spelled = np.where(cstyle < 0.03, _NULL, spelled)
    spelled = np.where((cstyle >= 0.03) & (cstyle < 0.04), "Earth", spelled)

    key_style = rng.random(m)
    company_id = np.where(key_style < 0.15, _NULL, ids[acc])  # some rows only have a domain
    company_domain = np.where(key_style < 0.10, dom, _NULL)
    no_key = key_style < 0.02
    company_id = np.where(no_key, _NULL, company_id)
    company_domain = np.where(no_key, _NULL, company_domain)
    email = pl.select(
        pl.when(pl.Series(no_key)).then(pl.format("{}@gmail.com", local)).otherwise(email)
    ).to_series()

    return pl.DataFrame(
        {
            "Contact ID": np.arange(5_000_001, 5_000_001 + m),
            "First Name": first.astype(str),
            "Last Name": last.astype(str),
            "Email": email,
            "Job Title": title,
            "Country": pl.Series(spelled.tolist(), dtype=pl.String),
            "Company ID": pl.Series(company_id.tolist(), dtype=pl.String),
            "Company Domain": pl.Series(company_domain.tolist(), dtype=pl.String),
            "Deal ID": rows["deal"],
            "Deal Stage": rows["stage"],
            "Deal Role": rows["role"],
            "Unsubscribed": np.where(rng.random(m) < 0.03, "Yes", "No"),
        }
    )


def _index(keys: list[str], values: np.ndarray) -> np.ndarray:
    lookup = {k: i for i, k in enumerate(keys)}
    uniq, inverse = np.unique(values, return_inverse=True)
    return np.array([lookup[u] for u in uniq])[inverse.reshape(-1)]


__all__ = ["PLANTED_PERSONAS", "PlantedPersona", "generate_contacts"]
