"""Wappalyzer pattern strings → Python regexes, versions and required literals.

A Wappalyzer pattern is a JavaScript ``RegExp`` body (always matched case-insensitively) with tags
appended after a literal ``\\;`` (``\\;confidence:50``, ``\\;version:\\1``). Python ``re`` accepts
most JS syntax but a few escapes compile to something else (``\\A`` is a literal "A" in JS, the
start of the string in Python), and some JS forms do not compile at all (``[^]``, ``(?<name>…)``,
``[\\w-.]``). :func:`translate` rewrites a JS body into an equivalent Python body; anything it
cannot make sense of is left for :func:`re.compile` to reject, and the loader records that as a
lint error instead of dropping it silently.

The reference implementation rewrites every ``+`` to ``{1,250}`` and every ``*`` to ``{0,250}``
before compiling (to bound work on long inputs). It does so textually, which also corrupts
character classes (``[+*]``) and escaped backslashes (``\\\\+``). We take the *safer reading*:
with ``bounded=True`` (the default, like the reference) only real quantifiers outside character
classes are bounded; classes, escapes and explicit ``{m,n}`` are left alone.
"""

from __future__ import annotations

import re
import re._constants as _sre_c
import re._parser as _sre_p
from dataclasses import dataclass
from functools import lru_cache
from itertools import product
from math import prod
from typing import cast

import numpy as np

__all__ = [
    "CASE_FOLD_TO_ASCII",
    "QUANTIFIER_BOUND",
    "ParsedPattern",
    "TranslationError",
    "fold_for_prefilter",
    "js_parse_int",
    "match_extent",
    "prefilter_image",
    "required_literal_sets",
    "required_literals",
    "resolve_version",
    "split_tags",
    "translate",
]

QUANTIFIER_BOUND = 250
"""Upper bound the reference puts on ``+`` and ``*`` (``{1,250}`` / ``{0,250}``)."""

# Non-ASCII characters that Python's case-insensitive matching treats as equal to an ASCII
# letter (simple lower-casing plus ``re._casefix`` extras). The prefilter maps them to ASCII
# so a literal search over the folded text never misses what ``re.I`` would match; a test
# recomputes this table by brute force.
CASE_FOLD_TO_ASCII: dict[str, str] = {"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"}


def fold_for_prefilter(text: str) -> str:
    """Lower-case ``text`` so an ASCII literal occurs in it whenever ``re.I`` could match it.

    The result has the same length as ``text``, so positions found in it are positions in
    ``text``: the fast matcher relies on that to confirm candidates near their literals.
    Literals are ASCII, so other characters only have to stay non-ASCII: the four that
    ``re.I`` equates with an ASCII letter are folded to it, the rest become ``ÿ`` (``lower``
    on a non-ASCII string is ~15x slower than on an ASCII one: a ~0.6 ms difference on a
    100 KiB page with a single ``&nbsp;``).
    """
    if text.isascii():
        return text.lower()
    return prefilter_image(text).lower().decode("latin-1")


def prefilter_image(text: str) -> bytes:
    """One byte per character: ASCII kept, the case-fold specials folded to their ASCII
    letter, every other character 0xFF (what Hyperscan scans)."""
    if text.isascii():
        return text.encode("ascii")
    try:  # every character below U+0100 (none of the specials is): one C translation
        return text.encode("latin-1").translate(_LATIN1_IMAGE)
    except UnicodeEncodeError:
        pass
    for special, ascii_ in CASE_FOLD_TO_ASCII.items():
        if special in text:
            text = text.replace(special, ascii_)
    data = text.encode("utf-16-le", "surrogatepass")
    if len(data) == 2 * len(text):  # no character beyond U+FFFF: one code unit each
        codes: np.ndarray = np.frombuffer(data, dtype=np.uint16)
    else:
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    image = codes.astype(np.uint8)
    image[codes > 0x7F] = 0xFF
    return image.tobytes()


_LATIN1_IMAGE = bytes(range(128)) + b"\xff" * 128


class TranslationError(ValueError):
    """A JS regex body cannot be expressed as a Python regex."""


@dataclass(frozen=True)
class ParsedPattern:
    """A pattern string split into its regex body and tags."""

    body: str
    confidence: int
    version: str | None
    bad_confidence: str | None = None  # the raw tag when it is not an integer


