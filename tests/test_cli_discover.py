"""`icp discover` and `icp demo` end to end through the real CLI entry point."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from icpkit.icp import ICP
from icpkit.io import write_table
from icpkit.sample.customers import generate_customers

from .helpers import shared_file


def icp(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from icpkit.cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "HOME": str(cwd or Path.cwd())},
    )


@pytest.fixture(scope="module")
def customers(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "customers.csv"
    write_table(generate_customers(5000, seed=3).customers, path)
    return path


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_discover_writes_valid_files_and_leaves_input_alone(customers, tmp_path):
    before = _sha(customers)
    out = tmp_path / "icp.yaml"
    r = icp(
        "discover",
        str(customers),
        "-o",
        str(out),
        "--folds",
        "3",
        "--evidence",
        str(tmp_path / "traits.csv"),
    )
    assert r.returncode == 0, r.stderr
    assert _sha(customers) == before
    loaded = ICP.load(out)
    assert loaded.segments and loaded.validation["kfold"]["auc"] > 0.7
    md = (tmp_path / "icp.md").read_text()
    assert "| Layer | Criterion | Ideal fit |" in md and "Would it have picked" in md
    traits = pl.read_csv(tmp_path / "traits.csv")
    assert {"lift", "odds_ratio", "q_value"} <= set(traits.columns)
    assert "best" in r.stdout and "worst" in r.stdout and "Validation" in r.stdout
    # Anti-signals head their values "When": "< $1M" under "Ideal fit" read as the ideal.
    if loaded.disqualifiers or loaded.scoring.timing:
        anti = r.stdout[r.stdout.index("Timing signals and anti-signals") :]
        header = anti[: anti.index("Disqualifier") if "Disqualifier" in anti else 2000]
        assert "When" in header and "Ideal fit" not in header

    # A second run refuses to overwrite, names the file, exits 2, and changes nothing.
    stamp = _sha(out)
    r2 = icp("discover", str(customers), "-o", str(out), "--folds", "0")
    assert r2.returncode == 2
    assert "already exists" in r2.stderr and "--force" in r2.stderr
    assert _sha(out) == stamp


def test_discover_refuses_to_write_onto_its_input(customers, tmp_path):
    copy = tmp_path / "c.csv"
    copy.write_bytes(customers.read_bytes())
    r = icp("discover", str(copy), "-o", str(copy), "--folds", "0", "--force")
    assert r.returncode == 2
    assert _sha(copy) == _sha(customers)


@pytest.mark.parametrize(
    ("content", "needle", "code"),
    [
        (None, "no such file", 2),  # a usage mistake, as click says of a missing path
        ("", "empty", 1),  # errors in the data itself
        ("id,industry\n1,saas\n2,retail\n", "outcome", 1),
    ],
)
def test_bad_inputs_get_clear_errors(tmp_path, content, needle, code):
    path = tmp_path / "in.csv"
    if content is not None:
        path.write_text(content)
    r = icp("discover", str(path), "-o", str(tmp_path / "o.yaml"))
    assert r.returncode == code
    assert needle in r.stderr.lower()
    assert str(path) in r.stderr
    assert "Traceback" not in r.stderr


def test_unknown_format_and_duplicate_ids(tmp_path):
    p = tmp_path / "x.docx"
    p.write_text("hello")
    r = icp("discover", str(p))
    assert r.returncode == 2 and "x.docx" in r.stderr
    d = tmp_path / "dup.csv"
    d.write_text("id,won\n1,yes\n2,no\n1,yes\n")
    r = icp("discover", str(d), "-o", str(tmp_path / "o.yaml"))
    assert r.returncode == 1 and "row" in r.stderr and "id" in r.stderr


def test_demo_runs_and_recovers_planted_truth(tmp_path):
    r = icp("demo", "--dir", str(tmp_path / "demo"), "--rows", "5000", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    loaded = ICP.load(tmp_path / "demo" / "icp.yaml")
    cols = [{c.column for c in s.must} for s in loaded.segments]
    assert {"industry", "employees"} in cols
    assert {"tech_stack"} in cols
    assert [c.column for c in loaded.disqualifiers] == ["deployment"]
    # The next step the demo suggests works as printed: prospects have no close date, so
    # timing windows count back from the scoring date.
    demo = tmp_path / "demo"
    r2 = icp(
        "score",
        str(demo / "prospects.csv"),
        "--icp",
        str(demo / "icp.yaml"),
        "-o",
        str(demo / "scored.parquet"),
        cwd=tmp_path,
    )
    assert r2.returncode == 0, r2.stderr
    scored = pl.read_parquet(demo / "scored.parquet")
    assert set(scored["tier"].unique()) <= {"A", "B", "C", "D"}
    assert scored["in_market"].any() and scored["disqualified"].any()


def test_crunchbase_real_export_end_to_end(tmp_path):
    src = shared_file("data", "crunchbase-2013", "crunchbase-companies.csv")
    out = tmp_path / "cb.yaml"
    r = icp("discover", str(src), "-o", str(out), "--folds", "2", "--no-baseline")
    assert r.returncode == 0, r.stderr
    loaded = ICP.load(out)
    o = loaded.outcomes
    assert o is not None
    assert "acquired" in o.best and "ipo" in o.best and "closed" in o.worst
    assert o.total == 17727 and o.best_count > 1000 and o.worst_count > 300
    assert loaded.validation["in_sample"]["accounts"] == 17727
    # The Excel-mangled amounts are reported with their rows, not silently dropped.
    assert "funding_total_usd" in r.stderr and "rows" in r.stderr


def test_discover_from_a_duckdb_query_with_role_flags(customers, tmp_path):
    out = tmp_path / "q.yaml"
    q = f"SELECT * FROM read_csv('{customers}', all_varchar = true)"
    r = icp(
        "discover",
        "--query",
        q,
        "--id",
        "Record ID",
        "--domain",
        "Company Domain Name",
        "-o",
        str(out),
        "--folds",
        "0",
        "--no-baseline",
    )
    assert r.returncode == 0, r.stderr
    loaded = ICP.load(out)
    assert loaded.columns["id"] == "id" and loaded.columns["domain"] == "domain"
    assert loaded.source is not None and loaded.source.rows == 5000
    # A file and a query together is a usage error, not a guess.
    r2 = icp("discover", str(customers), "--query", q, "-o", str(tmp_path / "x.yaml"))
    assert r2.returncode != 0 and not (tmp_path / "x.yaml").exists()


def test_usage_errors_are_messages_not_tracebacks(tmp_path):
    r = icp(
        "discover",
        "--holdout-after",
        "not-a-date",
        "--query",
        "SELECT 1",
        "-o",
        str(tmp_path / "o.yaml"),
    )
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and "date" in r.stderr


def test_lenient_treats_odd_values_as_missing(tmp_path):
    """A mostly numeric column with a few words in it: an error naming --lenient, or with the
    flag a warning and an ICP."""
    frame = generate_customers(800, seed=5).customers
    col = next(c for c in frame.columns if "employee" in c.lower())
    values = frame[col].cast(pl.String).to_list()
    for i in range(0, len(values), 12):  # 8%: too many to drop silently, too few to be text
        values[i] = "about fifty"
    path = tmp_path / "odd.csv"
    write_table(frame.with_columns(pl.Series(col, values)), path)
    r = icp("discover", str(path), "-o", str(tmp_path / "a.yaml"), "--folds", "0")
    assert r.returncode == 1 and "--lenient" in r.stderr and "about fifty" in r.stderr
    assert "strict=False" not in r.stderr
    r = icp("discover", str(path), "-o", str(tmp_path / "b.yaml"), "--folds", "0", "--lenient")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "b.yaml").exists()
    assert "about fifty" in r.stdout + r.stderr  # the warning names what was dropped
