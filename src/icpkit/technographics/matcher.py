"""Run every fingerprint of a database over a page: a naive and a fast engine, same answers.

The *naive* engine is the design of python-Wappalyzer and the reference: every pattern of every
technology on every input. The *fast* engine returns exactly the same hits, cheaper:

* key-value fields (headers, cookies, meta, dns, js) are indexed by key, so only patterns of
  keys the page has are run;
* a literal prefilter: from each regex we take a set of lower-case literals one of which any
  match must contain (:func:`.patterns.required_literal_sets`); one Aho-Corasick automaton per field
  scans the case-folded input once, and ``re`` runs only on the candidates plus the few
  patterns with no usable literal ("always run");
* optionally (``native=True`` or auto when :mod:`hyperscan` imports), a Hyperscan database in
  prefilter mode (a superset matcher that accepts lookarounds) selects candidates instead;
* ``dom`` selectors are prefiltered the same way on literals a selector needs in the source
  (quoted attribute values, ``#id``, ``.class``, attribute names).

Every candidate is confirmed with the same compiled ``re`` pattern as the naive engine, which
also yields the version, so the two engines differ only in speed. ReDoS guard: inputs are capped
per field (:mod:`.page`) and quantifiers are bounded (``{1,250}``) at load time.

``js`` is matched against caller-supplied values (``Page.js``, e.g. from a browser) or, when
absent, a *static approximation*: a chain ``a.b.c`` counts as present when a script body
assigns it (``a.b.c = …``, optionally prefixed by ``window.``/``self.``/``globalThis.``) or,
for a single identifier, declares it (``var|let|const|function|class a``). Its value is the
assigned string or number literal, else ``""``. Globals created any other way (bundlers,
``Object.assign``, computed keys) are missed, and assignments in dead code are counted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

from icpkit.technographics.charrefs import (
    SPELLED_OUT_MAX,
    USUAL_REFS,
    decoded_html,
    folded_html,
    folded_image,
    reference_chars,
)
from icpkit.technographics.fingerprints import DomRule, FingerprintDB, Pattern, Technology
from icpkit.technographics.hits import (
    DOM_MAX_NODES,
    FIELD_RANK,
    KEYED_INPUT_FIELDS,
    LIST_FIELDS,
    TRACK_CHARS,
    WINDOW_MIN_CHARS,
    Hit,
    MatchEntry,
    field_inputs,
    hs_collect,
    hs_collect_at,
    hs_compile,
    hs_literal,
    hyperscan_module,
    keyed_inputs,
)
from icpkit.technographics.page import HTML_MAX_CHARS, Page
from icpkit.technographics.patterns import (
    fold_for_prefilter,
    prefilter_image,
    required_literal_sets,
)
from icpkit.technographics.prefilter import REPEATED_MARKUP, Bucket, distinctive_chars
from icpkit.technographics.selectors import COMMON_ATTRS, LiteralScan, selector_requirements
from icpkit.technographics.statics import (
    SITE_NEXT,
    SITE_SENTINEL,
    chain_site_expressions,
    chain_site_regex,
    js_declarable,
    js_regex,
    may_be_declared,
    static_js_values,
)


class Matcher:
    """All patterns of a database compiled for one engine; :meth:`hits` runs them over a page.

    Built in stages, one method each: the entries of every field (:meth:`_index_entries`);
    for the fast engine, the per-field prefilter buckets, the ``text`` gate, the ``js`` chain
    scan, the ``dom`` gates, and last the page-wide literal scans that serve the html, dom and
    text prefilters at once (:meth:`_build_page_scans`, which needs the literals of the others).
    """

    def __init__(
        self,
        db: FingerprintDB,
        *,
        engine: Literal["fast", "naive"] = "fast",
        native: bool | None = None,
    ) -> None:
        if native and hyperscan_module is None:
            from icpkit.errors import FingerprintError

            raise FingerprintError(
                "native=True needs the optional 'hyperscan' package (icpkit[native])"
            )
        self.engine = engine
        self.native = (
            bool(hyperscan_module is not None if native is None else native) and engine == "fast"
        )
        self.techs: list[Technology] = list(db.technologies.values())
        self.tech_index = {t.name: i for i, t in enumerate(self.techs)}
        self._index_entries()
        self._valid_selectors = _valid_selectors({r.selector for _, r, _ in self.dom_rules})
        if engine == "fast":
            self._build_buckets()
            self._build_text_gate()
            self._build_js_scan()
            html_lits, raw_only = self._build_dom_gates()
            self._build_page_scans(html_lits, raw_only)

    # -- construction ----------------------------------------------------------------------

    def _index_entries(self) -> None:
        """Every pattern as a :class:`MatchEntry` of its field (keyed fields by key), and the
        dom rules, in reference order."""
        self.list_entries: dict[str, list[MatchEntry]] = {f: [] for f in LIST_FIELDS}
        self.keyed_entries: dict[str, dict[str, list[MatchEntry]]] = {
            f: {} for f in KEYED_INPUT_FIELDS
        }
        self.dom_rules: list[tuple[int, DomRule, int]] = []
        for ti, tech in enumerate(self.techs):
            for fld, attr in LIST_FIELDS.items():
                for pos, pat in enumerate(getattr(tech, attr)):
                    self.list_entries[fld].append(MatchEntry(ti, fld, None, pat, pos))
            for fld, attr in KEYED_INPUT_FIELDS.items():
                pos = 0
                for key, pats in getattr(tech, attr).items():
                    for pat in pats:
                        self.keyed_entries[fld].setdefault(key, []).append(
                            MatchEntry(ti, fld, key, pat, pos)
                        )
                        pos += 1
            for pos, rule in enumerate(tech.dom):
                self.dom_rules.append((ti, rule, pos))

    def _build_buckets(self) -> None:
        """A prefilter bucket per list field and per key of the keyed fields (js aside)."""
        # html: its literals come from the page scan for free, so only the patterns that
        # need boilerplate-only literals go through Hyperscan's (slower) regex prefilter
        self._list_buckets = {
            f: Bucket(e, self.native, rare_literals_first=f == "html")
            for f, e in self.list_entries.items()
            if e
        }
        self._keyed_buckets = {
            f: {k: Bucket(e, self.native and len(e) > 8) for k, e in keys.items()}
            for f, keys in self.keyed_entries.items()
            if f != "js"
        }

    def _build_text_gate(self) -> None:
        """What the ``text`` patterns need in the HTML before the visible text is extracted
        (see :meth:`_text_may_match`)."""
        self._text_reqs = _text_requirements(
            self.list_entries["text"], self.native and hyperscan_module is not None
        )
        self._text_single = [
            reqs[0][0] if len(reqs) == 1 and len(reqs[0]) == 1 else None
            for reqs in self._text_reqs or ()
        ]
        # ``\bPost AG\b``: each piece must occur as a whole word, which Hyperscan checks
        # (pieces alone, ``ag``, ``ups``, occur on most pages), or without it ``re``, each
        # led by its literal: for the pieces of the patterns that pass only
        self._text_words: list[bool] = []
        self._text_word_sets: list[frozenset[str] | None] = []
        self._word_dbs: dict[str, Any] = {}
        self._words_db: Any = None  # (all pieces at once, for pages that ask for many)
        self._word_rx: dict[str, re.Pattern[bytes]] = {}
        self._word_pieces_all: list[str] = []
        # ``\bPost AG\b``: the pieces must also follow one another in the source with only
        # whitespace between them, or markup or a reference (see :func:`_phrase_regex`)
        self._phrase_rx: dict[int, re.Pattern[bytes]] = {}
        # and where markup cuts it, the next word after the tags must go on with it
        # (:func:`_phrase_in_source`): its lead piece and the pieces as bytes
        self._phrase_lead: dict[int, tuple[re.Pattern[bytes], list[bytes]]] = {}
        if self._text_reqs is not None:
            for i, e in enumerate(self.list_entries["text"]):
                phrase = _word_bounded_phrase(e.pattern)
                if phrase is not None and len(phrase) > 1:
                    self._phrase_rx[i] = _phrase_regex(phrase)
                    self._phrase_lead[i] = _phrase_lead(phrase)
            # (``APC\b``, a word end only: its piece marked, ``*apc``)
            words = [
                _word_bounded_pieces(e.pattern) or _word_end_piece(e.pattern)
                for e in self.list_entries["text"]
            ]
            self._text_words = [w is not None for w in words]
            self._text_word_sets = words
            pieces = sorted({x for w in words for x in w or ()})
            self._word_pieces_all = pieces
            # (a database per piece, scanned only for the pieces of the patterns that pass,
            # which are few: one scan of all 74 pieces' costs ~0.05-0.09 ms a 100 KiB page,
            # one piece's ~0.004-0.012)
            if pieces and self.native:
                self._word_dbs = {x: _word_db(x) for x in pieces}
                self._words_db = _words_db(pieces)
            elif pieces:
                self._word_rx = {x: _word_regex(x) for x in pieces}

    def _build_js_scan(self) -> None:
        """Where ``js`` chains can give a value in the scripts (Hyperscan), else which chains
        occur (Aho-Corasick, and ``re`` for the shortest)."""
        chains = list(self.keyed_entries["js"])
        for chain in chains:
            js_regex(chain)  # compile once, at build time
        self._js_chains = chains
        self._js_declarable = [js_declarable(c) for c in chains]
        # Hyperscan scans the image of the text case-sensitively (ASCII kept as is) at ~1/15
        # the cost of Aho-Corasick over a str (~30 ns a character), and reports every
        # occurrence of a chain, or for short chains only their sites
        # (:func:`.statics.chain_site_expressions`): the values are then read there. (Sites
        # for every chain would cut the ~270 reports a page to ~20, not ~35, but their byte
        # classes cost Hyperscan 3.8 s to compile, against 0.1.) An id's low bit says which.
        self._js_sites: Any = None
        if chains and self.native and all(c.isascii() for c in chains):
            exprs, ids = [], []
            for i, chain in enumerate(chains):
                site = len(chain) < SITE_CHARS
                for expr in chain_site_expressions(chain) if site else [hs_literal(chain)]:
                    exprs.append(expr.encode())
                    ids.append(2 * i + site)
            self._js_sites = hs_compile(exprs, ids, [0] * len(exprs))
        # without Hyperscan: which chains occur (Aho-Corasick, or on long scripts the n-gram
        # filter, a superset: static_js_values finds nothing for an absent chain); chains of
        # two characters (``va``, ``si``: ~200 occurrences a page, heads of ``var`` and
        # ``size``) are asked of ``re`` for a site instead
        long_chains = [c for c in chains if len(c) >= 3]
        self._js_literals = (
            LiteralScan(long_chains, False, caseless=False)
            if long_chains and self._js_sites is None
            else None
        )
        self._js_short = (
            [(c, chain_site_regex(c)) for c in chains if len(c) < 3]
            if self._js_sites is None
            else []
        )

    def _js_site_starts(self, text: str) -> dict[str, list[int]]:
        """Per chain with a site in ``text``, the ascending starts of its occurrences there
        that may be sites (:func:`.statics.chain_site_expressions`, a superset: Hyperscan
        reports the sites of short chains and every occurrence of the others)."""
        events: list[tuple[int, int]] = []
        image = prefilter_image(text) + SITE_SENTINEL
        self._js_sites.scan(image, match_event_handler=hs_collect_at, context=events)
        chains, declarable = self._js_chains, self._js_declarable
        at: dict[str, list[int]] = {}
        # a long chain's occurrences are reported all (site expressions for every chain cost
        # Hyperscan 3.8 s to compile): those that are no site are dropped here, one byte test
        # each, as the site expressions would (``googletag.cmd``: ~24 a page, ~1.5 µs each in
        # static_js_values), and a chain with no site is not looked at at all
        for id_, to in events:
            ci = id_ >> 1
            chain = chains[ci]
            if id_ & 1:
                start = to - len(chain) - 1
            else:
                start = to - len(chain)
                if image[to] not in SITE_NEXT and not (
                    declarable[ci] and may_be_declared(image, start, to)
                ):
                    continue
            at.setdefault(chain, []).append(start)
        for starts in at.values():
            starts.sort()
        return at

    def _build_dom_gates(self) -> tuple[set[str], set[str]]:
        """Which dom rules can select on a page (literals of their selectors), and which of
        their text/attribute patterns can match; returns the literals looked for in the HTML
        and in it with references decoded, and those looked for in the raw HTML only."""
        # rule index by the lead literal of each selector of its list, with every literal
        # that selector needs: it is a candidate when all of them are on the page
        selector_lits: dict[str, list[tuple[int, frozenset[str]]]] = {}
        raw_only: set[str] = set()  # markup: looked for in the raw HTML only
        values: set[str] = set()  # the other literals (a literal may be both)
        self._dom_always: list[int] = []
        for i, (_ti, rule, _pos) in enumerate(self.dom_rules):
            parts = selector_requirements(rule.selector)
            if parts is None:
                self._dom_always.append(i)
            else:
                for lead, needed, markup in parts:
                    selector_lits.setdefault(lead, []).append((i, needed))
                    raw_only |= markup
                    values |= needed - markup
        # which of a rule's text/attribute patterns can match at all, from literals: an
        # attribute value is in the source (entities aside); a node's text is a contiguous
        # piece of the document's text nodes joined without separator
        self._dom_text_reqs: list[list[list[frozenset[str]] | None]] = []
        # a dom text pattern's literal requirements, by id: long node texts (whole inline
        # scripts under ``style, script``) are searched only when they meet them
        self._text_req_of: dict[int, list[frozenset[str]]] = {}
        self._dom_attr_reqs: list[list[tuple[str | None, list[list[frozenset[str]] | None]]]]
        self._dom_attr_reqs = []
        # per rule, what the page's literals, or else its text's, must meet for the rule to act
        # at all (:func:`_act_keys`; ``None``: it always may): a C-speed test per candidate
        self._dom_act: list[tuple[Cnf | None, Cnf | None] | None] = []
        html_lits = {x for parts in selector_lits.values() for _i, need in parts for x in need}
        text_lits: set[str] = set()
        for _ti, rule, _pos in self.dom_rules:
            text_reqs = [_pattern_reqs(p) for p in rule.text]
            self._dom_text_reqs.append(text_reqs)
            for pat, reqs in zip(rule.text, text_reqs, strict=True):
                if reqs:
                    self._text_req_of[id(pat)] = reqs
            text_lits.update(x for reqs in text_reqs for r in reqs or () for x in r)
            attr_reqs = []
            for attr, pats in rule.attributes.items():
                name = attr.lower()
                name_lit = (
                    name if len(name) >= 3 and name not in COMMON_ATTRS and name.isascii() else None
                )
                reqs_list = [_pattern_reqs(p) for p in pats]
                attr_reqs.append((name_lit, reqs_list))
                if name_lit:
                    raw_only.add(name_lit)
                values.update(x for reqs in reqs_list for r in reqs or () for x in r)
            self._dom_attr_reqs.append(attr_reqs)
            self._dom_act.append(_act_keys(rule, text_reqs, attr_reqs))
        # a rule that can never act (no exists, text or attribute pattern) is no candidate
        inert = {i for i, keys in enumerate(self._dom_act) if keys == (None, None)}
        self._dom_always = [i for i in self._dom_always if i not in inert]
        for lead in list(selector_lits):
            kept_parts = [(i, need) for i, need in selector_lits[lead] if i not in inert]
            if kept_parts:
                selector_lits[lead] = kept_parts
            else:
                del selector_lits[lead]
        self._dom_lits = selector_lits
        self._dom_lit_keys = frozenset(selector_lits)
        # (the pure engine's n-gram filter skips 3-byte windows here: half the marking of a
        # long text; ``the``, ``but`` of a few dom text patterns are then always candidates)
        self._dom_text_scan = LiteralScan(text_lits, self.native, threes=False)
        # a value also written with references (``&#116;rue``) counts; markup cannot be
        return (html_lits - raw_only) | values, raw_only - values

    def _build_page_scans(self, html_lits: set[str], raw_only: set[str]) -> None:
        """One scan of the HTML for the literals of the html patterns and of the dom and text
        gates (``html_lits``, ``raw_only``), and one of the HTML with references decoded for
        the gates' (``raw_only`` aside: markup, ``<iframe``, is never written with
        references, and a tag literal in every gate made ``&lt;`` decode the whole page)."""
        gate_lits = html_lits | {
            x for reqs in self._text_reqs or () for req in reqs for alt in req for x in alt
        }
        # the dom and text gates also look in the HTML with references decoded; the html
        # patterns do not, so that second scan looks for the gates' literals only
        self._decoded_scan = LiteralScan(
            gate_lits,
            self.native,
            (),
            {x for x in gate_lits if x in REPEATED_MARKUP},
            threes=False,  # (as for the dom text literals)
        )
        # which gate literals (and word pieces) contain each ASCII character: only those
        # can appear once references that decode to that character are decoded
        self._gate_by_char: dict[str, list[str]] = {}
        words_scanned = self._word_pieces_all
        for lit in gate_lits | set(words_scanned):
            for ch in set(lit):
                self._gate_by_char.setdefault(ch, []).append(lit)
        self._word_pieces = frozenset(words_scanned)
        # a gate literal with one character the usual references spell (``&tag=``) is
        # also looked for spelled with them (``&amp;tag=``): see :meth:`_decoded_extra`
        self._spelled = {
            lit[:i] + ref + lit[i + 1 :]
            for lit in gate_lits
            if lit.isascii() and sum(lit.count(c) for c in USUAL_REFS) == 1
            for i, c in enumerate(lit)
            if c in USUAL_REFS
            for ref in USUAL_REFS[c]
        }
        page_lits = set(gate_lits) | self._spelled | raw_only
        # (a markup literal that a text pattern also needs is looked for decoded as well)
        html_bucket = self._list_buckets.get("html")
        if html_bucket is not None:
            page_lits |= html_bucket.every_literal
        # (the html regex prefilter stays a database of its own: merged with these
        # literals, Hyperscan scanned 2.5x slower than the two apart)
        # the html windows' literals that are not boilerplate: the page scan reports where
        # each occurs, so confirming a candidate never searches the page for the next one
        tracked: set[str] = set()
        if html_bucket is not None and self.native:
            for _w, _r, window_lits in html_bucket.windows.values():
                tracked.update(
                    x
                    for x in window_lits
                    if distinctive_chars(x) >= TRACK_CHARS and x not in REPEATED_MARKUP
                )
        self._page_scan = LiteralScan(
            page_lits, self.native, tracked, {x for x in page_lits if x in REPEATED_MARKUP}
        )
        if html_bucket is not None:
            html_bucket.tracked = self._page_scan.tracked
            html_bucket.scanned = frozenset(page_lits)

    # -- public --------------------------------------------------------------------------

    def hits(self, page: Page, only: Iterable[str] | None = None) -> list[Hit]:
        """Every (pattern, value) match on ``page``, in reference order.

        ``only`` restricts matching to the named technologies (the ``requires`` second pass).
        """
        allowed = (
            None if only is None else {self.tech_index[n] for n in only if n in self.tech_index}
        )
        out: list[Hit] = []
        if self.engine == "naive":
            self._naive(page, allowed, out)
        else:
            self._fast(page, allowed, out)
        out.sort(key=lambda h: h.order)
        return out

    # -- naive ---------------------------------------------------------------------------

    def _naive(self, page: Page, allowed: set[int] | None, out: list[Hit]) -> None:
        list_values = {f: field_inputs(page, f) for f in LIST_FIELDS}
        keyed_values = {f: keyed_inputs(page, f) for f in KEYED_INPUT_FIELDS if f != "js"}
        for ti, tech in enumerate(self.techs):
            if allowed is not None and ti not in allowed:
                continue
            for fld, attr in LIST_FIELDS.items():
                for pos, pat in enumerate(getattr(tech, attr)):
                    for vi, value in enumerate(list_values[fld]):
                        self._try(MatchEntry(ti, fld, None, pat, pos), value, vi, out)
            for fld, attr in KEYED_INPUT_FIELDS.items():
                pos = 0
                for key, pats in getattr(tech, attr).items():
                    values = (
                        self._js_values(page, key)
                        if fld == "js"
                        else keyed_values[fld].get(key, ())
                    )
                    for pat in pats:
                        for vi, value in enumerate(values):
                            self._try(MatchEntry(ti, fld, key, pat, pos), value, vi, out)
                        pos += 1
            for pos, rule in enumerate(tech.dom):
                self._dom(page, ti, rule, pos, out)

    # -- fast ----------------------------------------------------------------------------

    def _fast(self, page: Page, allowed: set[int] | None, out: list[Hit]) -> None:
        for fld, bucket in self._list_buckets.items():
            if fld == "text" and not self._text_may_match(page):
                continue  # spares extracting the visible text (a second parse)
            for vi, value in enumerate(field_inputs(page, fld)):
                if fld == "html" and value is page.html:
                    raw, _decoded = self._page_literals(page)
                    at = page.__dict__.get("_icpkit_page_positions", {}).get(id(self))
                    folded, image = folded_html(page), folded_image(page)
                    bucket.run(self, value, vi, allowed, out, folded, raw, at, image)
                else:
                    bucket.run(self, value, vi, allowed, out)
        for fld, buckets in self._keyed_buckets.items():
            for key, values in keyed_inputs(page, fld).items():
                keyed = buckets.get(key)
                if keyed is None:
                    continue
                for vi, value in enumerate(values):
                    keyed.run(self, value, vi, allowed, out)
        self._fast_js(page, allowed, out)
        self._fast_dom(page, allowed, out)

    def _page_literals(self, page: Page) -> tuple[set[str], set[str]]:
        """Literals of the html, dom and text prefilters found in the HTML, and additionally
        (those of the dom and text gates) in the HTML with character references decoded; one
        scan per page serves all three."""
        cached = self._page_scans(page).get(id(self))
        if cached is None:
            folded, image = folded_html(page), folded_image(page)
            if self._page_scan.tracked:
                raw, at = self._page_scan.positions(image)
                page.__dict__.setdefault("_icpkit_page_positions", {})[id(self)] = at
            else:
                raw = self._page_scan.present_folded(folded, image)
            decoded = set(raw)
            if "&" in folded:  # entities: literals may occur only once decoded
                decoded |= self._decoded_extra(page, image, raw)
            cached = self._page_scans(page)[id(self)] = (raw, decoded)
        return cached

    def _decoded_extra(self, page: Page, image: bytes, raw: set[str]) -> set[str]:
        """Gate literals found in the HTML with its character references decoded.

        A literal occurrence there that overlaps no decoded reference is in the HTML as it
        is, and the literals are ASCII: so only those containing an ASCII character that one
        of the page's references decodes to can be new. Usually there are none (``&nbsp;``,
        ``&rsquo;``, ``&quot;``) or one (``&tag=`` for ``&amp;``), checked with the reference
        spelled out; only otherwise is the whole page decoded (html.unescape: ~1 µs per
        reference) and scanned. Sets ``_icpkit_words_decoded`` when word pieces may be new.
        """
        produced = reference_chars(image)
        if produced is not None:
            affected: set[str] = set()
            for ch in produced:
                affected.update(self._gate_by_char.get(ch, ()))
            if not affected:
                return set()
            if len(affected) <= SPELLED_OUT_MAX and not (affected & self._word_pieces):
                found = set()
                for lit in affected:
                    spots = [i for i, ch in enumerate(lit) if ch in produced]
                    if len(spots) != 1 or not lit.isascii():
                        break
                    i = spots[0]
                    # (searched in the image: bytes search the same characters, and a str
                    # with any non-ASCII character is searched ~5x slower)
                    spellings = [lit, *(lit[:i] + ref + lit[i + 1 :] for ref in produced[lit[i]])]
                    if any(
                        x in raw if x in self._spelled or x == lit else x.encode("ascii") in image
                        for x in spellings
                    ):
                        found.add(lit)
                else:
                    return found
        page.__dict__["_icpkit_words_decoded"] = True
        unescaped, decoded_image = decoded_html(page)
        return self._decoded_scan.present_folded(unescaped, decoded_image)

    @staticmethod
    def _page_scans(page: Page) -> dict[int, tuple[set[str], set[str]]]:
        """Per-matcher scan results cached on the page (matchers differ in what they scan)."""
        return page.__dict__.setdefault("_icpkit_page_scans", {})

    def _text_may_match(self, page: Page) -> bool:
        """Whether any ``text`` pattern can match, judged on the HTML before extracting text.

        The visible text is text nodes (character references decoded) joined by spaces, with
        whitespace collapsed; so every whitespace-free piece of it occurs in the HTML or in
        the HTML with references decoded. A pattern whose required literals' pieces occur in
        neither cannot match the visible text.
        """
        if self._text_reqs is None or not page.html or len(page.html) > 2 * HTML_MAX_CHARS:
            return True
        _raw, present = self._page_literals(page)
        passing = self._text_passing(present, range(len(self._text_reqs)))
        # (a passing pattern that is not word-bounded opens the gate anyway)
        if passing and self._text_words and all(self._text_words[i] for i in passing):
            sets = self._text_word_sets
            is_word = self._word_test(page, {x for i in passing for x in sets[i] or ()})
            passing = [i for i in passing if all(map(is_word, sets[i] or ()))]
            phrases = self._phrase_rx
            # (after the word scans: ``re`` searches a 1 MB page for a phrase in ~0.3 ms,
            # Hyperscan for a word in ~0.1)
            if any(i in phrases for i in passing):
                image = folded_image(page)
                decoded = (
                    decoded_html(page)[1] if page.__dict__.get("_icpkit_words_decoded") else None
                )
                leads = self._phrase_lead
                passing = [
                    i
                    for i in passing
                    if (rx := phrases.get(i)) is None
                    or (rx.search(image) is not None and _phrase_in_source(image, *leads[i]))
                    or (decoded is not None and rx.search(decoded) is not None)
                ]
        may = (self._text_reqs[i] for i in passing)
        if self._page_scan.ngrams is None:
            return next(may, None) is not None  # exact but for assumed markup: rare enough
        # the n-gram filter over-reports; opening the gate costs a text extraction, so the
        # pieces of a pattern that passes are checked for real before it opens
        folded = folded_html(page)
        unescaped = decoded_html(page)[0] if "&" in folded else None
        seen: dict[str, bool] = {}

        def occurs(piece: str) -> bool:
            hit = seen.get(piece)
            if hit is None:
                hit = seen[piece] = piece in folded or (
                    unescaped is not None and piece in unescaped
                )
            return hit

        return any(
            all(any(all(occurs(x) for x in alt) for alt in req) for req in reqs) for reqs in may
        )

    def _text_passing(self, found: set[str], among: Iterable[int]) -> list[int]:
        """The ``text`` patterns (of ``among``) whose requirements ``found`` meets."""
        reqs_of, single = self._text_reqs, self._text_single
        assert reqs_of is not None
        out = []
        for i in among:
            pieces = single[i]
            if pieces is not None:  # the usual shape: one literal, a set subset test
                if pieces <= found:
                    out.append(i)
            elif all(any(alt <= found for alt in req) for req in reqs_of[i]):
                out.append(i)
        return out

    def _word_test(self, page: Page, asked: set[str]) -> Callable[[str], bool]:
        r"""Whether a text piece (of ``asked``) occurs as a whole word in the HTML or in it
        with references decoded, asked piece by piece (remembered) of its Hyperscan
        database, else of ``re``; more than :data:`WORD_SCANS_MAX` pieces asked (large pages
        with many passing patterns), of one database of every piece, in one scan.

        A piece of the visible text lies in one text node, whose neighbours in the source are
        its own characters or the ``<``/``>`` of tags, so a piece the text has as a word is a
        word in the source too. ``\b`` counts only ASCII letters, digits and ``_`` as word
        characters in both (bytes patterns on the image, which turns other characters into a
        non-word byte): the answer includes every word Python's ``\b`` would see (and a
        few more).
        """
        images = [folded_image(page)]
        self._page_literals(page)  # decides whether word pieces may appear once decoded
        if page.__dict__.get("_icpkit_words_decoded"):
            images.append(decoded_html(page)[1])
        seen: dict[str, bool] = {}
        dbs, rx_of = self._word_dbs, self._word_rx
        if dbs and len(asked) > WORD_SCANS_MAX:
            ids: list[int] = []
            for image in images:
                self._words_db.scan(image, match_event_handler=hs_collect, context=ids)
            return {self._word_pieces_all[i] for i in ids}.__contains__

        def is_word(piece: str) -> bool:
            hit = seen.get(piece)
            if hit is None:
                if dbs:
                    ids: list[int] = []
                    for image in images:
                        dbs[piece].scan(image, match_event_handler=hs_collect, context=ids)
                        if ids:
                            break
                    hit = bool(ids)
                else:
                    rx = rx_of[piece]
                    hit = any(rx.search(image) is not None for image in images)
                seen[piece] = hit
            return hit

        return is_word

    def _fast_js(self, page: Page, allowed: set[int] | None, out: list[Hit]) -> None:
        js_entries = self.keyed_entries["js"]
        if page.js is not None:
            chains: Iterable[str] = [c for c in page.js if c in js_entries]
        else:
            text = page.all_script_text
            if not text:
                return
            if self._js_sites is not None:
                # every site of every chain in one scan: the values are then read at those
                # places, not found by one pass over the scripts per chain (in the prefilter
                # image: one byte per character, ASCII kept, so each site is reported at its
                # place; the few the folded specials fake are ruled out by static_js_values)
                at = self._js_site_starts(text)
                chains = at.keys()
                page.__dict__.setdefault("_icpkit_js_at", {})[id(self)] = at
            else:
                found = self._js_literals.present((text,)) if self._js_literals else set()
                found.update(c for c, rx in self._js_short if rx.search(text))
                chains = sorted(found)
        for chain in chains:
            values = self._js_values(page, chain)
            for entry in js_entries[chain]:
                if allowed is None or entry.tech_idx in allowed:
                    for vi, value in enumerate(values):
                        self._try(entry, value, vi, out)

    def _fast_dom(self, page: Page, allowed: set[int] | None, out: list[Hit]) -> None:
        if not page.html or not self.dom_rules:
            return
        cands = set(self._dom_always)
        _raw, present = self._page_literals(page)
        dom_lits = self._dom_lits
        # (a set meets a frozenset by iterating the smaller, where ``dict.keys() & present``
        # copied the ~1,200 keys into a new set first; a plain loop, not a generator per
        # literal: ~40 -> ~15 µs a page)
        for lit in present & self._dom_lit_keys:
            for i, needed in dom_lits[lit]:
                if needed <= present:
                    cands.add(i)
        in_text: set[str] | None = None
        dom_rules, text_reqs_of, attr_reqs_of = (
            self.dom_rules,
            self._dom_text_reqs,
            self._dom_attr_reqs,
        )
        act = self._dom_act
        for i in sorted(cands):
            keys = act[i]
            if keys is not None:
                # (what the loop below would find, for ~0.1 µs a rule instead of ~2)
                by_attr, by_text = keys
                if by_attr is None or not _meets(by_attr, present):
                    if by_text is None:
                        continue
                    if in_text is None:
                        in_text = self._dom_text_literals(page)
                    if not _meets(by_text, in_text):
                        continue
            ti, rule, pos = dom_rules[i]
            if allowed is not None and ti not in allowed:
                continue
            text_pats: Sequence[Pattern] = rule.text
            if text_pats:
                if in_text is None:
                    in_text = self._dom_text_literals(page)
                text_pats = [
                    p
                    for p, reqs in zip(text_pats, text_reqs_of[i], strict=True)
                    if reqs is None or all(not r.isdisjoint(in_text) for r in reqs)
                ]
            attr_pats: dict[str, Sequence[Pattern]] = {}
            some_attr = False
            for (attr, pats), (name_lit, reqs_list) in zip(
                rule.attributes.items(), attr_reqs_of[i], strict=True
            ):
                kept: Sequence[Pattern] = ()
                if name_lit is None or name_lit in present:
                    kept = [
                        p
                        for p, reqs in zip(pats, reqs_list, strict=True)
                        if reqs is None or all(not r.isdisjoint(present) for r in reqs)
                    ]
                    some_attr = some_attr or bool(kept)
                attr_pats[attr] = kept
            if rule.exists or text_pats or some_attr:
                self._dom(page, ti, rule, pos, out, text_pats, attr_pats)

    def _dom_text_literals(self, page: Page) -> set[str]:
        """Literals of the dom text patterns in the document's text nodes joined without a
        separator (a node's text is a contiguous piece of that). lexbor's own textContent
        gives that string in one C call (selectolax's ``text(deep=True, separator="")`` walks
        the nodes from Cython: 0.052 vs 0.033 ms median, identical on the 316 real pages)."""
        root = page.tree.root
        doc = root.text_lexbor() if root is not None else ""
        if self._dom_text_scan.hs_db is None:  # (Hyperscan folds case itself)
            return self._dom_text_scan.present_folded(None, prefilter_image(doc).lower())
        return self._dom_text_scan.present((doc,))

    # -- shared --------------------------------------------------------------------------

    def _js_values(self, page: Page, chain: str) -> Sequence[str]:
        if page.js is not None:
            given = page.js.get(chain, ())
            return (given,) if isinstance(given, str) else tuple(str(v) for v in given)
        cache = page.__dict__.setdefault("_icpkit_js_cache", {})
        if chain not in cache:
            at = page.__dict__.get("_icpkit_js_at", {}).get(id(self))
            cache[chain] = static_js_values(
                page.all_script_text, chain, None if at is None else at.get(chain, ())
            )
        return cache[chain]

    def _add(
        self, entry: MatchEntry, value: str, m: re.Match[str] | None, vi: int, out: list[Hit]
    ) -> None:
        order = (entry.tech_idx, FIELD_RANK[entry.field], entry.pos, 0, vi)
        out.append(
            Hit(
                self.techs[entry.tech_idx].name,
                entry.field,
                entry.key,
                entry.pattern,
                value,
                m,
                order,
            )
        )

    def _try(self, entry: MatchEntry, value: str, vi: int, out: list[Hit], sub: int = 0) -> None:
        pat = entry.pattern
        m = None
        if pat.regex is not None:
            m = pat.regex.search(value)
            if m is None:
                return
        order = (entry.tech_idx, FIELD_RANK[entry.field], entry.pos, sub, vi)
        out.append(
            Hit(self.techs[entry.tech_idx].name, entry.field, entry.key, pat, value, m, order)
        )

    def _dom(
        self,
        page: Page,
        ti: int,
        rule: DomRule,
        pos: int,
        out: list[Hit],
        text: Sequence[Pattern] | None = None,
        attributes: Mapping[str, Sequence[Pattern]] | None = None,
    ) -> None:
        """Run a dom rule; ``text``/``attributes`` narrow it to the patterns that can match."""
        if rule.selector not in self._valid_selectors:
            return
        narrowed = text is not None
        text = rule.text if text is None else text
        attributes = rule.attributes if attributes is None else attributes
        if not text and not any(attributes.values()):  # existence only: stop at the first node
            if page.tree.css_first(rule.selector) is None:
                return
            nodes = []
        else:
            nodes = page.tree.css(rule.selector)
            if not nodes:
                return
            nodes = nodes[:DOM_MAX_NODES]
        for pat in rule.exists:
            self._try(MatchEntry(ti, "dom", rule.selector, pat, pos), "", 0, out, sub=0)
        if text:
            texts = [n.text(deep=True, separator="").strip() for n in nodes]
            # (fast engine only: the naive one passes no narrowed ``text``)
            reqs_of = self._text_req_of if narrowed else {}
            folded: dict[int, str] = {}
            for pat in text:
                reqs = reqs_of.get(id(pat))
                for vi, value in enumerate(texts):
                    if reqs is not None and len(value) >= WINDOW_MIN_CHARS:
                        low = folded.get(vi)
                        if low is None:
                            low = folded[vi] = fold_for_prefilter(value)
                        if not all(any(x in low for x in req) for req in reqs):
                            continue  # a required literal is missing: the regex cannot match
                    self._try(MatchEntry(ti, "dom", rule.selector, pat, pos), value, vi, out, sub=1)
        for ai, (attr, pats) in enumerate(attributes.items()):
            if not pats:
                continue
            values = [v for n in nodes if (v := n.attributes.get(attr)) is not None]
            for pat in pats:
                for vi, value in enumerate(values):
                    self._try(
                        MatchEntry(ti, "dom", rule.selector, pat, pos), value, vi, out, sub=2 + ai
                    )


def _pattern_reqs(pattern: Pattern) -> list[frozenset[str]] | None:
    """A pattern's literal requirements (``None``: it may match anything)."""
    if pattern.regex is None:
        return None
    return required_literal_sets(pattern.regex.pattern)


Cnf = tuple[frozenset[str], ...]
"""Literal sets that must each meet a page's literals (a conjunction of "one of these")."""


def _meets(cnf: Cnf, found: set[str]) -> bool:
    # (a loop, not ``all()`` of a generator: this runs for every dom candidate of a page)
    for alternatives in cnf:  # noqa: SIM110
        if alternatives.isdisjoint(found):
            return False
    return True


def _act_keys(
    rule: DomRule,
    text_reqs: list[list[frozenset[str]] | None],
    attr_reqs: list[tuple[str | None, list[list[frozenset[str]] | None]]],
) -> tuple[Cnf | None, Cnf | None] | None:
    """What the page's literals (:meth:`Matcher._page_literals`) must meet for a dom rule's
    attribute patterns to act, and what its text's (:meth:`Matcher._dom_text_literals`)
    must meet for its text patterns to (``None``: it has none); ``None`` when it always may.

    Those are the tests :meth:`Matcher._fast_dom` makes per pattern, told in advance per
    rule: an attribute pattern needs its attribute's name literal, when it has one, and one
    literal of each of its requirements; a text pattern, one literal of each of its
    requirements in the text. A lone pattern keeps every requirement; of several, each gives
    one requirement (its name, else the requirement of the longest shortest literal), and one
    literal of their union must be there. A rule with an ``exists`` pattern, or a pattern
    with no requirement and no name, always may act; a rule with no pattern never
    (``(None, None)``). ~20 rules of the 4,000-technology DB (``button`` with an ``id``
    pattern, ``*`` with ``q:version``, ``div`` with a text pattern, ``img`` with Wagtail's
    renditions) select on every page and were ruled out one Python step at a time.
    """
    if rule.exists:
        return None

    def one_of(reqs: list[frozenset[str]]) -> frozenset[str]:
        return max(reqs, key=lambda r: (min(map(len, r)), -len(r)))

    # per pattern: every set it needs, and the one that stands for it among several
    by_attr: list[tuple[Cnf, frozenset[str]]] = []
    for name_lit, reqs_list in attr_reqs:
        for reqs in reqs_list:
            if name_lit is None:
                if not reqs:
                    return None  # may match any value: the rule may act wherever it selects
                by_attr.append((tuple(reqs), one_of(reqs)))
            else:
                name = frozenset({name_lit})
                by_attr.append(((name, *(reqs or ())), name))
    by_text: list[tuple[Cnf, frozenset[str]]] = []
    for reqs in text_reqs:
        if not reqs:
            return None
        by_text.append((tuple(reqs), one_of(reqs)))

    def joined(patterns: list[tuple[Cnf, frozenset[str]]]) -> Cnf | None:
        if not patterns:
            return None
        if len(patterns) == 1:
            return patterns[0][0]
        return (frozenset().union(*(one for _cnf, one in patterns)),)

    return joined(by_attr), joined(by_text)


def _text_requirements(
    entries: list[MatchEntry], short_pieces: bool
) -> list[list[list[frozenset[str]]]] | None:
    """Literal requirements of the ``text`` patterns, cut into whitespace-free pieces.

    Per pattern, a list of requirements; each is a list of alternatives (one literal each), and
    an alternative is the set of its pieces, all of which must occur. Pieces shorter than 3
    characters are left out unless ``short_pieces`` (Hyperscan: a scan costs the same with
    them; Aho-Corasick would report them everywhere), but a literal's only piece may have 2.
    ``None`` when some pattern has no usable requirement (the text must always be extracted).
    """
    per_pattern: list[list[list[frozenset[str]]]] = []
    for entry in entries:
        reqs = _pattern_reqs(entry.pattern)
        usable = []
        for r in reqs or ():
            alts = []
            for lit in r:
                pieces = lit.split()
                keep = [x for x in pieces if len(x) >= (2 if short_pieces else 3)]
                keep = keep or [x for x in pieces if len(x) >= 2]
                alts.append(frozenset(keep))
            if all(alts):
                usable.append(alts)
        if not usable:
            return None
        per_pattern.append(usable)
    return per_pattern


SITE_CHARS = 6
"""``js`` chains shorter than this are scanned for by their sites, not every occurrence: they
are the ones a page holds hundreds of times inside other names (``va``, ``si``, ``Ext``).
With 6 rather than 5 (106 more chains by their sites) Hyperscan scans the scripts of a 100 KiB
page in 0.032 ms instead of 0.056 (warm; 17 reports instead of 27), for a database of 804 KB
instead of 630 and ~0.2 s more to compile; 7 scans no faster (1 MB, 0.3 s more)."""

# a lookbehind after the first boundary only narrows the matches (``\\b(?<!-)UPS\\b``)
_WORD_TEXT = re.compile(r"\\b(?:\(\?<[!=][^()]*\))?((?:[A-Za-z0-9_\-]|\\[.\-]| )+)\\b")


def _word_bounded_pieces(pattern: Pattern) -> frozenset[str] | None:
    """The lower-case whitespace-free pieces of a ``\\bwords\\b`` text pattern, or ``None``.

    Only a pattern that is a literal run between two word boundaries, starting and ending
    with ASCII word characters, qualifies: then every piece of a match is bounded by a word
    boundary or by whitespace in the text (see :meth:`Matcher._word_test`).
    """
    phrase = _word_bounded_phrase(pattern)
    return None if phrase is None else frozenset(phrase)


# ``APC\b``: a literal ending a word, whatever precedes it
_WORD_END_TEXT = re.compile(r"((?:[A-Za-z0-9_\-]|\\[.\-])+)\\b")
WORD_END_MARK = "*"
"""Leads a text piece that must end a word only (``*apc`` for ``APC\\b``), not be one."""


def _word_end_piece(pattern: Pattern) -> frozenset[str] | None:
    """``{"*apc"}`` for a ``text`` pattern that is a literal run followed by a word boundary,
    starting and ending with ASCII word characters (``APC\\b``), else ``None``.

    Its piece lies in one text node: what follows it in the visible text follows it in the
    source too, or is markup (``<``), a reference (``&``) or the end, none a word character;
    so the piece ends a word in the HTML (or in it with references decoded) wherever it
    ends one in the visible text (see :meth:`Matcher._word_test`).
    """
    text = _literal_run(pattern, _WORD_END_TEXT)
    return None if text is None else frozenset({WORD_END_MARK + text.lower()})


def _literal_run(pattern: Pattern, shape: re.Pattern[str]) -> str | None:
    """The literal text of a ``text`` pattern of ``shape`` (group 1, escapes removed) when
    it starts and ends with an ASCII letter or digit, else ``None``."""
    regex = pattern.regex
    m = None if regex is None else shape.fullmatch(regex.pattern)
    if m is None:
        return None
    text = m.group(1).replace("\\", "")
    if not (text[:1].isalnum() and text[-1:].isalnum() and text.isascii()):
        return None
    return text


def _word_bounded_phrase(pattern: Pattern) -> list[str] | None:
    """:func:`_word_bounded_pieces` in their order."""
    text = _literal_run(pattern, _WORD_TEXT)
    return None if text is None else text.lower().split()


# what the prefilter image may hold between two words of the visible text within one text
# node: whitespace (str.isspace: ASCII ones, 0x1c-0x1f, and non-ASCII ones, all 0xFF there)
_GAP = rb"[\t\n\x0b\x0c\r\x1c-\x1f \xff]"


def _phrase_regex(pieces: list[str]) -> re.Pattern[bytes]:
    r"""Where ``\bp1 p2 … pn\b`` can come from in the page's prefilter image (lower-cased).

    The visible text is text nodes joined by spaces, whitespace collapsed. A match's first
    piece lies in one text node, whose source characters are in the image as they are (or
    as references); after it comes whitespace within that node and the next piece, or the
    end of the node: markup (``<``) or, written as a reference (``&``), whitespace or the
    next piece. So each piece is followed, past whitespace, by the next one or by ``<``,
    ``&`` (or NUL, which the parser drops): any other byte rules that occurrence out.
    Led by the first piece itself, so ``re`` searches for it as a literal.
    """
    esc = [re.escape(p.encode("ascii")) for p in pieces]
    tail = rb"\b"
    for piece in reversed(esc[1:]):
        tail = rb"(?:" + _GAP + rb"*[<&\x00]|" + _GAP + rb"+" + piece + tail + rb")"
    return re.compile(esc[0] + rb"(?<=\b" + esc[0] + rb")" + tail)


def _phrase_lead(pieces: list[str]) -> tuple[re.Pattern[bytes], list[bytes]]:
    """The first piece of a phrase as a word start (a regex led by the piece itself), and
    the pieces as bytes, for :func:`_phrase_in_source`."""
    esc = re.escape(pieces[0].encode("ascii"))
    return re.compile(esc + rb"(?<=\b" + esc + rb")"), [x.encode("ascii") for x in pieces]


_GAP_RUN = re.compile(_GAP + rb"*")
_HTML_WS = rb"[\t\n\x0c\r ]"
# a start or end tag as plain as the tokenizer can read in one way only: a name, attributes
# whose names hold no quote, "<", ">", "=" or "/", values quoted (with no "<" or ">" inside)
# or unquoted; such a tag ends at its first ">" for the tokenizer too (only a quoted value
# may hold a ">", and its quotes open and close where the tokenizer's do)
_PLAIN_TAG = re.compile(
    rb"<(/?)([a-z][a-z0-9-]*)(?:"
    + _HTML_WS
    + rb"++[^\t\n\x0c\r /<>=\"'`]++(?:"
    + _HTML_WS
    + rb"*+="
    + _HTML_WS
    + rb"""*+(?:"[^"<>]*+"|'[^'<>]*+'|[^\t\n\x0c\r <>"'=`]++))?)*+"""
    + _HTML_WS
    + rb"*+/?>"
)
# tags after which the next text in the source need not be the next visible text: dropped
# content (script, style, noscript, template), tables (text is foster-parented before them),
# select, frames and isindex (tags and text ignored, moved or made up)
_REORDERING_TAGS = frozenset(
    b"script style noscript template table caption colgroup col tbody thead tfoot tr td th"
    b" select frameset frame isindex".split()
)
_NOT_WORD_END = frozenset(range(256)) - frozenset(
    b"abcdefghijklmnopqrstuvwxyz0123456789_ABCDEFGHIJKLMNOPQRSTUVWXYZ"
)
_TAG_RUN_MAX = 64  # tags read past at most before giving up (the gate stays open)


def _phrase_in_source(image: bytes, lead: re.Pattern[bytes], pieces: list[bytes]) -> bool:
    r"""Whether ``\bp1 p2 … pn\b`` can be in the visible text, judged on the page's image
    where markup cuts the phrase (:func:`_phrase_regex` lets any ``<`` go on).

    A piece that ends a text node is followed in the visible text (text nodes joined by
    spaces) by the next text node's first word. In the source, the tags between two text
    nodes are read past here: plain tags only (:data:`_PLAIN_TAG`, under 256 characters,
    which the page's pre-pass never cuts), and none after which the next text in the source
    may not be the next visible text (:data:`_REORDERING_TAGS`); a comment, a doctype, a
    ``<`` of another kind, a reference (``&``) or NUL keeps the phrase possible, as do more
    than :data:`_TAG_RUN_MAX` tags. Otherwise the next piece must start the next text.
    Tree construction moves text only into tables' foster parents (the adoption agency and
    implied ends keep text in source order), so with no table tag in between the next text
    in the source is the next visible one. Every occurrence of the first piece as a word
    start is tried.
    """
    return any(_phrase_goes_on(image, m.end(), pieces, 1) for m in lead.finditer(image))


def _phrase_goes_on(image: bytes, pos: int, pieces: list[bytes], k: int) -> bool:
    """Whether ``pieces[k:]`` can follow a piece of the phrase ending at ``pos``."""
    if k == len(pieces):
        return pos >= len(image) or image[pos] in _NOT_WORD_END
    j = _GAP_RUN.match(image, pos).end()  # type: ignore[union-attr]
    if j >= len(image):
        return False
    piece = pieces[k]
    if (
        j > pos
        and image.startswith(piece, j)
        and _phrase_goes_on(image, j + len(piece), pieces, k + 1)
    ):
        return True
    c = image[j]
    if c == 0x26 or c == 0:  # "&", NUL
        return True
    if c != 0x3C:  # "<"
        return False
    for _ in range(_TAG_RUN_MAX):
        tag = _PLAIN_TAG.match(image, j, j + 256)
        if tag is None or tag.group(2) in _REORDERING_TAGS:
            return True
        j = _GAP_RUN.match(image, tag.end()).end()  # type: ignore[union-attr]
        if j >= len(image):
            return False  # (the document ends: no text follows)
        c = image[j]
        if c != 0x3C:
            if c == 0x26 or c == 0:
                return True
            return image.startswith(piece, j) and _phrase_goes_on(
                image, j + len(piece), pieces, k + 1
            )
    return True


def _word_regex(piece: str) -> re.Pattern[bytes]:
    r"""``\bpiece\b`` (``piece\b`` for a :data:`WORD_END_MARK` piece) for ``re`` on an
    image, led by the piece itself (a lead ``\b`` would make ``re`` try every position; a
    literal lead is searched for)."""
    if piece.startswith(WORD_END_MARK):
        return re.compile(re.escape(piece[1:].encode("ascii")) + rb"\b")
    esc = re.escape(piece.encode("ascii"))
    return re.compile(esc + rb"\b(?<=\b" + esc + rb")")


WORD_SCANS_MAX = 4
"""Word pieces asked of their own databases at most, one scan each; past that one scan of
every piece costs less (~0.05 ms a 100 KiB page, against 0.004-0.012 for one piece)."""


def _words_db(pieces: list[str]) -> Any:
    """One Hyperscan database telling which ``pieces`` occur as whole ASCII words (ends of
    words, for :data:`WORD_END_MARK` pieces); ids are positions in ``pieces``."""
    assert hyperscan_module is not None
    flag = hyperscan_module.HS_FLAG_CASELESS | hyperscan_module.HS_FLAG_SINGLEMATCH
    exprs = [_word_expression(x) for x in pieces]
    return hs_compile(exprs, range(len(exprs)), [flag] * len(exprs))


def _word_expression(piece: str) -> bytes:
    if piece.startswith(WORD_END_MARK):
        return f"{hs_literal(piece[1:])}\\b".encode()
    return f"\\b{hs_literal(piece)}\\b".encode()


def _word_db(piece: str) -> Any:
    """A Hyperscan database telling whether ``piece`` occurs as a whole ASCII word (ends one,
    for a :data:`WORD_END_MARK` piece)."""
    assert hyperscan_module is not None
    flag = hyperscan_module.HS_FLAG_CASELESS | hyperscan_module.HS_FLAG_SINGLEMATCH
    return hs_compile([_word_expression(piece)], [0], [flag])


def _valid_selectors(selectors: Iterable[str]) -> set[str]:
    """Selectors lexbor accepts (the others are skipped; the loader keeps them for linting)."""
    from selectolax.lexbor import LexborHTMLParser

    probe = LexborHTMLParser("<html><body><p></p></body></html>")
    ok = set()
    for sel in selectors:
        try:
            probe.css(sel)
        except Exception:  # lexbor raises several types for bad selectors
            continue
        ok.add(sel)
    return ok


__all__ = ["Matcher"]
