"""The bundled fingerprint set: it loads cleanly, and every technology is found on its fixture.

Each fixture in ``bundled_fixtures.json`` is a minimal page a real site running the tool would
serve. A fixture must detect its technology with the right categories and *nothing else* beyond
what the technology implies and what the fixture declares under ``also``: that is how
collisions between similar tools (Zendesk vs Zendesk Chat, GA vs Google Ads …) are caught.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from icpkit.technographics import Detector, FingerprintDB, Page, lint_pattern, load_fingerprints

DATA = Path(__file__).resolve().parents[2] / "src" / "icpkit" / "technographics" / "data"
FIXTURES: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).with_name("bundled_fixtures.json")).read_text(encoding="utf-8")
)
PATTERN_FIELDS = ("html", "text", "scriptSrc", "scripts", "url", "css")
KEYED_FIELDS = ("meta", "headers", "cookies", "js", "dns")


@cache
def _db() -> FingerprintDB:
    return load_fingerprints()


@cache
def _detector() -> Detector:
    return Detector(_db())


def _page(fx: dict[str, Any]) -> Page:
    return Page(
        url=fx["url"],
        html=fx["html"],
        headers=fx["headers"],
        cookies=fx["cookies"],
        dns=fx.get("dns", {}),
    )


def _detect(fx: dict[str, Any]) -> dict[str, Any]:
    return {d.name: d for d in _detector().detect(_page(fx))}


def _implied(name: str) -> set[str]:
    out: set[str] = set()
    todo = [name]
    while todo:
        for imp in _db().technologies[todo.pop()].implies:
            if imp.name not in out:
                out.add(imp.name)
                todo.append(imp.name)
    return out


def _raw_technologies() -> dict[str, tuple[str, dict[str, Any]]]:
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for path in sorted((DATA / "technologies").glob("*.json")):
        for name, spec in json.loads(path.read_text(encoding="utf-8")).items():
            assert name not in out, f"{name} defined twice"
            out[name] = (path.stem, spec)
    return out


def _raw_patterns(spec: dict[str, Any]) -> list[tuple[str, str]]:
    pats: list[tuple[str, str]] = []
    for fld in PATTERN_FIELDS:
        value = spec.get(fld, [])
        pats.extend((fld, p) for p in ([value] if isinstance(value, str) else value))
    for fld in KEYED_FIELDS:
        for key, value in spec.get(fld, {}).items():
            values = [value] if isinstance(value, str) else value
            pats.extend((f"{fld}.{key}", p) for p in values)
    return pats


# --- the set as data ------------------------------------------------------------------------


def test_loads_without_any_lint_issue() -> None:
    db = _db()
    assert db.issues == []
    assert len(db.technologies) >= 300


def test_every_category_used_exists_and_categories_are_conventional() -> None:
    db = _db()
    for tech in db.technologies.values():
        assert tech.categories, tech.name
        assert all(c in db.categories for c in tech.categories), tech.name
    # the conventional ids our category traits and other tools rely on
    expected = {1: "CMS", 6: "Ecommerce", 10: "Analytics", 32: "Marketing automation", 42: "Tag managers",
                52: "Live chat", 53: "CRM", 41: "Payment processors", 74: "A/B testing",
                97: "Customer data platform", 67: "Cookie compliance", 90: "Reviews", 75: "Email",
                88: "Hosting", 31: "CDN", 12: "JavaScript frameworks", 59: "JavaScript libraries",
                57: "Static site generator", 87: "WordPress plugins", 100: "Shopify apps"}  # fmt: skip
    assert {cid: db.categories[cid].name for cid in expected} == expected
    groups = json.loads((DATA / "groups.json").read_text(encoding="utf-8"))
    cats = json.loads((DATA / "categories.json").read_text(encoding="utf-8"))
    assert all(str(g) in groups for c in cats.values() for g in c["groups"])


def test_members_and_tool_categories_answer_gtm_questions() -> None:
    db = _db()
    chat = db.members("Live chat")
    assert {"Intercom", "Drift", "Zendesk Chat", "Zendesk", "LiveChat", "Tidio"} <= set(chat)
    assert "Shopify" not in chat
    tools = db.tool_categories()
    assert tools["hubspot"] == ["marketing automation", "crm"]
    assert tools["woocommerce"] == ["ecommerce", "wordpress plugins"]


def test_files_are_placed_by_first_letter_and_sorted() -> None:
    for path in sorted((DATA / "technologies").glob("*.json")):
        names = list(json.loads(path.read_text(encoding="utf-8")))
        assert names == sorted(names, key=str.lower), path.name
        for name in names:
            first = name[0].lower()
            assert path.stem == (first if "a" <= first <= "z" else "_"), name


def test_entries_are_complete_and_patterns_follow_house_rules() -> None:
    raw = _raw_technologies()
    implied_somewhere = {i for _f, spec in raw.values() for i in spec.get("implies", [])}
    for name, (_file, spec) in raw.items():
        assert spec["website"].startswith("https://"), name
        desc = spec["description"]
        assert 10 <= len(desc) <= 200 and desc.endswith(".") and desc.count(". ") == 0, name
        pats = _raw_patterns(spec)
        assert pats or name in implied_somewhere, f"{name} has no patterns and nothing implies it"
        for fld, raw in pats:
            body, *tags = raw.split("\\;")
            assert lint_pattern(body) == [], (name, fld, raw)
            groups = re.compile(body).groups
            for tag in tags:
                key, _, value = tag.partition(":")
                assert key in ("version", "confidence"), (name, raw)
                if key == "confidence":
                    assert 0 < int(value) <= 100, (name, raw)
                refs = [int(n) for n in re.findall(r"\\(\d)", value)]
                assert all(r <= groups for r in refs), (name, raw)
            if groups:  # capture groups are for versions only
                assert any(t.startswith("version:") for t in tags), (name, raw)


def test_relations_point_at_known_technologies() -> None:
    db = _db()
    for tech in db.technologies.values():
        for other in (*(i.name for i in tech.implies), *tech.requires, *tech.excludes):
            assert other in db.technologies, (tech.name, other)
    assert {i.name for i in db.technologies["WooCommerce"].implies} == {"WordPress"}
    assert "Shopify" in {i.name for i in db.technologies["Shopify Plus"].implies}
    assert list(db.technologies["Shopify Plus"].requires) == ["Shopify"]
    for child, parent in [("Next.js", "React"), ("Nuxt.js", "Vue.js"), ("Gatsby", "React")]:
        assert parent in {i.name for i in db.technologies[child].implies}
    for plugin in _db().members("WordPress plugins"):
        tech = db.technologies[plugin]
        assert "WordPress" in tech.requires or "WordPress" in {i.name for i in tech.implies}, plugin


def test_readme_table_is_current() -> None:
    db = _db()
    counts = Counter(c for t in db.technologies.values() for c in t.categories)
    rows = "\n".join(
        f"| {cid} | {db.categories[cid].name} | {counts[cid]} |" for cid in sorted(counts)
    )
    table = (
        f"<!-- categories:start -->\n{len(db.technologies)} technologies in {len(counts)} categories.\n\n"
        f"| Id | Category | Technologies |\n|---:|---|---:|\n{rows}\n<!-- categories:end -->"
    )
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert table in readme, f"README table is stale; replace it with:\n{table}"
    assert "MIT" in readme and "MIT License" in (DATA / "LICENSE").read_text(encoding="utf-8")


# --- detection from fixtures ----------------------------------------------------------------


def test_one_fixture_per_technology() -> None:
    assert set(FIXTURES) == set(_db().technologies)


@pytest.mark.parametrize("name", sorted(FIXTURES, key=str.lower))
def test_detected_from_its_fixture_and_nothing_unexpected(name: str) -> None:
    fx = FIXTURES[name]
    found = _detect(fx)
    assert name in found, f"{name} not detected from its fixture"
    det = found[name]
    assert det.confidence >= 50
    assert list(det.categories) == fx["categories"]
    allowed = {name} | _implied(name)
    for other in fx["also"]:
        allowed |= {other} | _implied(other)
    assert set(fx["also"]) <= set(found), "a technology the fixture declares was not detected"
    assert set(found) <= allowed, f"unexpected detections: {sorted(set(found) - allowed)}"


def test_plain_page_detects_nothing() -> None:
    html = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="description" content="Acme builds industrial widgets.">
    <title>Acme Widgets</title><link rel="stylesheet" href="/assets/site.css">
    <link rel="icon" href="/favicon.ico"><script src="/assets/app.js" defer></script></head>
    <body><header><nav><a href="/">Home</a> <a href="/about">About</a> <a href="/contact">Contact</a></nav></header>
    <main><h1>Widgets that last</h1><p>Call us on 0123 456 789 or email sales@acme-example.com.</p>
    <img src="/images/hero.jpg" alt="A widget"><form action="/contact" method="post">
    <input name="email" type="email"><button>Send</button></form></main>
    <footer>&copy; 2024 Acme Ltd</footer><script>document.documentElement.className = "js";</script></body></html>"""
    page = Page(
        url="https://www.acme-example.com/",
        html=html,
        headers={
            "content-type": "text/html; charset=utf-8",
            "cache-control": "max-age=600",
            "etag": '"abc"',
        },
        cookies={"session": "abc123"},
        dns={"TXT": ["v=spf1 mx -all"], "MX": ["10 mail.acme-example.com."]},
    )
    assert _detector().detect(page) == []


