"""What a page says about the company behind it, beyond its technologies.

Each signal comes with where it was read, because a country guessed from a phone prefix is weaker
than one a page declares, and a reviewer should see which it was:

* **language**: the ``<html lang>`` primary subtag, else ``Content-Language``, else the
  ``content-language`` meta, else ``og:locale``;
* **country hints**: the ccTLD of the host (generic-use ccTLDs such as ``.io`` and ``.co`` are
  not countries), regions in ``hreflang`` / ``lang`` tags (``en-GB``), international phone
  prefixes in ``tel:`` links and text, and postcode formats (UK postcodes, US ``ST 12345``);
  the country is the code with most hints, ties going to the stronger source;
* **company name**: ``og:site_name``, else ``application-name``, else the part of the
  ``<title>`` that looks most like the domain;
* **key pages**: links to (or the page itself being) pricing, careers and login pages: an
  ``<a href>`` with such a path segment (``/pricing``, ``/karriere/``) or a link whose whole text
  is such a label ("Plans & Pricing", "We're hiring", "Sign in").

Links, ``hreflang`` and ``tel:`` numbers are read in one walk over the page's parsed tree (the
detector's, never a second parse), and the text patterns run over the page's visible text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

__all__ = [
    "COUNTRY_NAMES",
    "LANGUAGE_NAMES",
    "PAGE_KINDS",
    "SIGNALS",
    "key_pages",
    "page_kind",
    "page_signals",
]

SIGNALS = frozenset({"language", "company", "country", "pages"})
"""The signal groups :func:`page_signals` can read: ``language`` and ``company`` cost a few
microseconds (an attribute, headers, metas, the title); ``country`` reads the page's visible
text (~0.2-0.4 ms on real pages) and its links; ``pages`` walks its links (~0.3 ms)."""

# ISO 3166-1 alpha-2 (lower-case) → English name, for the countries the hints below can name.
COUNTRY_NAMES: dict[str, str] = {
    "us": "united states", "ca": "canada", "gb": "united kingdom", "ie": "ireland",
    "de": "germany", "fr": "france", "es": "spain", "it": "italy", "nl": "netherlands",
    "be": "belgium", "ch": "switzerland", "at": "austria", "dk": "denmark", "se": "sweden",
    "no": "norway", "fi": "finland", "pt": "portugal", "pl": "poland", "cz": "czechia",
    "au": "australia", "nz": "new zealand", "jp": "japan", "kr": "south korea", "cn": "china",
    "in": "india", "br": "brazil", "mx": "mexico", "sg": "singapore", "hk": "hong kong",
    "il": "israel", "ae": "united arab emirates", "za": "south africa", "ru": "russia",
    "tr": "turkey", "ar": "argentina", "cl": "chile", "gr": "greece", "hu": "hungary",
    "ro": "romania", "ua": "ukraine", "lu": "luxembourg", "ee": "estonia", "lt": "lithuania",
    "lv": "latvia", "sk": "slovakia", "si": "slovenia", "hr": "croatia", "bg": "bulgaria",
    "is": "iceland",
}  # fmt: skip

# ISO 639-1 (lower-case) → English name, so an ICP may say ``english`` where a page says ``en``.
LANGUAGE_NAMES: dict[str, str] = {
    "en": "english", "de": "german", "fr": "french", "es": "spanish", "it": "italian",
    "pt": "portuguese", "nl": "dutch", "da": "danish", "sv": "swedish", "nb": "norwegian",
    "no": "norwegian", "nn": "norwegian", "fi": "finnish", "is": "icelandic", "pl": "polish",
    "cs": "czech", "sk": "slovak", "sl": "slovenian", "hr": "croatian", "sr": "serbian",
    "bs": "bosnian", "hu": "hungarian", "ro": "romanian", "bg": "bulgarian", "el": "greek",
    "tr": "turkish", "ru": "russian", "uk": "ukrainian", "be": "belarusian", "et": "estonian",
    "lv": "latvian", "lt": "lithuanian", "ga": "irish", "cy": "welsh", "ca": "catalan",
    "eu": "basque", "gl": "galician", "lb": "luxembourgish", "mt": "maltese", "sq": "albanian",
    "mk": "macedonian", "ja": "japanese", "zh": "chinese", "ko": "korean", "hi": "hindi",
    "bn": "bengali", "ur": "urdu", "ta": "tamil", "te": "telugu", "mr": "marathi", "th": "thai",
    "vi": "vietnamese", "id": "indonesian", "ms": "malay", "tl": "tagalog", "ar": "arabic",
    "he": "hebrew", "fa": "persian", "sw": "swahili", "af": "afrikaans", "zu": "zulu",
}  # fmt: skip

# ccTLDs sold for generic use: they say nothing about where a company is.
_GENERIC_CCTLDS = frozenset(
    [
        "io",
        "co",
        "ai",
        "me",
        "tv",
        "ly",
        "fm",
        "gg",
        "to",
        "cc",
        "ws",
        "sh",
        "ac",
        "la",
        "am",
        "gl",
        "im",
        "nu",
        "tk",
        "ml",
        "ga",
        "cf",
        "gq",
        "vc",
        "xyz",
    ]
)
_TLD_ALIAS = {"uk": "gb"}

# International calling codes → country (longest prefix wins; +1 is read as the US).
_CALLING: dict[str, str] = {
    "1": "us", "44": "gb", "353": "ie", "49": "de", "33": "fr", "34": "es", "39": "it",
    "31": "nl", "32": "be", "41": "ch", "43": "at", "45": "dk", "46": "se", "47": "no",
    "358": "fi", "351": "pt", "48": "pl", "420": "cz", "61": "au", "64": "nz", "81": "jp",
    "82": "kr", "86": "cn", "91": "in", "55": "br", "52": "mx", "65": "sg", "852": "hk",
    "972": "il", "971": "ae", "27": "za", "7": "ru", "90": "tr", "54": "ar", "56": "cl",
    "30": "gr", "36": "hu", "40": "ro", "380": "ua", "352": "lu", "372": "ee", "370": "lt",
    "371": "lv", "421": "sk", "386": "si", "385": "hr", "359": "bg", "354": "is",
}  # fmt: skip
# Patterns open with the character they need (the "not after a word" checks are lookbehinds
# placed after it), so the regex engine skips to candidates instead of trying every position:
# same matches as ``(?<![\w+])\+…`` and ``\b[A-Z]{1,2}…``, 5-20x faster on page text.
_PHONE = re.compile(r"\+(?<![\w+]\+)\s?(\d{1,3})[\s.\-/]?\(?\d")
_UK_POSTCODE = re.compile(r"[A-Z](?<!\w[A-Z])[A-Z]?\d[A-Z\d]? \d[ABD-HJLNP-UW-Z]{2}\b")
# the end of every UK postcode, opening with the space before the inward part: where it is
# absent there is none (a literal first character lets the engine skip; ~3x faster than the
# whole inward part, which opens with a digit, on page text)
_UK_POSTCODE_GATE = re.compile(r" \d[ABD-HJLNP-UW-Z]{2}\b")
_US_STATES = (
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC"
)
_US_ZIP = re.compile(rf",\s+(?:{'|'.join(_US_STATES.split())})\s+\d{{5}}(?:-\d{{4}})?\b")
# Source strength: a tie between two countries goes to the stronger source.
_STRENGTH = {"cctld": 4, "hreflang": 3, "phone": 2, "postcode": 2, "lang": 1}

PAGE_KINDS = ("pricing", "careers", "login")
_SLUGS = {
    "pricing": r"pricing|prices|plans|preise|tarifs?|precios",
    "careers": r"careers?|jobs|join-us|karriere|emplois?|vacancies",
    "login": r"log-?in|sign-?in|signin|anmelden|connexion|account/login",
}
KIND_PATTERNS = {k: re.compile(rf"(?:^|/)(?:{v})(?:[/.?#]|$)", re.I) for k, v in _SLUGS.items()}
# Link texts that name a key page, lower-case with single spaces (ASCII letters in any case).
_LABELS = {
    "pricing": ("pricing", "plans", "plans & pricing", "preise", "tarifs"),
    "careers": ("careers", "jobs", "we're hiring", "were hiring", "join us", "karriere"),
    "login": ("log in", "login", "sign in", "signin", "anmelden", "connexion"),
}
_LABEL_KINDS = {label: kind for kind, labels in _LABELS.items() for label in labels}
# Characters of the longest label: a link text longer than that, whitespace collapsed, is
# none (the text as written may be longer: indented markup puts runs of whitespace around it)
_LABEL_CHARS = max(len(label) for label in _LABEL_KINDS)
# A slug as a path segment of an <a href>, every kind at once (named groups), ASCII letters
# in any case. It runs once over the page's hrefs joined by newlines (whitespace, so the end
# of each href is a segment end as the lookahead asks; no slug spans one), as UTF-8 bytes
# lower-cased (bytes.lower() folds ASCII letters only, which is what re.I | re.A matches), and
# a slash goes no further unless a slug's first letter follows: 3x faster than re.I on the
# real pages' ~140 links, most of their slashes leading nowhere.
_SLUG_FIRSTS = "".join(sorted({w[0] for v in _SLUGS.values() for w in v.split("|")}))
_HREF_SLUG = re.compile(
    (
        f"/(?=[{_SLUG_FIRSTS}])(?:"
        + "|".join(f"(?P<{k}>{v})" for k, v in _SLUGS.items())
        + r""")(?=[/.?#"'\s>]|$)"""
    ).encode("ascii")
)
# lexbor's id of the <a> element: an integer compare per node instead of a tag name string
_A_TAG_ID = LexborHTMLParser("<a>").css_first("a").tag_id  # type: ignore[union-attr]
_TITLE_SPLIT = re.compile(r"\s+[|\-–—:·•»]\s+|\s*\|\s*")


