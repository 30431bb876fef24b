"""Local fixture-site server for fetch tests and the fetch benchmark (127.0.0.1 only).

A small asyncio HTTP/1.1 server with keep-alive, run on its own event loop in a background
thread. Routing is by (Host, path) through a Python callable, so one port serves many virtual
sites (``acme.test``, ``site17.localhost`` …). Replies can be delayed, dripped slowly, huge,
gzip- or brotli-encoded, and stateful (5xx then success, 429 with Retry-After).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import math
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import brotli


@dataclass
class Request:
    method: str
    path: str
    host: str  # Host header without port, lower-cased
    headers: dict[str, str]


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0  # seconds before the status line (math.inf: never answers)
    drip: float = 0.0  # seconds between 1 KiB body chunks
    encoding: str | None = None  # "gzip" | "br": compress body and set Content-Encoding
    content_type: str = "text/html; charset=utf-8"


Handler = Callable[[Request], Reply]

_REASONS = {200: "OK", 301: "Moved", 302: "Found", 404: "Not Found", 429: "Too Many", 503: "Busy"}


class SiteServer:
    """Serve ``handler`` on 127.0.0.1:<free port> until :meth:`stop`; counts requests per route."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.hits: Counter[tuple[str, str]] = Counter()
        self.sent: Counter[tuple[str, str]] = Counter()  # replies written in full
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def __enter__(self) -> SiteServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(10)

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            for writer in list(self._writers):
                writer.close()
            current = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not current]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def url(self, host: str = "127.0.0.1", path: str = "/") -> str:
        return f"http://{host}:{self.port}{path}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=1024)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            first = await reader.read(1)
            if first in (b"", b"\x16"):  # closed, or a TLS ClientHello: not an https server
                return
            while True:
                try:
                    head = first + await reader.readuntil(b"\r\n\r\n")
                    first = b""
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                host = headers.get("host", "").rsplit(":", 1)[0].lower()
                request = Request(method, path, host, headers)
                self.hits[(host, path)] += 1
                reply = self.handler(request)
                await self._write(writer, reply)
                self.sent[(host, path)] += 1
                if headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _write(self, writer: asyncio.StreamWriter, reply: Reply) -> None:
        if reply.delay == math.inf:
            await asyncio.Event().wait()  # until the server stops: a client must give up
        elif reply.delay:
            await asyncio.sleep(reply.delay)
        body = reply.body.encode() if isinstance(reply.body, str) else reply.body
        headers = list(reply.headers)
        if reply.encoding == "gzip":
            body = gzip.compress(body)
            headers.append(("Content-Encoding", "gzip"))
        elif reply.encoding == "br":
            body = brotli.compress(body)
            headers.append(("Content-Encoding", "br"))
        head = [f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'X')}"]
        if reply.content_type:
            head.append(f"Content-Type: {reply.content_type}")
        head += [f"{k}: {v}" for k, v in headers]
        head.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        if reply.drip:
            for start in range(0, len(body), 1024):
                writer.write(body[start : start + 1024])
                await writer.drain()
                await asyncio.sleep(reply.drip)
        else:
            writer.write(body)
        await writer.drain()


HOME = """<!doctype html><html><head><meta charset="utf-8">
<meta name="generator" content="WordPress 6.4.2">
<title>{host}</title>
<script src="https://cdn.example.net/jquery-3.7.1.min.js"></script>
</head><body><h1>Welcome to {host}</h1></body></html>"""