def js_parse_int(text: str) -> int | None:
    """``parseInt(text, 10)`` as JavaScript does it: leading integer, else ``None`` (NaN)."""
    m = re.match(r"\s*([+-]?\d+)", text)
    return int(m.group(1)) if m else None


def split_tags(raw: str) -> ParsedPattern:
    """Split ``body\\;confidence:N\\;version:V`` the way the reference does.

    Tags without a colon are ignored; a tag value may itself contain colons (ternaries).
    A non-integer confidence keeps the default of 100 and is reported back for linting.
    """
    parts = raw.split("\\;")
    tags: dict[str, str] = {}
    for part in parts[1:]:
        key, sep, value = part.partition(":")
        if sep:
            tags[key] = value
    confidence = 100
    bad = None
    if tags.get("confidence"):
        parsed = js_parse_int(tags["confidence"])
        if parsed is None:
            bad = tags["confidence"]
        else:
            confidence = parsed
    version = tags.get("version") or None
    return ParsedPattern(parts[0], confidence, version, bad)


# --- JS → Python translation -------------------------------------------------------------

_PY_CLASS_ESCAPES = set("dDsSwW")
# Escapes that mean the same thing in JS and Python outside a class.
_SAME_ESCAPES = set("dDsSwWbBfnrtv0")
_SYNTAX = set("^$\\.*+?()[]{}|/-")


def _read_js_escape(body: str, i: int, in_class: bool) -> tuple[str, str, int]:
    """Translate the escape at ``body[i] == '\\'``; return (python, pcre, next index)."""
    if i + 1 >= len(body):
        raise TranslationError("pattern ends with a lone backslash")
    ch = body[i + 1]
    if ch == "/":
        return "/", "/", i + 2
    if ch.isdigit() and ch != "0":
        j = i + 1
        while j < len(body) and body[j].isdigit():
            j += 1
        if in_class:
            # JS (non-unicode) reads \1 in a class as an octal escape; rare, keep it literal.
            lit = re.escape(chr(int(body[i + 1 : j], 8))) if "8" not in body[i + 1 : j] else ""
            return lit, lit, j
        return body[i:j], body[i:j], j
    if ch in _SAME_ESCAPES:
        return "\\" + ch, "\\" + ch, i + 2
    if ch == "x":
        h = body[i + 2 : i + 4]
        if len(h) == 2 and all(c in "0123456789abcdefABCDEF" for c in h):
            return "\\x" + h, "\\x" + h, i + 4
        return "x", "x", i + 2  # JS: identity escape
    if ch == "u":
        h = body[i + 2 : i + 6]
        if len(h) == 4 and all(c in "0123456789abcdefABCDEF" for c in h):
            esc = re.escape(chr(int(h, 16)))
            return esc, esc, i + 6
        return "u", "u", i + 2
    if ch == "c":
        if i + 2 < len(body) and body[i + 2].isascii() and body[i + 2].isalpha():
            esc = re.escape(chr(ord(body[i + 2]) % 32))
            return esc, esc, i + 3
        return "\\\\c", "\\\\c", i + 2  # JS: a literal backslash followed by "c"
    if ch == "k" and not in_class and i + 2 < len(body) and body[i + 2] == "<":
        end = body.find(">", i + 3)
        if end == -1:
            raise TranslationError("unterminated \\k<name>")
        name = body[i + 3 : end]
        return f"(?P={name})", f"(?P={name})", end + 1
    if ch in _SYNTAX or not ch.isalnum():
        lit = re.escape(ch)
        return lit, lit, i + 2
    # Any other letter (\A, \Z, \z, \e, \p, \G, \U, \N …) is an identity escape in JS.
    lit = re.escape(ch)
    return lit, lit, i + 2


# Hyperscan runs in byte mode (far faster to build than UTF-8/UCP) over a char-for-char image
# of the text in which every non-ASCII character is the byte 0xFF; widen the Unicode-aware
# escapes to include it so the prefilter matches a superset of Python's re; drop \b/\B.
_HS_WIDEN = {
    "\\w": r"[\w\x80-\xff]",
    "\\d": r"[\d\x80-\xff]",
    "\\s": r"[\s\x1c-\x1f\x80-\xff]",
    "\\b": "",
    "\\B": "",
}


def _bounded(quant: str, bounded: bool) -> str:
    if not bounded:
        return quant
    return f"{{1,{QUANTIFIER_BOUND}}}" if quant == "+" else f"{{0,{QUANTIFIER_BOUND}}}"


