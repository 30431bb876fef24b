"""docs/cli.md is the commands' own --help: regenerated here and compared, so it cannot drift."""

from __future__ import annotations

from pathlib import Path

from icpkit.cli._reference import render_reference

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def test_cli_reference_matches_the_commands() -> None:
    assert DOC.read_text(encoding="utf-8") == render_reference(), (
        "docs/cli.md is stale: run `python -m icpkit.cli._reference > docs/cli.md`"
    )


def test_reference_lists_every_command_and_typed_choices() -> None:
    text = render_reference()
    for heading in ("## `icp discover`", "## `icp score`", "## `icp fingerprints update`"):
        assert heading in text
    # choices come from the library's Literal types, so --help lists them
    assert "<error|unknown>" in text and "<codes|text|none>" in text
    assert "<hubspot|salesforce>" in text and "<exclude|flag>" in text