def _names(fx: dict[str, Any]) -> set[str]:
    return set(_detect(fx))


def test_shopify_is_not_shopify_plus_without_plus_signals() -> None:
    assert "Shopify Plus" not in _names(FIXTURES["Shopify"])
    plus = _detect(FIXTURES["Shopify Plus"])
    assert {"Shopify", "Shopify Plus"} <= set(plus)
    assert plus["Shopify Plus"].confidence == 50  # a heuristic, and it says so


def test_plus_only_signal_off_shopify_detects_nothing() -> None:
    fx = dict(FIXTURES["Shopify Plus"])
    fx["html"] = (
        '<html><body><a href="/account/login/multipass/abc">Sign in</a> Shopify Plus partner</body></html>'
    )
    fx["cookies"] = {}
    assert _names(fx) == set()


def test_zendesk_chat_and_zendesk_do_not_collide() -> None:
    assert "Zendesk" not in _names(FIXTURES["Zendesk Chat"])
    assert "Zendesk Chat" not in _names(FIXTURES["Zendesk"])


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Google Analytics", "Google Ads"),
        ("Google Analytics", "Google Tag Manager"),
        ("Meta Pixel", "Facebook SDK"),
        ("Yotpo", "Yotpo Loyalty"),
        ("Salesforce", "Salesforce Commerce Cloud"),
        ("HubSpot", "HubSpot CMS Hub"),
        ("Adobe Analytics", "Adobe Launch"),
        ("Ensighten", "Bootstrap"),
        ("Weebly", "Wix"),
    ],
)
def test_similar_tools_do_not_collide(a: str, b: str) -> None:
    assert b not in _names(FIXTURES[a])
    assert a not in _names(FIXTURES[b])


