"""Title normalisation on real-world title variants (hand-written expectations)."""

from __future__ import annotations

import functools

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icpkit.people.titles import (
    ABBREVIATIONS,
    DEPARTMENTS,
    SENIORITIES,
    add_title_columns,
    classify_titles,
    clean_title,
)

CL, VP, DIR, MGR, SIC, IC, OTH = SENIORITIES
EXE, MKT, SAL, REV, CS, PRD, ENG, FIN, OPS, HR, LEG, DAT, OTHER = DEPARTMENTS

TITLES: list[tuple[str, str, str]] = [
    # English, marketing
    ("CMO", MKT, CL),
    ("Chief Marketing Officer", MKT, CL),
    ("VP Marketing", MKT, VP),
    ("VP, Marketing", MKT, VP),
    ("Vice President of Marketing", MKT, VP),
    ("SVP Marketing", MKT, VP),
    ("Sr. Vice President, Marketing", MKT, VP),
    ("Head of Growth", MKT, DIR),
    ("Head of Marketing", MKT, DIR),
    ("Director of Marketing", MKT, DIR),
    ("Sr. Dir., Demand Gen", MKT, DIR),
    ("Marketing Director", MKT, DIR),
    ("Demand Generation Manager", MKT, MGR),
    ("Senior Marketing Manager", MKT, MGR),
    ("Product Marketing Manager", MKT, MGR),
    ("Content Marketing Specialist", MKT, IC),
    ("Growth Lead", MKT, SIC),
    ("Digital Marketing Executive", MKT, IC),
    ("Brand Manager", MKT, MGR),
    ("SEO Specialist", MKT, IC),
    ("Head of E-Commerce", MKT, DIR),
    ("Marketing Intern", MKT, OTH),
    ("Mktg Coordinator", MKT, IC),
    # revenue operations
    ("Marketing Ops Manager", REV, MGR),
    ("RevOps Lead", REV, SIC),
    ("Director, Revenue Operations", REV, DIR),
    ("Sales Operations Analyst", REV, IC),
    ("Salesforce Admin", REV, IC),
    # sales
    ("Chief Revenue Officer", SAL, CL),
    ("CRO", SAL, CL),
    ("VP Sales", SAL, VP),
    ("Head of Sales", SAL, DIR),
    ("Sales Director EMEA", SAL, DIR),
    ("Regional Sales Manager", SAL, MGR),
    ("Account Executive", SAL, IC),
    ("Senior Account Executive", SAL, SIC),
    ("Account Manager", SAL, IC),
    ("Key Account Manager", SAL, IC),
    ("SDR", SAL, IC),
    ("Business Development Representative", SAL, IC),
    ("BizDev Manager", SAL, MGR),
    ("Sales Team Lead", SAL, MGR),
    # executive
    ("CEO", EXE, CL),
    ("Founder & CEO", EXE, CL),
    ("Co-Founder", EXE, CL),
    ("Owner", EXE, CL),
    ("President", EXE, CL),
    ("Managing Director", EXE, CL),
    ("General Manager", EXE, DIR),
    ("Executive Assistant to the CEO", OPS, IC),
    ("Chief of Staff", OPS, SIC),
    # customer success / support
    ("VP Customer Success", CS, VP),
    ("Customer Success Manager", CS, IC),
    ("Head of Customer Experience", CS, DIR),
    ("Support Engineer", CS, IC),
    ("Customer Support Team Lead", CS, MGR),
    # product
    ("Chief Product Officer", PRD, CL),
    ("Product Manager", PRD, IC),
    ("Senior Product Manager", PRD, SIC),
    ("Director of Product Management", PRD, DIR),
    ("Product Owner", PRD, IC),
    ("UX Designer", PRD, IC),
    # engineering / IT
    ("CTO", ENG, CL),
    ("Co-founder & CTO", ENG, CL),
    ("CIO", ENG, CL),
    ("VP Engineering", ENG, VP),
    ("Engineering Manager", ENG, MGR),
    ("Senior Software Engineer", ENG, SIC),
    ("Software Developer", ENG, IC),
    ("Head of IT", ENG, DIR),
    ("IT Manager", ENG, MGR),
    ("Principal Engineer", ENG, SIC),
    ("DevOps Engineer", ENG, IC),
    # finance, HR, legal, operations, data
    ("CFO", FIN, CL),
    ("Finance Director", FIN, DIR),
    ("Financial Controller", FIN, IC),
    ("Accountant", FIN, IC),
    ("CHRO", HR, CL),
    ("HR Manager", HR, MGR),
    ("Head of People", HR, DIR),
    ("Talent Acquisition Specialist", HR, IC),
    ("General Counsel", LEG, DIR),
    ("Legal Counsel", LEG, IC),
    ("Data Protection Officer", LEG, IC),
    ("COO", OPS, CL),
    ("Operations Manager", OPS, MGR),
    ("Head of Procurement", OPS, DIR),
    ("Data Scientist", DAT, IC),
    ("Head of Data", DAT, DIR),
    ("BI Analyst", DAT, IC),
    ("Chief Data Officer", DAT, CL),
    # German
    ("Geschäftsführer", EXE, CL),
    ("Geschaeftsfuehrerin", EXE, CL),
    ("GF", EXE, CL),
    ("Inhaber", EXE, CL),
    ("Leiter Vertrieb", SAL, DIR),
    ("Vertriebsleiter", SAL, DIR),
    ("Leiterin Marketing", MKT, DIR),
    ("Marketingleiter", MKT, DIR),
    ("Teamleiter Kundenservice", CS, MGR),
    ("Softwareentwickler", ENG, IC),
    ("Personalleiterin", HR, DIR),
    ("Werkstudent Marketing", MKT, OTH),
    ("Kaufmännischer Leiter", FIN, DIR),
    # French
    ("Directeur Marketing", MKT, DIR),
    ("Directrice Commerciale", SAL, DIR),
    ("Directeur Général", EXE, CL),
    ("PDG", EXE, CL),
    ("Responsable Marketing", MKT, MGR),
    ("Vice-Président Ventes", SAL, VP),
    ("Chargée de communication", MKT, IC),
    ("Directeur Administratif et Financier", FIN, DIR),
    ("Stagiaire Marketing", MKT, OTH),
    # Spanish
    ("Responsable de Ventas", SAL, MGR),
    ("Director General", EXE, CL),
    ("Directora de Marketing", MKT, DIR),
    ("Jefe de Ventas", SAL, DIR),
    ("Gerente de Marketing", MKT, MGR),
    ("Ejecutivo de Cuentas", SAL, IC),
    ("Jefe de Sistemas", ENG, DIR),
    # Dutch
    ("Hoofd Marketing", MKT, DIR),
    ("Algemeen Directeur", EXE, CL),
    ("Eigenaar", EXE, CL),
    ("Medewerker Klantenservice", CS, IC),
    # Italian
    ("Amministratore Delegato", EXE, CL),
    ("Direttore Commerciale", SAL, DIR),
    ("Responsabile Marketing", MKT, DIR),
    # Portuguese
    ("Diretor de Marketing", MKT, DIR),
    ("Gerente Comercial", SAL, MGR),
    ("Sócio Fundador", EXE, CL),
    ("Analista de Dados", DAT, IC),
]


