"""Every public way to build an ICP from user data raises IcpFileError naming the field, never a
raw pydantic ValidationError; the CLI shows one line for a bad ICP file, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from pydantic import ValidationError

import icpkit
from icpkit.criteria import Criterion, Evidence
from icpkit.errors import IcpFileError, IcpkitError
from icpkit.icp import ICP, Scoring, Segment

GOOD: dict[str, Any] = {
    "name": "t",
    "segments": [{"id": "s1", "name": "SaaS", "must": [{"column": "industry", "in": ["saas"]}]}],
}


def _with(**changes: Any) -> dict[str, Any]:
    return json.loads(json.dumps(GOOD)) | changes


BUILDERS: dict[str, Callable[[dict[str, Any]], ICP]] = {
    "constructor": lambda d: ICP(**d),
    "model_validate": ICP.model_validate,
    "model_validate_json": lambda d: ICP.model_validate_json(json.dumps(d)),
}


def _from_yaml(d: dict[str, Any]) -> ICP:
    import yaml

    return ICP.from_yaml(yaml.safe_dump(d, sort_keys=False))


BUILDERS["from_yaml"] = _from_yaml

# (data, the dotted field the error must name, words the message must hold)
BAD: list[tuple[dict[str, Any], str | None, str]] = [
    (_with(version="three"), "version", "integer"),
    (_with(colour="blue"), "colour", "Extra inputs"),
    (
        _with(segments=[{"id": "s1", "name": "x", "must": [{"column": "a", "between": [5, 1]}]}]),
        "segments.0.must.0",
        "lower bound",
    ),
    (
        _with(segments=[*GOOD["segments"], *GOOD["segments"]]),
        None,
        "segment ids must be unique",
    ),
    (_with(created="not a date"), "created", "date"),
]


@pytest.mark.parametrize("how", sorted(BUILDERS))
@pytest.mark.parametrize(("data", "field", "words"), BAD)
def test_every_builder_raises_icp_file_error_naming_the_field(
    how: str, data: dict[str, Any], field: str | None, words: str
) -> None:
    with pytest.raises(IcpkitError) as exc:
        BUILDERS[how](data)
    err = exc.value
    assert isinstance(err, IcpFileError) and not isinstance(err, ValidationError)
    assert err.field == field
    assert words.lower() in str(err).lower()
    if field is not None:
        assert f"field {field!r}" in str(err)
    assert "pydantic" not in str(err) and "errors.pydantic.dev" not in str(err)


@pytest.mark.parametrize("how", sorted(BUILDERS))
def test_a_valid_icp_still_builds_every_way(how: str) -> None:
    icp = BUILDERS[how](GOOD)
    assert list(icp.segments[0].must[0].in_ or ()) == ["saas"]
    assert icp.review_by is not None  # the "after" check still runs inside the wrapper


def test_the_message_counts_the_other_problems() -> None:
    with pytest.raises(IcpFileError, match=r"\(and 1 more problem\)"):
        ICP.model_validate(_with(version="x", colour="blue"))


def test_a_misspelt_required_key_is_called_a_typo(tmp_path: Path) -> None:
    """'colum:' for 'column:' gives pydantic two errors, "Field required" first; the typo
    was hidden behind "(and 1 more problem)"."""
    text = ICP.model_validate(GOOD).to_yaml()
    at = text.index("  - column: ")
    path = tmp_path / "icp.yaml"
    path.write_text(text[:at] + "  - colum: " + text[at + len("  - column: ") :], "utf-8")
    with pytest.raises(IcpFileError) as exc:
        ICP.load(path)
    assert "Field required; 'colum' is not a field here (a typo of 'column'?)" in str(exc.value)
    assert "more problem" not in str(exc.value)
    # a stray key unlike the missing one is named, without a guess
    data = _with()
    data["segments"][0]["must"][0].pop("column")
    data["segments"][0]["must"][0]["zzz"] = "industry"
    with pytest.raises(IcpFileError) as exc:
        ICP.model_validate(data)
    assert str(exc.value).endswith("Field required; 'zzz' is not a field here")


def test_from_yaml_still_gives_file_line_and_field(tmp_path: Path) -> None:
    text = (
        ICP.model_validate(GOOD)
        .to_yaml()
        .replace("    in: [saas]", "    in: [saas]\n    colour: blue")
    )
    assert "colour: blue" in text, text
    path = tmp_path / "icp.yaml"
    path.write_text(text, encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "colour" in t)
    with pytest.raises(IcpFileError) as exc:
        ICP.load(path)
    err = exc.value
    assert err.field == "segments.0.must.0.colour"
    assert err.line == line
    assert str(err).startswith(f"{path}:{line}, field 'segments.0.must.0.colour': ")


def test_sub_models_inside_an_icp_report_the_full_path() -> None:
    seg = Segment(id="s1", name="x", must=[Criterion(column="a", **{"in": ["x"]})])
    with pytest.raises(IcpFileError) as exc:
        ICP.model_validate({"segments": [seg.model_dump(by_alias=True), {"id": 3}]})
    assert exc.value.field is not None and exc.value.field.startswith("segments.1.")


# Each part of an ICP a user (or a script) may build on its own: bad data, the field to name.
PARTS: list[tuple[Callable[[], object], str | None, str]] = [
    (lambda: Criterion(column="a"), None, "exactly one operator"),
    (lambda: Criterion.model_validate({"column": "a", "between": [None, None]}), None, "bound"),
    (
        lambda: Segment.model_validate({"id": "s", "name": "x", "must": [{"column": "a"}]}),
        "must.0",
        "exactly one operator",
    ),
    (lambda: Scoring.model_validate_json('{"tiers": "bad"}'), "tiers", "object"),
    (lambda: Scoring(tiers={"A": 10, "B": 20, "C": 5}), None, "fall strictly"),
    (lambda: Evidence.model_validate_strings({"best_share": "lots"}), "best_share", "number"),
]


@pytest.mark.parametrize(("build", "field", "words"), PARTS)
def test_each_part_built_on_its_own_raises_icp_file_error(
    build: Callable[[], object], field: str | None, words: str
) -> None:
    with pytest.raises(IcpFileError) as exc:
        build()
    assert exc.value.field == field
    assert words in str(exc.value)
    assert not isinstance(exc.value, ValidationError)
    # still a ValueError, as pydantic's error was, for code that caught that
    assert isinstance(exc.value, ValueError)


def test_a_part_inside_an_icp_names_the_full_path_not_its_own() -> None:
    """A criterion's own check raised deep inside an ICP names segments.0.must.1, not must.1."""
    with pytest.raises(IcpFileError) as exc:
        ICP(
            segments=[
                {"id": "s", "name": "x", "must": [{"column": "a", "in": ["x"]}, {"column": "b"}]}
            ]
        )
    assert exc.value.field == "segments.0.must.1"


