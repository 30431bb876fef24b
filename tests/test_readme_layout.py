"""README: its layout section lists every module of the package, and only those; its figures
about the package match it."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "icpkit"


def _listed() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Layout", 1)[1].split("```", 2)[1]
    stack: list[str] = []
    out: set[str] = set()
    for line in block.splitlines():
        if not line.strip() or line.strip() == "src/icpkit/" or not line.startswith("  "):
            continue
        depth = (len(line) - len(line.lstrip(" "))) // 2 - 1
        name = line.split()[0]
        stack = stack[:depth]
        if name.endswith("/"):
            stack.append(name.rstrip("/"))
        elif name.endswith(".py"):
            out.add("/".join([*stack, name]))
    return out


def test_readme_layout_lists_every_module() -> None:
    actual = {
        p.relative_to(SRC).as_posix()
        for p in SRC.rglob("*.py")
        if p.name != "__init__.py" and "__pycache__" not in p.parts
    }
    listed = _listed()
    assert not actual - listed, f"modules missing from README's layout: {sorted(actual - listed)}"
    assert not listed - actual, (
        f"README's layout lists modules that do not exist: {sorted(listed - actual)}"
    )


def test_readme_counts_the_bundled_fingerprints() -> None:
    """The README said 476 technologies while the bundled set held 504."""
    import json
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    said = re.search(r"MIT-licensed fingerprint set \(([\d,]+) technologies", text)
    assert said is not None
    files = (SRC / "technographics" / "data" / "technologies").glob("*.json")
    count = sum(len(json.loads(f.read_text(encoding="utf-8"))) for f in files)
    assert int(said.group(1).replace(",", "")) == count
