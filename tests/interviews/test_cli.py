"""``icp interviews plan|analyze`` end to end on files, plus the insights in report, diff, calibrate."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from icpkit.cli import main
from icpkit.icp import ICP
from icpkit.interviews import generate_interviews, write_interviews
from icpkit.living.proposal import Change, Proposal, apply
from icpkit.living.versions import diff
from icpkit.sample.customers import generate_customers
from icpkit.sample.people import generate_contacts

from .conftest import two_segment_icp


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def icp_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    def run(*args: str | Path) -> Run:
        monkeypatch.setattr(sys, "argv", ["icp", *map(str, args)])
        monkeypatch.setenv("COLUMNS", "400")
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return Run(code, out.out, out.err)

    return run


def _one_line_error(r: Run) -> str:
    assert "Traceback" not in r.err + r.out
    lines = [ln for ln in r.err.splitlines() if ln.strip() and not ln.startswith("warning")]
    assert len(lines) == 1 and lines[0].startswith("error:"), r.err
    return lines[0]


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("study")
    corpus = generate_interviews(50, 50, seed=4)
    write_interviews(corpus, d / "notes")
    corpus.accounts.write_csv(d / "accounts.csv")
    two_segment_icp().save(d / "icp.yaml")
    return {"dir": d, "notes": d / "notes", "accounts": d / "accounts.csv", "icp": d / "icp.yaml"}


def test_analyze_write_report_diff(icp_cli, study: dict[str, Path], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    icp_path = tmp_path / "icp.yaml"
    icp_path.write_bytes(study["icp"].read_bytes())
    r = icp_cli(
        "interviews", "analyze", study["notes"], "--icp", icp_path,
        "--accounts", study["accounts"], "--terms", tmp_path / "terms.csv", "--write",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert "150 of 150 interviews linked to 150 accounts" in r.out
    assert "spreadsheets broke" in r.out and "insights written" in r.out
    after = ICP.load(icp_path)
    assert after.insights is not None
    seg1 = after.insights.for_segment("seg-1")
    assert seg1 is not None and seg1.themes and seg1.interviews == 50
    # the file round-trips: saved again, same bytes
    assert ICP.from_yaml(after.to_yaml()).to_yaml() == after.to_yaml()
    terms = pl.read_csv(tmp_path / "terms.csv")
    assert {"segment", "scope", "term", "z", "p_value", "distinctive"} <= set(terms.columns)

    # the one-pager shows "In their words" and interview pointers first, labelled
    r = icp_cli("report", icp_path, "-o", tmp_path / "icp.md")
    assert r.code == 0, r.err
    md = (tmp_path / "icp.md").read_text()
    assert "**In their words**" in md
    first_pointer = md.split("**What to say**")[1].strip().splitlines()[0]
    assert first_pointer.endswith("_(from interviews)_")
    assert seg1.themes[0].label in md and seg1.themes[0].quotes[0].text in md

    # icp diff shows the insights
    r = icp_cli("diff", study["icp"], icp_path)
    assert r.code == 0, r.err
    assert "Insights" in r.out and "+ interview insights: 150 interviews" in r.out
    changes = diff(after, after.model_copy(update={"insights": None}))
    assert [str(e) for e in changes.entries] == [
        f"- interview insights: 150 interviews, {sum(len(s.themes) for s in after.insights.segments)}"
        f" themes (analysed {after.insights.analysed.isoformat()})"
    ]


def test_calibrate_keeps_surviving_and_flags_dropped(study: dict[str, Path]) -> None:
    from icpkit.interviews import analyze_folder

    icp = two_segment_icp()
    ins = analyze_folder(study["notes"], icp, pl.read_csv(study["accounts"])).insights
    with_ins = icp.model_copy(update={"insights": ins})
    drop = Change("drop", "seg-2", "segment", None, None, None, None, "stopped predicting")
    revised = apply(with_ins, Proposal(1, "q3", [drop]))
    assert [s.id for s in revised.segments] == ["seg-1"]
    assert revised.insights is not None
    kept = revised.insights.for_segment("seg-1")
    flagged = revised.insights.for_segment("seg-2")
    assert kept == ins.for_segment("seg-1")  # untouched
    assert flagged is not None and flagged.flagged and "dropped by calibration" in flagged.flagged
    assert flagged.themes == ins.for_segment("seg-2").themes  # type: ignore[union-attr]
    # the flagged segment's interviews no longer feed the report
    from icpkit.interviews import in_their_words

    assert set(in_their_words(revised)) <= {"seg-1"}
    d = diff(with_ins, revised)
    assert any("flagged" in str(e) for e in d.entries if e.section == "Insights")
    # and a file without insights calibrates as before
    assert apply(icp, Proposal(1, "q3", [drop])).insights is None


def test_old_icp_file_without_insights_loads_and_stays_unchanged(tmp_path: Path) -> None:
    icp = two_segment_icp()
    text = icp.to_yaml()
    assert "insights" not in text
    p = tmp_path / "old.yaml"
    p.write_text(text, encoding="utf-8")
    assert ICP.load(p).to_yaml() == text


@pytest.mark.filterwarnings("ignore::icpkit.columns.NumberConventionWarning")
def test_plan_writes_guide_and_template(icp_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.people.conftest import planted_icp

    customers = generate_customers(3000, seed=11).customers
    customers.write_csv(tmp_path / "customers.csv")
    generate_contacts(customers, 11).write_csv(tmp_path / "contacts.csv")
    planted_icp().save(tmp_path / "icp.yaml")
    r = icp_cli(
        "interviews", "plan", "--icp", tmp_path / "icp.yaml", "--accounts",
        tmp_path / "customers.csv", "--contacts", tmp_path / "contacts.csv",
        "-o", tmp_path / "plan.md", "--per-segment", "4", "--contrasts", "2",
    )  # fmt: skip
    assert r.code == 0, r.err
    md = (tmp_path / "plan.md").read_text()
    for q in ("challenges were you facing before", "aha moment", "results have you seen"):
        assert q in md
    plan = pl.read_csv(tmp_path / "plan.csv", infer_schema_length=0)
    assert plan.columns[:5] == ["account_id", "account_name", "segment", "kind", "role"]
    assert {"challenges", "aha", "results"} <= set(plan.columns)
    for seg in ("s1", "s2"):
        mine = plan.filter(pl.col("segment") == seg)
        assert (mine["kind"] == "representative").sum() == 4
        assert (mine["kind"] == "contrast").sum() == 2
    # representatives are customers of their segment, contrasts churned ones
    truth = customers.select(
        pl.col("Record ID").cast(pl.String).alias("account_id"), pl.col("Churned")
    )
    joined = plan.join(truth, on="account_id")
    assert joined.height == plan.height
    assert set(joined.filter(pl.col("kind") == "contrast")["Churned"]) == {"Yes"}
    assert set(joined.filter(pl.col("kind") == "representative")["Churned"]) == {"No"}
    # roles, never names
    contacts = pl.read_csv(tmp_path / "contacts.csv", infer_schema_length=0)
    name_cols = [c for c in contacts.columns if "name" in c.lower() and "company" not in c.lower()]
    for c in name_cols:
        for n in contacts[c].drop_nulls().unique().to_list()[:200]:
            assert f"| {n} " not in md


def test_nothing_half_written_on_errors(icp_cli, study: dict[str, Path], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    icp_path = tmp_path / "icp.yaml"
    icp_path.write_bytes(study["icp"].read_bytes())
    original = icp_path.read_bytes()
    notes = tmp_path / "notes"
    notes.mkdir()
    # notes that link to no account
    (notes / "a.md").write_text("Account: nobody.example\n\nWe liked it.", encoding="utf-8")
    r = icp_cli(
        "interviews", "analyze", notes, "--icp", icp_path, "--accounts", study["accounts"],
        "--write", "--terms", tmp_path / "t.csv",
    )  # fmt: skip
    assert r.code == 1
    assert "links to an account" in _one_line_error(r)
    # a binary file among good notes
    (notes / "a.md").write_text("Account: acc-0001\n\nWe liked it.", encoding="utf-8")
    (notes / "b.txt").write_bytes(b"\x00\x01\x02PK\x03\x04" * 50)
    r = icp_cli("interviews", "analyze", notes, "--icp", icp_path, "--write")
    assert r.code == 1 and "b.txt" in _one_line_error(r)
    # an empty folder
    empty = tmp_path / "empty"
    empty.mkdir()
    r = icp_cli("interviews", "analyze", empty, "--icp", icp_path, "--write")
    assert r.code == 1 and "contains no interview notes" in _one_line_error(r)
    # unsupported encoding
    (notes / "b.txt").write_bytes("Account: acc-0002\nréunion".encode("cp1252"))
    r = icp_cli("interviews", "analyze", notes, "--icp", icp_path, "--write")
    assert r.code == 1 and "not UTF-8" in _one_line_error(r)
    r = icp_cli("interviews", "analyze", notes, "--icp", icp_path, "--encoding", "nope")
    assert r.code == 2 and "unknown encoding" in _one_line_error(r)
    # nothing was written: the ICP file is byte for byte the same, no stray files
    assert icp_path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "icp.yaml", "notes"]
    # the plan refuses to overwrite without --force, before any work
    (tmp_path / "plan.md").write_text("mine", encoding="utf-8")
    r = icp_cli(
        "interviews", "plan", "--icp", icp_path, "--accounts", study["accounts"],
        "-o", tmp_path / "plan.md",
    )  # fmt: skip
    assert r.code == 2 and "--force" in _one_line_error(r)
    assert (tmp_path / "plan.md").read_text() == "mine"
    assert not (tmp_path / "plan.csv").exists()


def test_plan_picks_typical_customers_not_outliers() -> None:
    from icpkit.criteria import Criterion
    from icpkit.icp import Segment
    from icpkit.interviews import plan_interviews

    icp = ICP(
        segments=[
            Segment(id="s1", name="mid", must=[Criterion(column="employees", between=(100, None))])
        ]
    )
    employees = [380.0, 400.0, 420.0, 100.0, 90_000.0, 410.0, 395.0, 405.0]
    accounts = pl.DataFrame(
        {
            "id": [f"a{i}" for i in range(8)] + ["lost1", "lost2"],
            "employees": [*employees, 400.0, 400.0],
            "won": ["won"] * 8 + ["lost", "lost"],
        }
    )
    plan = plan_interviews(icp, accounts, per_segment=4, contrasts=2, tiers=("A", "B", "C", "D"))
    reps = plan.rows.filter(pl.col("kind") == "representative")["account_id"].to_list()
    # the four closest to the customers' median (402.5): 400, 405, 395, 410 — not 100 or 90,000
    assert sorted(reps) == ["a1", "a5", "a6", "a7"]
    assert plan.rows.filter(pl.col("kind") == "contrast")["account_id"].to_list() == [
        "lost1",
        "lost2",
    ]
    assert "closest to the segment median on employees" in plan.markdown


def test_contacts_names_scrubbed_even_in_lower_case(icp_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    corpus = generate_interviews(12, 12, words=120, personal_data=False, seed=9)
    notes = tmp_path / "notes"
    write_interviews(corpus, notes)
    first = notes / "acc-0001.md"
    first.write_text(
        first.read_text() + "\nthen vellquist zarnoff joined the call and liked it.\n",
        encoding="utf-8",
    )
    corpus.accounts.write_csv(tmp_path / "accounts.csv")
    pl.DataFrame({"First Name": ["Vellquist"], "Last Name": ["Zarnoff"]}).write_csv(
        tmp_path / "contacts.csv"
    )
    two_segment_icp().save(tmp_path / "icp.yaml")
    r = icp_cli(
        "interviews", "analyze", notes, "--icp", tmp_path / "icp.yaml", "--accounts",
        tmp_path / "accounts.csv", "--contacts", tmp_path / "contacts.csv",
        "--terms", tmp_path / "terms.csv", "--write", "--permutations", "50",
    )  # fmt: skip
    assert r.code == 0, r.err
    outputs = r.out + (tmp_path / "icp.yaml").read_text() + (tmp_path / "terms.csv").read_text()
    assert "vellquist" not in outputs.lower() and "zarnoff" not in outputs.lower()


def test_theme_outcomes_are_the_accounts_medians() -> None:
    """The generator gives accounts that mention seg-1's first theme 1.6× the ARR."""
    import numpy as np

    from icpkit.interviews import analyze_interviews

    corpus = generate_interviews(50, 50, seed=4)
    result = analyze_interviews(
        corpus.interviews, two_segment_icp(), corpus.accounts, permutations=100
    )
    seg1 = result.insights.for_segment("seg-1")
    assert seg1 is not None
    theme = next(t for t in seg1.themes if "spreadsheets broke" in t.terms)
    (arr,) = [o for o in theme.outcomes if o.metric == "arr"]
    mentioning = set(theme.sources)
    ids = [f"{a}/1" for a in corpus.accounts["id"]]
    values = corpus.accounts["arr"].to_numpy()
    yes = np.array([v for i, v in zip(ids, values, strict=True) if i in mentioning])
    # every interviewed account mentioning any of the theme's terms, in any segment
    others_mention = {
        f"{corpus.interviews[i].account}/1"
        for i in range(len(corpus.interviews))
        if any(
            re.search(rf"\b{re.escape(t)}\b", corpus.interviews[i].text.lower())
            for t in theme.terms
        )
    }
    assert mentioning <= others_mention
    all_yes = np.array([v for i, v in zip(ids, values, strict=True) if i in others_mention])
    all_no = np.array([v for i, v in zip(ids, values, strict=True) if i not in others_mention])
    assert arr.n_mentioning == all_yes.size and arr.n_others == all_no.size
    assert arr.mentioning == np.median(all_yes) and arr.others == np.median(all_no)
    assert arr.mentioning > arr.others  # the planted association shows
    assert yes.size == theme.interviews