def _icp_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``icp`` in a fresh interpreter, importing this checkout's icpkit."""
    src = str(Path(icpkit.__file__).resolve().parents[1])
    env = {
        "COLUMNS": "200",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cwd),
        "PYTHONPATH": src,
    }
    return subprocess.run(
        [sys.executable, "-c", "from icpkit.cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        env=env,
        check=False,
    )


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ("version: three\n", "version"),
        ("colour: blue\n", "colour"),
        ("segments:\n- id: s1\n  name: x\n  must:\n  - column: a\n    between: [5, 1]\n", None),
    ],
)
def test_cli_shows_one_line_for_a_bad_icp_file_never_a_traceback(
    tmp_path: Path, bad: str, field: str | None
) -> None:
    icp_file = tmp_path / "icp.yaml"
    icp_file.write_text("name: t\n" + bad, encoding="utf-8")
    src = tmp_path / "p.csv"
    pl.DataFrame({"domain": ["a.com"], "a": [1]}).write_csv(src)
    for args in (
        ["score", str(src), "--icp", str(icp_file), "-o", str(tmp_path / "out.csv")],
        ["sql", "--icp", str(icp_file), "--table", "prospects"],
        ["status", str(icp_file)],
    ):
        proc = _icp_cli(*args, cwd=tmp_path)
        assert proc.returncode == 1, (args, proc.stdout, proc.stderr)
        text = proc.stdout + proc.stderr
        assert "Traceback" not in text and "pydantic" not in text.lower(), text
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:"), proc.stderr
        assert str(icp_file) in lines[0]
        if field is not None:
            assert f"field {field!r}" in lines[0]
        assert not (tmp_path / "out.csv").exists()
