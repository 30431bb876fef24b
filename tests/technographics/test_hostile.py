"""Hostile websites and hostile fingerprint sources: bombs, rebinding, archives, ReDoS shapes.

Every attack is served by a real local HTTP server on 127.0.0.1 (``sites.SiteServer``).
"""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import re
import socket
import sys
import tarfile
import tracemalloc
import zipfile
from pathlib import Path

import brotli
import httpcore
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from icpkit.errors import FingerprintError
from icpkit.technographics.bounded import BoundedDecoder, DecodeRefused, PageTimeout, cpu_deadline
from icpkit.technographics.fetch import FetchConfig, FetchResult, fetch_many
from icpkit.technographics.fingerprints import load_fingerprints
from icpkit.technographics.netguard import Resolver
from icpkit.technographics.patterns import translate, unsafe_reason
from icpkit.technographics.update import update_fingerprints

sys.path.insert(0, str(Path(__file__).parent))
from sites import Reply, Request, SiteServer

MiB = 1024 * 1024
BROTLI_BOMB = brotli.compress(b"\0" * (64 * MiB), quality=11)  # ~300 bytes on the wire
GZIP_TWICE = gzip.compress(gzip.compress(b"\0" * (64 * MiB)))
PAGE = b"<html><head><title>ok</title></head><body>hello</body></html>"


def _fetch(handler, **cfg: object) -> tuple[FetchResult, int]:  # type: ignore[no-untyped-def]
    """One fetch of the server's home page; returns the result and the peak traced memory."""
    config = FetchConfig(**{"timeout": 5.0, "retries": 0, "allow_private": True, **cfg})  # type: ignore[arg-type]
    with SiteServer(handler) as srv:

        async def go() -> list[FetchResult]:
            resolver = Resolver(allow_private=True)
            return [r async for r in fetch_many([srv.url()], config, resolver=resolver)]

        tracemalloc.start()
        try:
            (result,) = asyncio.run(go())
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    return result, peak


# --- 1. decompression bombs ---------------------------------------------------------------


def test_brotli_bomb_page_is_cut_at_the_cap_without_inflating() -> None:
    assert len(BROTLI_BOMB) < 2048

    def handle(req: Request) -> Reply:
        if req.path == "/robots.txt":
            return Reply(status=404)
        return Reply(body=BROTLI_BOMB, headers=[("Content-Encoding", "br")])

    result, peak = _fetch(handle, max_bytes=1 * MiB)
    assert result.truncated and result.error is None
    assert len(result.page.html) == 1 * MiB
    # the whole 64 MiB would be one decoded chunk before the fix
    assert peak < 16 * MiB


def test_brotli_bomb_robots_txt_is_cut_too() -> None:
    def handle(req: Request) -> Reply:
        if req.path == "/robots.txt":
            return Reply(body=BROTLI_BOMB, headers=[("Content-Encoding", "br")])
        return Reply(body=PAGE)

    result, peak = _fetch(handle)
    assert result.ok and "hello" in result.page.html
    assert len(result.page.robots) <= 512 * 1024
    assert peak < 16 * MiB


def test_stacked_encodings_are_refused() -> None:
    def handle(req: Request) -> Reply:
        if req.path == "/robots.txt":
            return Reply(status=404)
        return Reply(body=GZIP_TWICE, headers=[("Content-Encoding", "gzip, gzip")])

    result, peak = _fetch(handle)
    assert result.error_kind == "protocol" and "stacked" in (result.error or "")
    assert peak < 16 * MiB


def test_ordinary_gzip_and_deflate_still_decode() -> None:
    import zlib

    def handle(req: Request) -> Reply:
        if req.path == "/robots.txt":
            return Reply(status=404)
        raw = zlib.compressobj(wbits=-15)
        body = raw.compress(PAGE) + raw.flush()  # raw deflate, as many servers send it
        return Reply(body=body, headers=[("Content-Encoding", "deflate")])

    result, _peak = _fetch(handle)
    assert result.ok and result.page.html == PAGE.decode()