def translate(body: str, *, bounded: bool = True) -> tuple[str, str]:
    """Translate a JS regex body; return ``(python, pcre)``.

    ``python`` has JS meaning under Python ``re``: identity escapes become literals, ``\\/`` →
    ``/``, ``(?<name>`` → ``(?P<name>``, ``\\k<name>`` → ``(?P=name)``, ``[^]`` → any char,
    ``[]`` → never, a ``-`` next to a class escape in a class (``[\\w-.]``) is literal, ``$``
    → ``\\Z`` (JS ``$`` does not match before a trailing newline), and with ``bounded`` the
    reference's ``+``→``{1,250}`` / ``*``→``{0,250}`` (outside classes only). ``pcre`` is
    the same body for Hyperscan's prefilter (``$`` kept, since Hyperscan rejects embedded
    ``\\Z``): it only has to match a superset.
    """
    py: list[str] = []
    hs: list[str] = []
    i, n = 0, len(body)
    while i < n:
        ch = body[i]
        if ch == "\\":
            p, h, i = _read_js_escape(body, i, in_class=False)
            py.append(p)
            hs.append(_HS_WIDEN.get(h, h))
        elif ch == "[":
            p, h, i = _translate_class(body, i)
            py.append(p)
            hs.append(h)
        elif ch == "(" and body.startswith("(?<", i) and body[i + 3 : i + 4] not in ("=", "!"):
            py.append("(?P<")
            hs.append("(?P<")
            i += 3
        elif ch in "+*":
            q = _bounded(ch, bounded)
            # A quantifier directly after another (a++ / a*+) is a JS syntax error; keep it
            # raw so re.compile rejects it too.
            py.append(q)
            hs.append(q)
            i += 1
        elif ch == "$":
            py.append(r"\Z")
            hs.append("$")
            i += 1
        elif ch == "/":
            py.append("/")
            hs.append("/")
            i += 1
        else:
            py.append(ch)
            hs.append(ch)
            i += 1
    return "".join(py), "".join(hs)


def _translate_class(body: str, i: int) -> tuple[str, str, int]:
    """Translate the character class starting at ``body[i] == '['``."""
    n = len(body)
    j = i + 1
    negate = j < n and body[j] == "^"
    if negate:
        j += 1
    if j < n and body[j] == "]":  # JS: [] never matches, [^] matches anything
        any_or_none = r"[\s\S]" if negate else "(?!)"
        return any_or_none, any_or_none, j + 1
    items: list[tuple[str, bool]] = []  # (python text, is a class escape like \w)
    while j < n and body[j] != "]":
        c = body[j]
        if c == "\\":
            esc_ch = body[j + 1] if j + 1 < n else ""
            if esc_ch == "b":
                items.append(("\\x08", False))
                j += 2
                continue
            p, _h, j = _read_js_escape(body, j, in_class=True)
            items.append((p, esc_ch in _PY_CLASS_ESCAPES))
        elif c in "[&~|":
            items.append(("\\" + c, False))  # avoid Python's nested-set FutureWarning
            j += 1
        else:
            items.append((c, False))
            j += 1
    if j >= n:
        raise TranslationError("unterminated character class")
    out: list[str] = []
    for k, (text, _is_class_esc) in enumerate(items):
        if text == "-" and 0 < k < len(items) - 1:
            prev_cls = items[k - 1][1]
            next_cls = items[k + 1][1]
            # JS (non-unicode) reads "-" next to a class escape as a literal hyphen.
            if prev_cls or next_cls:
                out.append("\\-")
                continue
        out.append(text)
    cls = "[" + ("^" if negate else "") + "".join(out) + "]"
    # Hyperscan without UCP reads \w \d \s as ASCII; widen so its class is a superset.
    escapes = {t for t, is_esc in items if is_esc}
    if negate and escapes:
        return cls, r"[\s\S]", j + 1
    extra = ""
    if escapes & {"\\w", "\\d", "\\s"}:
        extra = r"\x80-\xff" + (r"\x1c-\x1f" if "\\s" in escapes else "")
    return cls, "[" + ("^" if negate else "") + extra + "".join(out) + "]", j + 1


# --- Versions --------------------------------------------------------------------------


_BACKREF_LEFT = re.compile(r"\\\d")


