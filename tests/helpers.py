"""Shared test helpers: where ../shared lives, and cached demo data."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _origin_checkout() -> Path | None:
    """The checkout this clone came from, when its ``origin`` is a local path (or None)."""
    config = REPO / ".git" / "config"
    if not config.is_file():
        return None
    section = ""
    for line in config.read_text(errors="replace").splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == '[remote "origin"]' and line.startswith("url"):
            url = line.partition("=")[2].strip().removeprefix("file://")
            path = Path(url)
            return path.parent if path.name == ".git" else path if path.is_absolute() else None
    return None


@lru_cache(maxsize=1)
def shared_dir() -> Path:
    """Where the team's ``shared`` folder is, wherever this clone lives.

    ``ICPKIT_SHARED`` wins; then ``shared`` beside this checkout; then ``shared`` beside the
    checkout a local clone was made from (a clone in /tmp of /work/main finds /work/shared).
    """
    env = os.environ.get("ICPKIT_SHARED")
    if env:
        return Path(env)
    candidates = [REPO.parent / "shared"]
    origin = _origin_checkout()
    if origin is not None:
        candidates.append(origin.resolve().parent / "shared")
    return next((c for c in candidates if c.is_dir()), candidates[0])


def shared_file(*parts: str) -> Path:
    p = shared_dir().joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared material not available: {p} (set ICPKIT_SHARED to its folder)")
    return p


@lru_cache(maxsize=4)
def demo_customers_csv(directory: str, n: int = 6000, seed: int = 7) -> Path:
    from icpkit.sample.customers import write_demo_files

    return write_demo_files(Path(directory), n=n, seed=seed)["customers"]