@pytest.mark.parametrize("coding", ["gzip", "br", "deflate", "identity"])
@pytest.mark.parametrize("size", [0, 1, 1000, 70_000])
@pytest.mark.parametrize("limit", [1, 999, 65_536, 10**6])
def test_bounded_decoder_output_is_the_prefix_of_the_body(
    coding: str, size: int, limit: int
) -> None:
    import random
    import zlib

    body = random.Random(size).randbytes(size // 2) + b"a" * (size - size // 2)
    enc = {
        "gzip": gzip.compress,
        "br": brotli.compress,
        "deflate": zlib.compress,
        "identity": bytes,
    }[coding](body)
    decoder = BoundedDecoder(coding, limit)
    out = b"".join(decoder.feed(enc[i : i + 777]) for i in range(0, len(enc), 777))
    assert out == body[:limit]
    assert decoder.full == (size >= limit)


def test_bounded_decoder_refuses_unknown_and_corrupt() -> None:
    with pytest.raises(DecodeRefused):
        BoundedDecoder("zstd", 100)
    with pytest.raises(DecodeRefused):
        BoundedDecoder("gzip", 100).feed(b"\x1f\x8b" + b"garbage" * 10)


def test_update_download_bomb_is_refused(tmp_path: Path) -> None:
    def handle(req: Request) -> Reply:
        return Reply(body=BROTLI_BOMB, headers=[("Content-Encoding", "br")])

    import icpkit.technographics.update as update

    old = update.MAX_DOWNLOAD
    update.MAX_DOWNLOAD = 4 * MiB
    tracemalloc.start()
    try:
        with SiteServer(handle) as srv, pytest.raises(FingerprintError, match="larger than"):
            update_fingerprints(srv.url(path="/t.json"), dest=tmp_path / "b", allow_private=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        update.MAX_DOWNLOAD = old
    assert peak < 24 * MiB


# --- 3. DNS rebinding in fingerprints update ------------------------------------------------


def test_update_download_uses_the_vetted_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """First DNS answer public, second 127.0.0.1: the download must not reach the second."""
    answers = ["93.184.216.34", "127.0.0.1", "127.0.0.1", "127.0.0.1"]
    lookups: list[str] = []

    def fake_getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host != "rebind.example":
            return real_getaddrinfo(host, port, *args, **kwargs)
        address = answers[min(len(lookups), len(answers) - 1)]
        lookups.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    connected: list[str] = []
    real_connect = httpcore.SyncBackend.connect_tcp

    def recording_connect(self, host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        connected.append(host)
        if host == "93.184.216.34":  # no real network in tests: the public host is "down"
            raise httpcore.ConnectError("unreachable (test)")
        return real_connect(self, host, port, *args, **kwargs)

    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", recording_connect)

    def internal(req: Request) -> Reply:
        return Reply(body=b'{"technologies": {}}')

    with SiteServer(internal) as srv:
        with pytest.raises(FingerprintError):
            update_fingerprints(f"http://rebind.example:{srv.port}/t.json", dest=tmp_path / "r")
        assert sum(srv.hits.values()) == 0  # the internal server was never reached
    assert lookups == ["93.184.216.34"]  # resolved once; the check's answer is the one used
    assert connected == ["93.184.216.34"]


# --- 5. archives ------------------------------------------------------------------------------


def _tar(members: list[tuple[str, bytes]], *, lie: int = 0) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    if lie:  # rewrite the first header's size field to claim more than the archive holds
        plain = bytearray(gzip.decompress(raw))
        plain[124:136] = f"{lie:011o}\0".encode()
        chk = sum(plain[:148]) + 8 * 32 + sum(plain[156:512])
        plain[148:156] = f"{chk:06o}\0 ".encode()
        raw = gzip.compress(bytes(plain))
    return raw


def _zip(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buf.getvalue()


def _zip_lying_size() -> bytes:
    raw = bytearray(_zip([("db/technologies.json", b'{"technologies": {}}' * 50)]))
    cd = raw.rfind(b"PK\x01\x02")
    raw[cd + 24 : cd + 28] = (10).to_bytes(4, "little")  # uncompressed size: 10 (a lie)
    return bytes(raw)


GOOD_TECHS = json.dumps({"Foo": {"cats": [1], "html": "foo-marker"}}).encode()
GOOD_CATS = json.dumps({"1": {"name": "CMS", "priority": 1}}).encode()

ARCHIVES = {
    "corrupt zip": b"PK\x03\x04" + b"\0" * 200,
    "corrupt tar": gzip.compress(b"not a tar header" * 64),
    "truncated gzip": _tar([("db/technologies/f.json", GOOD_TECHS * 100)])[:-400],
    "brackets": b"[" * 200_000,
    "nested objects": b'{"technologies": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_001,
    "name clash": _tar(
        [
            ("db/technologies/a.json", GOOD_TECHS),
            ("db/technologies/a.json/technologies/b.json", GOOD_TECHS),
            ("db/categories.json", GOOD_CATS),
        ]
    ),
    "lying tar size": _tar([("db/technologies.json", GOOD_TECHS)], lie=10_000_000),
    "lying zip size": _zip_lying_size(),
    "wrong types": json.dumps(
        {"technologies": {"X": {"cats": [1]}}, "categories": {"1": {"priority": {"a": 1}}}}
    ).encode(),
}


@pytest.mark.parametrize("case", sorted(ARCHIVES))
def test_bad_archives_are_one_line_fingerprint_errors(case: str, tmp_path: Path) -> None:
    payload = ARCHIVES[case]

    def handle(req: Request) -> Reply:
        return Reply(body=payload, content_type="application/octet-stream")

    with SiteServer(handle) as srv, pytest.raises(FingerprintError) as info:
        update_fingerprints(srv.url(path="/db"), dest=tmp_path / "db", allow_private=True)
    assert "\n" not in str(info.value) and str(info.value)
    assert not (tmp_path / "db" / "current").exists()


def test_member_count_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import icpkit.technographics.update as update

    monkeypatch.setattr(update, "MAX_MEMBERS", 500)
    many = _tar([(f"junk/{i}.txt", b"") for i in range(2_000)])

    def handle(req: Request) -> Reply:
        return Reply(body=many, content_type="application/octet-stream")

    with SiteServer(handle) as srv, pytest.raises(FingerprintError, match="more than 500"):
        update_fingerprints(srv.url(path="/db"), dest=tmp_path / "db", allow_private=True)


def test_only_the_data_files_are_extracted(tmp_path: Path) -> None:
    payload = _tar(
        [
            ("repo/src/technologies/f.json", GOOD_TECHS),
            ("repo/src/categories.json", GOOD_CATS),
            ("repo/src/images/icons/Foo.svg", b"<svg/>"),
            ("repo/scripts/run.sh", b"echo hi"),
            ("repo/README.md", b"# hi"),
        ]
    )

    def handle(req: Request) -> Reply:
        return Reply(body=payload, content_type="application/octet-stream")

    with SiteServer(handle) as srv:
        current = update_fingerprints(srv.url(path="/db"), dest=tmp_path / "db", allow_private=True)
    assert "Foo" in load_fingerprints(current).technologies
    written = sorted(p.name for p in (tmp_path / "db").rglob("*") if p.is_file())
    assert written == ["SOURCE", "categories.json", "f.json"]


# --- 4. regexes from a fingerprint database ----------------------------------------------------

MALICIOUS = [
    r"(a|aa)+$",
    r"(a{1,250}){1,250}$",
    r"(a+)\1+$",
    r"(\d+\.?)+x",
    r"(a+)+$",
    r"([a-z]+[a-z]+)+!",
]
SAFE_SHAPES = [
    r"(\d+(?:\.\d+)+)",
    r"jquery[.-]([\d.]+)\.js",
    r"(?:[a-z0-9-]+\.)+example\.com",
    r"<[^>]+/binaries/(?:[^/]+/)*content/gallery/",
    r"wp-content/themes/([^/]+)/",
    r"(?:js|css)/app\.([a-f0-9]+)\.",
]


@pytest.mark.parametrize("pattern", MALICIOUS)
def test_malicious_shapes_are_refused(pattern: str) -> None:
    assert unsafe_reason(translate(pattern)[0]) is not None


@pytest.mark.parametrize("pattern", SAFE_SHAPES)
def test_common_safe_shapes_are_kept(pattern: str) -> None:
    assert unsafe_reason(translate(pattern)[0]) is None


def test_update_refuses_malicious_patterns_and_keeps_the_rest(tmp_path: Path) -> None:
    techs = {f"Evil{i}": {"cats": [1], "html": p} for i, p in enumerate(MALICIOUS)}
    techs["Good"] = {"cats": [1], "html": "good-marker"}
    payload = json.dumps({"technologies": techs, "categories": {"1": {"name": "CMS"}}}).encode()

    def handle(req: Request) -> Reply:
        return Reply(body=payload, content_type="application/json")

    with SiteServer(handle) as srv:
        current = update_fingerprints(
            srv.url(path="/t.json"), dest=tmp_path / "e", allow_private=True
        )
    db = load_fingerprints(current)
    refused = {i.technology for i in db.issues if i.severity == "error" and "refused" in i.message}
    assert refused == {f"Evil{i}" for i in range(len(MALICIOUS))}
    assert [p.source for p in db.technologies["Good"].html] == ["good-marker"]
    assert all(not db.technologies[f"Evil{i}"].html for i in range(len(MALICIOUS)))


def test_cpu_deadline_interrupts_backtracking() -> None:
    import re

    hopeless = re.compile(r"(a|aa)+\Z")
    with pytest.raises(PageTimeout), cpu_deadline(0.2):
        hopeless.search("a" * 60 + "!")
    with cpu_deadline(5.0):  # a block that finishes leaves no timer behind
        assert hopeless.search("aaaa")


# --- 2. parser blow-up ------------------------------------------------------------------------


def test_parse_input_cuts_deep_nesting_and_long_tags_only() -> None:
    from selectolax.lexbor import LexborHTMLParser

    from icpkit.technographics.page import MAX_OPEN_TAGS, MAX_TAG_ATTRIBUTES, parse_input

    ordinary = "<html><body>" + "<div><p>x</p><img src=a><br></div>" * 5_000 + "</body></html>"
    assert parse_input(ordinary) is ordinary
    deep = "<div>" * 64_000
    cut = parse_input(deep)
    assert cut.count("<div>") == MAX_OPEN_TAGS
    wide = "<div " + " ".join(f"a{i}=v" for i in range(100_000)) + ">tail</div>"
    cut = parse_input(wide)
    assert cut.endswith(f" a{MAX_TAG_ATTRIBUTES - 1}=v>tail</div>") and len(cut) < 1_000
    assert len(LexborHTMLParser(cut).css_first("div").attributes) == MAX_TAG_ATTRIBUTES


def test_parse_input_counts_closing_tags_wherever_they_are() -> None:
    """The depth walk is skipped when enough ``</`` exist, found in a prefix or at the end."""
    from icpkit.technographics.page import MAX_OPEN_TAGS, _closes_at_least, parse_input

    late = "<div>" * 3_000 + "x" * 50_000 + "</div>" * 1_500  # 4,500 '<', 1,500 '</' at the end
    assert parse_input(late) is late
    early = "</div>" * 1_500 + "<div>" * 3_000
    assert parse_input(early) is early
    deep = "<div>" * 3_000 + "</div>" * 400  # 3,400 '<' - 2 x 400 > MAX_OPEN_TAGS
    assert parse_input(deep).count("<div>") == MAX_OPEN_TAGS
    for text in ("", "</", "x</", "a</b</", "</" * 9 + "x" * 40, "x" * 40 + "</" * 9, "<" * 7):
        for need in range(12):
            assert _closes_at_least(text, need) == (text.count("</") >= need), (text, need)
    for cut in range(2, 12):  # one '</' across each quarter's cut is counted once
        text = "x" * (cut - 1) + "</" + "y" * (4 * cut - cut - 1)
        assert _closes_at_least(text, 1) and not _closes_at_least(text, 2), text


def test_parse_input_caps_attributes_per_tag_outside_scripts_only() -> None:
    """lexbor's attribute check is quadratic per tag: tags of many distinct attributes reach
    the parser with MAX_TAG_ATTRIBUTES at most; script text that looks like a tag, and
    ordinary long tags (one long quoted value), reach it unchanged."""
    from selectolax.lexbor import LexborHTMLParser

    from icpkit.technographics.page import MAX_TAG_ATTRIBUTES, parse_input

    tag = "<div " + " ".join(f"c{i}" for i in range(1_000))[:4_080] + ">"
    cut = parse_input("<html><body>" + tag * 50 + "<p id=end>x</p></body></html>")
    divs = LexborHTMLParser(cut).css("div")
    assert len(divs) == 50 and all(len(d.attributes) == MAX_TAG_ATTRIBUTES for d in divs)
    assert LexborHTMLParser(cut).css_first("#end") is not None
    script = "<script>if (a <b " + " ".join(f"c{i}" for i in range(300)) + ") {}</script>"
    long_value = '<meta name="description" content="' + "word " * 600 + '">'
    for html in (script, long_value):
        assert parse_input(html) is html


def test_script_text_that_looks_like_a_long_tag_reaches_the_parser_whole() -> None:
    """Minified JavaScript such as ``for(;i<e.length;…`` reads like a tag name followed by
    kilobytes of "attributes": script text is never cut, so DOM and inline-script extraction
    see the whole script (real pages lost the end of a script, and a fingerprint with it)."""
    from icpkit.technographics import Page
    from icpkit.technographics.page import MAX_TAG_ATTRIBUTES, parse_input

    body = "function f(e){for(var i=0;i<e.length;i++){" + "x=x+e[i]*2;" * 900 + "}}"
    body += ';window.Shopify={theme:"dawn"};'
    assert len(body) > 8_192 and "<e.length" in body
    html = f"<html><head><script>{body}</script><style>a<b {'c ' * 3000}</style></head></html>"
    assert parse_input(html) is html
    page = Page(url="https://shop.example/", html=html)
    assert page.inline_scripts == (body,)
    # still cut where the parser reads tags (between attributes: no quote is left open), and
    # a long quoted value is no reason to cut
    meta = '<meta name="description" content="' + "word " * 3_000 + '">'
    wide = '<meta name="x" ' + " ".join(f'c{i}="v>{i}"' for i in range(3_000)) + ">"
    html = f"<html><head>{meta}{wide}<script>{body}</script></head></html>"
    cut = parse_input(html)
    assert len(cut) < len(html) - 10_000 and meta in cut
    assert Page(url="https://shop.example/", html=html).inline_scripts == (body,)
    desc, cut_meta = LexborHTMLParser(cut).css("meta")
    assert desc.attributes["content"] == "word " * 3_000
    assert len(cut_meta.attributes) == MAX_TAG_ATTRIBUTES
    assert cut_meta.attributes[f"c{MAX_TAG_ATTRIBUTES - 2}"] == f"v>{MAX_TAG_ATTRIBUTES - 2}"


@pytest.mark.parametrize(
    "opener",
    [
        "<!-- <script> -->",  # a comment opens nothing
        "<textarea><script></textarea>",  # text of another raw-text element
        '<div title="<script>">',  # an attribute value
        "<svg><script>",  # foreign content: script is an ordinary element there
        "<math><style>",
        "<frameset><script>",  # the tree builder ignores scripts in a frameset
        "<script-x>",  # another element's name
        # script text as the tree builder sees it, which a scan ignoring it would misplace
        "<math><b><script></math><style></script>",  # <b> leaves math content
        "<div><svg></div><script></svg><style></script>",  # </div> closes the svg
        "<svg><foreignObject><script></svg><style></script>",  # HTML inside svg
    ],
)
def test_text_that_only_looks_like_script_text_is_still_bounded(opener: str) -> None:
    """Long tags are cut wherever the tokenizer reads tags, whatever opens before them."""
    from icpkit.technographics.page import MAX_TAG_ATTRIBUTES, parse_input

    tag = "<div " + " ".join(f"c{i}" for i in range(20_000)) + ">"
    html = f"<html><body>{opener}{tag * 5}<p id=end>x</p></body></html>"
    cut = parse_input(html)
    assert len(cut) < len(html) // 10
    # each tag reaches the parser with its first MAX_TAG_ATTRIBUTES attributes only
    last = f" c{MAX_TAG_ATTRIBUTES - 1}"
    assert cut.count(f"{last}>") == 5 and f" c{MAX_TAG_ATTRIBUTES} " not in cut
    divs = [d for d in LexborHTMLParser(cut).css("div") if "c0" in d.attributes]
    assert all(len(d.attributes) == MAX_TAG_ATTRIBUTES for d in divs)


@pytest.mark.parametrize("before", ['a=">"', "a='<b>'", 'x="1" y="a>b"'])
def test_long_tags_holding_a_quoted_angle_bracket_are_cut(before: str) -> None:
    """A quoted ``>`` does not end a tag for the tokenizer: the attributes after it are
    still counted (uncut, 100k of them cost the parser seconds it cannot be interrupted in)."""
    from icpkit.technographics.page import MAX_TAG_ATTRIBUTES, parse_input

    tag = f"<div {before} " + " ".join(f"c{i}" for i in range(20_000)) + ">x</div>"
    cut = parse_input(f"<html><body>{tag}<p id=end>e</p></body></html>")
    tree = LexborHTMLParser(cut)
    div = tree.css_first("div")
    assert div is not None and len(div.attributes) == MAX_TAG_ATTRIBUTES
    assert tree.css_first("#end") is not None and len(cut) < 1_000
    ordinary = '<html><body><a title="1 > 0" href="/x">' + "y" * 500 + "</a></body></html>"
    assert parse_input(ordinary) is ordinary


def test_raw_text_spans_follow_the_tokenizer() -> None:
    from icpkit.technographics.page import raw_text_spans

    def texts(html: str) -> list[str]:
        return [html[a:b] for a, b in raw_text_spans(html)]

    assert texts("<script>a</style>b</script>") == ["a</style>b"]
    assert texts("<SCRIPT type='a>b'>x<y</Script >z") == ["x<y"]
    assert texts("<script><!--<script>a</script>b--></script>") == ["<!--<script>a</script>b-->"]
    assert texts("<script><!--a</script>b") == ["<!--a"]
    assert texts("<style>a<script>b</style><script>c") == ["a<script>b", "c"]
    assert texts("<!--><script>a</script><!-- <style> -->") == ["a"]
    assert texts("<svg><style>a</style></svg><style>b</style>") == ["b"]
    assert texts("<svg/><style>b</style>") == ["b"]
    assert texts("<title><script></title><script>x</script>") == ["x"]
    assert texts("<svg><title>Menu</title><path d=x /></svg><script>x</script>") == ["x"]
    assert texts("<svg><g><b><style>y</style>") == ["y"]  # <b> leaves svg content


@given(
    st.lists(
        st.sampled_from(
            [
                "<script>",
                "</script>",
                "<style>",
                "</style>",
                "<!--",
                "-->",
                '<div title="',
                '">',
                "<textarea>",
                "</textarea>",
                "x",
                "<b>",
                "'",
                '"',
                "<script type=a>",
                "</SCRIPT >",
                "<svg>",
                "</svg>",
                "<p>",
                "<title>",
                "</title>",
                "<script/>",
                "<scripts>",
                "=",
                " ",
                "<",
                ">",
                "--!>",
                "<!-->",
                "<![CDATA[",
                "]]>",
                "<math>",
                "</math>",
                "<x a='<script>'>",
                "<Style media=x>",
            ]
        ),
        max_size=30,
    )
)
@settings(max_examples=400, deadline=None)
def test_raw_text_spans_are_the_parsers_script_and_style_texts(parts: list[str]) -> None:
    """Every reported span is a script or style text of the real parser (in order; the safe
    direction: text it tokenizes as tags is never reported), and outside svg/math content,
    where HTML tags end foreign content early, exactly those texts are reported."""
    from icpkit.technographics.page import raw_text_spans

    html = "".join(parts)
    mine = [html[a:b] for a, b in raw_text_spans(html)]
    theirs = []
    for node in LexborHTMLParser(html).css("script, style"):
        anc, foreign = node.parent, False
        while anc is not None:
            foreign = foreign or anc.tag in ("svg", "math")
            anc = anc.parent
        if not foreign:
            theirs.append(node.text(deep=True, separator=""))
    rest = iter(theirs)
    assert all(any(m == t for t in rest) for m in mine), (html, mine, theirs)
    if not re.search("(?i)<(svg|math)", html):
        assert mine == theirs, (html, mine, theirs)


@given(
    parts=st.lists(
        st.sampled_from(
            ["<script>", "</script>", "<style>", "</style>", "<!--", "-->", "x", "<b>", "<svg>"]
        ),
        max_size=20,
    ),
    data=st.data(),
)
@settings(max_examples=200, deadline=None)
def test_raw_text_answers_as_the_whole_scan_in_any_order(
    parts: list[str], data: st.DataObject
) -> None:
    """The pre-pass scans for script/style text only as far as its questions go: the answers
    are those of the spans of the whole page, whatever order the positions come in."""
    from icpkit.technographics.page import _RawText, raw_text_spans

    html = "".join(parts)
    spans = raw_text_spans(html)
    inside = _RawText(html)
    for at in data.draw(st.permutations(range(len(html) + 1))):
        assert inside(at) == any(a <= at < b for a, b in spans), (html, at)


def test_hostile_page_keeps_detections_before_the_cut() -> None:
    from icpkit.technographics import Detector, Page

    head = "<html><head><meta name='generator' content='WordPress 6.4'></head><body>"
    page = Page(url="https://deep.example/", html=head + "<div>" * 64_000)
    names = {d.name for d in Detector().detect(page)}
    assert "WordPress" in names
    assert page.tree.css_first("meta") is not None


def test_a_page_past_its_cpu_budget_is_a_timeout_and_the_batch_goes_on() -> None:
    """A page that makes matching backtrack forever is recorded as ``timeout``; others finish."""
    import re

    from icpkit.technographics import Detector
    from icpkit.technographics.enrich import detect_domains

    real = Detector()
    hopeless = re.compile(r"(a|aa)+\Z")  # stands in for any pattern that never finishes

    class Stalling:
        db = real.db

        def detect(self, page):  # type: ignore[no-untyped-def]
            if "aaaa" in page.html:
                hopeless.search(page.html)
            return real.detect(page)

    def handle(req: Request) -> Reply:
        if req.path == "/robots.txt":
            return Reply(status=404)
        if req.host == "stall.localhost":
            return Reply(body="<p>" + "a" * 60 + "!</p>")
        return Reply(body="<meta name='generator' content='WordPress 6.4'>")

    with SiteServer(handle) as srv:
        hosts = ["stall.localhost", "ok1.localhost", "ok2.localhost"]
        df = detect_domains(
            [f"http://{h}:{srv.port}/" for h in hosts],
            detector=Stalling(),
            config=FetchConfig(timeout=5.0, retries=0, allow_private=True, concurrency=2),
            page_cpu_seconds=0.3,
        )
    rows = {r["domain"].split(":")[0]: r for r in df.iter_rows(named=True)}
    assert rows["stall.localhost"]["error_kind"] == "timeout"
    assert rows["stall.localhost"]["technology"] is None
    assert rows["ok1.localhost"]["technology"] == rows["ok2.localhost"]["technology"] == "WordPress"
