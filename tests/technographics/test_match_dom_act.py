"""Dom rules are ruled out per rule before their patterns are looked at (``_act_keys``): a
rule that selects everywhere (``button``, ``div``, ``*``) but whose attribute or text patterns
need literals the page (or its text) lacks runs no selector query, and one with no pattern at
all is no candidate; wherever a rule may act, the fast engines find what the naive one finds.
Also the html bucket's selection from the page's literals (set intersection, not a look-up
per literal) keeps every candidate.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icpkit.technographics import FingerprintDB, Page
from icpkit.technographics.fingerprints import DomRule
from icpkit.technographics.hits import hyperscan_available
from icpkit.technographics.matcher import Matcher, _act_keys

sys.path.insert(0, str(Path(__file__).parent))
from engines import all_engines, hit_key, write_db

TECHS = {
    "Headless": {"cats": [1], "dom": {"button": {"attributes": {"id": "^headlessui-menu"}}}},
    "Qwikish": {
        "cats": [1],
        "dom": {"*": {"attributes": {"q:version": "^([\\d.]+)\\;version:\\1"}}},
    },
    "Hirsch": {"cats": [1], "dom": {"div, h2": {"text": "Hirschmann (\\w+)\\;version:\\1"}}},
    "Both": {
        "cats": [1],
        "dom": {"a": {"text": "zebra crossing", "attributes": {"href": "zebra\\.example"}}},
    },
    "Empty": {"cats": [1], "dom": {"body > div": {}}},
    "Exists": {"cats": [1], "dom": {"footer": {"exists": ""}}},
    "AnyId": {"cats": [1], "dom": {"section": {"attributes": {"id": ""}}}},
    "Html": {"cats": [1], "html": ["wp-emoji-release\\.min\\.js", '<div[^>]+data-acme-v="(\\d)']},
}
CATS = {"1": {"name": "CMS", "groups": [], "priority": 1}}

PIECES = [
    "<button id='headlessui-menu-1'>b</button>", "<button id='x'>b</button>",
    "<p data-q='q:version'>q:version</p>", "<i q:version='1.2'>i</i>", "<div>hello</div>",
    "<div>Hirschmann HiOS</div>", "<div>Hirsch<b>mann</b> X</div>", "<h2>Hirschmann &#72;iOS</h2>",
    "<script>var s='Hirschmann A'</script>", "<a href='https://zebra.example/'>z</a>",
    "<a href='/'>zebra crossing</a>", "<a href='/'>zebra <b>cross</b>ing</a>",
    "<script>'zebra.example'</script>", "<footer>f</footer>", "<section id='s'>s</section>",
    "<section>s</section>", "<div><div>x</div></div>", "wp-emoji-release.min.js",
    '<div class="a" data-acme-v="7">', "data-acme-v", "&amp;", "&#104;eadlessui", " ", "\u212a",
]  # fmt: skip


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> FingerprintDB:
    return write_db(tmp_path_factory.mktemp("act"), TECHS, CATS)


@pytest.fixture(scope="module")
def engines(db: FingerprintDB) -> dict[str, Matcher]:
    return all_engines(db)


key = hit_key


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.lists(st.sampled_from(PIECES), max_size=20).map("".join))
def test_fast_equals_naive_with_rules_ruled_out_per_rule(
    engines: dict[str, Matcher], body: str
) -> None:
    html = f"<html><body>{body}</body></html>"
    expected = key(engines["naive"].hits(Page(url="https://a.example/", html=html)))
    for name in ("fast", "native"):
        if name in engines:
            got = key(engines[name].hits(Page(url="https://a.example/", html=html)))
            assert got == expected, name


def _queried(engine: Matcher, html: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    queried: list[str] = []
    real_dom = Matcher._dom

    def spy(self: Matcher, page: Page, ti: int, rule: DomRule, *args, **kw):  # type: ignore[no-untyped-def]
        queried.append(rule.selector)
        return real_dom(self, page, ti, rule, *args, **kw)

    monkeypatch.setattr(Matcher, "_dom", spy)
    engine.hits(Page(url="https://a.example/", html=html))
    monkeypatch.undo()
    return queried


@pytest.mark.parametrize("name", ["fast", "native"])
def test_rules_that_select_everywhere_query_only_where_a_pattern_may_match(
    engines: dict[str, Matcher], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if name not in engines:
        pytest.skip("needs hyperscan")
    fast = engines[name]
    plain = (
        "<html><body><div><h2>t</h2><button id='b'>x</button><a href='/'>a</a></div></body></html>"
    )
    # selectors with a value but no literal of their patterns: nothing to ask lexbor (the
    # rules that always may act are asked wherever their markup is assumed present)
    assert set(_queried(fast, plain, monkeypatch)) <= {"footer", "section"}
    # the literal the pattern needs, there: the rule is queried and finds its node
    cases = {
        "<button id='headlessui-menu-3'>m</button>": "button",
        "<div>Hirschmann HiOS</div>": "div, h2",
        "<a href='https://zebra.example/'>z</a>": "a",
        "<a href='/'>zebra crossing</a>": "a",
    }
    for extra, selector in cases.items():
        html = plain.replace("</body>", extra + "</body>")
        assert selector in _queried(fast, html, monkeypatch), extra
        got = fast.hits(Page(url="https://a.example/", html=html))
        assert got and key(got) == key(
            engines["naive"].hits(Page(url="https://a.example/", html=html))
        )
    # a text literal cut by markup is in the document's text: the rule still runs
    cut = plain.replace("</body>", "<div>Hirsch<b>mann</b> X</div></body>")
    assert "div, h2" in _queried(fast, cut, monkeypatch)
    # a rule with no pattern never runs, anywhere; rules that always may act still do
    everything = plain.replace("</body>", "".join(PIECES) + "</body>")
    queried = _queried(fast, everything, monkeypatch)
    assert "body > div" not in queried
    assert {"footer", "section"} <= set(queried)


def test_act_keys_per_shape(engines: dict[str, Matcher]) -> None:
    fast = engines["fast"]
    by_selector = {
        rule.selector: fast._dom_act[i] for i, (_ti, rule, _pos) in enumerate(fast.dom_rules)
    }
    f = frozenset
    assert by_selector["button"] == ((f({"headlessui-menu"}),), None)
    assert by_selector["*"] == ((f({"q:version"}),), None)
    assert by_selector["div, h2"] == (None, (f({"hirschmann "}),))
    assert by_selector["a"] == ((f({"zebra.example"}),), (f({"zebra crossing"}),))
    assert by_selector["body > div"] == (None, None)
    assert by_selector["footer"] is None  # exists: always may act
    assert by_selector["section"] is None  # an empty pattern matches any id
    # (a rule that never acts is no candidate at all)
    empty = next(i for i, (_t, r, _p) in enumerate(fast.dom_rules) if r.selector == "body > div")
    assert empty not in fast._dom_always
    assert all(empty not in {i for i, _need in parts} for parts in fast._dom_lits.values())


def test_act_keys_keep_a_lone_pattern_whole_and_one_requirement_of_several() -> None:
    f = frozenset
    rule = DomRule(selector="x")
    rendition = [f({"/images/", "/original_images/"}), f({".fill-", ".max-", "original_images/"})]
    # a lone pattern: every requirement (Wagtail's ``/images/`` is on most pages, its
    # rendition suffixes are not)
    assert _act_keys(rule, [], [(None, [rendition])]) == (tuple(rendition), None)
    assert _act_keys(rule, [], [("data-r", [rendition])]) == ((f({"data-r"}), *rendition), None)
    # several: each stands by one set (a name, else the requirement of the longest shortest
    # literal), and one literal of their union must be there
    keys = _act_keys(rule, [rendition], [(None, [rendition]), ("data-b", [None])])
    assert keys == ((f({"/images/", "/original_images/", "data-b"}),), tuple(rendition))
    assert _act_keys(rule, [rendition, [f({"zz"})]], []) == (
        None,
        (f({"/images/", "/original_images/", "zz"}),),
    )
    # no requirement at all, or an exists pattern: always may act
    assert _act_keys(rule, [], [(None, [None])]) is None
    assert _act_keys(rule, [[]], []) is None


@pytest.mark.skipif(not hyperscan_available(), reason="needs hyperscan")
def test_html_bucket_selects_from_the_page_literals(engines: dict[str, Matcher]) -> None:
    native = engines["native"]
    bucket = native._list_buckets["html"]
    for html in (
        "<script src='/wp-emoji-release.min.js'></script>",
        '<div class="a" data-acme-v="7">x</div>',
        "<p>neither</p>",
    ):
        page = Page(url="https://a.example/", html=f"<html><body>{html}</body></html>")
        got = key(native.hits(page))
        assert got == key(engines["naive"].hits(Page(url=page.url, html=page.html)))
        raw, _decoded = native._page_literals(page)
        found, _ = bucket.candidates(page.html, None, raw)
        # every html pattern the naive engine matched is a candidate, and only those of the
        # page's literals are
        naive_hits = engines["naive"].hits(Page(url=page.url, html=page.html))
        matched = {h.pattern.source for h in naive_hits if h.field == "html"}
        sources = {bucket.entries[i].pattern.source for i in found}
        assert matched <= sources
        assert len(found) == len(matched)
