"""What the matcher tests share: a small fingerprint database written from a dict, every engine
over it, and a hit reduced to what engines must agree on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from icpkit.technographics import FingerprintDB, load_fingerprints
from icpkit.technographics.hits import Hit, hyperscan_available
from icpkit.technographics.matcher import Matcher


def write_db(root: Path, techs: dict[str, Any], cats: dict[str, Any]) -> FingerprintDB:
    """``techs`` and ``cats`` as a Wappalyzer-format database under ``root``, loaded."""
    (root / "technologies").mkdir()
    (root / "technologies" / "a.json").write_text(json.dumps(techs), encoding="utf-8")
    (root / "categories.json").write_text(json.dumps(cats), encoding="utf-8")
    return load_fingerprints(root)


def all_engines(db: FingerprintDB) -> dict[str, Matcher]:
    """The naive reference, the pure-Python fast engine and, where installed, Hyperscan's."""
    out = {"naive": Matcher(db, engine="naive"), "fast": Matcher(db, engine="fast", native=False)}
    if hyperscan_available():
        out["native"] = Matcher(db, engine="fast", native=True)
    return out


def hit_key(hits: list[Hit]) -> list[tuple]:
    return [
        (h.tech, h.field, h.key, h.pattern.source, h.value, h.match.span() if h.match else None)
        for h in hits
    ]
