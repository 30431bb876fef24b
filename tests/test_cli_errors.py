"""Every CLI failure is one line and an exit code; interrupted writes leave no temporary file."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
import tomllib

from icpkit.cli import main
from icpkit.criteria import Criterion
from icpkit.icp import ICP, Segment


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def icp_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run ``icp`` in-process through the console-script entry point."""

    def run(*args: str) -> Run:
        monkeypatch.setattr(sys, "argv", ["icp", *args])
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
    lines = [ln for ln in r.err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), r.err
    return lines[0]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    icp = ICP(
        segments=[
            Segment(id="s1", name="SaaS", must=[Criterion(column="industry", **{"in": ["saas"]})])
        ]
    )
    icp.save(tmp_path / "icp.yaml")
    src = tmp_path / "p.csv"
    pl.DataFrame({"domain": ["a.com", "b.com"], "industry": ["saas", "retail"]}).write_csv(src)
    return {"icp": tmp_path / "icp.yaml", "src": src}


def test_unwritable_output_is_one_line_exit_1(
    icp_cli, files, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    def refuse(*a: object, **k: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied", str(tmp_path / "ro"))

    (tmp_path / "ro").mkdir()
    out = tmp_path / "ro" / "scored.csv"
    monkeypatch.setattr(tempfile, "mkstemp", refuse)  # a read-only directory (tests run as root)
    r = icp_cli("score", str(files["src"]), "--icp", str(files["icp"]), "-o", str(out))
    line = _one_line_error(r)
    assert r.code == 1 and str(out) in line and "Permission denied" in line


def test_full_disk_while_writing_leaves_nothing(
    icp_cli, files, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(self: pl.DataFrame, path: object, **k: object) -> None:
        Path(str(path)).write_text("partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pl.DataFrame, "write_csv", full)
    out = tmp_path / "scored.csv"
    r = icp_cli("score", str(files["src"]), "--icp", str(files["icp"]), "-o", str(out))
    line = _one_line_error(r)
    assert r.code == 1 and "No space left" in line and str(out) in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["icp.yaml", "p.csv"]


def test_ctrl_c_during_score_leaves_no_temp_file(
    icp_cli, files, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(self: pl.DataFrame, path: object, **k: object) -> None:
        Path(str(path)).write_text("half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(pl.DataFrame, "write_csv", interrupted)
    r = icp_cli(
        "score", str(files["src"]), "--icp", str(files["icp"]), "-o", str(tmp_path / "s.csv")
    )
    assert r.code == 130 and "Traceback" not in r.err
    assert r.err.strip().splitlines()[-1] == "aborted"  # not a silent exit
    assert sorted(p.name for p in tmp_path.iterdir()) == ["icp.yaml", "p.csv"]


def test_stale_temp_files_of_the_target_are_cleared(icp_cli, files, tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    dead_pid = 2**22 + 12345  # above pid_max on Linux: never a live process
    stale = [
        tmp_path / f".s.csv.{dead_pid}.abc123.tmp",  # a killed icpkit run
        tmp_path / ".s.csv.k2j3h4.tmp",  # the name older versions used
        tmp_path / ".s.csv.icpkit-tmp",  # the streaming scorer's
    ]
    live = tmp_path / f".s.csv.{os.getpid()}.zzz.tmp"  # this process: being written, kept
    other = tmp_path / f".other.csv.{dead_pid}.abc.tmp"  # another target's: not ours to remove
    for p in [*stale, live, other]:
        p.write_text("x")
    r = icp_cli("score", str(files["src"]), "--icp", str(files["icp"]), "-o", str(out))
    assert r.code == 0, r.err
    assert out.exists() and not any(p.exists() for p in stale)
    assert live.exists() and other.exists()


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--table", "p /* x */"),
        ("--table", "p; DROP TABLE x"),
        ("--view", "v--x"),
        ("--table", "a.b.c.d"),
    ],
)
def test_sql_names_are_checked(icp_cli, files, flag: str, value: str) -> None:
    args = ["sql", "--icp", str(files["icp"]), "--table", "p"]
    args = [*args[:3], flag, value] if flag == "--table" else [*args, flag, value]
    r = icp_cli(*args)
    assert r.code == 2 and flag in r.err and "Traceback" not in r.err
    assert r.out == ""  # no SQL printed


def test_sql_accepts_qualified_and_quoted_names(icp_cli, files) -> None:
    for name in ("analytics.prospects", '"my table"', "`proj-1.ds.t`", "my-proj.ds.t"):
        r = icp_cli("sql", "--icp", str(files["icp"]), "--table", name)
        assert r.code == 0, r.err


def test_sql_dialect_is_a_listed_choice(icp_cli, files) -> None:
    """--dialect lists its choices, takes any letter case, and refuses others as a usage error."""
    base = ("sql", "--icp", str(files["icp"]), "--table", "p")
    bad = icp_cli(*base, "--dialect", "oracle")
    assert bad.code == 2 and "--dialect" in bad.err and "bigquery" in bad.err
    assert bad.out == "" and "Traceback" not in bad.err
    upper = icp_cli(*base, "--dialect", "BigQuery")
    assert upper.code == 0 and "`" in upper.out  # BigQuery quotes identifiers with backticks
    assert upper.out == icp_cli(*base, "--dialect", "bigquery").out


def test_output_exists_names_the_flag_not_python(icp_cli, files, tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    out.write_text("x")
    r = icp_cli("score", str(files["src"]), "--icp", str(files["icp"]), "-o", str(out))
    line = _one_line_error(r)
    assert "--force" in line and "force=True" not in line and r.code == 2


def test_missing_column_message_names_the_cli_flag(icp_cli, files, tmp_path: Path) -> None:
    src = tmp_path / "no_industry.csv"
    pl.DataFrame({"domain": ["a.com"]}).write_csv(src)
    r = icp_cli("score", str(src), "--icp", str(files["icp"]), "-o", str(tmp_path / "o.csv"))
    line = _one_line_error(r)
    assert "--missing unknown" in line and "missing='unknown'" not in line


def test_unexpected_exceptions_are_one_line(
    icp_cli, files, monkeypatch: pytest.MonkeyPatch
) -> None:
    import icpkit.icp

    def boom(*a: object, **k: object) -> None:
        raise ValueError("something\nspanning lines")

    monkeypatch.setattr(icpkit.icp.ICP, "load", boom)
    r = icp_cli("sql", "--icp", str(files["icp"]), "--table", "p")
    line = _one_line_error(r)
    assert r.code == 1 and "ValueError" in line and "spanning lines" in line


def test_version(icp_cli) -> None:
    from icpkit import __version__

    r = icp_cli("--version")
    assert r.code == 0 and r.out.strip() == f"icpkit {__version__}"


def test_dns_help_keeps_the_extra_name(icp_cli) -> None:
    r = icp_cli("detect", "--help")
    assert "icpkit[dns]" in r.out


def test_discover_refuses_its_input_as_output_before_the_work(
    icp_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import icpkit.pipeline

    def never(*a: object, **k: object) -> None:
        raise AssertionError("discovery ran before the output was checked")

    monkeypatch.setattr(icpkit.pipeline, "discover_file", never)
    src = tmp_path / "c.csv"
    src.write_text("id,won\n1,yes\n")
    before = src.read_bytes()
    r = icp_cli("discover", str(src), "-o", str(src), "--force")
    line = _one_line_error(r)
    assert "inputs" in line and src.read_bytes() == before
    existing = tmp_path / "icp.yaml"
    existing.write_text("x")
    r = icp_cli("discover", str(src), "-o", str(existing))
    assert "already exists" in _one_line_error(r)


def test_detect_fails_when_every_target_is_refused(icp_cli, tmp_path: Path) -> None:
    r = icp_cli("detect", "127.0.0.1", "10.0.0.1", "--no-cache")
    assert r.code == 1 and "Traceback" not in r.err
    assert "none of the 2 sites could be read" in r.err and "--allow-private" in r.err
    assert "refused: refused" not in r.out


def test_fingerprints_update_network_error_is_one_line(icp_cli, tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = icp_cli(
        "fingerprints", "update", "--from", f"http://127.0.0.1:{port}/t.json", "--allow-private"
    )
    line = _one_line_error(r)
    assert r.code == 1 and f"127.0.0.1:{port}" in line and "--from" in line


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--version"], 0, "icpkit"),
        (["score", "--nope"], 2, "No such option: --nope"),
        # A missing ICP file is a usage mistake, as a missing data file is (exit 2).
        (["score", "p.csv", "--icp", "icp.yaml", "-o", "o.csv"], 2, "icp.yaml: no such ICP file"),
    ],
)
def test_the_installed_script_keeps_exit_codes_and_one_line_errors(
    args: list[str], code: int, words: str, tmp_path: Path
) -> None:
    """``icp`` runs ``icpkit.cli:run`` (main, then the collector frozen for a quick exit): the
    exit codes and messages are main's, in a fresh interpreter as a user gets them."""
    root = Path(__file__).resolve().parents[1]
    scripts = tomllib.loads((root / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["icp"] == "icpkit.cli:run"
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from icpkit.cli import run; run()", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(root / "src"), "COLUMNS": "200"},
        timeout=300,
        check=False,
    )
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    assert words in (proc.stderr if code else proc.stdout)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (
            "format: 1\nname: [x\n",
            3,
            "expected ',' or ']', but got '<stream end>' (while parsing a flow sequence that "
            "starts on line 2)",
        ),
        ('format: 1\nname: "x\n', 3, "(while scanning a quoted scalar that starts on line 2)"),
        ("format: 1\n\tname: x\n", 2, "found character '\\t' that cannot start any token"),
    ],
)
def test_malformed_icp_yaml_is_one_plain_line(
    icp_cli, tmp_path: Path, text: str, line: int, words: str
) -> None:  # type: ignore[no-untyped-def]
    """PyYAML's own message spans several lines and quotes the source under a caret; the user
    gets the problem, its line and where the construct began, on one line."""
    bad = tmp_path / "icp.yaml"
    bad.write_text(text, encoding="utf-8")
    r = icp_cli("report", str(bad), "-o", str(tmp_path / "r.md"))
    err = _one_line_error(r)
    assert r.code == 1
    assert f"icp.yaml:{line}: not valid YAML: " in err and words in err, err
    assert "^" not in err and "<unicode string>" not in err
