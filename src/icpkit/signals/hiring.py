"""Open roles from public sources: ATS job-board feeds, JobPosting JSON-LD, careers pages.

A company that is hiring for roles in a seller's solution area is spending there now. Most
companies publish their open roles in one of three machine-readable ways, tried in this order:

1. **An applicant-tracking system's public job-board feed.** The home page or careers page links
   to the board (``boards.greenhouse.io/<board>``, ``jobs.lever.co/<board>`` …); the board name
   gives the feed URL (:data:`FEEDS`), whose format is documented by each vendor: Greenhouse,
   Lever, Ashby, Workable, SmartRecruiters and Recruitee serve JSON, Personio an XML feed and
   Teamtailor an RSS feed of its career site.
2. **schema.org ``JobPosting`` JSON-LD** on the careers page (what search engines read).
3. **The careers page itself**: links that look like job pages, their text taken as the title.

Each posting keeps only the role (title, department and seniority from :mod:`icpkit.people.titles`, the
posting date); names, e-mail addresses and descriptions are never stored. A feed that answers
with HTML, a malformed feed or malformed JSON-LD is a :class:`FeedError` with one line naming the
URL — recorded for that account, never fatal to a batch.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.etree import ElementTree

from icpkit.errors import IcpkitError

#: Feed URL templates by ATS (``{board}`` is the board name found in a link). Tests and
#: private mirrors pass their own mapping to :func:`feed_url`.
FEEDS: dict[str, str] = {
    "greenhouse": "https://boards-api.greenhouse.io/v1/boards/{board}/jobs",
    "lever": "https://api.lever.co/v0/postings/{board}?mode=json",
    "ashby": "https://api.ashbyhq.com/posting-api/job-board/{board}",
    "workable": "https://apply.workable.com/api/v1/widget/accounts/{board}",
    "smartrecruiters": "https://api.smartrecruiters.com/v1/companies/{board}/postings",
    "personio": "https://{board}.jobs.personio.de/xml",
    "recruitee": "https://{board}.recruitee.com/api/offers/",
    "teamtailor": "https://{board}.teamtailor.com/jobs.rss",
}

ATS_NAMES: tuple[str, ...] = tuple(FEEDS)

_NOT_BOARDS = {"www", "api", "app", "apply", "embed", "jobs", "careers", "help", "support", "v1"}
# (ats, pattern whose group 1 is the board name), over link URLs found on a page.
_BOARD_LINKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("greenhouse", re.compile(r"(?:boards|job-boards)(?:\.eu)?\.greenhouse\.io/([\w-]+)")),
    ("lever", re.compile(r"jobs(?:\.eu)?\.lever\.co/([\w.-]+)")),
    ("ashby", re.compile(r"jobs\.ashbyhq\.com/([\w.%-]+)")),
    ("workable", re.compile(r"apply\.workable\.com/([\w-]+)")),
    ("workable", re.compile(r"//([\w-]+)\.workable\.com")),
    ("smartrecruiters", re.compile(r"(?:jobs|careers)\.smartrecruiters\.com/([\w-]+)")),
    ("personio", re.compile(r"//([\w-]+)\.jobs\.personio\.(?:de|com)")),
    ("recruitee", re.compile(r"//([\w-]+)\.recruitee\.com")),
    ("teamtailor", re.compile(r"//([\w-]+)\.teamtailor\.com")),
)
# A Greenhouse embed names its board in the query (``?for=acme`` or ``...&for=acme``). Read in
# two linear steps, the embed's path, then its query up to the fragment: the one pattern
# ``job_board\?(?:[^#]*&)?for=`` backtracked over the whole rest of the URL from every embed
# path in it, quadratic (a 0.9 MB href of repeated embed paths: 20 s of CPU).
_GREENHOUSE_EMBED = re.compile(r"greenhouse\.io/embed/job_board(?:/js)?\?")
_FOR_PARAM = re.compile(r"[?&]for=([\w-]+)")
_CAREERS_WORDS = re.compile(
    r"career|jobs?\b|join[ -]?us|work[ -]with[ -]us|vacanc|opening|hiring|karriere|stellen"
    r"|emplois?|carri[eè]re|empleo|trabaja|vacature|lavora|carreira",
    re.I,
)
_JOB_LINK = re.compile(
    r"/(jobs?|careers?|positions?|openings?|vacanc\w*|stellen\w*|karriere|emplois?|vacatures?)/"
    r"[^/?#]*[a-z0-9][^?#]*$",
    re.I,
)


class FeedError(IcpkitError):
    """A job feed or careers page could not be read as what it claims to be (one line)."""

    def __init__(self, url: str, message: str) -> None:
        self.url = url
        super().__init__(f"{url}: {message}")


@dataclass(frozen=True, slots=True)
class Posting:
    """One open role as published: its id on the board, title and posting date (if given)."""

    posting_id: str
    title: str
    posted_on: date | None = None
    department: str | None = None  # the board's own department label (kept for display only)


@dataclass(frozen=True, slots=True)
class Board:
    """An ATS job board found on a page: which vendor and the board's name there."""

    ats: str
    board: str


