"""Decoding archived bodies: the text is what the charset rules define, and the UTF-8 bytes
handed to the page are that text's own encoding whenever they are given."""

from __future__ import annotations

import codecs
import re
from datetime import datetime, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from icpkit.sourcing.warc import Capture, iter_captures
from tests.helpers import shared_file

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _definition(body: bytes, charset: str | None) -> str:
    """BOM, then the header charset, then a ``<meta>`` one in the first 4 KiB (the first that
    names a known codec), then UTF-8, then windows-1252: each with replacements."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(name, errors="replace")
    names = [charset] if charset else []
    match = _META.search(body[:4096])
    if match:
        names.append(match.group(1).decode("ascii", "replace"))
    for name in names:
        try:
            codecs.lookup(name)
        except LookupError:
            continue
        return body.decode(name, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("windows-1252", errors="replace")


def _capture(body: bytes, charset: str | None) -> Capture:
    when = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return Capture("https://x.example/", when, "response", 200, (), body, "text/html", charset,
                   False, "f.warc.gz", 0)  # fmt: skip


_CHARSETS = st.sampled_from(
    [None, "utf-8", "UTF8", "us-ascii", "iso-8859-1", "windows-1252", "latin-15", "shift_jis",
     "utf-16", "koi8-r", "no-such-charset", "utf-8-sig"]
)  # fmt: skip
_PIECES = st.sampled_from(
    [b"<html>", b"<meta charset='", b"koi8-r", b"utf-8", b"bogus", b"'>", b"caf\xc3\xa9", b"\xe9",
     b"\xff\xfe", b"\xef\xbb\xbf", b"\xed\xa0\x80", b"\x80", b"\xe2\x82", b"plain ", b"\x00",
     "\u0645\u0631\u062d\u0628\u0627".encode(), "\U0001f600".encode()]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=12).map(b"".join), _CHARSETS)
def test_decoded_text_is_the_definition_and_its_bytes_are_its_utf8(
    body: bytes, charset: str | None
) -> None:
    text, utf8 = _capture(body, charset).decoded()
    assert text == _definition(body, charset)
    if utf8 is not None:
        assert utf8 == text.encode("utf-8", "surrogatepass")


def test_utf8_and_ascii_bodies_hand_their_bytes_over_and_others_do_not() -> None:
    """Not vacuous: the bytes are given exactly where the text is the body's own UTF-8."""
    cafe = "café".encode()
    assert _capture(cafe, "utf-8").decoded() == ("café", cafe)
    assert _capture(cafe, None).decoded() == ("café", cafe)
    assert _capture(b"\xef\xbb\xbf" + cafe, "latin-1").decoded() == ("café", cafe)
    assert _capture(b"plain", "windows-1252").decoded() == ("plain", b"plain")
    assert _capture(b"caf\xe9", "windows-1252").decoded() == ("café", None)
    assert _capture(cafe, "iso-8859-1").decoded() == ("cafÃ©", None)
    assert _capture(b"caf\xe9", "utf-8").decoded() == ("caf\ufffd", None)
    assert _capture(b"plain", "utf-16").decoded()[1] is None


def test_real_archives_decode_as_defined() -> None:
    """Every HTML response of the real 2008 archive: the text is the definition's."""
    path = Path(shared_file("data/warc-aut-2008/example.warc.gz"))
    with path.open("rb") as f:
        caps = [c for c in iter_captures(f, path.name) if c.body]
    assert caps
    given_bytes = 0
    for cap in caps:
        text, utf8 = cap.decoded()
        assert text == _definition(cap.body, cap.charset)
        if utf8 is not None:
            given_bytes += 1
            assert utf8 == text.encode("utf-8", "surrogatepass")
    assert given_bytes > 0