def resolve_version(template: str | None, match: re.Match[str]) -> str:
    """Resolve a ``\\;version:`` template against a match, like the reference's resolveVersion.

    For each group index (0 first): skip groups longer than 10 characters; apply a ternary
    ``\\N?a:b`` (on the *original* template, as the reference does); substitute ``\\N``; then
    remove the first remaining ``\\N``. An unmatched group counts as ``undefined`` (falsy,
    9 characters long, substituted as the empty string).
    """
    if not template:
        return ""
    resolved = template
    groups = (match.group(0), *match.groups())
    maybe_ternary = "?" in template
    for index, value in enumerate(groups):
        text = "undefined" if value is None else value
        if len(text) > 10:
            continue
        ternary = maybe_ternary and re.search(rf"\\{index}\?([^:]+):(.*)\Z", template)
        if ternary:
            resolved = template.replace(
                ternary.group(0), ternary.group(1) if value else ternary.group(2), 1
            )
        resolved = resolved.strip().replace(f"\\{index}", value or "")
    return _BACKREF_LEFT.sub("", resolved, count=1)


# --- Required literals (prefilter) ---------------------------------------------------------

_LIT = _sre_c.LITERAL
_SUB = _sre_c.SUBPATTERN
_BRANCH = _sre_c.BRANCH
_REPEATS = (_sre_c.MAX_REPEAT, _sre_c.MIN_REPEAT, getattr(_sre_c, "POSSESSIVE_REPEAT", None))
_ATOMIC = getattr(_sre_c, "ATOMIC_GROUP", None)
_ZERO_WIDTH = (_sre_c.AT, _sre_c.ASSERT, _sre_c.ASSERT_NOT)


def _score(req: frozenset[str] | None) -> tuple[int, int]:
    if not req:
        return (0, 0)
    return (min(len(s) for s in req), -len(req))


def _required(seq: object) -> frozenset[str] | None:
    """A set of lower-case strings, one of which every match of ``seq`` must contain."""
    best: frozenset[str] | None = None
    run: list[str] = []

    def flush() -> None:
        nonlocal best, run
        if run:
            cand = frozenset(["".join(run)])
            if _score(cand) > _score(best):
                best = cand
            run = []

    for op, av in seq:  # type: ignore[attr-defined]
        if op is _LIT and av < 128:
            run.append(chr(av).lower())
            continue
        if op in _ZERO_WIDTH and op is _sre_c.AT:
            continue  # anchors consume nothing: the literal run stays contiguous
        flush()
        sub: frozenset[str] | None = None
        if op is _SUB:
            sub = _required(av[3])
        elif op is _ATOMIC and _ATOMIC is not None:
            sub = _required(av)
        elif op is _BRANCH:
            alts = [_required(b) for b in av[1]]
            if all(alts):
                sub = frozenset().union(*alts)  # type: ignore[arg-type]
        elif op in _REPEATS and op is not None and av[0] >= 1:
            sub = _required(av[2])
        if sub is not None and _score(sub) > _score(best):
            best = sub
    flush()
    return best


@lru_cache(maxsize=256)
def _parsed(python_regex: str) -> _sre_p.SubPattern:
    """Python's parse tree of a pattern, read case-insensitively. Building a matcher asks
    for the literals and extent of each pattern several times in a row (12,100 parses of
    4,000 patterns for the 4,000-technology DB); recent trees are kept (a few hundred:
    all of them would hold ~10 MB for the life of the process). Trees are only read."""
    return _sre_p.parse(python_regex, re.IGNORECASE)


def required_literals(python_regex: str, min_len: int = 3) -> frozenset[str] | None:
    """Literals (lower-case, ASCII) one of which occurs in any text ``python_regex`` matches.

    Walks Python's own parse tree: concatenated literals form runs, alternation means "any
    of", optional and repeated-zero parts are dropped. Returns ``None`` when no set with every
    literal at least ``min_len`` long exists (such patterns are always run). Inline flag
    groups and back-references only ever lose literals, never invent them.
    """
    try:
        tree = _parsed(python_regex)
    except re.error:
        return None
    req = _required(tree)
    if req is None or _score(req)[0] < min_len:
        return None
    return req


