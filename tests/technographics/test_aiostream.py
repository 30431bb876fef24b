"""The asyncio-native httpcore backend under the fetcher: real sockets on 127.0.0.1, plain and TLS."""

from __future__ import annotations

import asyncio
import datetime
import ssl
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import httpcore
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from icpkit.technographics.aiostream import AsyncioBackend
from icpkit.technographics.fetch import FetchConfig, FetchResult, fetch_many
from icpkit.technographics.netguard import Resolver

Serve = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class RawServer:
    """An asyncio server on its own thread running ``serve`` per connection (TLS if given)."""

    def __init__(self, serve: Serve, tls: ssl.SSLContext | None = None) -> None:
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            server = self.loop.run_until_complete(
                asyncio.start_server(serve, "127.0.0.1", 0, ssl=tls)
            )
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        ready.wait(10)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def serve() -> Iterator[Callable[..., RawServer]]:
    started: list[RawServer] = []

    def start(handler: Serve, tls: ssl.SSLContext | None = None) -> RawServer:
        started.append(RawServer(handler, tls))
        return started[-1]

    yield start
    for server in started:
        server.stop()


def self_signed(tmp: Path, host: str) -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate for ``host``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    (tmp / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    return context


PAGE = b"<html><head><meta name='generator' content='WordPress 6.4.2'></head><body>hi</body></html>"


CONNECTIONS: list[list[bytes]] = []  # per connection accepted by http_page, the paths asked


async def http_page(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers every request on the connection (keep-alive) with PAGE, or 404 for robots.txt."""
    paths: list[bytes] = []
    CONNECTIONS.append(paths)
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1]
            paths.append(path)
            status, body = (
                (b"404 Not Found", b"none") if path == b"/robots.txt" else (b"200 OK", PAGE)
            )
            writer.write(
                b"HTTP/1.1 " + status + b"\r\nContent-Type: text/html\r\nServer: nginx/1.25.3\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()


def fetch(url: str, **config: object) -> FetchResult:
    async def go() -> list[FetchResult]:
        resolver = Resolver(allow_private=True, overrides={"tls.test": "127.0.0.1"})
        cfg = FetchConfig(allow_private=True, retries=0, timeout=5, **config)  # type: ignore[arg-type]
        return [r async for r in fetch_many([url], cfg, resolver=resolver)]

    (result,) = asyncio.run(go())
    return result


def test_https_page_over_the_loops_tls(serve: Callable[..., RawServer], tmp_path: Path) -> None:
    """The TLS handshake is the loop's own start_tls; robots.txt and the page share the connection."""
    CONNECTIONS.clear()
    server = serve(http_page, self_signed(tmp_path, "tls.test"))
    result = fetch(f"https://tls.test:{server.port}/", verify_tls=False)
    assert CONNECTIONS == [[b"/robots.txt", b"/"]]
    assert result.error is None, result.error
    assert result.status == 200
    assert result.page is not None and "WordPress 6.4.2" in result.page.html
    assert result.page.headers["server"] == "nginx/1.25.3"


def test_untrusted_certificate_is_a_tls_error(
    serve: Callable[..., RawServer], tmp_path: Path
) -> None:
    server = serve(http_page, self_signed(tmp_path, "tls.test"))
    result = fetch(f"https://tls.test:{server.port}/", http_fallback=False)
    assert result.error_kind == "tls"
    assert "certificate" in (result.error or "").lower()
    assert result.page is None


def run(coro: Awaitable[object]) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


def test_read_timeout_and_connect_error(serve: Callable[..., RawServer]) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1 << 16)
        await asyncio.sleep(5)
        writer.close()

    server = serve(silent)

    async def go() -> None:
        backend = AsyncioBackend()
        stream = await backend.connect_tcp("127.0.0.1", server.port, timeout=5)
        await stream.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout=1)
        with pytest.raises(httpcore.ReadTimeout):
            await stream.read(1024, timeout=0.2)
        await stream.aclose()
        with pytest.raises(httpcore.ConnectError):
            await backend.connect_tcp("127.0.0.1", 1, timeout=5)  # nothing listens on port 1

    run(go())


def test_closed_idle_connection_reads_as_readable(serve: Callable[..., RawServer]) -> None:
    """httpcore asks ``is_readable`` before reusing a keep-alive connection: a server that hung
    up must show, or a request would be written into a dead socket."""

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = serve(hang_up)

    async def go() -> None:
        stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port)
        for _ in range(100):
            if stream.get_extra_info("is_readable"):
                break
            await asyncio.sleep(0.01)
        assert stream.get_extra_info("is_readable")
        assert await stream.read(10) == b""
        assert stream.get_extra_info("server_addr")[1] == server.port
        await stream.aclose()

    run(go())


@settings(max_examples=20)
@given(
    sizes=st.lists(st.integers(1, 300_000), min_size=1, max_size=5),
    max_bytes=st.integers(1, 70_000),
)
def test_reads_return_exactly_what_was_sent(sizes: list[int], max_bytes: int) -> None:
    """Whatever the chunking on either side (beyond the read-pause threshold too), the bytes
    read are the bytes sent, each read at most ``max_bytes``, then EOF."""
    payload = b"".join(bytes([i % 251]) * n for i, n in enumerate(sizes))

    async def send(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        start = 0
        for n in sizes:
            writer.write(payload[start : start + n])
            start += n
            await writer.drain()
        writer.close()

    server = RawServer(send)
    try:

        async def go() -> bytes:
            stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port)
            got = bytearray()
            while chunk := await stream.read(max_bytes, timeout=10):
                assert len(chunk) <= max_bytes
                got += chunk
            await stream.aclose()
            return bytes(got)

        assert run(go()) == payload
    finally:
        server.stop()
