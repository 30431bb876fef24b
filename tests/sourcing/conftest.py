"""A local HTTP server that serves a directory with byte-range support, and what it saw."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


class RangeServer:
    """Serves ``root`` over HTTP/1.1 with ``Range: bytes=a-b`` (206), logging every request.

    ``fail_first`` answers that many requests with 503 first; ``ignore_range`` answers 200 with
    the whole file, as a server without range support does.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.log: list[tuple[float, str, str | None, int]] = []
        self.fail_first = 0
        self.ignore_range = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                rng = self.headers.get("Range")
                path = (server.root / self.path.lstrip("/")).resolve()
                if server.fail_first > 0:
                    server.fail_first -= 1
                    server.log.append((time.monotonic(), self.path, rng, 503))
                    self._send(503, b"busy", {"Retry-After": "0"})
                    return
                if not path.is_file() or not path.is_relative_to(server.root.resolve()):
                    server.log.append((time.monotonic(), self.path, rng, 404))
                    self._send(404, b"not found", {})
                    return
                data = path.read_bytes()
                if rng and not server.ignore_range:
                    a, _, b = rng.removeprefix("bytes=").partition("-")
                    start, end = int(a), min(int(b), len(data) - 1)
                    server.log.append((time.monotonic(), self.path, rng, 206))
                    self._send(
                        206,
                        data[start : end + 1],
                        {"Content-Range": f"bytes {start}-{end}/{len(data)}"},
                    )
                    return
                server.log.append((time.monotonic(), self.path, rng, 200))
                ctype = "text/html" if path.suffix == ".html" else "application/warc"
                self._send(200, data, {"Content-Type": ctype})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def range_server(tmp_path: Path):
    root = tmp_path / "archive"
    root.mkdir()
    server = RangeServer(root)
    try:
        yield server
    finally:
        server.close()
