"""``icp source`` at the command line: WARC files or an index in, a file ``icp score`` reads out."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from icpkit.cli import app, main
from icpkit.icp import ICP
from tests.sourcing.ccindex import write_index
from tests.sourcing.test_index_ranges import CRAWL, _archive
from tests.sourcing.warcgen import fixture_pages, fixture_records, write_warc

ICP_YAML = ICP.model_validate(
    {
        "segments": [
            {
                "id": "php",
                "name": "PHP shops",
                "must": [
                    {"column": "tech", "has_any": ["php"]},
                    {"column": "employees", "between": [10, 500]},
                ],
            }
        ]
    }
).to_yaml()


def _run(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def icp_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """``icp`` through its entry point: exit codes and one-line errors as users see them."""

    def run(*args: str) -> tuple[int, str]:
        monkeypatch.setattr(sys, "argv", ["icp", *args])
        monkeypatch.setenv("COLUMNS", "400")
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        assert "Traceback" not in out.err + out.out
        return code, out.err + out.out

    return run


def test_source_warc_glob_then_score_reads_the_file(tmp_path: Path) -> None:
    (tmp_path / "icp.yaml").write_text(ICP_YAML)
    seg = tmp_path / "segments"
    seg.mkdir()
    names = sorted(fixture_pages())
    write_warc(seg / "a.warc.gz", fixture_records(names[:50]))
    write_warc(seg / "b.warc.gz", fixture_records(names[50:100], start=50))
    out = tmp_path / "found.parquet"
    res = _run(
        "source",
        "--icp",
        str(tmp_path / "icp.yaml"),
        "--warc",
        str(seg / "*.warc.gz"),
        "-o",
        str(out),
    )
    assert res.exit_code == 0, res.output
    found = pl.read_parquet(out)
    assert found.height > 0 and found["matched"].all()
    assert found["tech"].list.contains("php").all()
    assert all("employees" in " ".join(x) for x in found["not_observable"].to_list())
    assert "matching domains" in res.output
    # the whole list with --all, as CSV (nested columns as text)
    every = tmp_path / "all.csv"
    res = _run(
        "source",
        "--icp",
        str(tmp_path / "icp.yaml"),
        "--warc",
        str(seg / "*.warc.gz"),
        "-o",
        str(every),
        "--all",
    )
    assert res.exit_code == 0, res.output
    assert pl.read_csv(every).height == 100
    scored = tmp_path / "scored.parquet"
    res = _run(
        "score",
        str(out),
        "--icp",
        str(tmp_path / "icp.yaml"),
        "-o",
        str(scored),
        "--missing",
        "unknown",
    )
    assert res.exit_code == 0, res.output
    assert pl.read_parquet(scored).height == found.height


def test_source_domains_from_an_index_and_usage_errors(tmp_path: Path, icp_main) -> None:
    (tmp_path / "icp.yaml").write_text(ICP_YAML)
    root = tmp_path / "mirror"
    domains, files = _archive(root, n=10)
    index = write_index(tmp_path, CRAWL, files)
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "name,website\n"
        + "".join(f"c{i},https://www.{d}/\n" for i, d in enumerate(domains))
        + "absent,https://not-archived.example/\n"
    )
    out = tmp_path / "found.parquet"
    icp = str(tmp_path / "icp.yaml")
    res = _run("source", "--icp", icp, "--domains", str(accounts), "--index", str(index),
               "--crawl", CRAWL, "--archive", str(root), "-o", str(out), "--all")  # fmt: skip
    assert res.exit_code == 0, res.output
    found = pl.read_parquet(out)
    assert found["domain"].to_list() == sorted([*domains, "not-archived.example"])
    # A domain the index does not know says so (it read as nulls without a reason).
    absent = found.filter(pl.col("domain") == "not-archived.example").row(0, named=True)
    assert absent["matched"] is False
    assert absent["evidence"] == [f"no capture of the domain in the URL index ({CRAWL})"]
    others = found.filter(pl.col("domain") != "not-archived.example")["evidence"].to_list()
    assert all(e != absent["evidence"] for e in others)
    # an existing output needs --force; no input at all; a glob matching nothing; bad engine
    code, text = icp_main("source", "--icp", icp, "--domains", str(accounts), "--index",
                          str(index), "--archive", str(root), "-o", str(out))  # fmt: skip
    assert code == 2 and "--force" in text
    code, text = icp_main("source", "--icp", icp, "-o", str(tmp_path / "x.parquet"))
    assert code == 2 and "either WARC files" in text
    code, text = icp_main("source", "--icp", icp, "--warc", str(tmp_path / "none-*.warc.gz"),
                          "-o", str(tmp_path / "y.parquet"))  # fmt: skip
    assert code == 2 and "matches no WARC file" in text
    code, text = icp_main("source", "--icp", icp, "--warc", "x", "-o", str(tmp_path / "z.parquet"),
                          "--engine", "hadoop")  # fmt: skip
    assert code == 2
    code, text = icp_main("source", "--icp", icp, "--domains", str(accounts),
                          "-o", str(tmp_path / "w.parquet"))  # fmt: skip
    assert code == 2 and "--index" in text


def test_icp_enrich_and_icp_score_take_the_file_as_it_is(tmp_path: Path, range_server) -> None:
    """The sourced file goes into ``icp enrich`` unchanged (its page URLs re-read live, here
    from a local server) and then into ``icp score``: every sourced column survives, the live
    stack agrees with the archived one."""
    from tests.sourcing.warcgen import http_response, warc_record

    jquery = '<script src="/js/jquery-3.6.0.min.js"></script>'
    port = range_server.url.rsplit(":", 1)[1]
    recs = []
    for i in range(6):
        body = f"<html><head><title>Site {i}</title></head><body>{jquery if i % 2 else ''}"
        body += "<p>hello</p></body></html>"
        (range_server.root / f"p{i}.html").write_text(body)
        url = f"http://s{i}.localhost:{port}/p{i}.html"
        recs.append(warc_record(url, http_response(body.encode())))
    warc = tmp_path / "live.warc.gz"
    warc.write_bytes(b"".join(recs))
    icp = tmp_path / "icp.yaml"
    icp.write_text(
        ICP.model_validate(
            {"segments": [{"id": "jq", "name": "jQuery sites", "must": [
                {"column": "tech", "has_any": ["jquery"]}]}]}
        ).to_yaml()
    )  # fmt: skip
    found = tmp_path / "found.parquet"
    res = _run("source", "--icp", str(icp), "--warc", str(warc), "-o", str(found), "--all")
    assert res.exit_code == 0, res.output
    src = pl.read_parquet(found)
    assert src["matched"].to_list() == [False, True] * 3
    enriched = tmp_path / "enriched.parquet"
    res = _run("enrich", str(found), "--domain-column", "page_url", "--allow-private",
               "--no-robots", "--no-cache", "-o", str(enriched))  # fmt: skip
    assert res.exit_code == 0, res.output
    out = pl.read_parquet(enriched)
    assert out.height == src.height and out["fetch_error"].is_null().all()
    kept = [c for c in src.columns if c != "tech"]  # enrich writes its own tech column
    assert set(kept) <= set(out.columns)
    assert out.select(kept).equals(src.select(kept))
    live = out["tech"].list.contains("jquery").to_list()
    assert live == src["tech"].list.contains("jquery").to_list() == [False, True] * 3
    scored = tmp_path / "scored.parquet"
    res = _run("score", str(enriched), "--icp", str(icp), "-o", str(scored))
    assert res.exit_code == 0, res.output
    assert pl.read_parquet(scored)["segment"].eq("jq").fill_null(False).to_list() == live


def test_the_summary_names_a_category_the_fingerprint_set_lacks(tmp_path: Path, icp_main) -> None:
    """An ICP asking for "no payments tool" over the bundled set (it has "Payment processors",
    no "payments"): the run says once that the criterion is unknown everywhere; a category the set
    has ("live chat") is judged and not named. The same list comes from the index path."""
    icp = tmp_path / "icp.yaml"
    icp.write_text(
        ICP.model_validate(
            {"segments": [{"id": "s", "name": "S", "must": [
                {"column": "tech", "has_any": ["php"]},
                {"column": "tech", "has_none": ["stripe"], "category": "payments"},
                {"column": "tech", "has_none": ["intercom"], "category": "live chat"}]}]}
        ).to_yaml()
    )  # fmt: skip
    warc = write_warc(tmp_path / "a.warc.gz", fixture_records(sorted(fixture_pages())[:20])).path
    code, text = icp_main("source", "--icp", str(icp), "--warc", str(warc), "-o",
                          str(tmp_path / "found.parquet"), "--all")  # fmt: skip
    assert code == 0, text
    note = "payments: not in the fingerprint set; the criterion is unknown on every page"
    assert note in " ".join(text.split())
    assert "live chat: not in" not in text
    found = pl.read_parquet(tmp_path / "found.parquet")
    unknown = found.filter(pl.col("criteria_unknown").list.join(" ").str.contains("payments"))
    assert unknown.height == found.height > 0  # on every domain, as the summary says

    from icpkit.sourcing.run import source_index, source_warc

    loaded = ICP.load(icp)
    assert source_warc([str(warc)], loaded).unknown_categories == ["payments"]
    root = tmp_path / "mirror"
    domains, files = _archive(root, n=4)
    index = write_index(tmp_path, CRAWL, files)
    result = source_index(domains, loaded, index=index, archive=str(root), crawl=CRAWL)
    assert result.notes == [note]
    # an ICP without such a category: no note
    plain = ICP.model_validate(
        {"segments": [{"id": "s", "name": "S", "must": [{"column": "tech", "has_any": ["php"]}]}]}
    )
    assert source_warc([str(warc)], plain).notes == []


def test_pages_best_gives_the_same_domains_and_names_the_flag(tmp_path: Path, icp_main) -> None:
    (tmp_path / "icp.yaml").write_text(ICP_YAML)
    names = sorted(fixture_pages())
    # Two captures of each of 20 fixture sites (an older one first): a page to choose each.
    records = fixture_records(names[:20])
    older = fixture_records(names[:20], "2026-08-01T10:00:00Z")
    warc = write_warc(tmp_path / "a.warc.gz", older + records).path
    rows = {}
    for pages in ("all", "best"):
        out = tmp_path / f"{pages}.parquet"
        code, text = icp_main(
            "source", "--icp", str(tmp_path / "icp.yaml"), "--warc", str(warc),
            "-o", str(out), "--all", "--pages", pages,
        )  # fmt: skip
        assert code == 0, text
        detected = next(ln for ln in text.splitlines() if "pages detected" in ln)
        assert detected.split()[1] == ("40" if pages == "all" else "20"), detected
        rows[pages] = pl.read_parquet(out).drop("tech_history").sort("domain")
    assert rows["best"].height == 20
    assert rows["best"].equals(rows["all"])
    code, text = icp_main(
        "source", "--icp", str(tmp_path / "icp.yaml"), "--warc", str(warc),
        "-o", str(tmp_path / "x.parquet"), "--pages", "first",
    )  # fmt: skip
    assert code == 2 and "--pages" in text