# -- finding boards and careers pages ------------------------------------------------------------


MAX_LINK_ELEMENTS = 20_000
"""Link elements (``<a href>``, ``<iframe src>``, ``<script src>``) read from one page, the
first in document order: each costs ~10 µs of Python (a join, a text, then each reader's
patterns), and a 5 MiB page of 280,000 links cost the home page's readers 6.4 s of CPU. A
board, careers or team link past the first 20,000 is not looked for."""


def page_links(html: str, base: str) -> list[tuple[str, str]]:
    """(absolute URL, link text) of every ``<a href>``, ``<iframe src>`` and ``<script src>``
    (the first :data:`MAX_LINK_ELEMENTS`). The home page's readers (board, careers page,
    team page) ask for the same page in turn: the last two pages' links are kept, so it is
    parsed and read once."""
    return list(_page_links(html, base))


@functools.lru_cache(maxsize=2)
def _page_links(html: str, base: str) -> tuple[tuple[str, str], ...]:
    from icpkit.technographics.page import parse_document  # (lexbor: imported when used)

    tree = parse_document(html)
    out: list[tuple[str, str]] = []
    wrapping = _wrapping_anchors(tree)
    for node in tree.css("a[href], iframe[src], script[src]")[:MAX_LINK_ELEMENTS]:
        ref = node.attributes.get("href") or node.attributes.get("src") or ""
        ref = ref.strip()
        if not ref or ref.startswith(("mailto:", "tel:", "javascript:", "#")):
            continue
        try:
            url = urljoin(base, ref)
        except ValueError:
            continue
        text = ""
        if node.tag == "a" and not (wrapping and node.mem_id in wrapping):
            text = " ".join((node.text(deep=True) or "").split())
        out.append((url, text))
    return tuple(out)


def _wrapping_anchors(tree: Any) -> set[int]:
    """``mem_id`` of the ``<a>`` elements that hold another: their links are read without
    their text. HTML closes an open ``<a>``, but inside SVG or MathML anchors nest (up to
    MAX_OPEN_TAGS deep), and each would copy all the text below it: 2,000 nested over 3 MB
    of text cost 24 s of CPU. The check is one ``:has`` search (anchors stop it at once)."""
    if tree.css_first("a:has(a)") is None:
        return set()
    return {node.mem_id for node in tree.css("a:has(a)")}


def _embedded_board(url: str) -> str | None:
    """The board a Greenhouse embed URL names in its ``for`` parameter, or None: each part of
    the URL is read once (the query from an embed path to the next ``#``, then the next)."""
    start = 0
    while (embed := _GREENHOUSE_EMBED.search(url, start)) is not None:
        end = url.find("#", embed.end())
        end = len(url) if end < 0 else end
        found = _FOR_PARAM.search(url, embed.end() - 1, end)
        if found is not None and found.group(1).lower() not in _NOT_BOARDS:
            return found.group(1)
        start = end
    return None


def find_board(html: str, base: str) -> Board | None:
    """The first ATS job board a page links to or embeds, or None."""
    for url, _text in page_links(html, base):
        embedded = _embedded_board(url)
        if embedded is not None:
            return Board("greenhouse", embedded)
        for ats, pattern in _BOARD_LINKS:
            match = pattern.search(url)
            if match and match.group(1).lower() not in _NOT_BOARDS:
                return Board(ats, match.group(1))
    return None


def find_careers_page(html: str, base: str) -> str | None:
    """The page's link to its own careers page (same site), or None."""
    host = (urlsplit(base).hostname or "").removeprefix("www.")
    for url, text in page_links(html, base):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            continue
        if (parts.hostname or "").removeprefix("www.") != host:
            continue
        if parts.path.rstrip("/") in ("", "/") and not parts.query:
            continue
        if _CAREERS_WORDS.search(parts.path) or _CAREERS_WORDS.search(text):
            return url.split("#", 1)[0]
    return None


