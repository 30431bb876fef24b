"""Every column ``icp signals export`` writes is read as a behavioural trait by the column
inference discover and score use (no configuration): a technology *change* or a new leader is
something a company is doing now, not what it is or runs."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from icpkit.columns.infer import infer_schema
from icpkit.criteria import Layer
from icpkit.signals.export import COLUMN_DOCS, signal_columns
from icpkit.signals.store import COLUMNS, SignalsStore

AS_OF = date(2026, 12, 1)
LOOKS = (date(2026, 6, 1), date(2026, 9, 1), date(2026, 11, 20))
TITLES = (
    ("Account Executive", "sales", "individual contributor"),
    ("SEO Manager", "marketing", "manager"),
    ("VP Sales", "sales", "vp"),
    ("Backend Engineer", "engineering/it", "individual contributor"),
)
TECH = (("wordpress", "CMS"), ("hubspot", "Marketing automation"), ("intercom", "Live chat"))
ROUNDS = ("seed", "series a", "series b")


def _history(n: int, seed: int) -> dict[str, pl.DataFrame]:
    """Three looks per account at boards and sites, two contacts snapshots, a funding round."""
    rng = np.random.default_rng(seed)
    rows: dict[str, list[tuple]] = {t: [] for t in COLUMNS}
    for i in range(n):
        account = f"c{i}.com"
        for day in LOOKS:
            rows["visits"].append((account, day, "hiring", True, "greenhouse", None))
            rows["visits"].append((account, day, "stack", True, None, []))
            for k, (title, dept, level) in enumerate(TITLES):
                if rng.random() < 0.5:
                    pid = f"{i}-{k}-{day.month}"
                    rows["postings"].append(
                        (account, day, "greenhouse", pid, title, dept, level, day - timedelta(7))
                    )
            for tech, category in TECH:
                if rng.random() < 0.6:
                    rows["tech"].append((account, day, tech, category))
        for j, day in enumerate((date(2026, 5, 1), date(2026, 10, 1))):
            rows["visits"].append((account, day, "contacts", True, None, None))
            person = f"p{i}-new" if j == 1 and rng.random() < 0.7 else f"p{i}"
            rows["leaders"].append((account, day, "contacts", person, "marketing", "vp", "vp"))
        announced = date(2024, 1, 1) + timedelta(days=int(rng.integers(0, 1000)))
        rows["funding"].append((account, announced, str(rng.choice(ROUNDS)), 1e6, "rounds", AS_OF))
    return {t: pl.DataFrame(r, schema=_SCHEMAS[t], orient="row") for t, r in rows.items() if r}


_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "visits": dict(zip(COLUMNS["visits"], [pl.String(), pl.Date(), pl.String(), pl.Boolean(),
                                            pl.String(), pl.List(pl.String)], strict=True)),
    "postings": dict(zip(COLUMNS["postings"], [pl.String(), pl.Date(), pl.String(), pl.String(),
                                                pl.String(), pl.String(), pl.String(), pl.Date()],
                         strict=True)),
    "leaders": dict.fromkeys(COLUMNS["leaders"], pl.String()) | {"observed_on": pl.Date()},
    "funding": dict(zip(COLUMNS["funding"], [pl.String(), pl.Date(), pl.String(), pl.Float64(),
                                              pl.String(), pl.Date()], strict=True)),
    "tech": dict.fromkeys(COLUMNS["tech"], pl.String()) | {"observed_on": pl.Date()},
}  # fmt: skip


def test_every_exported_signal_column_is_behavioural(tmp_path: Path) -> None:
    with SignalsStore(tmp_path / "s.duckdb") as store:
        store.append(_history(300, seed=3))
        out = signal_columns(store, AS_OF, roles="seo|content")
    exported = [c for c in out.columns if c != "domain"]
    assert sorted(exported) == sorted(COLUMN_DOCS)  # every documented column, all known
    assert all(out[c].null_count() < out.height / 2 for c in exported)  # mostly known
    schema = infer_schema(out)
    layers = {info.name: info.layer for info in schema.columns}
    assert {c: layers[c] for c in exported} == dict.fromkeys(exported, Layer.BEHAVIOURAL)


def test_technology_itself_stays_technographic_and_funding_size_firmographic() -> None:
    """The change rule does not swallow the layers it sits beside."""
    rng = np.random.default_rng(0)
    frame = pl.DataFrame(
        {
            "tech_stack": [["wordpress", "hubspot"][: int(k)] for k in rng.integers(0, 3, 200)],
            "funding_total_usd": rng.lognormal(15, 1, 200),
            "funding_rounds": rng.integers(0, 6, 200),
            "stack_changed": rng.random(200) < 0.3,
        }
    )
    layers = {info.name: info.layer for info in infer_schema(frame).columns}
    assert layers["tech_stack"] is Layer.TECHNOGRAPHIC
    assert layers["funding_total_usd"] is Layer.FIRMOGRAPHIC
    assert layers["funding_rounds"] is Layer.FIRMOGRAPHIC
    assert layers["stack_changed"] is Layer.BEHAVIOURAL