def _all_required(seq: object) -> list[frozenset[str]]:
    """Every requirement of ``seq``: each set must be hit (one of its strings must occur)."""
    reqs: list[frozenset[str]] = []
    # the current literal run: the strings one of which the text consumed since the last
    # break is (a small class, ``href=["']ws``, makes two)
    run: set[str] = set()

    def flush() -> None:
        nonlocal run
        if run:
            reqs.append(frozenset(run))
            run = set()

    for op, av in seq:  # type: ignore[attr-defined]
        if op is _LIT and av < 128:
            ch = chr(av).lower()
            run = {s + ch for s in run} if run else {ch}
            continue
        if op is _sre_c.AT:
            continue
        chars = _small_class(op, av)
        if chars and len(run or ("",)) * len(chars) <= _PREFIXES_MAX:
            run = {s + c for s in run or ("",) for c in chars}
            continue
        if run:
            # ``uk-(?:container|section)`` (the parser factors ``uk-container|uk-section``
            # that way): the run continues into each alternative's leading literal
            heads = _leading_literals(op, av)
            if heads and len(run) * len(heads) <= max(_PREFIXES_MAX, len(heads)):
                reqs.append(frozenset(p + h for p in run for h in heads))
        flush()
        if op is _SUB:
            reqs.extend(_all_required(av[3]))
        elif op is _ATOMIC and _ATOMIC is not None:
            reqs.extend(_all_required(av))
        elif op is _BRANCH:
            alts = [_required(b) for b in av[1]]
            if all(alts):
                reqs.append(frozenset().union(*alts))  # type: ignore[arg-type]
            reqs.extend(_branch_products(av[1]))
        elif op in _REPEATS and op is not None and av[0] >= 1:
            reqs.extend(_all_required(av[2]))
    flush()
    return reqs


_PRODUCTS_MAX = 32


def _branch_products(alternatives: list[object]) -> list[frozenset[str]]:
    r"""Requirements of an alternation from *every* requirement of each alternative.

    A match goes through one alternative and meets all of its requirements, so for any
    choice of one requirement per alternative, one string of their union occurs. The best
    requirement of each alternative alone (``_required``) is often the longest, not the
    rarest: in ``original_images/…|images/[\w.]+\.(?:fill|max)-\d`` it is ``images/``,
    which most pages have, where ``.fill-`` or ``.max-`` rule the pattern out nearly
    everywhere. At most :data:`_PRODUCTS_MAX` choices (each alternative's best first).
    """
    per_alt = []
    for alt in alternatives:
        reqs = sorted(dict.fromkeys(_all_required(alt)), key=_score, reverse=True)
        if not reqs:
            return []
        per_alt.append(reqs)
    # (one requirement per alternative is still worth its union: ``_required`` stops a run
    # at a small class, ``id="block[_-]commerce`` gave ``id="block``, on most Drupal pages)
    while prod(len(r) for r in per_alt) > _PRODUCTS_MAX:
        longest = max(per_alt, key=len)
        longest.pop()
    return [frozenset().union(*choice) for choice in product(*per_alt)]


def _leading_literals(op: object, av: object) -> frozenset[str] | None:
    """The literal each alternative of a group or alternation starts with, if all have one.

    Zero-width assertions are skipped (they consume nothing), so the text a match consumes
    there begins with one of the returned strings.
    """
    if op is not _SUB and op is not _BRANCH:
        return None
    return _leading_run([(op, av)])


_PREFIXES_MAX = 16

_CLASS_MAX = 4


def _small_class(op: object, av: object) -> set[str] | None:
    """The characters (lower-cased) of a small class of ASCII characters (``["']``), the
    only ones it can match; ``None`` for any other item or class (negated, ranges,
    categories, non-ASCII, more than :data:`_CLASS_MAX` characters)."""
    if op is not _sre_c.IN:
        return None
    items = cast(list[tuple[object, int]], av)
    if len(items) > _CLASS_MAX or not all(o is _LIT and a < 128 for o, a in items):
        return None
    return {chr(a).lower() for _o, a in items}


def _leading_run(items: list[tuple[object, object]]) -> frozenset[str] | None:
    r"""Strings one of which every match of the sequence ``items`` starts with, or ``None``.

    The leading literal run, continued through groups and alternations whose alternatives
    all start with literals: ``(?:fill|max|min)-\d`` gives ``fill-``, ``max-`` and ``min-``
    (a run followed by a group of many alternatives gives one string each; a product of
    two groups at most :data:`_PREFIXES_MAX`; a string another one starts with is dropped).
    """
    heads, _whole = _prefixes(items)
    heads = {h for h in heads if not any(o != h and h.startswith(o) for o in heads)}
    return None if "" in heads else frozenset(heads)