def test_plan_reports_number_conventions_as_notes(icp_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """'1,003' employees is ambiguous: the plan says how it read it, as a note, never a raw
    Python warning (turned into an error here, so a stray one fails the command)."""
    import warnings

    from icpkit.criteria import Criterion
    from icpkit.icp import Segment

    ICP(
        segments=[
            Segment(
                id="seg-1",
                name="bigger software",
                must=[
                    Criterion(column="industry", **{"in": ["software"]}),
                    Criterion(column="employees", between=(200, 5000)),
                ],
            )
        ]
    ).save(tmp_path / "icp.yaml")
    pl.DataFrame(
        {
            "id": [f"a{i}" for i in range(12)],
            "name": [f"Co {i}" for i in range(12)],
            "industry": ["software"] * 8 + ["retail"] * 4,
            "employees": ["1,003", "2,500", "1,200", "950", "3,100", "1,750"] * 2,
        }
    ).write_csv(tmp_path / "accounts.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = icp_cli(
            "interviews", "plan", "--icp", tmp_path / "icp.yaml",
            "--accounts", tmp_path / "accounts.csv", "-o", tmp_path / "plan.md",
        )  # fmt: skip
    assert r.code == 0, r.err
    assert "NumberConventionWarning" not in r.out + r.err
    notes = [ln for ln in r.out.splitlines() if ln.startswith("note:")]
    assert len(notes) == 1 and "column 'employees'" in notes[0] and "'1,003'" in notes[0]
    assert (tmp_path / "plan.md").exists()


def test_file_names_that_name_people_stay_out_of_outputs(
    icp_cli: Callable[..., Run], tmp_path: Path
) -> None:
    """Files named after the interviewee are shown as 'file #n (.ext)' in warnings, links and
    every output; only the error about a file that cannot be read gives its real path."""
    from icpkit.interviews import analyze_folder

    person = ("quorvina", "drebbelsen")
    corpus = generate_interviews(12, 12, words=120, personal_data=False, seed=5)
    notes = tmp_path / "notes"
    paths = write_interviews(corpus, notes)
    paths[0].rename(notes / "call with Quorvina Drebbelsen.md")  # links by its Account header
    (notes / "quorvina-drebbelsen.txt").write_text("We talked at length.", encoding="utf-8")
    (notes / "Quorvina Drebbelsen recording.m4a").write_bytes(b"\x00\x01audio")
    (notes / "drebbelsen empty.md").write_text("Account: acc-0002\n", encoding="utf-8")
    corpus.accounts.write_csv(tmp_path / "accounts.csv")
    two_segment_icp().save(tmp_path / "icp.yaml")
    r = icp_cli(
        "interviews", "analyze", notes, "--icp", tmp_path / "icp.yaml", "--accounts",
        tmp_path / "accounts.csv", "--terms", tmp_path / "terms.csv", "--write",
        "--permutations", "50",
    )  # fmt: skip
    assert r.code == 0, r.err
    warnings = [ln for ln in r.err.splitlines() if ln.startswith("warning")]
    assert len(warnings) == 4, r.err  # skipped, empty, unlinked, and what the numbers mean
    assert sum("file #" in w for w in warnings) == 3 and "name order" in warnings[-1]
    shown = (
        r.out + r.err + (tmp_path / "icp.yaml").read_text() + (tmp_path / "terms.csv").read_text()
    )
    result = analyze_folder(notes, two_segment_icp(), corpus.accounts, permutations=20)
    shown += result.links.write_csv() + "\n".join(result.warnings)
    assert not any(p in shown.lower() for p in person)
    renamed = result.links.filter(pl.col("account_id") == corpus.accounts["id"][0])
    assert renamed["link"].to_list() == ["id"] and renamed["file"][0].startswith("file #")
    assert result.links["file"].n_unique() == result.links.height  # a stable reference each
    # A file that cannot be read is named in full: the user has to find it, on their machine.
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "Quorvina Drebbelsen.docx").write_text("not a zip", encoding="utf-8")
    r = icp_cli("interviews", "analyze", bad, "--icp", tmp_path / "icp.yaml")
    assert r.code == 1 and "Quorvina Drebbelsen.docx" in _one_line_error(r)