def feed_url(board: Board, feeds: Mapping[str, str] | None = None) -> str:
    """The URL of a board's public feed (``feeds`` overrides :data:`FEEDS` per ATS)."""
    template = (feeds or {}).get(board.ats) or FEEDS[board.ats]
    return template.format(board=board.board)


# -- parsing feeds -------------------------------------------------------------------------------


def _date(value: Any) -> date | None:
    """A posting date from ISO text, ``YYYY-MM-DD HH:MM:SS UTC``, RFC 822 or epoch milliseconds."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 10**11 else value
        try:
            return datetime.fromtimestamp(seconds, tz=UTC).date()
        except (OverflowError, OSError, ValueError):
            return None
    text = str(value).strip()
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError):
        return None


def _label(value: Any) -> str | None:
    """A department-ish label from a string, ``{"label"|"name": …}`` or a list of either."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, Mapping):
        value = value.get("label") or value.get("name")
    return str(value).strip() or None if value else None


def _posting(pid: Any, title: Any, posted: Any, dept: Any = None) -> Posting | None:
    title_text = " ".join(str(title or "").split())
    if not title_text:
        return None
    if pid is None or str(pid).strip() == "":
        pid = hashlib.sha1(title_text.encode()).hexdigest()[:16]
    return Posting(str(pid), title_text[:300], _date(posted), _label(dept))


def _json(url: str, text: str) -> Any:
    head = text.lstrip()[:200].lower()
    if head.startswith(("<!doctype html", "<html", "<head", "<body")) or "<html" in head:
        raise FeedError(url, "the feed returned an HTML page, not JSON")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FeedError(url, f"malformed JSON (line {exc.lineno}, column {exc.colno})") from None


def _items(url: str, data: Any, key: str | None) -> list[Any]:
    items = data.get(key) if key is not None and isinstance(data, Mapping) else data
    if not isinstance(items, list):
        want = f"an object with a {key!r} list" if key else "a list"
        raise FeedError(url, f"unexpected feed shape: expected {want}")
    return [item for item in items if isinstance(item, Mapping)]


# Entity declarations are refused wherever they are: the check read the first 4,096
# characters, and a comment before the DTD put one past it. expat >= 2.4 stops entity
# amplification itself (2.5 here); this keeps the refusal independent of the linked expat.
_ENTITY_DECLARATION = re.compile(r"<!ENTITY", re.I)


def _xml(url: str, text: str) -> ElementTree.Element:
    head = text.lstrip()[:200].lower()
    if head.startswith(("<!doctype html", "<html")):
        raise FeedError(url, "the feed returned an HTML page, not XML")
    if _ENTITY_DECLARATION.search(text):  # (anywhere: a comment may put the DTD far down)
        raise FeedError(url, "XML entity declarations are refused")
    try:
        return ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise FeedError(url, f"malformed XML ({exc})") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _child(node: ElementTree.Element, *names: str) -> str | None:
    for child in node:
        if _local(child.tag) in names and (child.text or "").strip():
            return (child.text or "").strip()
    return None


def parse_feed(ats: str, url: str, text: str) -> list[Posting]:
    """Postings of one ATS feed body. Raises FeedError (one line) when it is not that feed."""
    rows: list[Posting | None]
    if not text.strip():
        raise FeedError(url, "the feed answered with an empty body (or a type not read as text)")
    if ats == "greenhouse":
        rows = [
            _posting(j.get("id"), j.get("title"), j.get("first_published") or j.get("updated_at"),
                     j.get("departments"))
            for j in _items(url, _json(url, text), "jobs")
        ]  # fmt: skip
    elif ats == "lever":
        rows = [
            _posting(j.get("id"), j.get("text"), j.get("createdAt"),
                     (j.get("categories") or {}).get("department")
                     or (j.get("categories") or {}).get("team"))
            for j in _items(url, _json(url, text), None)
        ]  # fmt: skip
    elif ats == "ashby":
        rows = [
            _posting(j.get("id") or j.get("jobUrl"), j.get("title"), j.get("publishedAt"),
                     j.get("department") or j.get("team"))
            for j in _items(url, _json(url, text), "jobs")
            if j.get("isListed", True) is not False
        ]  # fmt: skip
    elif ats == "workable":
        rows = [
            _posting(j.get("shortcode") or j.get("code") or j.get("url"), j.get("title"),
                     j.get("published_on") or j.get("created_at"), j.get("department"))
            for j in _items(url, _json(url, text), "jobs")
        ]  # fmt: skip
    elif ats == "smartrecruiters":
        rows = [
            _posting(j.get("id") or j.get("uuid"), j.get("name"), j.get("releasedDate"),
                     j.get("department") or j.get("function"))
            for j in _items(url, _json(url, text), "content")
        ]  # fmt: skip
    elif ats == "recruitee":
        rows = [
            _posting(j.get("id") or j.get("slug"), j.get("title"),
                     j.get("published_at") or j.get("created_at"), j.get("department"))
            for j in _items(url, _json(url, text), "offers")
        ]  # fmt: skip
    elif ats == "personio":
        root = _xml(url, text)
        rows = [
            _posting(_child(p, "id"), _child(p, "name"), _child(p, "createdat"),
                     _child(p, "department"))
            for p in root.iter() if _local(p.tag) == "position"
        ]  # fmt: skip
    elif ats == "teamtailor":
        root = _xml(url, text)
        rows = [
            _posting(_child(i, "guid", "link"), _child(i, "title"), _child(i, "pubdate"),
                     _child(i, "department"))
            for i in root.iter() if _local(i.tag) == "item"
        ]  # fmt: skip
    else:
        raise FeedError(url, f"unknown ATS {ats!r}; known: {', '.join(ATS_NAMES)}")
    return [r for r in rows if r is not None]


