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


@dataclass(frozen=True)
class _Deals:
    """One won deal per account, then a lost one for some: whose, won or not, and in what context."""

    account: np.ndarray
    won: np.ndarray
    context: np.ndarray

    @property
    def ids(self) -> np.ndarray:
        return np.array([f"D{100000 + i}" for i in range(self.account.shape[0])], dtype=object)


def _draw_deals(
    rng: np.random.Generator, seg1: np.ndarray, seg2: np.ndarray, lost_share: float
) -> _Deals:
    """Deals with the context (segment × won/lost) that decides who sits on the committee."""
    n = len(seg1)
    has_lost = rng.random(n) < lost_share
    deal_acc = np.concatenate([np.arange(n), np.flatnonzero(has_lost)])
    deal_won = np.concatenate([np.ones(n, bool), np.zeros(int(has_lost.sum()), bool)])
    context = np.where(
        seg1[deal_acc],
        np.where(deal_won, "seg1_won", "seg1_lost"),
        np.where(seg2[deal_acc], np.where(deal_won, "seg2_won", "seg2_lost"), "other"),
    )
    return _Deals(account=deal_acc, won=deal_won, context=context)


def _draw_slots(
    rng: np.random.Generator, context: np.ndarray
) -> list[tuple[np.ndarray, str, np.ndarray]]:
    """Persona code, role and presence per deal for each committee slot.

    Slots: champion, signer, two optional users/influencers, an occasional blocker. Only the
    champion and signer follow the planted context; the rest are background noise.
    """
    n_deals = len(context)

    def probs(table: Mapping[str, tuple[float, ...]]) -> np.ndarray:
        keys = list(table)
        return np.array([table[k] for k in keys])[_index(keys, context)]

    slots = [
        (_draw(rng, probs(_CHAMPION_P)), "champion", np.ones(n_deals, bool)),
    ]
    signer = _draw(rng, probs(_SIGNER_P))
    slots.append((signer, "decision maker", np.asarray(rng.random(n_deals) < 0.92)))
    for role, share in (("user", 0.5), ("user", 0.5), ("blocker", 0.1)):
        codes = _draw(rng, np.tile(_OTHER_P, (n_deals, 1)))
        slots.append((codes, role, np.asarray(rng.random(n_deals) < share)))
    return slots


def _role_spellings(rng: np.random.Generator, role: str, k: int) -> np.ndarray:
    """How a CRM spells ``role`` on ``k`` rows; 40% of users are entered as influencers."""
    spellings = _ROLE_SPELLINGS[role]
    if role != "user":
        return np.array(spellings, dtype=object)[rng.integers(0, len(spellings), k)]
    influencer = _ROLE_SPELLINGS["influencer"]
    alt = rng.random(k) < 0.4
    return np.where(
        alt,
        np.array(influencer, dtype=object)[rng.integers(0, len(influencer), k)],
        np.array(spellings, dtype=object)[rng.integers(0, len(spellings), k)],
    )


def _committee_rows(rng: np.random.Generator, deals: _Deals) -> list[pl.DataFrame]:
    """One frame per slot: account, persona code, deal, stage and role of each member present."""
    deal_ids = deals.ids
    parts: list[pl.DataFrame] = []
    for codes, role, present in _draw_slots(rng, deals.context):
        idx = np.flatnonzero(present)
        spell = _role_spellings(rng, role, idx.shape[0])
        parts.append(
            pl.DataFrame(
                {
                    "acc": deals.account[idx],
                    "code": codes[idx],
                    "deal": deal_ids[idx],
                    "stage": np.where(deals.won[idx], "Closed Won", "Closed Lost"),
                    "role": spell.astype(str),
                },
                schema_overrides={"deal": pl.String},
            )
        )
    return parts


def _outside_deals(rng: np.random.Generator, n: int) -> pl.DataFrame:
    """0-3 contacts per account that sit on no deal (no deal, stage or role)."""
    extra = rng.integers(0, 4, n)
    acc_extra = np.repeat(np.arange(n), extra)
    m = len(acc_extra)
    return pl.DataFrame(
        {
            "acc": acc_extra,
            "code": _draw(rng, np.tile(_OTHER_P, (m, 1))),
            "deal": pl.Series([None] * m, dtype=pl.String),
            "stage": pl.Series([None] * m, dtype=pl.String),
            "role": pl.Series([None] * m, dtype=pl.String),
        }
    )


def _emails(
    rng: np.random.Generator, first: np.ndarray, last: np.ndarray, dom: np.ndarray
) -> tuple[pl.Series, pl.Series]:
    """``first.last@domain`` (accents folded), some personal mailboxes, some malformed or missing.

    Returns the emails and the local parts (rows without an account key reuse the latter).
    """
    m = len(first)
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
    return email, local


def _spelled_countries(rng: np.random.Generator, base_country: np.ndarray) -> np.ndarray:
    """The account's country spelled many ways; some missing, some unrecognisable ("Earth")."""
    m = len(base_country)
    names = list(_COUNTRY_SPELLINGS)
    pools = (*(_COUNTRY_SPELLINGS[c] for c in names), ("",))
    code = pl.Series(base_country, dtype=pl.String).replace_strict(
        names, list(range(len(names))), default=len(names), return_dtype=pl.Int64
    )
    spelled = _from_pools(rng, pools, code.to_numpy()).to_numpy().astype(object)
    spelled = np.where(spelled == "", base_country, spelled)
    cstyle = rng.random(m)
    spelled = np.where(cstyle < 0.03, _NULL, spelled)
    return np.where((cstyle >= 0.03) & (cstyle < 0.04), "Earth", spelled)


def _account_columns(accounts: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Record ids, normalised domains and countries of the accounts (None where absent)."""
    n = accounts.height
    ids = accounts["Record ID"].cast(pl.String).to_numpy()
    domain_col = "Company Domain Name" if "Company Domain Name" in accounts.columns else None
    domains = (
        accounts.select(normalize_domain(pl.col(domain_col))).to_series().to_numpy()
        if domain_col
        else np.full(n, None, dtype=object)
    )
    country_col = "Country/Region" if "Country/Region" in accounts.columns else None
    countries = accounts[country_col].to_numpy() if country_col else np.full(n, None, dtype=object)
    return ids, domains, countries


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
    # The steps draw from ``rng`` in a fixed order: reordering them changes every seed's frame.
    rng = np.random.default_rng(seed)
    n = accounts.height
    seg1, seg2 = _segments(accounts)
    ids, domains, countries = _account_columns(accounts)
    deals = _draw_deals(rng, seg1, seg2, lost_share)
    parts = [*_committee_rows(rng, deals), _outside_deals(rng, n)]
    rows = pl.concat([p.with_columns(pl.col("code").cast(pl.Int64)) for p in parts])
    m = rows.height
    acc = rows["acc"].to_numpy()
    title = _from_pools(rng, _POOLS, rows["code"].to_numpy())

    first = np.array(_FIRST, dtype=object)[rng.integers(0, len(_FIRST), m)]
    last = np.array(_LAST, dtype=object)[rng.integers(0, len(_LAST), m)]
    dom = domains[acc]
    email, local = _emails(rng, first, last, dom)
    spelled = _spelled_countries(rng, countries[acc])

    # Account keys: some rows only have a domain, a few have no key at all (personal email).
    key_style = rng.random(m)
    company_id = np.where(key_style < 0.15, _NULL, ids[acc])
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
