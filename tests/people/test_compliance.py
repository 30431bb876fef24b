"""Country normalisation and the regime table."""

from __future__ import annotations

import polars as pl
import pytest

from icpkit.people.compliance import (
    COUNTRY_NAMES,
    DISCLAIMER,
    EU_EEA,
    normalize_country,
    regime_columns,
    regime_table,
)

COUNTRIES = [
    ("Germany", "DE"), ("Deutschland", "DE"), ("DE", "DE"), ("DEU", "DE"), (" germany ", "DE"),
    ("United States", "US"), ("USA", "US"), ("U.S.A.", "US"), ("us", "US"),
    ("United States of America", "US"), ("United Kingdom", "GB"), ("UK", "GB"),
    ("England", "GB"), ("GBR", "GB"), ("Great Britain", "GB"), ("Canada", "CA"), ("CAN", "CA"),
    ("España", "ES"), ("Brasil", "BR"), ("The Netherlands", "NL"), ("Holland", "NL"),
    ("Côte d'Ivoire", "CI"), ("Schweiz", "CH"), ("Österreich", "AT"), ("Norway", "NO"),
    ("Mars", None), ("", None), ("N/A", None), (None, None),
]  # fmt: skip

REGIMES = [
    ("DE", "GDPR", True), ("FR", "GDPR", False), ("NO", "GDPR", False), ("IS", "GDPR", False),
    ("GB", "GDPR", False), ("US", "CAN-SPAM", False), ("PR", "CAN-SPAM", False),
    ("CA", "CASL", True), ("CH", "other", None), ("AU", "other", None), ("JP", "other", None),
    (None, "unknown", None),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "code"), COUNTRIES)
def test_country_normalisation(raw: str | None, code: str | None) -> None:
    out = pl.select(normalize_country(pl.lit(raw, dtype=pl.String))).item()
    assert out == code


@pytest.mark.parametrize(("code", "regime", "consent"), REGIMES)
def test_regime_by_country(code: str | None, regime: str, consent: bool | None) -> None:
    row = pl.select(regime_columns(pl.lit(code, dtype=pl.String))).row(0, named=True)
    assert row["regime"] == regime
    assert row["consent_required"] is consent
    assert DISCLAIMER in row["regime_note"]
    assert row["regime_basis"] and row["regime_obligations"]


def test_regime_table_covers_every_code() -> None:
    t = regime_table()
    assert t.height == len(COUNTRY_NAMES) >= 249
    assert t["regime"].null_count() == 0
    gdpr = set(t.filter(pl.col("regime") == "GDPR")["country_code"])
    assert gdpr == set(EU_EEA) | {"GB"}
    assert len(EU_EEA & set(COUNTRY_NAMES)) == len(EU_EEA)


def test_iso_codes_round_trip() -> None:
    codes = pl.Series(list(COUNTRY_NAMES))
    names = pl.Series(list(COUNTRY_NAMES.values()))
    assert pl.select(normalize_country(pl.lit(codes))).to_series().to_list() == codes.to_list()
    assert pl.select(normalize_country(pl.lit(names))).to_series().to_list() == codes.to_list()