def _prefixes(items: list[tuple[object, object]]) -> tuple[set[str], bool]:
    """(strings every match of ``items`` starts with one of, whether they are whole matches)."""
    out = {""}
    for op, av in items:
        if op is _LIT and av < 128:  # type: ignore[operator]
            ch = chr(av).lower()  # type: ignore[arg-type]
            out = {s + ch for s in out}
            continue
        if op is _sre_c.AT:
            continue
        chars = _small_class(op, av)
        if chars:
            sub, whole = chars, True
        elif op is _SUB:
            sub, whole = _prefixes(list(av[3]))  # type: ignore[index]
        elif op is _BRANCH:
            sub, whole = set(), True
            for alt in av[1]:  # type: ignore[index]
                heads, alt_whole = _prefixes(list(alt))
                sub |= heads
                whole = whole and alt_whole
        else:
            return out, False
        joined = {s + h for s in out for h in sub}
        if len(joined) > max(_PREFIXES_MAX, len(out), len(sub)):  # (only products are capped)
            return out, False
        out = joined
        if not whole:
            return out, False
    return out, True


def required_literal_sets(python_regex: str, min_len: int = 3) -> list[frozenset[str]] | None:
    """All literal requirements of a regex (a conjunction of "one of these occurs" sets).

    Checking every requirement, not just the longest, keeps generic runs such as
    ``powered by <a href="`` from making a pattern a candidate on every page that has them.
    Sets shorter than ``min_len`` are dropped; with none left, the best set of length ≥ 2 is
    used; ``None`` means the pattern must always run.
    """
    try:
        tree = _parsed(python_regex)
    except re.error:
        return None
    reqs = [r for r in dict.fromkeys(_all_required(tree)) if _score(r)[0] >= min_len]
    if reqs:
        return reqs
    best = _required(tree)
    return [best] if best is not None and _score(best)[0] >= 2 else None


# --- Match extent (confirming candidates near their literals) -------------------------------

_END_ANCHORS = {_sre_c.AT_END, _sre_c.AT_END_STRING, _sre_c.AT_END_LINE}
_BOUNDARIES = {
    _sre_c.AT_BOUNDARY,
    _sre_c.AT_NON_BOUNDARY,
    _sre_c.AT_UNI_BOUNDARY,
    _sre_c.AT_UNI_NON_BOUNDARY,
    _sre_c.AT_LOC_BOUNDARY,
    _sre_c.AT_LOC_NON_BOUNDARY,
}
_UNBOUNDED = int(_sre_c.MAXREPEAT)


def _lookahead_reach(seq: object) -> int | None:
    """Upper bound on characters read past the end of a match (``None``: up to the end)."""
    reach = 0
    for op, av in seq:  # type: ignore[attr-defined]
        if op is _sre_c.AT:
            if av in _END_ANCHORS:
                return None
            if av in _BOUNDARIES:
                reach += 1
            continue
        subs: list[object] = []
        if op in (_sre_c.ASSERT, _sre_c.ASSERT_NOT):
            direction, body = av
            if direction == 1:  # lookahead: reads as far as its body can consume
                hi = body.getwidth()[1]
                if hi >= _UNBOUNDED:
                    return None
                reach += hi
            subs.append(body)
        elif op is _SUB:
            subs.append(av[3])
        elif op is _BRANCH:
            subs.extend(av[1])
        elif op in _REPEATS and op is not None:
            subs.append(av[2])
        elif op is _ATOMIC and _ATOMIC is not None:
            subs.append(av)
        elif op is _sre_c.GROUPREF_EXISTS:
            subs.extend(b for b in av[1:] if b is not None)
        for sub in subs:
            more = _lookahead_reach(sub)
            if more is None:
                return None
            reach += more  # a sum over nested parts: loose, but an upper bound
    return reach


def match_extent(python_regex: str) -> tuple[int, int | None] | None:
    """``(max width, read-ahead)`` of any match of ``python_regex``, or ``None`` if unbounded.

    ``max width`` bounds the characters a match spans; ``read-ahead`` bounds the characters
    after a match that its lookaheads and word boundaries inspect (``None`` when an end
    anchor makes the true end of the string matter). With the reference's bounded
    quantifiers both are finite for nearly every pattern, so a match that must contain a
    literal lies within a small window around the literal's occurrences.
    """
    try:
        tree = _parsed(python_regex)
    except re.error:
        return None
    hi = tree.getwidth()[1]
    if hi >= _UNBOUNDED:
        return None
    return hi, _lookahead_reach(tree)


