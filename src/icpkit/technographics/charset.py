"""A body's text from its bytes and charset, with the bytes kept where they are that text's UTF-8.

The fetcher and the WARC reader both decode bodies this way and hand the bytes to the page when
they already are its UTF-8, so neither the parser nor the byte scanners encode the text again.
"""

from __future__ import annotations

import codecs

# Codecs that read ASCII bytes as ASCII: an ASCII body under any of them is its own UTF-8.
ASCII_COMPATIBLE = frozenset(["ascii", "utf-8", "iso8859-1", "iso8859-15", "cp1252"])


def decode_as(body: bytes, name: str) -> tuple[str, bytes | None]:
    """``body.decode(name, errors="replace")``, and ``body`` when it is that text's UTF-8 (UTF-8
    read without replacements, or ASCII under an ASCII-compatible charset); ``name`` must be a
    known codec."""
    codec = codecs.lookup(name).name
    if codec == "utf-8":
        try:
            return body.decode("utf-8"), body
        except UnicodeDecodeError:
            return body.decode("utf-8", errors="replace"), None
    if codec in ASCII_COMPATIBLE and body.isascii():
        return body.decode("ascii"), body
    return body.decode(name, errors="replace"), None


__all__ = ["ASCII_COMPATIBLE", "decode_as"]