def test_table_is_large_enough() -> None:
    assert len(TITLES) >= 80
    assert len({t for t, _, _ in TITLES}) == len(TITLES)


@functools.cache
def _classified() -> dict[str, dict[str, str]]:
    out = classify_titles([t for t, _, _ in TITLES])  # one vectorised pass over the table
    return {r["title"]: r for r in out.iter_rows(named=True)}


@pytest.mark.parametrize(("title", "department", "seniority"), TITLES)
def test_title_variants(title: str, department: str, seniority: str) -> None:
    row = _classified()[title]
    assert (row["department"], row["seniority"]) == (department, seniority), row["title_clean"]


def test_blank_and_null_titles_stay_unknown() -> None:
    out = classify_titles([None, "", "   ", "VP Sales"])
    assert out["department"].to_list() == [None, None, None, SAL]
    assert out["seniority"].null_count() == 3


def test_unrecognised_titles_are_other() -> None:
    out = classify_titles(["Volunteer", "Astronaut"])
    assert out["department"].to_list() == [OTHER, OTHER]
    assert out["seniority"].to_list() == [OTH, OTH]


def test_classify_keeps_order_and_duplicates() -> None:
    titles = ["CMO", "CTO", "CMO", None, "CTO"]
    out = classify_titles(titles)
    assert out["title"].to_list() == titles
    assert out["department"].to_list() == [MKT, ENG, MKT, None, ENG]


def test_picklist_columns_win_over_titles() -> None:
    df = pl.DataFrame(
        {
            "title": ["Growth Hacker", "Ninja", "VP Sales"],
            "dept": ["Marketing", None, "nonsense"],
            "level": ["Director", "C-Level", None],
        }
    )
    out = add_title_columns(df, "title", department="dept", seniority="level")
    assert out["department"].to_list() == [MKT, OTHER, SAL]
    assert out["seniority"].to_list() == [DIR, CL, VP]


_WORDS = st.sampled_from(
    [w for short, _ in ABBREVIATIONS for w in short.split("|") if "(" not in w]
    + ["vice", "president", "marketing", "of", "head", "&", ",", ".", "Ä", "ß", "-", "CEO"]
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_WORDS, max_size=6).map(" ".join) | st.text(max_size=30))
def test_cleaning_is_idempotent_and_classification_stable(title: str) -> None:
    once = pl.select(clean_title(pl.lit(title, dtype=pl.String))).item()
    twice = pl.select(clean_title(pl.lit(once, dtype=pl.String))).item()
    assert once == twice
    a = classify_titles([title]).row(0)
    b = classify_titles([once]).row(0)
    assert a[2:] == b[2:]
    assert a[2] is None or a[2] in DEPARTMENTS
    assert a[3] is None or a[3] in SENIORITIES