# --- catastrophic-backtracking lint ----------------------------------------------------------
#
# A third-party pattern runs against every page of a bulk job under a backtracking engine, so
# shapes that can take exponential time are refused at load time (the loader records an error
# and skips the pattern). Character sets are approximated over the first 256 code points plus
# one "anything beyond" marker, which errs on the side of calling sets overlapping.

_BEYOND = 256
_ALL = frozenset(range(_BEYOND + 1))
_CATEGORY_CHARS = {
    _sre_c.CATEGORY_DIGIT: frozenset(range(48, 58)) | {_BEYOND},
    _sre_c.CATEGORY_WORD: frozenset(c for c in range(_BEYOND) if chr(c).isalnum() or c == 95)
    | {_BEYOND},
    _sre_c.CATEGORY_SPACE: frozenset(c for c in range(_BEYOND) if chr(c).isspace()) | {_BEYOND},
}
_CATEGORY_CHARS[_sre_c.CATEGORY_NOT_DIGIT] = _ALL - _CATEGORY_CHARS[_sre_c.CATEGORY_DIGIT] | {
    _BEYOND
}
_CATEGORY_CHARS[_sre_c.CATEGORY_NOT_WORD] = _ALL - _CATEGORY_CHARS[_sre_c.CATEGORY_WORD] | {_BEYOND}
_CATEGORY_CHARS[_sre_c.CATEGORY_NOT_SPACE] = _ALL - _CATEGORY_CHARS[_sre_c.CATEGORY_SPACE] | {
    _BEYOND
}


def _fold(code: int) -> frozenset[int]:
    if code >= _BEYOND:
        return frozenset({_BEYOND})
    ch = chr(code)
    return frozenset(ord(c) if ord(c) < _BEYOND else _BEYOND for c in {ch, ch.lower(), ch.upper()})


def _class_chars(items: list[tuple[object, object]]) -> frozenset[int]:
    out: set[int] = set()
    negate = False
    for op, av in items:
        if op is _sre_c.NEGATE:
            negate = True
        elif op is _sre_c.LITERAL:
            out |= _fold(av)  # type: ignore[arg-type]
        elif op is _sre_c.RANGE:
            lo, hi = cast("tuple[int, int]", av)
            for code in range(lo, min(hi, _BEYOND - 1) + 1):
                out |= _fold(code)
            if hi >= _BEYOND:
                out.add(_BEYOND)
        elif op is _sre_c.CATEGORY:
            out |= _CATEGORY_CHARS.get(av, _ALL)
        else:
            out |= _ALL
    return frozenset(_ALL - out | {_BEYOND}) if negate else frozenset(out)


def _atom_chars(op: object, av: object) -> frozenset[int] | None:
    """Characters one single-character item can consume (None: not a single-character item)."""
    if op is _sre_c.LITERAL:
        return _fold(av)  # type: ignore[arg-type]
    if op is _sre_c.NOT_LITERAL:
        return _ALL - _fold(av) | {_BEYOND}  # type: ignore[arg-type]
    if op is _sre_c.ANY:
        return _ALL
    if op is _sre_c.IN:
        return _class_chars(av)  # type: ignore[arg-type]
    return None


def _children(op: object, av: object) -> list[object]:
    if op in _REPEATS:
        return [av[2]]  # type: ignore[index]
    if op is _sre_c.SUBPATTERN:
        return [av[-1]]  # type: ignore[index]
    if op is _sre_c.BRANCH:
        return list(av[1])  # type: ignore[index]
    if op in (_sre_c.ASSERT, _sre_c.ASSERT_NOT):
        return [av[1]]  # type: ignore[index]
    if op is getattr(_sre_c, "ATOMIC_GROUP", None):
        return [av]
    if op is _sre_c.GROUPREF_EXISTS:
        return [x for x in av[1:] if x is not None]  # type: ignore[index]
    return []


def _consumed(seq: object) -> frozenset[int]:
    """Every character a sub-pattern can consume."""
    out: set[int] = set()
    for op, av in seq:  # type: ignore[attr-defined]
        chars = _atom_chars(op, av)
        if chars is not None:
            out |= chars
        for child in _children(op, av):
            out |= _consumed(child)
    return frozenset(out)


