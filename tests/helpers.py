"""Shared test helpers: where ../shared lives, and cached demo data."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    return Path(os.environ.get("ICPKIT_SHARED", REPO.parent / "shared"))


def shared_file(*parts: str) -> Path:
    p = shared_dir().joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared material not available: {p} (set ICPKIT_SHARED to its folder)")
    return p


@lru_cache(maxsize=4)
def demo_customers_csv(directory: str, n: int = 6000, seed: int = 7) -> Path:
    from icpkit.sample import write_demo_files

    return write_demo_files(Path(directory), n=n, seed=seed)["customers"]
