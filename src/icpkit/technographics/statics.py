"""The static approximation of js globals: a chain a.b.c counts as present when a script body
assigns it (or, for one identifier, declares it); its value is the assigned literal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

_JS_LITERAL = r"""(?:(?P<q>["'`])(?P<s>[^"'`\\\n]{0,200})(?P=q)|(?P<n>-?\d[\d.]*))?"""

_js_cache: dict[str, re.Pattern[str]] = {}


def js_regex(chain: str) -> re.Pattern[str]:
    rx = _js_cache.get(chain)
    if rx is None:
        esc = re.escape(chain)
        alts = [rf"(?:(?:window|self|globalThis)\.)?{esc}\s*=(?![=>])\s*{_JS_LITERAL}"]
        if _JS_IDENTIFIER.fullmatch(chain):
            alts.append(rf"(?:var|let|const|function|class)\s+{esc}(?![\w$])")
        rx = re.compile(r"(?<![\w$.])(?:" + "|".join(alts) + ")")
        _js_cache[chain] = rx
    return rx


def static_js_values(
    script_text: str, chain: str, occurrences: Iterable[int] | None = None
) -> tuple[str, ...]:
    """Values a global ``chain`` is statically given in ``script_text`` (empty: not found).

    Case-sensitive like JavaScript. A string or number literal assigned gives its text; any
    other assignment or a declaration gives ``""`` (present, value unknown).
    ``occurrences``: ascending positions that include every occurrence of the chain that
    can give a value (others are skipped), when a scan of all chains at once has found them;
    else :func:`chain_site_regex` finds the sites, a pass over the whole text per chain
    (``re`` looks for the chain as a literal prefix and tests what follows in C: on the
    real pages' scripts, 1/4 less than ``str.find`` and a test in Python per occurrence,
    nine in ten of which are no site).
    """
    if occurrences is None:
        occurrences = _sites(script_text, chain)
        if not occurrences:
            return ()
    where = iter(occurrences)
    i = _next_occurrence(script_text, chain, where, 0)
    if i == -1:
        return ()
    rx = js_regex(chain)
    declarable = _JS_IDENTIFIER.fullmatch(chain) is not None
    # Every match contains the chain, right after an optional ``window.``-like prefix and
    # followed by an assignment, or after a keyword and whitespace; so its possible starts
    # follow from the chain's occurrences so placed, and anchored matches tried there in
    # order give what ``finditer`` gives (it scans every position, with a lookbehind the
    # engine cannot skip ahead on: 10x slower). Occurrences come from the caller's scan or
    # from the sites regex; those that are calls or property reads are ruled out by one
    # anchored test each.
    # Most occurrences of a short chain are the head of a longer name (``va`` of ``var``,
    # ``si`` of ``size``: ~200 a page on real pages): a name character right after the chain
    # rules out both an assignment (``\s*=`` must follow) and a declaration (``(?![\w$])``).
    starts: set[int] = set()
    after, n, size = _ASSIGNED, len(chain), len(script_text)
    while i != -1:
        if i + n < size and _NAME_CHAR(script_text[i + n]):
            i = _next_occurrence(script_text, chain, where, i + 1)
            continue
        if after.match(script_text, i + n):
            for prefix in _JS_PREFIXES:
                if script_text.startswith(prefix, i - len(prefix)) and i >= len(prefix):
                    starts.add(i - len(prefix))
        if declarable and i and script_text[i - 1].isspace():
            j = i - 1
            while j > 0 and script_text[j - 1].isspace():
                j -= 1
            for kw in _JS_KEYWORDS:
                if j >= len(kw) and script_text.startswith(kw, j - len(kw)):
                    starts.add(j - len(kw))
        i = _next_occurrence(script_text, chain, where, i + 1)
    out = []
    end = 0
    for start in sorted(starts):
        if start < end:
            continue
        m = rx.match(script_text, start)
        if m is not None:
            out.append(m.group("s") if m.group("s") is not None else (m.group("n") or ""))
            end = m.end()
    return tuple(out)


_JS_PREFIXES = ("", "self.", "window.", "globalThis.")

_NAME_CHAR = re.compile(r"[\w$]").match  # what ``(?![\w$])`` in :func:`js_regex` refuses

_JS_KEYWORDS = ("var", "let", "const", "function", "class")

_JS_KEYWORD_BYTES = tuple(kw.encode("ascii") for kw in _JS_KEYWORDS)

_JS_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")


def _sites(text: str, chain: str) -> list[int]:
    """Ascending starts of every site of ``chain`` in ``text`` (overlapping ones too)."""
    rx = _site_cache.get(chain)
    if rx is None:
        rx = _site_cache[chain] = chain_site_regex(chain)
    out = []
    m = rx.search(text)
    while m is not None:
        out.append(m.start())
        m = rx.search(text, m.start() + 1)
    return out


_site_cache: dict[str, re.Pattern[str]] = {}


def _next_occurrence(text: str, chain: str, where: Iterator[int], start: int) -> int:
    """The first occurrence of ``chain`` at or after ``start``: the next of ``where`` that is
    one."""
    for i in where:
        if i >= start and text.startswith(chain, i):
            return i
    return -1


# what follows the chain in an assignment (the first alternative of :func:`js_regex`)
_ASSIGNED = re.compile(r"\s*=(?![=>])")

# ``str.isspace`` characters as they are in a prefilter image: the ASCII ones, and 0xFF for
# every non-ASCII character (``\xa0``, ``\u2028`` …)
_IMAGE_SPACE = r"\t\n\x0b\x0c\r \x1c-\x1f\xff"

SPACE_BYTES = frozenset(b"\t\n\x0b\x0c\r \x1c\x1d\x1e\x1f\xff")
"""``str.isspace`` characters as they are in a prefilter image (:data:`_IMAGE_SPACE`)."""
SITE_NEXT = SPACE_BYTES | {ord("=")}
"""What may follow a chain in an image where an assignment gives it a value (``\\s*=``)."""
NAME_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_$")
"""The ASCII name characters (``[\\w$]``); 0xFF (any non-ASCII character) is not counted, a
superset of the sites, as in :func:`chain_site_expressions`."""


def js_declarable(chain: str) -> bool:
    """Whether ``chain`` is one identifier, which a declaration (``var a``) may give a value."""
    return _JS_IDENTIFIER.fullmatch(chain) is not None


def may_be_declared(image: bytes, start: int, end: int) -> bool:
    """Whether the occurrence ``image[start:end]`` of a one-identifier chain in a prefilter
    image (+ :data:`SITE_SENTINEL`) may be declared there (``var a``, ``function a`` …):
    no name character after it, whitespace and a declaring keyword before it, as
    :func:`static_js_values` looks in the text (0xFF, any non-ASCII character, taken for
    whitespace and for no name character: a superset). With ``image[end]`` in
    :data:`SITE_NEXT`, the occurrences that can give a value."""
    if image[end] in NAME_BYTES:
        return False
    j = start
    while j and image[j - 1] in SPACE_BYTES:
        j -= 1
    return j < start and image.endswith(_JS_KEYWORD_BYTES, 0, j)


SITE_SENTINEL = b" "
r"""Appended to an image before :func:`chain_site_expressions` scan it: a chain ending the
text is then followed by a character, as the expressions need (``(?![\w$])`` accepts the
end; a space, no name character, stands for it)."""


def chain_site_expressions(chain: str) -> list[str]:
    r"""Hyperscan expressions (over a prefilter image + :data:`SITE_SENTINEL`) matching where
    an occurrence of ``chain`` can give :func:`static_js_values` a value, each match ending
    one character past the chain: followed by whitespace or ``=`` (an assignment needs
    ``\s*=``), or, for an identifier, preceded by whitespace (a declaration's keyword) and
    followed by no name character. The others (``va`` of ``var``, ``googletag.cmd``, calls:
    ~9 in 10 of the occurrences on real pages) never start a match, so a scan reporting
    every occurrence of every chain pays for ~10x more callbacks and anchored tests than
    one reporting these sites. Hyperscan's classes are bytes: the image's 0xFF (any
    non-ASCII character) counts as whitespace and as no name character, a superset.
    """
    lit = "".join(f"\\x{ord(c):02x}" for c in chain)  # (as hits.hs_literal writes it)
    out = [f"{lit}[{_IMAGE_SPACE}=]"]
    if _JS_IDENTIFIER.fullmatch(chain):
        out.append(f"[{_IMAGE_SPACE}]{lit}[^A-Za-z0-9_$]")
    return out


def chain_site_regex(chain: str) -> re.Pattern[str]:
    """:func:`chain_site_expressions` for ``re`` on the text itself (the pure engine asks it of
    the chains too short for its automaton: ``va`` occurs ~100 times a page). Led by the
    chain, so ``re`` looks for it as a literal prefix; a lead class scanned ~10x slower."""
    esc = re.escape(chain)
    alts = [r"[\s=]"]
    if _JS_IDENTIFIER.fullmatch(chain):
        alts.append(rf"(?![\w$])(?<=\s{esc})")
    return re.compile(esc + "(?:" + "|".join(alts) + ")")


__all__ = [
    "NAME_BYTES",
    "SITE_NEXT",
    "SPACE_BYTES",
    "chain_site_expressions",
    "chain_site_regex",
    "js_declarable",
    "may_be_declared",
    "static_js_values",
]