def _nullable(seq: object) -> bool:
    for op, av in seq:  # type: ignore[attr-defined]
        if _atom_chars(op, av) is not None:
            return False
        if op in _REPEATS:
            if av[0] > 0 and not _nullable(av[2]):
                return False
        elif op is _sre_c.SUBPATTERN:
            if not _nullable(av[-1]):
                return False
        elif op is _sre_c.BRANCH and not any(_nullable(b) for b in av[1]):
            return False
    return True


def _first(seq: object) -> frozenset[int]:
    """Characters a match of ``seq`` can start with."""
    out: set[int] = set()
    for op, av in seq:  # type: ignore[attr-defined]
        chars = _atom_chars(op, av)
        if chars is not None:
            return frozenset(out | chars)
        if op in _REPEATS:
            out |= _first(av[2])
            if av[0] > 0 and not _nullable(av[2]):
                return frozenset(out)
        elif op is _sre_c.SUBPATTERN:
            out |= _first(av[-1])
            if not _nullable(av[-1]):
                return frozenset(out)
        elif op is _sre_c.BRANCH:
            for b in av[1]:
                out |= _first(b)
            if not any(_nullable(b) for b in av[1]):
                return frozenset(out)
    return frozenset(out)


def _inner_repeats(seq: object) -> list[object]:
    """Bodies of the variable-length repeats anywhere inside ``seq``."""
    found: list[object] = []
    for op, av in seq:  # type: ignore[attr-defined]
        if op in _REPEATS and av[1] > 1 and av[1] != av[0]:
            found.append(av[2])
        for child in _children(op, av):
            found += _inner_repeats(child)
    return found


def _separators(seq: object) -> list[frozenset[int]]:
    """Character sets of the mandatory single-character items at the top of ``seq``."""
    out: list[frozenset[int]] = []
    for op, av in seq:  # type: ignore[attr-defined]
        chars = _atom_chars(op, av)
        if chars is not None:
            out.append(chars)
        elif op is _sre_c.SUBPATTERN:
            out += _separators(av[-1])
        elif op in _REPEATS and av[0] > 0:
            if all(_atom_chars(o, a) is None for o, a in av[2]):
                continue
            out += [c for o, a in av[2] if (c := _atom_chars(o, a)) is not None]
    return out


def _body_branches(seq: object) -> list[list[object]]:
    out: list[list[object]] = []
    for op, av in seq:  # type: ignore[attr-defined]
        if op is _sre_c.BRANCH:
            out.append(list(av[1]))
        elif op is _sre_c.SUBPATTERN:
            out += _body_branches(av[-1])
    return out


def _walk_unsafe(seq: object) -> str | None:
    for op, av in seq:  # type: ignore[attr-defined]
        if op in (_sre_c.GROUPREF, _sre_c.GROUPREF_EXISTS):
            return "backreference: matching time is not bounded by any engine guarantee"
        if op in _REPEATS and av[1] > 1:
            body = av[2]
            seps = _separators(body)
            for inner in _inner_repeats(body):
                used = _consumed(inner)
                if not any(not (sep & used) for sep in seps):
                    return "nested quantifier with nothing to separate the repetitions"
            for branches in _body_branches(body):
                firsts = [_first(b) for b in branches]
                for i, a in enumerate(firsts):
                    if any(a & b for b in firsts[i + 1 :]) or (not a and len(firsts) > 1):
                        return "repeated alternation whose branches overlap"
        for child in _children(op, av):
            reason = _walk_unsafe(child)
            if reason is not None:
                return reason
    return None


def unsafe_reason(python_regex: str) -> str | None:
    """Why ``python_regex`` can backtrack catastrophically, or None when its shape is safe.

    Refused: backreferences; a repeated group holding a variable-length repeat unless a
    mandatory character the inner repeat cannot consume separates the repetitions
    (``(?:\\.\\d+)+`` is fine, ``(a+)+``, ``(\\d+\\.?)+`` and ``([a-z]+[a-z]+)+`` are not); and a
    repeated alternation whose branches can start with the same character (``(a|aa)+``).
    """
    try:
        tree = _sre_p.parse(python_regex, re.IGNORECASE)
    except (re.error, RecursionError, OverflowError):
        return None  # re.compile reports it
    try:
        return _walk_unsafe(tree)
    except RecursionError:
        return "nested too deeply to analyse"
