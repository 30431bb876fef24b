"""The fast matcher (literal prefilter, optional Hyperscan) returns exactly the naive matcher's hits.

Checked over generated pages on a tricky mini database and on the real 4,000-technology
database in ``../shared`` (read in place, never copied: it is GPL data).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.helpers import shared_dir

from icpkit.technographics import Detector, FingerprintDB, Page, load_fingerprints
from icpkit.technographics.hits import hyperscan_available
from icpkit.technographics.matcher import Matcher

sys.path.insert(0, str(Path(__file__).parent))
from engines import hit_key, write_db

SHARED = shared_dir()
REAL_DB = SHARED / "fingerprints" / "httparchive-wappalyzer"

MINI = {
    "Lookaround": {
        "cats": [1],
        "scriptSrc": "/jquery(?!\\.popup)[/.-]\\;version:\\1?x:y",
        "html": "foo(?=bar)",
    },
    "Alternation": {"cats": [1], "html": "(?:wp-content|wp-includes)/(\\w+)\\;version:\\1"},
    "NoLiteral": {"cats": [1], "html": "\\d{2}[a-z]", "url": "^https?://[^/]+/?$"},
    "Unicode": {"cats": [1], "text": "caf\u00e9\\s\\w+", "html": "Kelvin"},
    "Sigma": {"cats": [1], "html": "ss+ion", "meta": {"generator": "is\\b"}},
    "Headers": {"cats": [1], "headers": {"server": ["nginx(?:/([\\d.]+))?\\;version:\\1", ""]}},
    "Cookies": {"cats": [1], "cookies": {"sid": "^[a-f0-9]{4}$", "seen": ""}},
    "Anchored": {"cats": [1], "scriptSrc": "\\.php(?:\\?|$)", "scripts": "^var\\s+x"},
    "Dom": {
        "cats": [1],
        "dom": {
            "a[href*='jquery']": {"attributes": {"href": "jquery-(\\d)\\;version:\\1"}},
            "#main-app, .widget-x": {"exists": ""},
            "p:not(.nope)": {"text": "foo"},
        },
    },
    "Js": {"cats": [1], "js": {"Foo.bar": "^(\\d)\\;version:\\1", "zz": ""}},
}
CATS = {"1": {"name": "CMS", "groups": [], "priority": 1}}

WORDS = [
    "foo", "bar", "foobar", "jquery", "jquery.popup", "/jquery-3.js", "wp-content/", "wp-includes/",
    "caf\u00e9 au", "\u212aelvin", "kelvin", "\u017fsion", "SSION", "is", "IS ", "\u0130s", "nginx/1.2",
    "12a", "99Z", ".php", ".php?", "var x=1", "Foo.bar = \"7\"", "zz = 2", "window.Foo.bar=3",
    "main-app", "widget-x", "<", ">", "\n", " ", "&amp;", "\u00e9", "x" * 30,
    "var zz", "zz.y=1", "xzz=4", "let\u00a0zz;", "zz\u3000= 'q'", "zzz = 5", "Foo.barn=1",
]  # fmt: skip


def mini_db(tmp_path_factory: pytest.TempPathFactory) -> FingerprintDB:
    return write_db(tmp_path_factory.mktemp("mini"), MINI, CATS)


key = hit_key


texts = st.lists(st.sampled_from(WORDS), max_size=12).map("".join)


@st.composite
def mini_pages(draw: st.DrawFn) -> Page:
    body = draw(texts)
    srcs = draw(st.lists(texts, max_size=3))
    html = (
        f"<html><head><meta name='generator' content='{draw(texts)}'></head><body>"
        f"<p class='{draw(texts)}'>{body}</p><div id='{draw(texts)}'></div>"
        + "".join(f"<script src='{s}'></script>" for s in srcs if "'" not in s)
        + f"<a href='{draw(texts)}'>{draw(texts)}</a><script>{draw(texts)}</script></body></html>"
    )
    return Page(
        url=draw(
            st.sampled_from(["https://a.example", "https://a.example/", "http://b.example/x.php"])
        ),
        html=html,
        headers={"Server": draw(texts)},
        cookies=draw(st.dictionaries(st.sampled_from(["sid", "seen", "other"]), texts, max_size=3)),
        scripts=tuple(draw(st.lists(texts, max_size=2))),
        script_src=draw(st.none() | st.lists(texts, max_size=3).map(tuple)),
    )


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Matcher]:
    db = mini_db(tmp_path_factory)
    out = {"naive": Matcher(db, engine="naive"), "fast": Matcher(db, engine="fast", native=False)}
    if hyperscan_available():
        out["native"] = Matcher(db, engine="fast", native=True)
    return out


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(p=mini_pages())
def test_fast_equals_naive_on_mini_db(mini: dict[str, Matcher], p: Page) -> None:
    expected = key(mini["naive"].hits(p))
    for name in ("fast", "native"):
        if name in mini:
            assert key(mini[name].hits(p)) == expected, name


def test_prefilter_really_skips_patterns(mini: dict[str, Matcher]) -> None:
    """Sanity: the fast engine has literal-indexed patterns and a short always-run list."""
    bucket = mini["fast"]._list_buckets["html"]
    assert bucket.automaton is not None
    always = {bucket.entries[i].pattern.source for i in bucket.always}
    assert always == {"\\d{2}[a-z]"}


# --- the real database ---------------------------------------------------------------------

needs_real = pytest.mark.skipif(
    not REAL_DB.is_dir(),
    reason=f"shared fingerprint data not found at {REAL_DB} (set ICPKIT_SHARED)",
)


@pytest.fixture(scope="module")
def real() -> dict[str, object]:
    db = load_fingerprints(REAL_DB)
    lits: list[str] = []
    header_keys: list[str] = []
    cookie_keys: list[str] = []
    meta_keys: list[str] = []
    for tech in db.technologies.values():
        for pats in (tech.html, tech.script_src, tech.scripts, tech.text):
            lits += [p.source.replace("\\", "") for p in pats[:1]]
        header_keys += list(tech.headers)
        cookie_keys += list(tech.cookies)
        meta_keys += list(tech.meta)
        lits += list(tech.js)[:1]
        lits += [r.selector for r in tech.dom[:1]]
    out: dict[str, object] = {
        "db": db,
        "lits": sorted(set(lits))[:3000],
        "headers": sorted(set(header_keys)),
        "cookies": sorted(set(cookie_keys)),
        "meta": sorted(set(meta_keys)),
        "naive": Matcher(db, engine="naive"),
        "fast": Matcher(db, engine="fast", native=False),
    }
    if hyperscan_available():
        out["native"] = Matcher(db, engine="fast", native=True)
    return out


@st.composite
def real_pages(draw: st.DrawFn, real: dict) -> Page:
    lit = st.sampled_from(real["lits"])
    frag = st.lists(lit | st.sampled_from(WORDS), max_size=8).map(" ".join)
    srcs = draw(st.lists(frag, max_size=4))
    html = (
        "<html><head>"
        + "".join(
            f'<meta name="{draw(st.sampled_from(real["meta"]))}" content="{draw(frag)}">'
            for _ in range(2)
        )
        + "".join(f'<script src="https://cdn.example/{s}"></script>' for s in srcs)
        + f'</head><body><div class="{draw(frag)}">{draw(frag)}</div><script>{draw(frag)}</script>{draw(frag)}</body></html>'
    )
    headers = {draw(st.sampled_from(real["headers"])): draw(frag) for _ in range(3)}
    cookies = {draw(st.sampled_from(real["cookies"])): draw(frag) for _ in range(2)}
    return Page(
        url="https://www.example.com/" + draw(frag),
        html=html,
        headers=headers,
        cookies=cookies,
        scripts=(draw(frag),),
    )


@needs_real
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fast_equals_naive_on_real_db(real: dict, data: st.DataObject) -> None:
    p = data.draw(real_pages(real))
    expected = key(real["naive"].hits(p))  # type: ignore[attr-defined]
    for name in ("fast", "native"):
        if name in real:
            assert key(real[name].hits(p)) == expected, name  # type: ignore[attr-defined]


@needs_real
def test_real_db_detects_a_typical_stack_identically(real: dict) -> None:
    html = (
        '<html><head><meta name="generator" content="WordPress 6.4.2">'
        '<script src="/wp-includes/js/jquery/jquery.min.js?ver=3.7.1"></script>'
        '<script src="https://www.googletagmanager.com/gtm.js?id=GTM-X"></script></head>'
        "<body><script>window.dataLayer = window.dataLayer || [];</script></body></html>"
    )
    p = Page(url="https://example.com/", html=html, headers={"Server": "nginx/1.25.3"})
    db = real["db"]
    results = {
        engine: [
            (d.name, d.confidence, d.version)
            for d in Detector(db, engine=engine, native=False).detect(p)
        ]  # type: ignore[arg-type]
        for engine in ("naive", "fast")
    }
    assert results["fast"] == results["naive"]
    names = {n for n, _, _ in results["fast"]}
    assert {"WordPress", "Nginx", "Google Tag Manager", "PHP", "MySQL"} <= names
    assert ("WordPress", 100, "6.4.2") in results["fast"]


@needs_real
def test_pathological_input_stays_fast(real: dict) -> None:
    """400 KB of one letter through every pattern of the fast engine: the ReDoS budget."""
    p = Page(
        url="https://x.example/",
        html="<html><body>" + "a" * 400_000 + "</body></html>",
        scripts=("a" * 400_000,),
    )
    start = time.process_time()  # CPU time: a busy machine does not count, backtracking does
    real["fast"].hits(p)  # type: ignore[attr-defined]
    assert time.process_time() - start < 30.0


REAL_PAGES = shared_dir() / "data" / "real-pages-aeb"


@needs_real
@pytest.mark.skipif(not REAL_PAGES.is_dir(), reason="../shared/data/real-pages-aeb missing")
def test_fast_equals_naive_on_real_saved_pages(real: dict) -> None:
    """Real pages carry what generated ones lack (``&&`` in scripts, entity soup, huge inline
    scripts, JSON blobs): every fifth of the 181 saved pages, hits identical on all engines."""
    import gzip

    paths = sorted((REAL_PAGES / "html").glob("*.html.gz"))[::5]
    assert len(paths) >= 30
    for path in paths:
        html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        p = Page(url="https://www.example.com/article", html=html)
        expected = key(real["naive"].hits(p))  # type: ignore[attr-defined]
        for name in ("fast", "native"):
            if name in real:
                fresh = Page(url=p.url, html=html)
                assert key(real[name].hits(fresh)) == expected, (name, path.name)  # type: ignore[attr-defined]


# --- compiled Hyperscan databases cached per user -------------------------------------------

CACHE_PAGES = [
    "<html><body><a href='/jquery-3.js'>foobar</a><p>caf\u00e9 au lait</p></body></html>",
    "<html><body><div id='main-app'>wp-content/themes/ 12a ssion</div></body></html>",
    "<html><body><script>window.Foo.bar=3</script><p>\u212aelvin</p></body></html>",
]


@pytest.mark.skipif(not hyperscan_available(), reason="needs hyperscan")
def test_hyperscan_databases_load_from_the_user_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second matcher of the same DB loads every database (compiling none) and finds the
    same hits; a damaged entry is compiled over; a changed DB misses; ``0`` turns it off."""
    import hyperscan

    from icpkit.technographics import hits as hits_mod

    cache = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.delenv(hits_mod.HS_CACHE_ENV, raising=False)
    db = mini_db(tmp_path_factory)
    naive = Matcher(db, engine="naive")

    def same(m: Matcher) -> None:
        for html in CACHE_PAGES:
            page = Page(url="https://a.example/", html=html)
            assert key(m.hits(page)) == key(naive.hits(Page(url="https://a.example/", html=html)))

    same(Matcher(db, native=True))
    entries = sorted((cache / "icpkit" / "hyperscan").glob("*.hsdb"))
    assert entries and all(e.stat().st_size > 0 for e in entries)

    compiled: list[int] = []
    real_database = hyperscan.Database

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        compiled.append(1)
        return real_database(*args, **kwargs)

    monkeypatch.setattr(hyperscan, "Database", counting)
    same(Matcher(db, native=True))
    assert compiled == []  # every database came from the cache

    entries[0].write_bytes(b"not a database")
    same(Matcher(db, native=True))
    assert len(compiled) == 1 and entries[0].stat().st_size > 100  # compiled and rewritten

    changed = dict(MINI, Extra={"cats": [1], "html": "qqzzy(\\d)"})
    root = tmp_path_factory.mktemp("changed")
    (root / "technologies").mkdir()
    (root / "technologies" / "a.json").write_text(json.dumps(changed), encoding="utf-8")
    (root / "categories.json").write_text(json.dumps(CATS), encoding="utf-8")
    compiled.clear()
    Matcher(load_fingerprints(root), native=True)
    assert compiled  # the html databases differ: compiled, not loaded stale

    off = tmp_path_factory.mktemp("off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(off))
    monkeypatch.setenv(hits_mod.HS_CACHE_ENV, "0")
    same(Matcher(db, native=True))
    assert not (off / "icpkit").exists()