# -- JSON-LD and careers pages ---------------------------------------------------------------


def jsonld_objects(data: Any, type_: str, keys: Sequence[str]) -> Iterator[Mapping[str, Any]]:
    """The objects of ``@type`` ``type_`` in parsed JSON-LD, lists and the values under ``keys``
    walked in document order. Iterative: a page decides the nesting, and a recursive walk of a
    block nested ~1,000 deep (which ``json.loads`` still reads) ran out of Python's stack."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, Mapping):
            kind = node.get("@type")
            if type_ in (kind if isinstance(kind, list) else [kind]):
                yield node
            stack.extend(node[key] for key in reversed(keys) if key in node)


def read_jsonld(raw: str) -> Any:
    """One JSON-LD block's value. Raises ``json.JSONDecodeError`` when it is not JSON, and
    ``ValueError`` when it nests deeper than ``json.loads`` can follow (it then raises
    RecursionError, which no reader of a hostile page may let through)."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise ValueError("nested too deep to read") from None


_POSTING_KEYS = ("@graph", "itemListElement", "item", "mainEntity")


def jsonld_postings(html: str, url: str) -> list[Posting]:
    """schema.org ``JobPosting`` objects in a page's JSON-LD blocks (``@graph`` and lists too).

    Raises FeedError naming the page and the block when a JSON-LD block is not valid JSON.
    """
    from icpkit.technographics.page import parse_document  # (lexbor: imported when used)

    tree = parse_document(html)
    out: list[Posting] = []
    for index, node in enumerate(tree.css('script[type="application/ld+json"]'), start=1):
        raw = (node.text(deep=True) or "").strip()
        if not raw:
            continue
        try:
            data = read_jsonld(raw)
        except json.JSONDecodeError as exc:
            raise FeedError(
                url, f"malformed JSON-LD in block {index} (line {exc.lineno}, column {exc.colno})"
            ) from None
        except ValueError as exc:
            raise FeedError(url, f"JSON-LD block {index} {exc}") from None
        for item in jsonld_objects(data, "JobPosting", _POSTING_KEYS):
            ident = item.get("identifier")
            if isinstance(ident, Mapping):
                ident = ident.get("value") or ident.get("name")
            posting = _posting(
                ident or item.get("url"),
                item.get("title") or item.get("name"),
                item.get("datePosted"),
                item.get("occupationalCategory"),
            )
            if posting is not None:
                out.append(posting)
    return out


def page_postings(html: str, url: str) -> list[Posting]:
    """Fallback: links on a careers page that look like job pages, their text as the title."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    seen: dict[str, Posting] = {}
    for link, text in page_links(html, url):
        parts = urlsplit(link)
        if (parts.hostname or "").removeprefix("www.") != host or not _JOB_LINK.search(parts.path):
            continue
        words = text.split()
        if not 1 <= len(words) <= 12 or _CAREERS_WORDS.fullmatch(text.strip()):
            continue
        key = f"{parts.path}{'?' + parts.query if parts.query else ''}"
        seen.setdefault(key, Posting(key, " ".join(words)))
    return list(seen.values())


__all__ = [
    "ATS_NAMES",
    "FEEDS",
    "MAX_LINK_ELEMENTS",
    "Board",
    "FeedError",
    "Posting",
    "feed_url",
    "find_board",
    "find_careers_page",
    "jsonld_objects",
    "jsonld_postings",
    "page_postings",
    "parse_feed",
    "read_jsonld",
]