def page_kind(url: str) -> str:
    """``home``, ``pricing``, ``careers``, ``login`` or ``other``, from the URL's path."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if (
        path in ("/", "/index.html", "/index.htm", "/index.php", "/default.aspx")
        and not parts.query
    ):
        return "home"
    for kind, pattern in KIND_PATTERNS.items():
        if pattern.search(path):
            return kind
    return "other"


def _first(values: Mapping[str, tuple[str, ...]], key: str) -> str | None:
    for v in values.get(key, ()):
        if v and v.strip():
            return " ".join(v.split())
    return None


def _region(tag: str) -> str | None:
    parts = re.split(r"[-_]", tag.strip().lower())
    if len(parts) >= 2 and len(parts[1]) == 2 and parts[1].isalpha():
        return _TLD_ALIAS.get(parts[1], parts[1])
    return None


def _country_hints(
    page: Any, host: str, lang: str, regions: list[str], phones: list[str]
) -> list[tuple[str, str]]:
    hints: list[tuple[str, str]] = []
    tld = host.rsplit(".", 1)[-1].lower() if "." in host else ""
    if len(tld) == 2 and tld.isalpha() and tld not in _GENERIC_CCTLDS:
        hints.append((_TLD_ALIAS.get(tld, tld), "cctld"))
    hints.extend((region, "hreflang") for region in regions)
    region = _region(lang)
    if region:
        hints.append((region, "lang"))
    text = page.text[:200_000]
    phones = [*phones, *(m.group(0) for m in _PHONE.finditer(text))]
    found: set[str] = set()
    for phone in phones:
        digits = re.sub(r"[^\d+]", "", phone)
        if not digits.startswith("+"):
            continue
        digits = digits[1:]
        for n in (3, 2, 1):
            code = _CALLING.get(digits[:n])
            if code:
                found.add(code)
                break
    hints.extend((code, "phone") for code in sorted(found))
    if _UK_POSTCODE_GATE.search(text) and _UK_POSTCODE.search(text):
        hints.append(("gb", "postcode"))
    if _US_ZIP.search(text):
        hints.append(("us", "postcode"))
    return hints


def _company_name(page: Any, registered: str) -> tuple[str | None, str | None]:
    meta = page.meta_values
    for key, source in (("og:site_name", "og:site_name"), ("application-name", "application-name")):
        value = _first(meta, key)
        if value:
            return value, source
    title_node = page.tree.css_first("title")
    title = " ".join(title_node.text().split()) if title_node is not None else ""
    if not title:
        return None, None
    parts = [p.strip() for p in _TITLE_SPLIT.split(title) if p.strip()]
    label = re.sub(r"[^a-z0-9]", "", registered.split(".", 1)[0].lower())

    def likeness(part: str) -> int:
        squashed = re.sub(r"[^a-z0-9]", "", part.lower())
        return int(bool(label) and (label in squashed or bool(squashed and squashed in label)))

    # the first part most like the domain (parts.index in the key was quadratic: a title of
    # 40,000 distinct parts cost 7.7 s); parts are read once each
    best = max(enumerate(parts), key=lambda ip: (likeness(ip[1]), -ip[0]))[1] if parts else title
    return best, "title"


def _read_links(tree: Any, kinds: dict[str, bool]) -> tuple[list[str], list[str]]:
    """One walk over the parsed page's ``<a>`` and ``<link hreflang>`` elements: the key-page
    kinds its links name (set in ``kinds``: an ``href`` with such a path segment, or a link
    whose whole text, whitespace collapsed, is such a label), then the regions of its
    ``hreflang`` links (first mention, in order) and the numbers of its ``tel:`` links.
    Markup that is no link (a script's string, a comment, ``<link href>``) names nothing."""
    regions: list[str] = []
    hrefs: list[str] = []
    labels = _LABEL_KINDS
    # <a> elements holding another (SVG/MathML only: HTML closes an open <a>) are read
    # without their text: each would copy all the text below it, 2,000 nested over 3 MB of
    # text 3.8 s; a :has search, stopped by the first anchor below, finds them
    wrapping = (
        {n.mem_id for n in tree.css("a:has(a)")} if tree.css_first("a:has(a)") is not None else ()
    )
    for node in tree.css("a, link[hreflang]"):
        attrs = node.attrs
        if node.tag_id != _A_TAG_ID:
            region = _region(attrs.get("hreflang") or "")
            if region and region not in regions:
                regions.append(region)
            continue
        href = attrs.get("href")
        if href:
            hrefs.append(href)
        if wrapping and node.mem_id in wrapping:
            continue
        words = " ".join(node.text(deep=True).split())
        if len(words) <= _LABEL_CHARS and words.isascii():
            kind = labels.get(words.lower())
            if kind is not None:
                kinds[kind] = True
    phones: list[str] = []
    if hrefs:
        joined = "\n".join(hrefs)
        if "tel:" in joined:
            phones = [href[4:] for href in hrefs if href.startswith("tel:")]
        for m in _HREF_SLUG.finditer(joined.encode("utf-8", "surrogatepass").lower()):
            if m.lastgroup is not None:
                kinds[m.lastgroup] = True
    return regions, phones


def page_signals(page: Any, registered: str, signals: Collection[str] = SIGNALS) -> dict[str, Any]:
    """The signals of one parsed page (a :class:`~icpkit.technographics.page.Page`), for the
    groups in ``signals`` (:data:`SIGNALS`); a group not asked for is ``None`` (not read), so
    a page pays only for what its run will look at."""
    out: dict[str, Any] = {}
    if "language" in signals or "country" in signals:
        html = page.tree.css_first("html")
        html_lang = (html.attributes.get("lang") or "") if html is not None else ""
    if "language" in signals:
        lang = html_lang
        source = "html lang" if lang.strip() else None
        if not lang.strip():
            for value, where in (
                (_first(page.header_values, "content-language"), "Content-Language"),
                (_first(page.meta_values, "content-language"), "meta content-language"),
                (_first(page.meta_values, "og:locale"), "og:locale"),
            ):
                if value:
                    lang, source = value.split(",")[0], where
                    break
        language = re.split(r"[-_]", lang.strip().lower())[0] or None if lang.strip() else None
        out.update(language=language, language_source=source)
    else:
        out.update(language=None, language_source=None)
    pages = "pages" in signals
    if pages or "country" in signals:
        own = page_kind(page.url)
        kinds = {k: own == k for k in PAGE_KINDS}
        regions, phones = _read_links(page.tree, kinds)
    if "country" in signals:
        host = (urlsplit(page.url).hostname or "").lower()
        hints = _country_hints(page, host, html_lang, regions, phones)
        votes = Counter(code for code, _ in hints)
        strength: dict[str, int] = {}
        for code, where in hints:
            strength[code] = max(strength.get(code, 0), _STRENGTH[where])
        country = max(votes, key=lambda c: (votes[c], strength[c], c)) if votes else None
        out.update(country=country, country_hints=[f"{code} ({where})" for code, where in hints])
    else:
        out.update(country=None, country_hints=None)
    name, name_source = _company_name(page, registered) if "company" in signals else (None, None)
    out.update(company_name=name, company_name_source=name_source)
    out.update({f"has_{k}_page": kinds[k] if pages else None for k in PAGE_KINDS})
    return out


def key_pages(page: Any) -> dict[str, bool]:
    """``has_<kind>_page`` of one parsed page alone (its URL and its links): what a page that
    is not its domain's observation adds to the domain's pooled key pages."""
    own = page_kind(page.url)
    kinds = {k: own == k for k in PAGE_KINDS}
    _read_links(page.tree, kinds)
    return {f"has_{k}_page": v for k, v in kinds.items()}
