"""What matching yields (Hit) and what every engine shares: field order, the inputs of a page per
field, the optional Hyperscan module and the Aho-Corasick automaton builder.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import ahocorasick

from icpkit.technographics.fingerprints import Pattern
from icpkit.technographics.page import Page
from icpkit.technographics.patterns import (
    CASE_FOLD_TO_ASCII,
)

try:  # optional native prefilter
    import hyperscan as hyperscan_module
except ImportError:  # pragma: no cover - depends on the environment
    hyperscan_module = None  # type: ignore[assignment]

DOM_MAX_NODES = 50

# The reference evaluates fields in this order; it decides which of two equally long versions
# wins, so both engines sort hits by it.
FIELD_ORDER = (
    "cookies",
    "css",
    "dns",
    "headers",
    "html",
    "meta",
    "robots",
    "scriptSrc",
    "scripts",
    "text",
    "url",
    "dom",
    "js",
)

FIELD_RANK = {f: i for i, f in enumerate(FIELD_ORDER)}

LIST_FIELDS = {
    "html": "html",
    "text": "text",
    "css": "css",
    "url": "url",
    "scriptSrc": "script_src",
    "scripts": "scripts",
    "robots": "robots",
}

KEYED_INPUT_FIELDS = {
    "headers": "headers",
    "cookies": "cookies",
    "meta": "meta",
    "dns": "dns",
    "js": "js",
}

_FOLD_ONLY = str.maketrans(CASE_FOLD_TO_ASCII)

WINDOW_MIN_CHARS = 4096

WINDOW_MAX_OCCURRENCES = 64

FEW_LITERALS = 12

RARE_CHARS = 8  # characters outside boilerplate that make a literal rare on pages

SIMPLE_CHARS = 5  # ... that make the literal scan select a markup-led html regex

TRACK_CHARS = 4  # ... that make it rare enough to report its every occurrence


def hyperscan_available() -> bool:
    """Whether the optional native prefilter (``pip install icpkit[native]``) is importable."""
    return hyperscan_module is not None


class Hit(NamedTuple):
    """One (pattern, value) match: the unit the reference sums confidence over.

    (A named tuple: dozens are made per page, at a third of a frozen dataclass's cost.)
    """

    tech: str
    field: str
    key: str | None
    pattern: Pattern
    value: str
    match: re.Match[str] | None
    order: tuple[int, int, int, int, int]


@dataclass(frozen=True)
class MatchEntry:
    tech_idx: int
    field: str
    key: str | None
    pattern: Pattern
    pos: int  # position of the pattern within the technology's field (reference order)


def field_inputs(page: Page, fld: str) -> Sequence[str]:
    if fld == "html":
        return (page.html_capped,) if page.html else ()
    if fld == "text":
        return (page.text,) if page.html else ()
    if fld == "css":
        return (page.css_capped,) if page.css else ()
    if fld == "url":
        return (page.url,) if page.url else ()
    if fld == "scriptSrc":
        return page.script_srcs
    if fld == "scripts":
        return page.script_contents
    if fld == "robots":
        return (page.robots,) if page.robots else ()
    raise KeyError(fld)


def keyed_inputs(page: Page, fld: str) -> Mapping[str, Sequence[str]]:
    if fld == "headers":
        return page.header_values
    if fld == "cookies":
        return page.cookie_values
    if fld == "meta":
        return page.meta_values
    if fld == "dns":
        return page.dns_values
    raise KeyError(fld)


def hs_literal(text: str) -> str:
    """``text`` as a Hyperscan expression matching it literally (every character escaped)."""
    return "".join(f"\\x{ord(c):02x}" for c in text)


def hs_collect(id_: int, _from: int, _to: int, _flags: int, context: Any) -> None:
    context.append(id_)


def hs_collect_at(id_: int, _from: int, to: int, _flags: int, context: Any) -> None:
    context.append((id_, to))


_HS_FLAGS = 0

if hyperscan_module is not None:
    _HS_FLAGS = (
        hyperscan_module.HS_FLAG_CASELESS
        | hyperscan_module.HS_FLAG_SINGLEMATCH
        | hyperscan_module.HS_FLAG_PREFILTER
        | hyperscan_module.HS_FLAG_ALLOWEMPTY
        | hyperscan_module.HS_FLAG_MULTILINE
        | hyperscan_module.HS_FLAG_DOTALL
    )


HS_CACHE_ENV = "ICPKIT_HYPERSCAN_CACHE"
"""Set to ``0`` to compile every Hyperscan database afresh (no cache read or written)."""


def hs_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/icpkit/hyperscan`` (``~/.cache`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "icpkit" / "hyperscan"


@cache
def _hs_platform() -> bytes:
    """What a serialised database depends on besides its expressions: the library's version
    and the features it targets on this CPU (from a tiny database's ``info``)."""
    assert hyperscan_module is not None
    probe = hyperscan_module.Database(mode=hyperscan_module.HS_MODE_BLOCK)
    probe.compile(expressions=[b"a"], ids=[0], elements=1, flags=[0])
    version = getattr(hyperscan_module, "__version__", "")
    return f"{version}|{platform.machine()}|{probe.info()!r}".encode()


def hs_compile(exprs: Sequence[bytes], ids: Sequence[int], flags: Sequence[int]) -> Any:
    """A block-mode Hyperscan database of ``exprs``, loaded from the user's cache when this
    exact database was compiled before (on this platform, with this Hyperscan).

    Compiling the 4,000-technology DB's databases costs ~1.1 s CPU, paid again by every new
    process (each worker of a bulk job, each shard of a sourcing run); loading them costs a
    few ms. The key is a digest of everything the database is made of, so a changed
    fingerprint DB (or Hyperscan) misses and compiles; an unreadable or stale entry is
    compiled over. Compile errors propagate as from ``Database.compile`` (not cached).
    """
    assert hyperscan_module is not None
    hs = hyperscan_module
    use_cache = os.environ.get(HS_CACHE_ENV, "1") != "0"
    path: Path | None = None
    if use_cache:
        digest = hashlib.sha256(_hs_platform())
        for expr, id_, flag in zip(exprs, ids, flags, strict=True):
            digest.update(b"%d:%d:%d:" % (len(expr), id_, flag) + expr)
        path = hs_cache_dir() / f"{digest.hexdigest()}.hsdb"
        try:
            db = hs.loadb(path.read_bytes(), hs.HS_MODE_BLOCK)
            db.scratch = hs.Scratch(db)  # (a loaded database has none; scans need one)
            return db
        except (OSError, hs.error, TypeError, ValueError):
            pass  # absent, unreadable or not a database of this platform: compile
    db = hs.Database(mode=hs.HS_MODE_BLOCK)
    db.compile(expressions=list(exprs), ids=list(ids), elements=len(exprs), flags=list(flags))
    if path is not None:
        _write_quietly(path, hs.dumpb(db))
    return db


def _write_quietly(path: Path, data: bytes) -> None:
    """Write a cache entry atomically (a temporary file renamed over it, so concurrent
    workers never read half an entry); a cache that cannot be written is only slower."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".hsdb")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            Path(tmp).replace(path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass


def compile_hyperscan(exprs: list[bytes], ids: list[int]) -> tuple[object | None, list[int]]:
    """Compile what Hyperscan accepts into one database; bisect to find the rejects."""
    assert hyperscan_module is not None

    def attempt(sel: list[int]) -> object | None:
        try:
            return hs_compile(
                [exprs[i] for i in sel], [ids[i] for i in sel], [_HS_FLAGS] * len(sel)
            )
        except hyperscan_module.error:
            return None

    def bad(sel: list[int]) -> list[int]:
        if attempt(sel) is not None:
            return []
        if len(sel) == 1:
            return sel
        mid = len(sel) // 2
        return bad(sel[:mid]) + bad(sel[mid:])

    every = list(range(len(exprs)))
    db = attempt(every)
    if db is not None:
        return db, []
    rejected = set(bad(every))
    good = [i for i in every if i not in rejected]
    return (attempt(good) if good else None), [ids[i] for i in sorted(rejected)]


def build_automaton(words: Mapping[str, object]) -> ahocorasick.Automaton:
    auto = ahocorasick.Automaton()
    for word, value in words.items():
        auto.add_word(word, value)
    auto.make_automaton()
    return auto


__all__ = ["DOM_MAX_NODES", "FIELD_ORDER", "WINDOW_MIN_CHARS", "Hit", "hyperscan_available"]