def fixture_handler() -> Handler:
    """The fixture sites the fetch tests use, keyed by virtual host name."""
    counters: Counter[str] = Counter()

    def handle(req: Request) -> Reply:
        host, path = req.host, req.path
        if path == "/robots.txt":
            if host == "disallow.test":
                return Reply(body="User-agent: icpkit\nDisallow: /\n", content_type="text/plain")
            if host == "robots500.test":
                return Reply(status=503, body="busy")
            return Reply(status=404, body="none")
        if host == "plain.test":
            return Reply(
                body=HOME.format(host=host),
                headers=[
                    ("Server", "nginx/1.25.3"),
                    ("X-Powered-By", "PHP/8.2.1"),
                    ("Set-Cookie", "PHPSESSID=abc123; Path=/; HttpOnly"),
                    ("Set-Cookie", "_shopify_y=xyz; Path=/"),
                ],
            )
        if host == "chat.test":
            return Reply(
                body="<html><head><script src='https://widget.chatterbox.example/loader.js'>"
                "</script></head><body>chat</body></html>",
                headers=[("Server", "nginx")],
            )
        if host in ("shop.test", "www.shop.test"):  # a bare landing page; the shop is at /shop/
            if path.startswith("/shop/"):
                return Reply(
                    body=HOME.format(host=host).replace(
                        "</head>",
                        "<script src='https://widget.chatterbox.example/loader.js'></script></head>",
                    )
                )
            return Reply(body="<html><body>coming soon</body></html>")
        if host == "gzip.test":
            return Reply(body=HOME.format(host=host), encoding="gzip")
        if host == "br.test":
            return Reply(body=HOME.format(host=host), encoding="br")
        if host == "latin1.test":
            return Reply(
                body="<html><body>Café crème</body></html>".encode("latin-1"),
                content_type="text/html; charset=iso-8859-1",
            )
        if host == "redirect.test":
            if path == "/":
                return Reply(
                    status=301,
                    headers=[("Location", "/home"), ("Set-Cookie", "first=1; Path=/")],
                )
            return Reply(body=HOME.format(host=host))
        if host == "loop.test":
            target = "/b" if path == "/a" or path == "/" else "/a"
            return Reply(status=302, headers=[("Location", target)])
        if host == "chain.test":
            n = int(path.strip("/") or 0)
            return Reply(status=302, headers=[("Location", f"/{n + 1}")])
        if host == "toprivate.test":
            return Reply(status=302, headers=[("Location", "http://10.1.2.3/admin")])
        if host == "tometadata.test":
            return Reply(
                status=302, headers=[("Location", "http://169.254.169.254/latest/meta-data/")]
            )
        if host == "slow.test":
            return Reply(body="late", delay=math.inf)
        if host == "huge.test":
            return Reply(body=b"<html>" + b"a" * (3 * 1024 * 1024))
        if host == "flaky.test":
            counters[host] += 1
            if counters[host] <= 2:
                return Reply(status=503, body="try again")
            return Reply(body=HOME.format(host=host))
        if host == "limited.test":
            counters[host] += 1
            if counters[host] == 1:
                return Reply(status=429, headers=[("Retry-After", "1")], body="slow down")
            return Reply(body=HOME.format(host=host))
        if host == "down.test":
            return Reply(status=503, body="down")
        if host == "patient.test":
            return Reply(status=429, headers=[("Retry-After", "3600")], body="come back later")
        if host.endswith((".localhost", ".test")):
            return Reply(body=HOME.format(host=host))
        return Reply(status=404, body="unknown site")

    return handle


# A tiny self-written Wappalyzer-format database (not derived from any published dataset).
FIXTURE_CATEGORIES = {
    "1": {"name": "CMS", "groups": [3], "priority": 1},
    "22": {"name": "Web servers", "groups": [7], "priority": 8},
    "27": {"name": "Programming languages", "groups": [9], "priority": 5},
    "52": {"name": "Live chat", "groups": [2], "priority": 9},
    "59": {"name": "JavaScript libraries", "groups": [9], "priority": 9},
}
FIXTURE_TECHNOLOGIES = {
    "WordPress": {
        "cats": [1],
        "meta": {"generator": "^WordPress ?([\\d.]+)?\\;version:\\1"},
        "implies": ["PHP"],
        "website": "https://wordpress.org",
    },
    "Nginx": {
        "cats": [22],
        "headers": {"server": "nginx(?:/([\\d.]+))?\\;version:\\1"},
        "website": "https://nginx.org",
    },
    "PHP": {
        "cats": [27],
        "headers": {"x-powered-by": "^php/?([\\d.]+)?\\;version:\\1"},
        "cookies": {"PHPSESSID": ""},
        "website": "https://php.net",
    },
    "jQuery": {
        "cats": [59],
        "scriptSrc": ["jquery-([\\d.]*\\d)(?:\\.min)?\\.js\\;version:\\1"],
        "website": "https://jquery.com",
    },
    "Chatterbox": {
        "cats": [52],
        "scriptSrc": ["widget\\.chatterbox\\.example/loader\\.js"],
        "website": "https://chatterbox.example",
    },
    "Whisper Chat": {
        "cats": [52],
        "js": {"Whisper.version": ""},
        "website": "https://whisper.example",
    },
}


def write_fingerprints(root: Path) -> Path:
    """Write the fixture database as ``root/src/{technologies/*.json,categories.json}``."""
    import json

    src = root / "src"
    (src / "technologies").mkdir(parents=True, exist_ok=True)
    (src / "categories.json").write_text(json.dumps(FIXTURE_CATEGORIES), encoding="utf-8")
    by_letter: dict[str, dict[str, object]] = {}
    for name, spec in FIXTURE_TECHNOLOGIES.items():
        by_letter.setdefault(name[0].lower(), {})[name] = spec
    for letter, techs in by_letter.items():
        (src / "technologies" / f"{letter}.json").write_text(json.dumps(techs), encoding="utf-8")
    return src
