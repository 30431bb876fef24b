"""Load Wappalyzer-format fingerprint databases into typed, compiled objects.

The format is a de-facto standard with several vintages, so the loader accepts:

* a folder with ``technologies/*.json`` and ``categories.json`` (+ ``groups.json``), or a folder
  whose ``src/`` holds those (a checkout of a fingerprint repository);
* a single ``technologies.json`` (``{"technologies", "categories"}``) or ``apps.json``
  (``{"apps", "categories"}``) from before the 2021 split. In data with no ``scriptSrc`` field
  anywhere, ``scripts`` still meant *script URLs* and is mapped to ``scriptSrc``.

Values are normalised (string → list, ``requiresCategory`` int → list, header/cookie/meta/dns
names lower-cased, ``dom`` string/list → ``{selector: {exists: ""}}``). Every regex is translated
from JavaScript to Python (:mod:`.patterns`) and compiled once here; a pattern Python cannot
compile is skipped *and* recorded in :attr:`FingerprintDB.issues` with severity ``"error"``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, cast

from icpkit.errors import FingerprintError
from icpkit.technographics.patterns import (
    TranslationError,
    split_tags,
    translate,
    unsafe_reason,
)

__all__ = [
    "Category",
    "DomRule",
    "FingerprintDB",
    "Implied",
    "LintIssue",
    "Pattern",
    "Technology",
    "lint_pattern",
    "load_fingerprints",
]


@dataclass(frozen=True)
class Category:
    """A category from ``categories.json``; a lower ``priority`` sorts first."""

    id: int
    name: str
    groups: tuple[str, ...]
    priority: int


@dataclass(frozen=True)
class Pattern:
    """One compiled pattern. ``regex is None`` means "exists": it matches any value."""

    source: str
    regex: re.Pattern[str] | None
    confidence: int
    version: str | None


@dataclass(frozen=True)
class Implied:
    """An ``implies`` entry: the technology name with its optional tags."""

    name: str
    confidence: int = 100
    version: str | None = None


@dataclass(frozen=True)
class DomRule:
    """A ``dom`` entry: a CSS selector and what to check on the nodes it selects.

    ``properties`` need a JavaScript runtime; they are kept for completeness but never matched.
    """

    selector: str
    exists: tuple[Pattern, ...] = ()
    text: tuple[Pattern, ...] = ()
    attributes: Mapping[str, tuple[Pattern, ...]] = field(default_factory=dict)
    properties: Mapping[str, tuple[Pattern, ...]] = field(default_factory=dict)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return _reduce_frozen(self)


_EMPTY: Mapping[str, tuple[Pattern, ...]] = MappingProxyType({})


def _reduce_frozen(obj: Any) -> tuple[Any, tuple[Any, ...]]:
    """Pickle support for the frozen records (detection runs in worker processes): the
    read-only mapping fields travel as dicts and come back read-only."""
    state = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        state[f.name] = (
            (True, dict(value)) if isinstance(value, MappingProxyType) else (False, value)
        )
    return _rebuild_frozen, (type(obj), state)


def _rebuild_frozen(cls: type[Any], state: dict[str, tuple[bool, Any]]) -> Any:
    return cls(**{k: MappingProxyType(v) if ro else v for k, (ro, v) in state.items()})


@dataclass(frozen=True)
class Technology:
    """A technology and its compiled fingerprints (field names follow the format, snake_cased)."""

    name: str
    categories: tuple[int, ...] = ()
    website: str | None = None
    html: tuple[Pattern, ...] = ()
    text: tuple[Pattern, ...] = ()
    css: tuple[Pattern, ...] = ()
    url: tuple[Pattern, ...] = ()
    script_src: tuple[Pattern, ...] = ()
    scripts: tuple[Pattern, ...] = ()
    robots: tuple[Pattern, ...] = ()
    xhr: tuple[Pattern, ...] = ()
    cert_issuer: tuple[Pattern, ...] = ()
    headers: Mapping[str, tuple[Pattern, ...]] = field(default_factory=dict)
    cookies: Mapping[str, tuple[Pattern, ...]] = field(default_factory=dict)
    meta: Mapping[str, tuple[Pattern, ...]] = field(default_factory=dict)
    dom: tuple[DomRule, ...] = ()
    js: Mapping[str, tuple[Pattern, ...]] = field(default_factory=dict)
    dns: Mapping[str, tuple[Pattern, ...]] = field(default_factory=dict)
    probe: Mapping[str, tuple[Pattern, ...]] = field(default_factory=dict)
    implies: tuple[Implied, ...] = ()
    excludes: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    requires_category: tuple[int, ...] = ()
    pricing: tuple[str, ...] = ()
    saas: bool | None = None
    oss: bool | None = None
    description: str | None = None
    icon: str | None = None
    cpe: str | None = None

    def __hash__(self) -> int:
        return hash(self.name)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return _reduce_frozen(self)


@dataclass(frozen=True)
class LintIssue:
    """A finding about one pattern; ``error`` means the pattern was skipped."""

    technology: str
    field: str
    pattern: str
    message: str
    severity: Literal["error", "warning"]


@dataclass
class FingerprintDB:
    """Technologies (in file order) and categories of one fingerprint database."""

    technologies: dict[str, Technology]
    categories: dict[int, Category]
    issues: list[LintIssue] = field(default_factory=list)

    def category_id(self, name: str) -> int:
        """The id of the category called ``name`` (case-insensitive)."""
        wanted = name.strip().lower()
        for cat in self.categories.values():
            if cat.name.lower() == wanted:
                return cat.id
        raise FingerprintError(f"unknown category {name!r}")

    def members(self, category: str | int) -> list[str]:
        """Names of the technologies in a category (by name or id), in database order."""
        cid = self.category_id(category) if isinstance(category, str) else category
        if cid not in self.categories:
            raise FingerprintError(f"unknown category id {cid}")
        return [t.name for t in self.technologies.values() if cid in t.categories]

    def tool_categories(self) -> dict[str, list[str]]:
        """Lower-cased technology name → lower-cased category names (for ICP category traits)."""
        out: dict[str, list[str]] = {}
        for tech in self.technologies.values():
            out[tech.name.lower()] = [
                self.categories[c].name.lower() for c in tech.categories if c in self.categories
            ]
        return out


# --- Lint -------------------------------------------------------------------------------

_UNBOUNDED_WILDCARD = re.compile(
    r"(?:(?<!\\)\.|\[\\s\\S\]|\[\\S\\s\]|\[\\w\\W\]|\[\\d\\D\]|\[\^\])[+*]"
)
_NESTED_QUANT = re.compile(r"\((?:[^()\\]|\\.)*(?<!\\)[+*](?:\?)?\)[+*{]")
_JS_ONLY_ESCAPES = re.compile(r"(?<!\\)(?:\\\\)*\\([AZzeGQEKhHpPUNRXjgiklmoqyLl])")
_CLASS = re.compile(r"\[(?:[^\]\\]|\\.)*\]")
_CLASS_HYPHEN = re.compile(r"\\[dDwWsS]-[^\]]|[^\[^]-\\[dDwWsS]")


def lint_pattern(source: str) -> list[str]:
    """Risky or non-portable constructs in a JS regex body (empty list when clean).

    Flags unbounded wildcard repetition (``.+``, ``.*``, ``[\\s\\S]*`` — the ReDoS culprits
    on long HTML/JS), nested quantifiers, escapes whose meaning differs between JavaScript and
    Python (``\\A``, ``\\Z``, ``\\z`` …, translated to literals), JS-only syntax (``(?<name>``,
    ``[^]``, ``[\\w-.]``), needless ``\\/`` and the dead ``https?//`` (missing colon).
    """
    found: list[str] = []
    if _UNBOUNDED_WILDCARD.search(source):
        found.append(
            "unbounded wildcard repetition (.+ / .* / [\\s\\S]*): ReDoS risk on long inputs"
        )
    if _NESTED_QUANT.search(source):
        found.append("nested quantifier ((…+)+): catastrophic backtracking risk")
    for m in _JS_ONLY_ESCAPES.finditer(source):
        found.append(
            f"escape \\{m.group(1)} is a literal {m.group(1)!r} in JavaScript but not in Python; "
            "translated to the literal"
        )
    if re.search(r"\(\?<(?![=!])", source):
        found.append("JavaScript named group (?<name>…): translated to (?P<name>…)")
    if "\\/" in source:
        found.append("needless escaped slash \\/: translated to /")
    if "[^]" in source:
        found.append("JavaScript [^] (any character): translated to [\\s\\S]")
    if any(_CLASS_HYPHEN.search(c.group(0)) for c in _CLASS.finditer(source)):
        found.append("hyphen next to a class escape in a character class: read as a literal '-'")
    if re.search(r"https\?//", source, re.IGNORECASE):
        found.append("'https?//' lacks the colon: the pattern can never match a URL")
    return found


# --- Loading ----------------------------------------------------------------------------


class _Compiler:
    """Compiles pattern strings for one database, collecting issues as it goes."""

    def __init__(self, bounded: bool) -> None:
        self.bounded = bounded
        self.issues: list[LintIssue] = []
        self._cache: dict[str, re.Pattern[str] | Exception | None] = {}
        self._unsafe: dict[str, str | None] = {}

    def pattern(self, tech: str, fld: str, raw: Any) -> Pattern | None:
        raw = "" if raw is None else str(raw) if not isinstance(raw, str) else raw
        parsed = split_tags(raw)
        if parsed.bad_confidence is not None:
            self.issues.append(
                LintIssue(
                    tech,
                    fld,
                    raw,
                    f"confidence {parsed.bad_confidence!r} is not an integer; using 100",
                    "warning",
                )
            )
        body = parsed.body
        for msg in lint_pattern(body):
            self.issues.append(LintIssue(tech, fld, body, msg, "warning"))
        if body == "":
            return Pattern(body, None, parsed.confidence, parsed.version)
        compiled = self._cache.get(body)
        if compiled is None and body not in self._cache:
            try:
                python, _pcre = translate(body, bounded=self.bounded)
                compiled = re.compile(python, re.IGNORECASE)
            except (re.error, TranslationError, OverflowError, RecursionError) as exc:
                compiled = exc
            self._cache[body] = compiled
        if isinstance(compiled, Exception):
            self.issues.append(
                LintIssue(tech, fld, body, f"does not compile, skipped: {compiled}", "error")
            )
            return None
        unsafe = self._unsafe.get(body, "")
        if unsafe == "":
            assert compiled is not None
            unsafe = self._unsafe[body] = unsafe_reason(compiled.pattern)
        if unsafe is not None:
            # refused, not warned: without Hyperscan such a pattern can hang a bulk job
            self.issues.append(LintIssue(tech, fld, body, f"refused, skipped: {unsafe}", "error"))
            return None
        return Pattern(body, compiled, parsed.confidence, parsed.version)

    def patterns(self, tech: str, fld: str, value: Any) -> tuple[Pattern, ...]:
        out = []
        for raw in _as_list(value):
            pat = self.pattern(tech, fld, raw)
            if pat is not None:
                out.append(pat)
        return tuple(out)

    def keyed(
        self, tech: str, fld: str, value: Any, *, lower: bool = True
    ) -> Mapping[str, tuple[Pattern, ...]]:
        if not value:
            return _EMPTY
        if not isinstance(value, Mapping):
            self.issues.append(
                LintIssue(
                    tech, fld, str(value), "expected an object of name → pattern; ignored", "error"
                )
            )
            return _EMPTY
        out: dict[str, tuple[Pattern, ...]] = {}
        for key, pats in value.items():
            name = str(key).lower() if lower else str(key)
            compiled = self.patterns(tech, f"{fld}.{key}", pats)
            if compiled:
                out[name] = out.get(name, ()) + compiled
        return MappingProxyType(out)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _dom_rules(comp: _Compiler, tech: str, value: Any) -> tuple[DomRule, ...]:
    if not value:
        return ()
    if isinstance(value, str | list):
        value = {sel: {"exists": ""} for sel in _as_list(value)}
    if not isinstance(value, Mapping):
        comp.issues.append(
            LintIssue(tech, "dom", str(value), "unsupported dom value; ignored", "error")
        )
        return ()
    rules = []
    for selector, spec in value.items():
        if not isinstance(spec, Mapping):
            spec = {"exists": spec}
        for key in spec:
            if key not in ("exists", "text", "attributes", "properties"):
                comp.issues.append(
                    LintIssue(tech, "dom", selector, f"unknown dom key {key!r}; ignored", "warning")
                )
        rules.append(
            DomRule(
                selector=selector,
                exists=comp.patterns(tech, "dom.exists", spec["exists"])
                if "exists" in spec
                else (),
                text=comp.patterns(tech, "dom.text", spec.get("text")),
                attributes=comp.keyed(tech, "dom.attributes", spec.get("attributes"), lower=True),
                properties=comp.keyed(tech, "dom.properties", spec.get("properties"), lower=False),
            )
        )
    return tuple(rules)


def _implied(raw: Any) -> Implied:
    parsed = split_tags(str(raw))
    return Implied(parsed.body, parsed.confidence, parsed.version)


def _technology(
    comp: _Compiler, name: str, spec: Mapping[str, Any], legacy_scripts: bool
) -> Technology:
    script_src = spec.get("scriptSrc")
    scripts = spec.get("scripts")
    if legacy_scripts:
        script_src, scripts = scripts, None
    cats = []
    for c in _as_list(spec.get("cats")):
        try:
            cats.append(int(c))
        except (TypeError, ValueError):
            comp.issues.append(
                LintIssue(name, "cats", str(c), "category id is not an integer; ignored", "error")
            )
    req_cats = []
    for c in _as_list(spec.get("requiresCategory")):
        try:
            req_cats.append(int(c))
        except (TypeError, ValueError):
            comp.issues.append(
                LintIssue(name, "requiresCategory", str(c), "not an integer; ignored", "error")
            )
    meta = spec.get("meta")
    return Technology(
        name=name,
        categories=tuple(cats),
        website=spec.get("website"),
        html=comp.patterns(name, "html", spec.get("html")),
        text=comp.patterns(name, "text", spec.get("text")),
        css=comp.patterns(name, "css", spec.get("css")),
        url=comp.patterns(name, "url", spec.get("url")),
        script_src=comp.patterns(name, "scriptSrc", script_src),
        scripts=comp.patterns(name, "scripts", scripts),
        robots=comp.patterns(name, "robots", spec.get("robots")),
        xhr=comp.patterns(name, "xhr", spec.get("xhr")),
        cert_issuer=comp.patterns(name, "certIssuer", spec.get("certIssuer")),
        headers=comp.keyed(name, "headers", spec.get("headers")),
        cookies=comp.keyed(name, "cookies", spec.get("cookies")),
        meta=comp.keyed(name, "meta", meta),
        dom=_dom_rules(comp, name, spec.get("dom")),
        js=comp.keyed(name, "js", spec.get("js"), lower=False),
        dns=comp.keyed(name, "dns", spec.get("dns")),
        probe=comp.keyed(name, "probe", spec.get("probe"), lower=False),
        implies=tuple(_implied(i) for i in _as_list(spec.get("implies"))),
        excludes=tuple(split_tags(str(e)).body for e in _as_list(spec.get("excludes"))),
        requires=tuple(split_tags(str(r)).body for r in _as_list(spec.get("requires"))),
        requires_category=tuple(req_cats),
        pricing=tuple(str(p) for p in _as_list(spec.get("pricing"))),
        saas=spec.get("saas"),
        oss=spec.get("oss"),
        description=spec.get("description"),
        icon=spec.get("icon"),
        cpe=spec.get("cpe"),
    )


def _read_json(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return json.load(fh)
    except json.JSONDecodeError as exc:
        raise FingerprintError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    except RecursionError:
        raise FingerprintError(f"{path}: JSON nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise FingerprintError(f"{path}: not UTF-8 JSON: {exc}") from None
    except OSError as exc:
        raise FingerprintError(f"{path}: cannot read: {exc}") from exc


def _categories(raw: Mapping[str, Any], groups: Mapping[str, Any]) -> dict[int, Category]:
    out: dict[int, Category] = {}
    for key, spec in raw.items():
        try:
            cid = int(key)
        except ValueError as exc:
            raise FingerprintError(
                f"category id {key!r} is not an integer", field="categories"
            ) from exc
        if isinstance(spec, str):  # very old format: "1": "cms"
            spec = {"name": spec}
        names = []
        for g in _as_list(spec.get("groups")):
            g_spec = groups.get(str(g))
            names.append(str(g_spec.get("name")) if isinstance(g_spec, Mapping) else str(g))
        out[cid] = Category(
            cid,
            str(spec.get("name", f"Category {cid}")),
            tuple(names),
            int(spec.get("priority", 0) or 0),
        )
    return out


def _resolve_source(path: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], bool]:
    """Return (technologies, categories, groups, is_legacy_single_file)."""
    if path.is_dir():
        if (path / "src").is_dir() and not (path / "technologies").is_dir():
            return _resolve_source(path / "src")
        tech_dir = path / "technologies"
        if tech_dir.is_dir():
            techs: dict[str, Any] = {}
            for file in sorted(tech_dir.glob("*.json")):
                data = _read_json(file)
                if not isinstance(data, dict):
                    raise FingerprintError(f"{file}: expected an object of technologies")
                techs.update(data)
            cats = (
                _read_json(path / "categories.json") if (path / "categories.json").is_file() else {}
            )
            groups = _read_json(path / "groups.json") if (path / "groups.json").is_file() else {}
            return techs, cats, groups, False
        for single in ("technologies.json", "apps.json"):
            if (path / single).is_file():
                return _resolve_source(path / single)
        raise FingerprintError(
            f"{path}: no technologies/*.json, technologies.json or apps.json found"
        )
    if not path.is_file():
        raise FingerprintError(f"{path}: no such file or folder")
    data = _read_json(path)
    if not isinstance(data, dict):
        raise FingerprintError(f"{path}: expected a JSON object")
    techs = cast("dict[str, Any]", data.get("technologies", data.get("apps")))
    if not isinstance(techs, dict):
        raise FingerprintError(f"{path}: no 'technologies' or 'apps' object")
    cats = data.get("categories") or {}
    groups = data.get("groups") or {}
    if not cats and (path.parent / "categories.json").is_file():
        cats = _read_json(path.parent / "categories.json")
    return techs, cats, groups, True


def load_fingerprints(
    path: str | os.PathLike[str] | None = None, *, bounded: bool = True
) -> FingerprintDB:
    """Load and compile a Wappalyzer-format database (``None``: the bundled data).

    ``bounded`` applies the reference's quantifier bound (``+`` → ``{1,250}``, ``*`` →
    ``{0,250}``, outside character classes only; see :mod:`.patterns`). It is on by default
    because it both agrees with the reference and caps backtracking on long inputs; turn it off
    for recall on patterns such as ``<script>[\\s\\S]*?boomerang`` that span > 250 characters.
    """
    if path is None:
        root = resources.files("icpkit.technographics") / "data"
        with resources.as_file(root) as real:
            if not Path(real).is_dir():
                raise FingerprintError(
                    "no bundled fingerprint data found (icpkit/technographics/data)"
                )
            return load_fingerprints(real, bounded=bounded)
    techs, cats_raw, groups_raw, single_file = _resolve_source(Path(path))
    if not isinstance(cats_raw, Mapping) or not isinstance(groups_raw, Mapping):
        raise FingerprintError(f"{path}: categories/groups must be JSON objects")
    try:
        categories = _categories(cats_raw, groups_raw)
    except (TypeError, ValueError, AttributeError, RecursionError) as exc:
        raise FingerprintError(f"malformed categories: {exc}", field="categories") from None
    legacy_scripts = single_file and not any(
        isinstance(s, Mapping) and "scriptSrc" in s for s in techs.values()
    )
    comp = _Compiler(bounded)
    technologies: dict[str, Technology] = {}
    for name, spec in techs.items():
        if not isinstance(spec, Mapping):
            raise FingerprintError("expected an object", technology=name)
        try:
            technologies[name] = _technology(comp, name, spec, legacy_scripts)
        except (TypeError, ValueError, AttributeError, KeyError, RecursionError) as exc:
            # a hostile or broken database: one line naming the technology, no traceback
            msg = " ".join(str(exc).split())[:200] or type(exc).__name__
            raise FingerprintError(f"malformed entry: {msg}", technology=str(name)) from None
    _check_references(technologies, categories, comp.issues)
    return FingerprintDB(technologies, categories, comp.issues)


def _check_references(
    technologies: Mapping[str, Technology],
    categories: Mapping[int, Category],
    issues: list[LintIssue],
) -> None:
    """Record dangling names (the reference throws on them; we warn and ignore them)."""
    for tech in technologies.values():
        refs: Iterable[tuple[str, str]] = (
            *(("implies", i.name) for i in tech.implies),
            *(("excludes", e) for e in tech.excludes),
            *(("requires", r) for r in tech.requires),
        )
        for fld, ref in refs:
            if ref not in technologies:
                issues.append(
                    LintIssue(
                        tech.name, fld, ref, f"unknown technology {ref!r}; ignored", "warning"
                    )
                )
        for cid in (*tech.categories, *tech.requires_category):
            if categories and cid not in categories:
                issues.append(
                    LintIssue(tech.name, "cats", str(cid), f"unknown category id {cid}", "warning")
                )
