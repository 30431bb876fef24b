"""Column roles, kinds, layers, CRM header maps, value parsing and frame preparation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icpkit.columns.infer import infer_schema
from icpkit.columns.names import canonical_name
from icpkit.columns.parsing import normalize_text, parse_bool, parse_date, parse_number, split_multi
from icpkit.columns.preparation import prepare
from icpkit.columns.schema import Kind, OutcomeKind, Role, Schema, SchemaOverrides
from icpkit.criteria import Layer
from icpkit.errors import IcpFileError, InputError
from icpkit.io import read_table, write_table
from tests.helpers import shared_dir

SHARED = shared_dir()
CRUNCHBASE = SHARED / "data" / "crunchbase-2013" / "crunchbase-companies.csv"


def _apply(fn, values: list[object]) -> list[object]:  # type: ignore[no-untyped-def]
    return pl.select(fn(pl.lit(pl.Series("v", values, dtype=pl.String)))).to_series().to_list()


# -- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "canonical"),
    [
        ("Record ID", "id"),
        ("Company name", "name"),
        ("Company Domain Name", "domain"),
        ("Website URL", "website"),
        ("Number of Employees", "employees"),
        ("Annual Revenue", "revenue"),
        ("Country/Region", "country"),
        ("State/Region", "region"),
        ("Close Date", "close_date"),
        ("Create Date", "created_date"),
        ("Lifecycle Stage", "lifecycle_stage"),
        ("Total Revenue", "total_revenue"),
        ("Time Zone", "time_zone"),
        ("Account ID", "id"),
        ("Account Name", "name"),
        ("AnnualRevenue", "revenue"),
        ("BillingCountry", "country"),
        ("Billing Country", "country"),
        ("Billing State/Province", "region"),
        ("Opportunity Stage", "stage"),
        ("IsWon", "won"),
        ("Is Closed", "is_closed"),
        ("company_id", "id"),
        ("headcount", "employees"),
        ("employee_count", "employees"),
        ("Technologies", "tech_stack"),
        ("Funding Round (Latest)", "funding_round_latest"),
        ("HiringGrowth%", "hiring_growth"),
        ("Größe", "groe"),
        ("2024 Spend", "c_2024_spend"),
    ],
)
def test_canonical_name(header: str, canonical: str) -> None:
    assert canonical_name(header) == canonical


# -- value parsing ----------------------------------------------------------------------------


def test_parse_number_examples() -> None:
    raw = ["1,200", "$10M", "€2.5k", "1.2bn", "12%", "(500)", "10,000+", "1.234.567,8", "2,5"]
    raw += ["USD 1,000", "-$1,234.50", "1 200", "5 million", "1e3", " 3 "]
    expected = [1200, 1e7, 2500, 1.2e9, 12, -500, 10000, 1234567.8, 2.5]
    expected += [1000, -1234.5, 1200, 5e6, 1000, 3]
    assert _apply(parse_number, raw) == pytest.approx(expected)
    assert (
        _apply(parse_number, ["N/A", "-", "", "null", "none", "abc", "11-50", None]) == [None] * 8
    )


@settings(max_examples=200, deadline=None)
@given(
    value=st.integers(min_value=0, max_value=10**12),
    style=st.sampled_from(["plain", "commas", "dollar", "euro_suffix", "parens", "pct"]),
)
def test_parse_number_reads_back_formatted_numbers(value: int, style: str) -> None:
    if style == "plain":
        text, expected = str(value), value
    elif style == "commas":
        text, expected = f"{value:,}", value
    elif style == "dollar":
        text, expected = f"${value:,.2f}", value
    elif style == "euro_suffix":
        scales = ((1e9, "bn"), (1e6, "M"), (1e3, "k"), (1, ""))
        div, suffix = next((d, s) for d, s in scales if value >= d or d == 1)
        text, expected = f"€{value / div:.2f}{suffix}", round(value / div, 2) * div
    elif style == "parens":
        text, expected = f"({value:,})", -value
    else:
        text, expected = f"{value}%", value
    assert _apply(parse_number, [text])[0] == pytest.approx(expected, rel=1e-9), text


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_normalize_text_is_idempotent(text: str) -> None:
    once = _apply(normalize_text, [text])[0]
    assert _apply(normalize_text, [once])[0] == once
    assert not once.startswith(" ") and not once.endswith(" ")
    assert "  " not in once


def test_parse_bool_date_and_multi() -> None:
    assert _apply(parse_bool, ["Yes", "no", "TRUE", "f", "1", "0", "y", "maybe", None]) == [
        True,
        False,
        True,
        False,
        True,
        False,
        True,
        None,
        None,
    ]
    got = _apply(parse_date, ["2023-01-05", "2023-01-05T10:00:00Z", "01/31/2023", "31.01.2023"])
    assert got == [date(2023, 1, 5), date(2023, 1, 5), date(2023, 1, 31), date(2023, 1, 31)]
    assert _apply(parse_date, ["2012-06", "13/31/2023", "soon"]) == [date(2012, 6, 1), None, None]
    multi = _apply(split_multi, ["Shopify; Klaviyo | Gorgias", "none", None, " HubSpot  CRM ;"])
    assert multi == [["shopify", "klaviyo", "gorgias"], [], None, ["hubspot crm"]]
    comma = pl.select(split_multi(pl.lit("A, B"), ",")).item().to_list()
    assert comma == ["a", "b"]


# -- inference --------------------------------------------------------------------------------


def hubspot() -> pl.DataFrame:
    n = 12
    return pl.DataFrame(
        {
            "Record ID": [str(1000 + i) for i in range(n)],
            "Company name": [f"Company {i}" for i in range(n)],
            "Company Domain Name": [f"co{i}.example" for i in range(n)],
            "Website URL": [f"https://www.co{i}.example/" for i in range(n)],
            "Number of Employees": ["12", "1,200", "50", "8", "300", "45"] * 2,
            "Annual Revenue": ["$1M", "2500000", "", "750k", "$12M", "3M"] * 2,
            "Industry": ["Retail", "SaaS", "retail ", "Fintech", "SaaS", "Retail"] * 2,
            "Country/Region": ["United States", "Germany"] * 6,
            "Close Date": ["2023-01-05", "2023-02-10", "", "2023-03-01", "2022-12-01", ""] * 2,
            "Create Date": ["2022-01-05 10:00"] * 6 + ["2022-02-01 09:30"] * 6,
            "Lifecycle Stage": ["customer", "lead", "customer", "opportunity"] * 3,
            "Total Revenue": ["1200", "0", "560", "", "9000", "10"] * 2,
            "Type": ["Prospect", "Partner", "Prospect"] * 4,
        }
    )


def test_hubspot_export() -> None:
    schema = infer_schema(hubspot())
    assert (schema.id, schema.name, schema.domain) == ("id", "name", "domain")
    assert schema.reference_date == "close_date"
    g = schema.get
    assert g("employees").kind is Kind.NUMERIC and g("employees").role is Role.ATTRIBUTE
    assert g("employees").layer is Layer.FIRMOGRAPHIC
    assert g("revenue").kind is Kind.NUMERIC
    assert g("industry").kind is Kind.CATEGORICAL
    assert g("Country/Region").name == "country"  # lookup by source header works too
    assert g("close_date").role is Role.DATE
    assert g("created_date").kind is Kind.DATE and g("created_date").layer is None
    assert g("lifecycle_stage").outcome is OutcomeKind.STATUS
    tr = g("total_revenue")
    assert (tr.role, tr.outcome, tr.higher_is_better) == (Role.OUTCOME, OutcomeKind.VALUE, True)
    assert g("account_type").role is Role.ATTRIBUTE
    prepared = prepare(hubspot(), schema)
    f = prepared.frame
    assert f.schema["employees"] == pl.Float64 and f["employees"][1] == 1200.0
    assert f["revenue"].to_list()[:4] == [1e6, 2.5e6, None, 7.5e5]
    assert f.schema["close_date"] == pl.Date
    assert f["industry"].to_list()[:3] == ["retail", "saas", "retail"]
    assert f["website"].to_list()[0] == "https://www.co0.example/"  # not the domain column
    assert f["domain"].to_list()[0] == "co0.example"


def test_salesforce_export() -> None:
    df = pl.DataFrame(
        {
            "Account ID": ["001A", "001B", "001C", "001D"],
            "Account Name": ["Acme", "Beta", "Gamma", "Delta"],
            "Website": ["http://acme.com/x", "www.beta.io", "GAMMA.org", None],
            "Employees": ["100", "20", "5000", "12"],
            "AnnualRevenue": ["1000000", "50000", "9e8", "100"],
            "BillingCountry": ["US", "DE", "US", "FR"],
            "Ownership": ["Private", "Public", "Private", "Private"],
            "Stage": ["Closed Won", "Closed Lost", "Closed Won", "Negotiation"],
            "Amount": ["10,000", "5,000", "$120k", "800"],
            "IsWon": ["true", "false", "true", "false"],
            "Close Date": ["1/5/2023", "2/10/2023", "3/1/2023", "4/2/2023"],
        }
    )
    schema = infer_schema(df)
    assert (schema.id, schema.name, schema.domain) == ("id", "name", "website")
    assert schema.get("stage").outcome is OutcomeKind.WON
    assert schema.get("won").outcome is OutcomeKind.WON
    assert schema.get("won").kind is Kind.BOOLEAN
    assert schema.get("amount").outcome is OutcomeKind.VALUE
    assert schema.get("country").role is Role.ATTRIBUTE
    f = prepare(df, schema).frame
    assert f["website"].to_list() == ["acme.com", "beta.io", "gamma.org", None]
    assert f["amount"].to_list() == [10000, 5000, 120000, 800]
    assert f["won"].to_list() == [True, False, True, False]
    assert f["close_date"].to_list()[0] == date(2023, 1, 5)


def warehouse() -> pl.DataFrame:
    n = 20
    return pl.DataFrame(
        {
            "company_id": [f"c{i}" for i in range(n)],
            "domain": [f"c{i}.com" for i in range(n)],
            "tech_stack": ["Shopify; Klaviyo", "Magento|Gorgias", "Shopify", None] * 5,
            "integrations": ["Slack, Zoom", "Zoom", "Slack, Teams, Zoom", "Teams"] * 5,
            "arr": [str(1000 * i) for i in range(n)],
            "churned": ["yes", "no"] * 10,
            "churn_date": ["2023-05-01", None] * 10,
            "tenure_months": [str(i) for i in range(n)],
            "nrr": [str(90 + i) for i in range(n)],
            "support_tickets": [str(i % 7) for i in range(n)],
            "sales_cycle_days": [str(10 + i) for i in range(n)],
            "onboarding_days": [str(5 + i) for i in range(n)],
            "hiring_growth": [str(i / 10) for i in range(n)],
            "intent_score": [str(i * 3) for i in range(n)],
            "last_funding_date": ["2021-03-01", "2022-07-15"] * 10,
            "notes": [f"called on day {i}, said they would think about it" for i in range(n)],
            "empty": [None] * n,
            "region_const": ["EMEA"] * n,
        }
    )


def test_warehouse_names() -> None:
    schema = infer_schema(warehouse())
    g = schema.get
    assert schema.id == "id" and schema.domain == "domain"
    ts = g("tech_stack")
    assert (ts.kind, ts.layer, ts.separator) == (Kind.MULTI, Layer.TECHNOGRAPHIC, None)
    assert (g("integrations").kind, g("integrations").separator) == (Kind.MULTI, ",")
    expected = {
        "arr": (OutcomeKind.VALUE, True),
        "tenure_months": (OutcomeKind.RETENTION, True),
        "nrr": (OutcomeKind.EXPANSION, True),
        "support_tickets": (OutcomeKind.SUPPORT, False),
        "sales_cycle_days": (OutcomeKind.SALES_CYCLE, False),
        "onboarding_days": (OutcomeKind.ONBOARDING, False),
        "churned": (OutcomeKind.CHURNED, None),
        "churn_date": (OutcomeKind.CHURNED, None),
    }
    for name, (outcome, better) in expected.items():
        assert (g(name).role, g(name).outcome, g(name).higher_is_better) == (
            Role.OUTCOME,
            outcome,
            better,
        ), name
    assert g("churned").kind is Kind.BOOLEAN and g("churn_date").kind is Kind.DATE
    assert g("hiring_growth").layer is Layer.BEHAVIOURAL
    assert g("intent_score").layer is Layer.BEHAVIOURAL
    assert g("last_funding_date").role is Role.DATE
    assert g("last_funding_date").layer is Layer.BEHAVIOURAL
    assert (g("notes").kind, g("notes").role) == (Kind.TEXT, Role.IGNORE)
    assert g("empty").role is Role.IGNORE and g("region_const").role is Role.IGNORE
    text = " | ".join(schema.warnings)
    assert "'empty' is empty" in text and "'region_const' has a single value" in text
    f = prepare(warehouse(), schema).frame
    assert f.schema["tech_stack"] == pl.List(pl.String)
    assert f["tech_stack"].to_list()[:4] == [
        ["shopify", "klaviyo"],
        ["magento", "gorgias"],
        ["shopify"],
        None,
    ]
    assert f["integrations"][2].to_list() == ["slack", "teams", "zoom"]
    assert f.schema["churned"] == pl.Boolean and f.schema["churn_date"] == pl.Date


def test_typed_frame_from_parquet(tmp_path: Path) -> None:
    df = pl.DataFrame(
        {
            "id": [1, 2, 3],
            "employees": [10, 20, 30],
            "is_public": [True, False, True],
            "tools": [["A", " b "], [], None],
            "since": [date(2020, 1, 1), date(2021, 1, 1), None],
        }
    )
    back = read_table(write_table(df, tmp_path / "t.parquet"))
    schema = infer_schema(back)
    assert schema.get("tools").kind is Kind.MULTI and schema.get("since").kind is Kind.DATE
    assert schema.get("is_public").kind is Kind.BOOLEAN
    f = prepare(back, schema).frame
    assert f["id"].to_list() == ["1", "2", "3"]
    assert f.schema["employees"] == pl.Float64
    assert f["tools"].to_list() == [["a", "b"], [], None]


@pytest.mark.skipif(not CRUNCHBASE.is_file(), reason=f"Crunchbase 2013 export not at {CRUNCHBASE}")
def test_crunchbase_infers_sensibly() -> None:
    df = read_table(CRUNCHBASE)
    schema = infer_schema(df, file=str(CRUNCHBASE))
    g = schema.get
    assert schema.id == "permalink" and schema.name == "name"
    assert (g("status").role, g("status").outcome) == (Role.OUTCOME, OutcomeKind.STATUS)
    assert g("funding_total_usd").kind is Kind.NUMERIC
    # Money, counts and years are firmographic and written in their unit; funding *dates* are
    # the behavioural events.
    assert (g("funding_total_usd").layer, g("funding_total_usd").unit) == (
        Layer.FIRMOGRAPHIC,
        "money",
    )
    assert (g("funding_rounds").layer, g("funding_rounds").unit) == (Layer.FIRMOGRAPHIC, "count")
    assert (g("founded_year").layer, g("founded_year").unit) == (Layer.FIRMOGRAPHIC, "year")
    assert g("last_funding_at").layer is Layer.BEHAVIOURAL
    # Founding dates defaulted to Q1 / January / 1 January are flagged, with their share.
    assert (
        g("founded_quarter").artefact == "Q1" and (g("founded_quarter").artefact_share or 0) > 0.6
    )
    assert g("founded_at").artefact == "1 January"
    assert g("first_funding_at").artefact is None
    assert g("category_code").kind is Kind.CATEGORICAL
    assert g("category_code").role is Role.ATTRIBUTE
    for d in ("founded_at", "first_funding_at", "last_funding_at", "last_milestone_at"):
        assert (g(d).role, g(d).kind) == (Role.DATE, Kind.DATE), d
    assert g("country_code").role is Role.IGNORE  # every company is in the USA
    prepared = prepare(df, schema, file=str(CRUNCHBASE))
    f = prepared.frame
    assert f.height == 17727
    assert f["funding_total_usd"].null_count() < 3500
    assert set(f["status"].drop_nulls().unique()) == {"operating", "acquired", "ipo", "closed"}
    # a handful of Excel-mangled amounts ("5/18/27") are reported with their rows
    assert any("funding_total_usd" in w and "rows " in w for w in prepared.warnings)


# -- prepare: errors and warnings -------------------------------------------------------------


def test_numeric_outliers_are_warnings_with_rows() -> None:
    values = [str(i) for i in range(40)]
    values[6] = "unknown-ish"
    df = pl.DataFrame({"id": [str(i) for i in range(40)], "employees": values})
    prepared = prepare(df, infer_schema(df), file="acc.csv")
    assert prepared.frame["employees"][6] is None
    assert any("rows 7" in w and "'unknown-ish'" in w and "acc.csv" in w for w in prepared.warnings)


def test_mixed_types_raise_with_column_and_row() -> None:
    values = ["10", "20", "lots", "30", "many", "40", "50", "60"]
    df = pl.DataFrame({"id": [str(i) for i in range(8)], "Employees": values})
    schema = infer_schema(df)
    assert schema.get("employees").kind is Kind.NUMERIC
    with pytest.raises(InputError, match="mixed types") as err:
        prepare(df, schema, file="acc.csv")
    assert (err.value.file, err.value.column, err.value.row) == ("acc.csv", "Employees", 3)
    assert "'lots'" in str(err.value)
    lenient = prepare(df, schema, file="acc.csv", strict=False)
    assert lenient.frame["employees"].to_list()[:3] == [10, 20, None]
    assert any("rows 3, 5" in w for w in lenient.warnings)


def test_duplicate_ids_name_both_rows() -> None:
    df = pl.DataFrame({"Record ID": ["a", "b", "c", "b", "a"], "industry": ["x", "y"] * 2 + ["x"]})
    with pytest.raises(InputError, match="rows 2 and 4") as err:
        prepare(df, infer_schema(df), file="hs.csv")
    assert err.value.column == "Record ID" and err.value.file == "hs.csv"


def test_prepare_skips_absent_columns() -> None:
    schema = infer_schema(warehouse())
    scoring = warehouse().select("company_id", "tech_stack")
    f = prepare(scoring, schema).frame
    assert f.columns == ["id", "tech_stack"]


# -- overrides and storage --------------------------------------------------------------------


def test_overrides_apply() -> None:
    ov = SchemaOverrides(
        id="domain",
        label="region_const",
        roles={"intent_score": Role.IGNORE},
        kinds={"arr": Kind.CATEGORICAL},
        layers={"Hiring_Growth": Layer.FIRMOGRAPHIC},
        outcomes={"nrr": OutcomeKind.VALUE},
        ignore=["notes"],
        multi_separators={"tech_stack": ";"},
        reference_date="last_funding_date",
    )
    schema = infer_schema(warehouse(), ov)
    g = schema.get
    assert schema.id == "domain" and g("company_id").role is not Role.ID
    assert g("region_const").outcome is OutcomeKind.LABEL
    assert g("intent_score").role is Role.IGNORE
    assert g("arr").kind is Kind.CATEGORICAL
    assert g("hiring_growth").layer is Layer.FIRMOGRAPHIC
    assert g("nrr").outcome is OutcomeKind.VALUE
    assert g("notes").role is Role.IGNORE
    assert g("tech_stack").separator == ";"
    assert schema.reference_date == "last_funding_date"
    with pytest.raises(InputError, match="not in the data") as err:
        infer_schema(warehouse(), SchemaOverrides(id="nope"))
    assert err.value.column == "nope"
    # the message names the setting the user wrote, not "override"
    assert "column 'nope': --id (columns config: id) names column 'nope'" in str(err.value)
    with pytest.raises(InputError, match=r": --label \(columns config: label\) names"):
        infer_schema(warehouse(), SchemaOverrides(label="nope"))
    with pytest.raises(InputError, match=r": the columns config's ignore names column 'gone'"):
        infer_schema(warehouse(), SchemaOverrides(ignore=("gone",)))


def test_overrides_from_toml_and_yaml(tmp_path: Path) -> None:
    toml = tmp_path / "cols.toml"
    toml.write_text(
        '[columns]\nid = "company_id"\nignore = ["notes"]\n'
        '[columns.outcomes]\nnrr = "value"\n[columns.layers]\nintent_score = "Technographic"\n'
    )
    ov = SchemaOverrides.from_file(toml)
    assert ov.id == "company_id" and ov.ignore == ["notes"]
    assert ov.outcomes == {"nrr": OutcomeKind.VALUE}
    assert ov.layers == {"intent_score": Layer.TECHNOGRAPHIC}
    yml = tmp_path / "cols.yaml"
    yml.write_text("domain: domain\nkinds:\n  arr: categorical\n")
    assert SchemaOverrides.from_file(yml).kinds == {"arr": Kind.CATEGORICAL}

    toml.write_text('[columns]\nidd = "x"\n')
    with pytest.raises(IcpFileError, match="unknown key") as err:
        SchemaOverrides.from_file(toml)
    assert err.value.field == "columns.idd" and err.value.file == str(toml)
    yml.write_text("roles:\n  arr: best\n")
    with pytest.raises(IcpFileError, match="allowed: id, name") as err:
        SchemaOverrides.from_file(yml)
    assert err.value.field == "columns.roles"
    toml.write_text("[columns\n")
    with pytest.raises(IcpFileError, match="TOML") as err:
        SchemaOverrides.from_file(toml)
    assert err.value.line == 1


def test_schema_round_trips_through_dict() -> None:
    schema = infer_schema(hubspot())
    data = schema.to_dict()
    assert data["reference_date"] == "close_date"
    back = Schema.from_dict(data)
    assert back.columns == schema.columns and back.reference_date == schema.reference_date
    with pytest.raises(IcpFileError):
        Schema.from_dict({"columns": [{"name": "a", "role": "boss", "kind": "text"}]})


def test_large_columns_parse_like_small_ones() -> None:
    """Long columns are parsed once per distinct value; the result must not change."""
    raw = ["1,200", "$3M", "n/a", None, "2023-01-05", "01/31/2023", "x"] * 1000
    series = pl.Series("v", raw, dtype=pl.String)
    for fn in (parse_number, parse_date):
        big = pl.select(fn(pl.lit(series))).to_series().to_list()
        small = _apply(fn, raw[:7])
        assert big == small * 1000
    df = pl.DataFrame({"id": [str(i) for i in range(7000)], "amount_raw": raw})
    with pytest.raises(InputError, match="mixed types") as err:
        prepare(df, infer_schema(df, SchemaOverrides(kinds={"amount_raw": Kind.NUMERIC})))
    assert err.value.row == 5


# -- units, layers, ids, default-date artefacts -----------------------------------------------


def test_money_sizes_and_counts_are_firmographic_and_events_behavioural() -> None:
    n = 40
    df = pl.DataFrame(
        {
            "id": [str(i) for i in range(n)],
            "funding_total_usd": [str(1000 * (i + 1)) for i in range(n)],
            "funding_rounds": [str(i % 5 + 1) for i in range(n)],
            "raised_amount": [f"${i + 1}M" for i in range(n)],
            "headcount": [str(10 * (i + 1)) for i in range(n)],
            "founded_year": [str(1990 + i % 30) for i in range(n)],
            "hiring_growth": [str(i / 10) for i in range(n)],
            "intent_score": [str(i) for i in range(n)],
            "recently_funded": ["yes" if i % 2 else "no" for i in range(n)],
            "last_funding_date": [f"2023-{i % 12 + 1:02d}-15" for i in range(n)],
            "win_rate": [str(i / n) for i in range(n)],
            "discount": [f"{i % 30}%" for i in range(n)],
        }
    )
    g = infer_schema(df).get
    firmo = Layer.FIRMOGRAPHIC
    assert (g("funding_total_usd").layer, g("funding_total_usd").unit) == (firmo, "money")
    assert (g("funding_rounds").layer, g("funding_rounds").unit) == (firmo, "count")
    assert (g("raised_amount").layer, g("raised_amount").unit) == (firmo, "money")
    assert (g("employees").layer, g("employees").unit) == (firmo, "count")  # headcount
    assert (g("founded_year").layer, g("founded_year").unit) == (firmo, "year")
    for behavioural in ("hiring_growth", "intent_score", "recently_funded", "last_funding_date"):
        assert g(behavioural).layer is Layer.BEHAVIOURAL, behavioural
    assert g("win_rate").unit == "share"  # 0-1 values named a rate
    assert g("discount").unit == "percent"  # typed with %
    assert g("recently_funded").unit is None  # only numbers have units


def test_year_needs_year_values() -> None:
    n = 30
    df = pl.DataFrame({"year_revenue": [str(5_000 * (i + 1)) for i in range(n)]})
    assert infer_schema(df).get("year_revenue").unit == "money"  # not a calendar year


def test_unique_hex_ids_are_ids_not_free_text() -> None:
    import hashlib

    n = 60
    hexes = [hashlib.md5(str(i).encode()).hexdigest() for i in range(n)]
    df = pl.DataFrame(
        {
            "seller_id": hexes,
            "order_ref": [h[:12].upper() for h in reversed(hexes)],
            "industry": ["saas", "retail", "fintech"] * (n // 3),
        }
    )
    schema = infer_schema(df)
    # With no column called id, the unique id-named column becomes the id ...
    assert schema.id == "seller_id"
    # ... and another unique code column is ignored as an identifier, with a warning.
    assert schema.get("order_ref").role is Role.IGNORE
    assert not any("free text" in w for w in schema.warnings)
    assert any("order_ref" in w and "identifier" in w for w in schema.warnings)

    with_id = df.with_columns(pl.Series("id", [str(i) for i in range(n)]))
    s2 = infer_schema(with_id)
    assert s2.id == "id" and s2.get("seller_id").role is Role.IGNORE
    assert any("seller_id" in w and "identifier" in w and "'id'" in w for w in s2.warnings)
    assert not any("free text" in w for w in s2.warnings)
    assert s2.attributes == (s2.get("industry"),)


def test_words_are_not_mistaken_for_ids() -> None:
    n = 40
    notes = [f"called on day {i}, said they would think about it" for i in range(n)]
    names = [f"company number {i}" for i in range(n)]
    schema = infer_schema(pl.DataFrame({"notes": notes, "company": names}))
    assert all(c.role is Role.IGNORE for c in schema.columns)
    assert sum("free text" in w for w in schema.warnings) == 2


def _quarters(rng_seed: int, n: int, q1_share: float) -> list[str]:
    import random

    rng = random.Random(rng_seed)
    out = []
    for _ in range(n):
        year = rng.randint(1995, 2012)
        q = 1 if rng.random() < q1_share else rng.randint(1, 4)
        out.append(f"{year}-Q{q}")
    return out


def test_default_quarter_artefact_is_flagged_and_warned_on_segments() -> None:
    from icpkit.columns.infer import artefact_warning
    from icpkit.criteria import Criterion

    n = 600
    df = pl.DataFrame(
        {
            "founded_quarter": _quarters(1, n, 0.5),  # ~62% Q1 like Crunchbase's defaults
            "fair_quarter": _quarters(2, n, 0.0),  # ~25% each: nothing to flag
            "founded_on": [
                f"{2000 + i % 12}-01-01"
                if i % 3
                else f"{2000 + i % 12}-{i % 12 + 1:02d}-{i % 27 + 1:02d}"
                for i in range(n)
            ],
            "signed_on": [f"{2000 + i % 12}-{i % 12 + 1:02d}-{i % 27 + 1:02d}" for i in range(n)],
        }
    )
    schema = infer_schema(df)
    g = schema.get
    assert g("founded_quarter").artefact == "Q1"
    assert 0.5 < (g("founded_quarter").artefact_share or 0) < 0.75
    assert g("fair_quarter").artefact is None
    assert g("founded_on").artefact == "1 January"
    assert g("signed_on").artefact is None
    assert any("founded_quarter" in w and "Q1" in w for w in schema.warnings)
    assert not any("fair_quarter" in w for w in schema.warnings)

    q1 = Criterion(column="founded_quarter", in_=["2000-q1", "2001-q1", "2002-q1", "2003-q1"])
    warning = artefact_warning([q1], schema)
    assert warning is not None and "Q1 in 4 different years" in warning
    assert "data artefact" in warning
    # Values off the flagged position, or columns without an artefact, give no warning.
    mixed = Criterion(column="founded_quarter", in_=["2000-q2", "2001-q3", "2002-q1"])
    assert artefact_warning([mixed], schema) is None
    assert artefact_warning([Criterion(column="fair_quarter", in_=["2000-q1"])], schema) is None
    window = Criterion(column="founded_on", within_days=365)
    assert "imprecise" in (artefact_warning([window], schema) or "")
    # The flag is stored with the schema and read back.
    assert Schema.from_dict(schema.to_dict()).get("founded_quarter").artefact == "Q1"
