"""Golden tests of matching semantics, per field and per rule, on hand-written mini databases.

Every test runs on both engines: the fast engine must give what the naive one gives.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from icpkit.technographics import Detection, Detector, Page, load_fingerprints

CATS = {
    "1": {"name": "CMS", "groups": [3], "priority": 1},
    "10": {"name": "Analytics", "groups": [8], "priority": 9},
    "52": {"name": "Live chat", "groups": [4], "priority": 9},
    "27": {"name": "Programming languages", "groups": [9], "priority": 5},
}


def make(
    tmp_path: Path, techs: dict, *, engine: str = "fast", bounded: bool = True, **kw
) -> Detector:
    root = tmp_path / f"db{len(list(tmp_path.iterdir()))}"
    (root / "technologies").mkdir(parents=True)
    for spec in techs.values():
        spec.setdefault("cats", [1])
        spec.setdefault("website", "https://example.com")
    (root / "technologies" / "a.json").write_text(json.dumps(techs), encoding="utf-8")
    (root / "categories.json").write_text(json.dumps(CATS), encoding="utf-8")
    return Detector(load_fingerprints(root, bounded=bounded), engine=engine, native=False, **kw)  # type: ignore[arg-type]


@pytest.fixture(params=["fast", "naive"])
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


def by_name(dets: list[Detection]) -> dict[str, Detection]:
    return {d.name: d for d in dets}


HTML = """<!doctype html><html><head>
<meta name="Generator" content="AcmeCMS 4.2.1">
<meta property="og:site_name" content="Demo">
<script src="/static/acme.min.js?v=7"></script>
<script src="https://cdn.widget.io/w.js"></script>
<script>window.Chatty = {}; Chatty.version = "2.5.0"; var zopim = 1;</script>
<style>.x{}</style>
</head><body>
<div id="acme-root" class="theme-nova" data-build="xyz">Powered by AcmeCMS</div>
<iframe src="https://chat.chatty.io/frame"></iframe>
<script>var ignoredText = "hidden scripted words";</script>
</body></html>"""


def page(**kw) -> Page:
    base = {"url": "https://shop.example.com/cart?x=1", "html": HTML}
    base.update(kw)
    return Page(**base)


@pytest.mark.parametrize(
    ("spec", "page_kw"),
    [
        ({"html": '<div id="acme-root"'}, {}),
        ({"text": "Powered by AcmeCMS"}, {}),
        ({"scriptSrc": "/static/acme\\.min\\.js"}, {}),
        ({"scriptSrc": "^https://shop\\.example\\.com/static/"}, {}),  # srcs are made absolute
        ({"scripts": "acmeBootstrap\\("}, {"scripts": ("acmeBootstrap({})",)}),
        ({"meta": {"generator": "^AcmeCMS"}}, {}),
        ({"meta": {"og:site_name": ""}}, {}),
        ({"headers": {"x-powered-by": "^Acme"}}, {"headers": {"X-Powered-By": "Acme/1"}}),
        ({"cookies": {"acme_session": ""}}, {"cookies": {"ACME_SESSION": "z"}}),
        ({"url": "shop\\.example\\.com/cart"}, {}),
        ({"css": "\\.acme-grid"}, {"css": ".acme-grid{display:grid}"}),
        ({"robots": "Disallow: /acme-admin"}, {"robots": "User-agent: *\nDisallow: /acme-admin"}),
        ({"dns": {"TXT": "acme-verification"}}, {"dns": {"txt": ["acme-verification=abc"]}}),
        ({"dom": "#acme-root"}, {}),
        ({"dom": {"div.theme-nova": {"text": "^Powered"}}}, {}),
        ({"dom": {"iframe[src*='chatty']": {"attributes": {"src": "chat\\.chatty\\.io"}}}}, {}),
        ({"js": {"Chatty": ""}}, {}),
        ({"js": {"zopim": ""}}, {}),
        ({"js": {"Acme.ver": "^9"}}, {"js": {"Acme.ver": ["9.1"]}}),
    ],
)
def test_each_field_detects(tmp_path: Path, engine: str, spec: dict, page_kw: dict) -> None:
    det = make(tmp_path, {"Target": spec, "Decoy": {"html": "never-present-marker"}}, engine=engine)
    found = by_name(det.detect(page(**page_kw)))
    assert list(found) == ["Target"]
    field = found["Target"].evidence[0].field
    assert field == next(iter(spec)).replace("scriptSrc", "scriptSrc")


@pytest.mark.parametrize(
    ("spec", "page_kw"),
    [
        ({"text": "hidden scripted words"}, {}),  # script bodies are not visible text
        ({"scripts": "Chatty\\.version"}, {}),  # scripts = fetched JS, not inline scripts
        ({"headers": {"x-powered-by": "Acme"}}, {"headers": {"Server": "Acme"}}),
        ({"js": {"Chatty.version.major": ""}}, {}),
        ({"js": {"chatty": ""}}, {}),  # js chains are case-sensitive
        ({"dom": "#missing"}, {}),
        ({"dns": {"TXT": "acme"}}, {}),  # dns only when records are supplied
        ({"url": "^https?//shop"}, {}),  # the dead pattern stays dead
    ],
)
def test_fields_do_not_overreach(tmp_path: Path, engine: str, spec: dict, page_kw: dict) -> None:
    det = make(tmp_path, {"Target": spec}, engine=engine)
    assert det.detect(page(**page_kw)) == []


def test_matching_is_case_insensitive_and_versions_resolve(tmp_path: Path, engine: str) -> None:
    det = make(
        tmp_path,
        {"Acme": {"meta": {"GENERATOR": "acmecms ([\\d.]+)\\;version:\\1"}}},
        engine=engine,
    )
    (d,) = det.detect(page())
    assert d.version == "4.2.1" and d.confidence == 100
    assert d.evidence[0].key == "generator" and d.evidence[0].matched == "AcmeCMS 4.2.1"


def test_js_static_value_feeds_version(tmp_path: Path, engine: str) -> None:
    det = make(
        tmp_path, {"Chatty": {"js": {"Chatty.version": "^([\\d.]+)$\\;version:\\1"}}}, engine=engine
    )
    (d,) = det.detect(page())
    assert d.version == "2.5.0"


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("\\1?Enterprise:Community", "Enterprise"),
        ("\\2?Pro:Free", "Free"),  # group 2 did not take part
        ("v\\1", "v4"),
        ("\\1?ok:", "ok"),
        ("\\3", ""),  # a back-reference to an unmatched group vanishes
    ],
)
def test_version_templates(tmp_path: Path, engine: str, template: str, expected: str) -> None:
    det = make(
        tmp_path, {"Acme": {"html": f"AcmeCMS (\\d)(x)?(y)?\\;version:{template}"}}, engine=engine
    )
    (d,) = det.detect(Page(url="", html="<p>AcmeCMS 4</p>"))
    assert d.version == (expected or None)


def test_version_backreference_without_group_is_dropped_like_the_reference(
    tmp_path: Path, engine: str
) -> None:
    det = make(tmp_path, {"Acme": {"text": "Powered by AcmeCMS\\;version:v\\1"}}, engine=engine)
    assert det.detect(page())[0].version == "v"


def test_version_rules_longest_short_and_not_a_timestamp(tmp_path: Path, engine: str) -> None:
    techs = {
        "Acme": {
            "scriptSrc": [
                "acme-(\\d+)\\.js\\;version:\\1",  # a 13-digit timestamp: parseInt ≥ 10000
                "acme\\.js\\?v=([\\d.]+)\\;version:\\1",
                "acmex-([a-z0-9.]+)\\.js\\;version:\\1",  # group longer than 10 chars: skipped
            ]
        }
    }
    det = make(tmp_path, techs, engine=engine)
    srcs = (
        "/acme-1700000000000.js",
        "/acme.js?v=3.2",
        "/acme.js?v=3.10.1",
        "/acmex-1.2.3.4.5.6.7.js",
    )
    (d,) = det.detect(Page(url="", script_src=srcs))
    assert d.version == "3.10.1"


def test_confidence_sums_each_match_and_caps(tmp_path: Path, engine: str) -> None:
    det = make(tmp_path, {"Acme": {"scriptSrc": "widget\\;confidence:30"}}, engine=engine)
    one = det.detect(Page(url="", script_src=("/widget/a.js",)))
    assert one == []  # 30 < 50: below the reporting threshold
    two = det.detect(Page(url="", script_src=("/widget/a.js", "/widget/b.js")))
    assert [d.confidence for d in two] == [60] and len(two[0].evidence) == 2
    many = det.detect(Page(url="", script_src=tuple(f"/widget/{i}.js" for i in range(6))))
    assert [d.confidence for d in many] == [100]
    low = make(
        tmp_path, {"Acme": {"scriptSrc": "widget\\;confidence:30"}}, engine=engine, min_confidence=0
    )
    assert [d.confidence for d in low.detect(Page(url="", script_src=("/widget/a.js",)))] == [30]


def test_implies_fixpoint_confidence_and_version(tmp_path: Path, engine: str) -> None:
    techs = {
        "Acme": {
            "html": "acme-root\\;confidence:80",
            "implies": ["PHP\\;confidence:60\\;version:8"],
        },
        "PHP": {"cats": [27], "implies": "Zend"},
        "Zend": {"cats": [27]},
    }
    det = make(tmp_path, techs, engine=engine)
    found = by_name(det.detect(page()))
    assert found["Acme"].confidence == 80
    assert (found["PHP"].confidence, found["PHP"].version, found["PHP"].implied_by) == (
        60,
        "8",
        ("Acme",),
    )
    assert (found["Zend"].confidence, found["Zend"].implied_by) == (60, ("PHP",))
    assert found["PHP"].evidence == ()


def test_implied_below_threshold_is_hidden(tmp_path: Path, engine: str) -> None:
    det = make(
        tmp_path,
        {"Acme": {"html": "acme-root", "implies": "PHP\\;confidence:40"}, "PHP": {}},
        engine=engine,
    )
    assert [d.name for d in det.detect(page())] == ["Acme"]


def test_excludes(tmp_path: Path, engine: str) -> None:
    techs = {"Acme": {"html": "acme-root", "excludes": "Other"}, "Other": {"html": "theme-nova"}}
    assert [d.name for d in make(tmp_path, techs, engine=engine).detect(page())] == ["Acme"]


def test_requires_and_requires_category_second_pass(tmp_path: Path, engine: str) -> None:
    techs = {
        "Acme": {"html": "acme-root"},
        "Acme Plugin": {"html": "theme-nova", "requires": "Acme"},
        "Chat Addon": {"html": "chatty", "requiresCategory": 52},
        "Chat Base": {"cats": [52], "html": "never-here"},
        "Nested": {"html": "data-build", "requires": "Acme Plugin"},
    }
    det = make(tmp_path, techs, engine=engine)
    assert sorted(d.name for d in det.detect(page())) == ["Acme", "Acme Plugin", "Nested"]
    alone = det.detect(Page(url="", html="<div class='theme-nova'></div>"))
    assert alone == []  # the plugin's pattern matches, but its prerequisite is absent
    chat = det.detect(Page(url="", html="<p>never-here chatty</p>"))
    assert sorted(d.name for d in chat) == ["Chat Addon", "Chat Base"]


def test_sorted_by_category_priority_then_name(tmp_path: Path, engine: str) -> None:
    techs = {
        "Zeta Analytics": {"cats": [10], "html": "acme"},
        "Alpha Analytics": {"cats": [10], "html": "acme"},
        "Beta CMS": {"cats": [1], "html": "acme"},
    }
    assert [d.name for d in make(tmp_path, techs, engine=engine).detect(page())] == [
        "Beta CMS",
        "Alpha Analytics",
        "Zeta Analytics",
    ]


def test_bounded_quantifier_option(tmp_path: Path, engine: str) -> None:
    far = Page(url="", html="<script>" + "x" * 400 + "boomerang</script>")
    spec = {"Mpulse": {"html": "<script>[\\s\\S]*boomerang"}}
    assert make(tmp_path, spec, engine=engine).detect(far) == []
    assert [d.name for d in make(tmp_path, spec, engine=engine, bounded=False).detect(far)] == [
        "Mpulse"
    ]


def test_html_is_matched_on_the_whole_document_not_rows(tmp_path: Path, engine: str) -> None:
    html = "<p>" + "a" * 5000 + "acme-marker</p>"  # the reference would split rows every 2000 chars
    det = make(tmp_path, {"Acme": {"html": "a{3}acme-marker"}}, engine=engine)
    assert [d.name for d in det.detect(Page(url="", html=html))] == ["Acme"]


def test_category_facts_describe(tmp_path: Path, engine: str) -> None:
    techs = {
        "Chatty": {"cats": [52], "html": "chatty"},
        "Quiet": {"cats": [52], "headers": {"x-quiet": ""}},
        "Dns Only": {"cats": [52], "dns": {"TXT": "x"}},
        "Acme": {"html": "acme-root"},
    }
    det = make(tmp_path, techs, engine=engine)
    p = page(headers={"Server": "x"})
    dets = det.detect(p)
    (chat,) = det.category_facts(p, dets, ["live chat"])
    assert (chat.detected, chat.fingerprinted, chat.observable) == (("Chatty",), 3, 2)
    assert chat.describe().startswith("Chatty detected (1 of the 3 fingerprinted live chat tools")
    bare = Page(url="https://x.example", html="<p>nothing</p>")
    (none,) = det.category_facts(bare, det.detect(bare), ["Live chat"])
    assert none.describe() == (
        "none of the 3 fingerprinted live chat tools detected; 1 of them observable from the signals collected"
    )
    assert {f.category for f in det.category_facts(bare, [])} == {c["name"] for c in CATS.values()}
