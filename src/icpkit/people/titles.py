"""Free-text job titles to a department and a seniority, by documented, data-driven rules.

Personas are roles ("a marketing VP championed the deal"), so the thousands of ways people spell
their titles ("Sr. Dir., Demand Gen", "VP Mktg", "Leiter Vertrieb", "Directeur Marketing") must
collapse onto a small, fixed vocabulary before anything can be counted. The rules are tables, not
code, so they can be read, reviewed and extended:

1. **Cleaning** (:func:`clean_title`): lower-case, accents folded (``ä`` → ``a``, ``ß`` → ``ss``),
   punctuation to spaces, then :data:`ABBREVIATIONS` expanded word by word (``sr`` → ``senior``,
   ``mktg`` → ``marketing``, ``vice president`` → ``vp``). Cleaning is idempotent.
2. **Department** (:data:`DEPARTMENT_RULES`): the first rule whose pattern matches the cleaned
   title (and whose ``unless`` pattern does not) names the department. Specific phrases come first
   ("marketing operations" is revenue operations, "product marketing" is marketing, "account
   executive" is sales), functions next, generic leadership ("ceo", "founder",
   "geschaftsfuhrer") last, so "Co-founder & CTO" is engineering and "Founder & CEO" executive.
3. **Seniority** (:data:`SENIORITY_RULES`): the same first-match walk from the top of the ladder
   down. "Manager" in a role name (account, product, project, customer success manager) is an
   individual contributor, not a people manager.

Patterns cover English plus common German, French, Spanish, Dutch, Italian and Portuguese titles
(German compounds such as "Vertriebsleiter" are matched by stem). Everything is vectorised with
polars and runs once per *distinct* title, so a million contacts with ten thousand distinct titles
cost ten thousand evaluations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

DEPARTMENTS: tuple[str, ...] = (
    "executive",
    "marketing",
    "sales",
    "revenue operations",
    "customer success/support",
    "product",
    "engineering/it",
    "finance",
    "operations",
    "hr/people",
    "legal",
    "data/analytics",
    "other",
)
"""Every department a title can map to (lower-case, like every prepared categorical)."""

SENIORITIES: tuple[str, ...] = (
    "c-level/owner",
    "vp",
    "head/director",
    "manager",
    "senior individual contributor",
    "individual contributor",
    "intern/other",
)
"""Seniority levels from the top of the ladder down."""

SENIORITY_RANK: dict[str, int] = {s: len(SENIORITIES) - i for i, s in enumerate(SENIORITIES)}
"""Higher is more senior: c-level/owner 7 … intern/other 1."""


@dataclass(frozen=True)
class Rule:
    """``label`` when ``pattern`` matches the cleaned title and ``unless`` (if any) does not.

    Patterns are Rust-regex (polars) over the cleaned title: lower-case ASCII words separated by
    single spaces.
    """

    label: str
    pattern: str
    unless: str | None = None


ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    (r"vice presidente?|vicepresident(e|a)?|vizeprasident(in)?", "vp"),
    (r"sr|snr", "senior"),
    (r"jr|jnr", "junior"),
    (r"exec", "executive"),
    (r"senior vp", "svp"),
    (r"executive vp", "evp"),
    (r"dir|dirs", "director"),
    (r"mgr|mngr", "manager"),
    (r"mktg|mkt|mkting", "marketing"),
    (r"rev ops|revops|rev operations", "revenue operations"),
    (r"bizdev|biz dev|bd|biz development", "business development"),
    (r"biz", "business"),
    (r"ops|op", "operations"),
    (r"gen", "generation"),
    (r"acct", "account"),
    (r"assoc", "associate"),
    (r"asst", "assistant"),
    (r"admin", "administrator"),
    (r"mgmt", "management"),
    (r"cust", "customer"),
    (r"svc|svcs", "services"),
    (r"intl", "international"),
    (r"eng|engr", "engineering"),
    (r"dev", "developer"),
    (r"pr", "public relations"),
    (r"hr|rh|rrhh|hrm", "human resources"),
    (r"gf", "geschaftsfuhrer"),
    (r"md", "managing director"),
    (r"gm", "general manager"),
    (r"cofounder", "co founder"),
    (r"r and d|r d|rnd", "research and development"),
)
"""Whole-word abbreviations, expanded in order by :func:`clean_title` (order keeps it idempotent)."""

_ASSISTANT = r"\b(assistant|assistente|asistente|assistent|assistentin|secretary|sekretar|sekretarin|to the|office of the)\b"

DEPARTMENT_RULES: tuple[Rule, ...] = (
    # Specific phrases before the functions they contain.
    Rule("operations", r"\b(executive|personal) assistant\b|\bassistant to\b|\bchief of staff\b"),
    Rule(
        "revenue operations",
        r"\brevenue operations\b|\b(sales|marketing|gtm|go to market|commercial|crm) operations\b"
        r"|\b(sales|revenue) enablement\b|\b(salesforce|hubspot|crm) (administrator|architect)\b"
        r"|\bdeal desk\b",
    ),
    Rule("marketing", r"\b(product|customer|partner|field) marketing\b"),
    Rule("legal", r"\bdata protection\b|\bprivacy\b|\bdpo\b|datenschutz"),
    Rule("hr/people", r"\bpeople (operations|partner|and culture)\b|\btalent acquisition\b"),
    Rule(
        "sales",
        r"\baccount (executive|manager|director)\b|\bbusiness development\b|\bnew business\b"
        r"|\bkey account\b|\bejecutivo de (cuentas|ventas)\b",
    ),
    Rule(
        "engineering/it",
        r"\bit\b|\binformation technology\b|\b(help|service) desk\b|\bsystems? administrator\b"
        r"|\bsysadmin\b|\bedv\b",
    ),
    # Functions.
    Rule(
        "data/analytics",
        r"\bdata\b|\banalytics\b|\bbusiness intelligence\b|\bbi\b|\bmachine learning\b|\bml\b"
        r"|\bcdo\b|\binsights?\b|\bdaten\b|\bdatos\b|\bdonnees\b|\bdados\b|\bdati\b",
    ),
    Rule(
        "customer success/support",
        r"\bcustomer (success|support|service|care|experience)\b|\bclient (success|services?)\b"
        r"|\bcsm\b|\bcx\b|\bsupport\b|\bonboarding\b|\bimplementation\b|\bcco\b"
        r"|kundenservice|kundenbetreuung|kundenerfolg|\bservice client\b|\brelation client\b"
        r"|\batencion al cliente\b|\bexito del cliente\b|\bklantenservice\b|\bsucesso do cliente\b"
        r"|\bassistenza clienti\b|\bcustomer\b",
    ),
    Rule(
        "product",
        r"\bproduct\b|\bproducts\b|\bcpo\b|produkt|\bproduit\b|\bproducto\b|\bprodotto\b"
        r"|\bproduto\b|\bux\b|\bui\b|\buser experience\b",
    ),
    Rule(
        "marketing",
        r"marketing|\bcmo\b|\bgrowth\b|\bdemand\b|\bbrand\b|\bcontent\b|\bseo\b|\bsem\b|\bppc\b"
        r"|\bsocial media\b|\bcommunications?\b|\bpublic relations\b|\bevents?\b|\bcampaigns?\b"
        r"|\blead generation\b|\be ?commerce\b|\bdigital\b|\bcommunity\b|\bmercadotecnia\b"
        r"|kommunikation|\bcomunicacion\b|\bcomunicazione\b|\bcomunicacao\b",
    ),
    Rule(
        "sales",
        r"\bsales\b|\bcro\b|\brevenue\b|\bventes?\b|\bsdr\b|\bbdr\b|\bae\b|\bselling\b|\bpartnerships?\b|\bchannel\b"
        r"|\bcommercial\b|\bcommerciale?\b|\bcomercial\b|vertrieb|verkauf|\bventas\b"
        r"|\bvendas\b|\bvendite\b|\bverkoop\b|\bvendedora?\b|\bsales\w*\b",
    ),
    Rule(
        "engineering/it",
        r"engineer|\bdevelopers?\b|\bsoftware\b|\bcto\b|\bcio\b|\bciso\b|techn|tecnolog"
        r"|\bdevops\b|\bsre\b|\bsecurity\b|\binfrastructure\b|\barchitect\b|\bprogrammer\b"
        r"|entwickl|\binformatique\b|\binformatica\b|\bingeniero\b|\bingenieur\b|\bingegnere\b"
        r"|\bengenheiro\b|\bsistemas\b|\bqa\b|\bquality assurance\b|\bfrontend\b|\bbackend\b"
        r"|\bfull ?stack\b|\bcloud\b|\bplatform\b|\bresearch and development\b|\bdevelopment\b"
        r"|\bdesarroll|\bdeveloppe|\bsviluppo\b|\bsviluppatore\b|\bdesenvolv",
    ),
    Rule(
        "finance",
        r"financ|\bcfo\b|\bcontroll|\baccount(ing|ant)\b|\btreasur|\btax\b|\bpayroll\b|finanz"
        r"|buchhalt|kaufmannisch|\bcomptab|\bcontab|\btesorer|\bboekhoud|\bfiscal|\bdaf\b"
        r"|\baudit",
    ),
    Rule(
        "hr/people",
        r"\bhuman resources\b|\bpeople\b|\btalent\b|\brecruit|\bchro\b|personal(leiter|referent"
        r"|abteilung|wesen|entwicklung)|\b(leiter|leiterin) personal\b|\brecursos humanos\b"
        r"|\bressources humaines\b|\brisorse umane\b|\bpersoneelszaken\b|\bhiring\b",
    ),
    Rule(
        "legal",
        r"\blegal\b|\bcounsel\b|\blawyer\b|\battorney\b|\bjurist|\brecht\b|rechtsabteilung"
        r"|\bjuridique\b|\bjuridico\b|\blegale\b|\bcompliance\b|\bparalegal\b|\bavocat\b"
        r"|\babogado\b|\badvogado\b|\bavvocato\b",
    ),
    Rule(
        "operations",
        r"\boperations\b|\boperating\b|\bcoo\b|\blogistic|\bsupply chain\b|\bprocurement\b"
        r"|\bpurchasing\b|einkauf|logistik|\bbetrieb\b|\boperaciones\b|\boperacoes\b"
        r"|\boperazioni\b|\bfacilities\b|\boffice manager\b|\badministration\b|\badministratif\b"
        r"|\badministrativo\b|\bverwaltung\b|\bbuyer\b|\bacquisti\b|\bcompras\b|\bachats\b",
    ),
    # Generic leadership last: a functional word above always wins.
    Rule(
        "executive",
        r"\bceo\b|\bfounder\b|\bco founder\b|\bowner\b|\bpresident\b|\bmanaging director\b"
        r"|\bgeneral manager\b|gesch(a|ae)ftsf(u|ue)hr|\binhaber|\bvorstand|\bpdg\b|\bdirect(eur|rice) general"
        r"|\bgerante?\b|\bdirector general\b|\bdirectora general\b|\bdirector ejecutivo\b"
        r"|\bconsejero delegado\b|\bpropietari[oa]\b|\bamministratore delegato\b"
        r"|\bdirettore generale\b|\btitolare\b|\bdiretora? geral\b|\bdiretora? executivo\b"
        r"|\bproprietari[oa]\b|\bsocio\b|\bsocia\b|\balgemeen directeur\b|\beigenaar\b"
        r"|\boprichter\b|\bfondat(eur|rice|ore)\b|\bfundador(a)?\b|\bgrunder(in)?\b|\bpartner\b"
        r"|\bchairman\b|\bchairwoman\b|\bchair\b|\bentrepreneur\b|\bexecutive director\b"
        r"|\bgerente general\b|\bdirecteur\b|\bboard\b|\bchief executive\b|\bprincipal\b",
        unless=r"\bproduct owner\b|\bprocess owner\b|\bpartner manager\b",
    ),
)
"""Ordered department rules; the first match wins, anything unmatched is ``other``."""

_ROLE_MANAGERS = (
    r"\b(account|key account|customer success|success|product|project|program|programme|partner"
    r"|community|social media|content|relationship|client|portfolio|case|territory) manager\b"
)

SENIORITY_RULES: tuple[Rule, ...] = (
    Rule(
        "intern/other",
        r"\b(intern|internship|trainee|praktikant|praktikantin|werkstudent|werkstudentin"
        r"|stagiaire|stagiair|becario|becaria|tirocinante|stagista|estagiario|estagiaria"
        r"|apprentice|auszubildende|auszubildender|azubi|student|working student)\b",
    ),
    Rule(
        "c-level/owner",
        r"\bc[a-z]{1,3}o\b|\bchief\b|\bfounder\b|\bco founder\b|\bowner\b|\bpresident\b"
        r"|\bmanaging director\b|gesch(a|ae)ftsf(u|ue)hr|\binhaber|\bvorstand|\bpdg\b"
        r"|\bdirect(eur|rice) general|\bgerante?\b|\bdirectora? general\b"
        r"|\bdirectora? ejecutiv[oa]\b|\bconsejer[oa] delegad[oa]\b|\bpropietari[oa]\b"
        r"|\bamministratore delegato\b|\bdirettore generale\b|\btitolare\b|\bdiretora? geral\b"
        r"|\bdiretora? executiv[oa]\b|\bproprietari[oa]\b|\bsoci[oa]\b|\balgemeen directeur\b"
        r"|\beigenaar\b|\boprichter\b|\bfondat(eur|rice|ore)\b|\bfundador(a)?\b|\bgrunder(in)?\b"
        r"|\b(managing|founding|general|senior) partner\b|^partner$|\bchair(man|woman)?\b"
        r"|\bentrepreneur\b|\bexecutive director\b|\bgerente general\b",
        unless=_ASSISTANT + r"|\bproduct owner\b|\bprocess owner\b|\bchief of staff\b"
        r"|\bcoordinator\b|\bcsm\b|\bcoo?rdinat",
    ),
    Rule("vp", r"\b(vp|svp|evp|avp)\b", unless=_ASSISTANT),
    Rule("manager", r"\bteam ?(lead|leader|leiter|leiterin|leider)\b|\bgruppenleiter(in)?\b"),
    Rule(
        "head/director",
        r"\bdirector\b|\bdirectora\b|\bdirecteur\b|\bdirectrice\b|\bdirettore\b|\bdirettrice\b"
        r"|\bdiretora?\b|\bhead\b|\bhoofd\b|leiter\b|leiterin\b|\bleitung\b|\bjef[ea]\b"
        r"|\bgeneral manager\b|\bgeneral counsel\b|\bchef (de|du) (service|departement)\b|\bbereichsleiter"
        r"|\babteilungsleiter|\bcapo\b|\bresponsabile\b",
    ),
    Rule(
        "manager",
        r"\bmanager\b|\bmanagerin\b|\bgerente\b|\bresponsable\b|\bsupervisor\b|\bencargad[oa]\b"
        r"|\bgestor(a)?\b|\bchef\b|\bteamlead\b|\blead manager\b|\bmanaging\b|\bkoordinator\b",
        unless=_ROLE_MANAGERS,
    ),
    Rule(
        "senior individual contributor",
        r"\bsenior\b|\bprincipal\b|\bstaff\b|\blead\b|\bexpert\b|\bexperte\b|\barchitect\b"
        r"|\barchitekt\b|\bsenior\w*\b",
    ),
    Rule(
        "individual contributor",
        _ROLE_MANAGERS + r"|\bengineer\b|\bdevelopers?\b|\banalyst\b|\bspecialist\b"
        r"|\brepresentative\b|\brep\b|\bassociate\b|\bexecutive\b|\bconsultant\b|\bcoordinator\b"
        r"|\bdesigner\b|\bscientist\b|\baccountant\b|\brecruiter\b|\bassistant\b|\badministrator\b"
        r"|\bofficer\b|\bagent\b|\badvis[oe]r\b|\bsdr\b|\bbdr\b|\bae\b|\bcsm\b|\bwriter\b"
        r"|\beditor\b|\bstrategist\b|\bplanner\b|\bbuyer\b|\bclerk\b|\btechnician\b"
        r"|\bprogrammer\b|\btester\b|\bmarketer\b|\bowner\b|\bjunior\b|\bsachbearbeiter(in)?\b|\bcontroller\b|\bcounsel\b|\blawyer\b"
        r"|\battorney\b|\bparalegal\b|\bjurist(in)?\b"
        r"|\breferent(in)?\b|\bmitarbeiter(in)?\b|\bberater(in)?\b|entwickler(in)?\b"
        r"|\bingenieur(in)?\b|\bkauf(mann|frau)\b|\banalista\b|\bconsultora?\b|\basistente\b"
        r"|\bingenier[oa]\b|\bchargee?\b|\bassistante?\b|\bconseill(er|ere)\b|\bmedewerker\b"
        r"|\badviseur\b|\bspecialista\b|\btecnic[oa]\b|\bcomercial\b|\bvendedora?\b"
        r"|\bcommerciale?\b|\bejecutiv[oa]\b|\bdesarrollador(a)?\b|\bdeveloppeur\b"
        r"|\bdesenvolvedor(a)?\b|\bsviluppatore\b|\bimpiegat[oa]\b|\baddett[oa]\b"
        r"|\bengineering\b|\bspecialiste?\b|\bespecialista\b|\banalyste\b",
    ),
)
"""Ordered seniority rules; the first match wins, anything unmatched is ``intern/other``."""


def clean_title(expr: pl.Expr) -> pl.Expr:
    """The cleaned form rules run on: ASCII lower-case words, abbreviations expanded.

    Idempotent: cleaning a cleaned title returns it unchanged. Blank titles become null.
    """
    s = (
        expr.cast(pl.String)
        .str.to_lowercase()
        .str.replace_all("ß", "ss", literal=True)
        .str.normalize("NFKD")
        .str.replace_all(r"\p{Mn}", "")
        .str.replace_all(r"&", " and ", literal=True)
        .str.replace_all(r"[^a-z0-9]+", " ")
        .str.strip_chars()
    )
    for short, long in ABBREVIATIONS:
        s = s.str.replace_all(rf"\b({short})\b", long)
    s = s.str.replace_all(r"\s+", " ").str.strip_chars()
    return pl.when(s.str.len_chars() > 0).then(s)


def _first_match(rules: tuple[Rule, ...], cleaned: pl.Expr, default: str) -> pl.Expr:
    chain: Any = None  # polars' When/Then chain: pl.when(...).then(...).when(...)...
    out = None
    for rule in rules:
        cond = cleaned.str.contains(rule.pattern)
        if rule.unless:
            cond = cond & ~cleaned.str.contains(rule.unless)
        out = (pl.when(cond) if chain is None else chain.when(cond)).then(pl.lit(rule.label))
        chain = out
    assert out is not None
    return pl.when(cleaned.is_null()).then(None).otherwise(out.otherwise(pl.lit(default)))


def department_expr(cleaned: pl.Expr) -> pl.Expr:
    """Department of an already cleaned title (see :func:`clean_title`); null stays null."""
    return _first_match(DEPARTMENT_RULES, cleaned, "other")


def seniority_expr(cleaned: pl.Expr) -> pl.Expr:
    """Seniority of an already cleaned title (see :func:`clean_title`); null stays null."""
    return _first_match(SENIORITY_RULES, cleaned, "intern/other")


def classify_titles(titles: pl.Series | list[str | None]) -> pl.DataFrame:
    """One row per input title: ``title``, ``title_clean``, ``department``, ``seniority``.

    The rules run once per distinct title and the result is joined back in input order.
    """
    s = titles if isinstance(titles, pl.Series) else pl.Series(titles, dtype=pl.String)
    s = s.cast(pl.String).rename("title")
    distinct = s.unique().to_frame()
    table = distinct.with_columns(clean_title(pl.col("title")).alias("title_clean")).with_columns(
        department_expr(pl.col("title_clean")).alias("department"),
        seniority_expr(pl.col("title_clean")).alias("seniority"),
    )
    return s.to_frame().join(table, on="title", how="left", nulls_equal=True, maintain_order="left")


# Seniority values CRM picklists use (HubSpot, Salesforce, data vendors), on cleaned text.
SENIORITY_PICKLIST: dict[str, str] = {
    "c level": "c-level/owner",
    "c suite": "c-level/owner",
    "cxo": "c-level/owner",
    "executive": "c-level/owner",
    "owner": "c-level/owner",
    "founder": "c-level/owner",
    "partner": "c-level/owner",
    "vp": "vp",
    "director": "head/director",
    "head": "head/director",
    "manager": "manager",
    "senior": "senior individual contributor",
    "individual contributor": "individual contributor",
    "ic": "individual contributor",
    "entry": "individual contributor",
    "entry level": "individual contributor",
    "junior": "individual contributor",
    "staff": "individual contributor",
    "intern": "intern/other",
    "training": "intern/other",
}


def add_title_columns(
    df: pl.DataFrame,
    title: str = "title",
    *,
    department: str | None = None,
    seniority: str | None = None,
) -> pl.DataFrame:
    """Append ``title_clean``, ``department`` and ``seniority`` derived from column ``title``.

    ``department``/``seniority`` name columns the source already has (CRM picklists); a value
    there that the rules recognise wins over the one derived from the title, because a person
    chose it. Existing output columns are replaced.
    """
    source = df[title] if title in df.columns else pl.Series([None] * df.height, dtype=pl.String)
    derived = classify_titles(source)
    dept = derived["department"]
    level = derived["seniority"]
    if department and department in df.columns:
        given = classify_titles(df[department])
        picked = given.select(
            pl.when(pl.col("department") != "other").then(pl.col("department"))
        ).to_series()
        dept = pl.select(pl.coalesce(picked, dept)).to_series()
    if seniority and seniority in df.columns:
        cleaned = df.select(clean_title(pl.col(seniority))).to_series()
        picked = cleaned.replace_strict(SENIORITY_PICKLIST, default=None, return_dtype=pl.String)
        by_rules = classify_titles(df[seniority])["seniority"]
        picked = pl.select(
            pl.coalesce(picked, pl.when(by_rules != "intern/other").then(by_rules))
        ).to_series()
        level = pl.select(pl.coalesce(picked, level)).to_series()
    return df.with_columns(
        derived["title_clean"].alias("title_clean"),
        dept.alias("department"),
        level.alias("seniority"),
    )


__all__ = [
    "ABBREVIATIONS",
    "DEPARTMENTS",
    "DEPARTMENT_RULES",
    "SENIORITIES",
    "SENIORITY_PICKLIST",
    "SENIORITY_RANK",
    "SENIORITY_RULES",
    "Rule",
    "add_title_columns",
    "classify_titles",
    "clean_title",
    "department_expr",
    "seniority_expr",
]
