"""Writing small WARC files for tests, byte by byte, so every shape (broken ones too) is ours.

Pages come from the bundled technographics fixtures (tests/technographics/bundled_fixtures.json):
each fixture page is served from its own host so every capture is its own registered domain.
"""

from __future__ import annotations

import gzip
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "technographics" / "bundled_fixtures.json"


def http_response(
    body: bytes,
    *,
    status: str = "HTTP/1.1 200 OK",
    headers: dict[str, str] | None = None,
    content_type: str | None = "text/html; charset=utf-8",
    eol: bytes = b"\r\n",
) -> bytes:
    lines = [status.encode()]
    if content_type is not None:
        lines.append(b"Content-Type: " + content_type.encode())
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}".encode("latin-1"))
    lines.append(b"Content-Length: " + str(len(body)).encode())
    return eol.join(lines) + eol + eol + body


def warc_record(
    url: str,
    block: bytes,
    *,
    rtype: str = "response",
    date: str = "2026-09-20T10:00:00Z",
    extra: dict[str, str] | None = None,
    compress: bool = True,
) -> bytes:
    head = [
        "WARC/1.0",
        f"WARC-Type: {rtype}",
        f"WARC-Record-ID: <urn:uuid:{uuid.UUID(int=hash((url, rtype, date)) & (2**128 - 1))}>",
        f"WARC-Date: {date}",
        f"WARC-Target-URI: {url}",
        *(f"{k}: {v}" for k, v in (extra or {}).items()),
        "Content-Type: application/http; msgtype="
        + ("request" if rtype == "request" else "response"),
        f"Content-Length: {len(block)}",
    ]
    raw = ("\r\n".join(head) + "\r\n\r\n").encode() + block + b"\r\n\r\n"
    return gzip.compress(raw, mtime=0) if compress else raw


@dataclass
class Written:
    """A generated WARC file and where each record went (offset, length) — a tiny index."""

    path: Path
    records: list[dict] = field(default_factory=list)


def write_warc(path: Path, records: list[tuple[str, bytes, dict]]) -> Written:
    """``records``: (url, gzip member bytes, extra index fields). Offsets are recorded."""
    out = Written(path)
    offset = 0
    with path.open("wb") as f:
        for url, member, meta in records:
            f.write(member)
            out.records.append({"url": url, "offset": offset, "length": len(member), **meta})
            offset += len(member)
    return out


def fixture_pages() -> dict[str, dict]:
    return json.loads(FIXTURES.read_text())


def fixture_host(i: int) -> str:
    return f"site{i:04d}.example"


def fixture_records(
    names: list[str], date: str = "2026-09-20T10:00:00Z", *, start: int = 0
) -> list[tuple[str, bytes, dict]]:
    """One home-page response per fixture technology, each on its own host (numbered from
    ``start``)."""
    pages = fixture_pages()
    out = []
    for i, name in enumerate(names, start):
        page = pages[name]
        host = fixture_host(i)
        url = f"https://www.{host}/"
        headers = dict(page.get("headers") or {})
        for k, v in (page.get("cookies") or {}).items():
            headers.setdefault("Set-Cookie", f"{k}={v}")
        body = page["html"].encode()
        block = http_response(body, headers=headers)
        out.append((url, warc_record(url, block, date=date), {"tech": name, "host": host}))
    return out