def test_versions_are_read_where_the_page_states_them() -> None:
    assert _detect(FIXTURES["WordPress"])["WordPress"].version == "6.5.3"
    assert _detect(FIXTURES["Nginx"])["Nginx"].version == "1.25.3"
    assert _detect(FIXTURES["jQuery"])["jQuery"].version == "3.7.1"
    assert _detect(FIXTURES["Google Analytics"])["Google Analytics"].version == "GA4"


# --- a property: signals only add up --------------------------------------------------------

_EXCLUDERS = {n for n, t in _db().technologies.items() if t.excludes}
_EXCLUDED = {e for t in _db().technologies.values() for e in t.excludes}


def _merge(fxs: list[dict[str, Any]]) -> Page:
    headers: dict[str, list[str]] = {}
    cookies: dict[str, str] = {}
    dns: dict[str, list[str]] = {}
    for fx in fxs:
        for k, v in fx["headers"].items():
            headers.setdefault(k.lower(), []).append(v)
        cookies.update(fx["cookies"])
        for k, v in fx.get("dns", {}).items():
            dns.setdefault(k, []).extend(v)
    return Page(
        url=fxs[0]["url"],
        html="\n".join(fx["html"] for fx in fxs),
        headers=headers,
        cookies=cookies,
        dns=dns,
    )


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.sampled_from(sorted(set(FIXTURES) - _EXCLUDERS - _EXCLUDED)),
        min_size=2,
        max_size=4,
        unique=True,
    )
)
def test_a_page_with_several_tools_detects_each_of_them(names: list[str]) -> None:
    merged = {d.name for d in _detector().detect(_merge([FIXTURES[n] for n in names]))}
    for n in names:
        assert _names(FIXTURES[n]) <= merged, n


def test_fast_and_naive_engines_agree_on_every_fixture() -> None:
    naive = Detector(_db(), engine="naive")
    for name, fx in FIXTURES.items():
        fast = [(d.name, d.confidence, d.version) for d in _detector().detect(_page(fx))]
        slow = [(d.name, d.confidence, d.version) for d in naive.detect(_page(fx))]
        assert fast == slow, name


@pytest.mark.parametrize("native", [False, True])
def test_share_buttons_and_checkout_hosts_are_no_chat_or_shop(native: bool) -> None:
    """On the 181 real pages, news sites' WhatsApp share buttons read as a live-chat tool (10
    pages) and links to a subscription host named checkout.… as a shopping cart (8 pages)."""
    from icpkit.technographics.detector import Detector
    from icpkit.technographics.page import Page

    detector = Detector(native=native)
    cases = {
        '<a href="https://wa.me/?text=Read%20this">share</a>': set(),
        '<a href="https://web.whatsapp.com/send?text=hi">share</a>': set(),
        '<a href="https://wa.me/15551234567">chat</a>': {"WhatsApp Chat"},
        '<a href="https://api.whatsapp.com/send?text=hi&amp;phone=15551234567">chat</a>': {
            "WhatsApp Chat"
        },
        '<a href="https://checkout.news.example/subscribe">subscribe</a>': set(),
        '<a href="https://shop.example/cart">cart</a>': {"Shopping cart"},
        '<a href="/checkout?step=1">checkout</a>': {"Shopping cart"},
    }
    for html, want in cases.items():
        page = Page("https://n.example/", f"<html><body><p>{html}</p></body></html>")
        found = {d.name for d in detector.detect(page)} & {"WhatsApp Chat", "Shopping cart"}
        assert found == want, html
