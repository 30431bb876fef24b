"""An httpcore network backend on the running asyncio loop's own transports.

httpcore's default async backend goes through anyio: every read and write enters a cancel scope,
looks up the current task and the async library, and a keep-alive check builds a dict of socket
attributes. On a bulk fetch job (thousands of one-off hosts, two requests each) that bookkeeping
cost more CPU than the HTTP itself, and TLS ran through anyio's Python memory-BIO wrapper.
:class:`AsyncioBackend` talks to the loop's transports directly (uvloop's C transports when
uvloop runs the loop): one protocol object per connection buffers what arrives, a read waits on
one future, a timeout is one timer, and TLS is the loop's own ``start_tls``.

Errors map to httpcore's exception types, so httpx (and :mod:`icpkit.technographics.fetch`)
classify them exactly as before.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore

_READ_HIGH_WATER = 256 * 1024  # stop reading from the socket past this much unread data


class _Protocol(asyncio.Protocol):
    """Buffers received data for one connection and wakes the one reader waiting for it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.chunks: collections.deque[bytes] = collections.deque()
        self.buffered = 0
        self.eof = False
        self.error: BaseException | None = None
        self.reader: asyncio.Future[None] | None = None
        self.drainer: asyncio.Future[None] | None = None
        self.write_paused = False
        self.read_paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.buffered += len(data)
        if self.buffered > _READ_HIGH_WATER and self.transport is not None:
            self.transport.pause_reading()
            self.read_paused = True
        self._wake_reader()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake_reader()
        return False  # let the transport close itself

    def connection_lost(self, exc: BaseException | None) -> None:
        self.eof = True
        self.error = exc
        self._wake_reader()
        self._wake_drainer()

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        self._wake_drainer()

    def _wake_reader(self) -> None:
        if self.reader is not None and not self.reader.done():
            self.reader.set_result(None)

    def _wake_drainer(self) -> None:
        if self.drainer is not None and not self.drainer.done():
            self.drainer.set_result(None)

    def take(self, max_bytes: int) -> bytes:
        chunk = self.chunks.popleft()
        if len(chunk) > max_bytes:
            self.chunks.appendleft(chunk[max_bytes:])
            chunk = chunk[:max_bytes]
        self.buffered -= len(chunk)
        if self.read_paused and self.buffered <= _READ_HIGH_WATER // 4:
            self.read_paused = False
            if self.transport is not None:
                self.transport.resume_reading()
        return chunk


def _expire(future: asyncio.Future[None], error: type[Exception]) -> None:
    if not future.done():
        future.set_exception(error())


async def _wait(
    future: asyncio.Future[None], timeout: float | None, error: type[Exception]
) -> None:
    """Await ``future``; past ``timeout`` seconds it fails with ``error`` (one timer, no task)."""
    if timeout is None:
        await future
        return
    timer = future.get_loop().call_later(timeout, _expire, future, error)
    try:
        await future
    finally:
        timer.cancel()


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection (plain or TLS) as httpcore wants it."""

    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        p = self._protocol
        if not p.chunks and not p.eof:
            p.reader = p.loop.create_future()
            try:
                await _wait(p.reader, timeout, httpcore.ReadTimeout)
            finally:
                p.reader = None
        if p.chunks:
            return p.take(max_bytes)
        if p.error is not None:
            raise httpcore.ReadError(str(p.error) or type(p.error).__name__)
        return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        p = self._protocol
        if p.error is not None or self._transport.is_closing():
            raise httpcore.WriteError(str(p.error or "connection closed"))
        self._transport.write(buffer)
        if p.write_paused:
            p.drainer = p.loop.create_future()
            try:
                await _wait(p.drainer, timeout, httpcore.WriteTimeout)
            finally:
                p.drainer = None
            if p.error is not None:
                raise httpcore.WriteError(str(p.error))

    async def aclose(self) -> None:
        self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = self._protocol.loop
        try:
            upgrade = loop.start_tls(
                self._transport, self._protocol, ssl_context, server_hostname=server_hostname
            )
            transport = await asyncio.wait_for(upgrade, timeout)
        except (asyncio.TimeoutError, TimeoutError):
            self._transport.abort()
            raise httpcore.ConnectTimeout(f"TLS handshake took over {timeout:g} s") from None
        except (OSError, ssl.SSLError, ConnectionError, RuntimeError) as exc:
            self._transport.abort()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from None
        if transport is None:  # pragma: no cover - the loop lost the connection mid-handshake
            raise httpcore.ConnectError("connection lost during the TLS handshake")
        self._protocol.transport = transport
        return AsyncioStream(transport, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":  # idle keep-alive connection the server closed or wrote to
            return bool(self._protocol.chunks) or self._protocol.eof
        if info == "ssl_object":
            return self._transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        if info == "socket":
            return self._transport.get_extra_info("socket")
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Connects with the running loop's ``create_connection`` (TCP_NODELAY, as asyncio sets)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local = None if local_address is None else (local_address, 0)
        try:
            connect = loop.create_connection(lambda: _Protocol(loop), host, port, local_addr=local)
            transport, protocol = await asyncio.wait_for(connect, timeout)
        except (asyncio.TimeoutError, TimeoutError):
            raise httpcore.ConnectTimeout(f"no connection within {timeout:g} s") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from None
        if socket_options:
            sock = transport.get_extra_info("socket")
            for option in socket_options:
                sock.setsockopt(*option)
        return AsyncioStream(transport, protocol)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.AsyncNetworkStream:  # pragma: no cover - never used by the fetcher
        raise httpcore.ConnectError("unix sockets are not supported")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


__all__ = ["AsyncioBackend", "AsyncioStream"]
