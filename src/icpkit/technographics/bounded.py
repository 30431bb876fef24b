"""Work bounds for hostile input: capped body decoding and a per-page CPU deadline.

A bulk job fetches pages chosen by strangers, so every stage must stop on its own:

* :class:`BoundedDecoder` undoes ``Content-Encoding`` (gzip, deflate, br) incrementally and never
  produces more than its cap: an 809-byte brotli body can expand to a gigabyte, so the cap has to
  apply *inside* the decoder, not after a chunk has been inflated. Stacked encodings
  (``gzip, gzip``) and unknown ones are refused: no browser-like client needs them, and each
  layer multiplies the expansion.
* :func:`cpu_deadline` interrupts a block of Python code (regex matching included: ``re`` checks
  for signals while it backtracks) once it has used its CPU budget, so one pathological page is
  recorded as ``timeout`` and the rest of the batch goes on.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import zlib
from collections.abc import Iterator

import brotli

from icpkit.errors import IcpkitError

__all__ = [
    "ACCEPT_ENCODING",
    "BoundedDecoder",
    "DecodeRefused",
    "PageTimeout",
    "cpu_deadline",
]

#: What icpkit advertises, and therefore the only codings it decodes.
ACCEPT_ENCODING = "gzip, deflate, br"

_STEP = 64 * 1024  # decoder output per call: bounds memory whatever the compression ratio


class DecodeRefused(IcpkitError):
    """A response body cannot be decoded safely (stacked or unknown coding, corrupt stream)."""


class PageTimeout(IcpkitError):
    """A page used up its CPU budget (parsing or matching) and was abandoned."""


class BoundedDecoder:
    """Decode a ``Content-Encoding`` stream chunk by chunk, producing at most ``limit`` bytes.

    :meth:`feed` returns the decoded bytes of one input chunk (never more than what is left of
    the cap); :attr:`full` turns true once the cap is reached, after which the caller stops
    reading and marks the body truncated. Raises :class:`DecodeRefused` for stacked or unknown
    codings and for corrupt streams.
    """

    def __init__(self, content_encoding: str | None, limit: int) -> None:
        codings = [
            c.strip().lower()
            for c in (content_encoding or "").split(",")
            if c.strip() and c.strip().lower() != "identity"
        ]
        if len(codings) > 1:
            raise DecodeRefused(
                f"stacked content encodings refused ({content_encoding!r}): one layer at most"
            )
        self.coding = codings[0] if codings else "identity"
        if self.coding in ("gzip", "x-gzip"):
            self._z: zlib._Decompress | None = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.coding == "deflate":
            self._z = None  # zlib-wrapped or raw: decided on the first bytes
        elif self.coding == "br":
            self._br = brotli.Decompressor()
        elif self.coding != "identity":
            raise DecodeRefused(f"unsupported content encoding {content_encoding!r}")
        self.limit = limit
        self.produced = 0
        self.full = False

    def _room(self) -> int:
        return self.limit - self.produced

    def _take(self, out: list[bytes], data: bytes) -> None:
        room = self._room()
        if len(data) >= room:
            data = data[:room]
            self.full = True
        self.produced += len(data)
        out.append(data)

    def feed(self, data: bytes) -> bytes:
        """Decoded bytes for ``data`` (empty once :attr:`full`)."""
        if self.full or not data:
            return b""
        out: list[bytes] = []
        try:
            if self.coding == "identity":
                self._take(out, data)
            elif self.coding == "br":
                self._feed_brotli(data, out)
            else:
                self._feed_zlib(data, out)
        except (zlib.error, brotli.error) as exc:
            raise DecodeRefused(f"corrupt {self.coding} body: {exc}") from None
        return b"".join(out)

    def _feed_zlib(self, data: bytes, out: list[bytes]) -> None:
        if self._z is None:  # deflate: RFC says zlib-wrapped, many servers send raw
            wrapped = (
                len(data) >= 2 and (data[0] & 0x0F) == 8 and (data[0] << 8 | data[1]) % 31 == 0
            )
            self._z = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        z = self._z
        pending = data
        while pending and not self.full and not z.eof:
            chunk = z.decompress(pending, min(_STEP, self._room()))
            pending = z.unconsumed_tail
            self._take(out, chunk)
            if not chunk and pending:  # no progress with input left: corrupt
                raise DecodeRefused(f"corrupt {self.coding} body")

    def _feed_brotli(self, data: bytes, out: list[bytes]) -> None:
        br = self._br
        chunk = br.process(data, output_buffer_limit=min(_STEP, self._room()))
        self._take(out, chunk)
        while not self.full and not br.can_accept_more_data():
            chunk = br.process(b"", output_buffer_limit=min(_STEP, self._room()))
            if not chunk:
                break
            self._take(out, chunk)


# --- per-page CPU deadline -----------------------------------------------------------------

_TIMER = getattr(signal, "ITIMER_PROF", None)
_SIGNAL = getattr(signal, "SIGPROF", None)


class _Expired(BaseException):
    """Raised by the timer handler; BaseException so no ``except Exception`` swallows it."""


@contextlib.contextmanager
def cpu_deadline(seconds: float | None, what: str = "page") -> Iterator[None]:
    """Raise :class:`PageTimeout` if the block uses more than ``seconds`` of process CPU time.

    Uses ``ITIMER_PROF`` (CPU, not wall time, so a busy machine does not cause timeouts). Only
    the main thread can receive signals; elsewhere, on platforms without interval timers, or
    with ``seconds`` None/<= 0, the block runs unbounded. Python code and ``re`` are interrupted
    promptly; a single C call that never checks for signals finishes first, which is why the
    page parser's input is bounded separately.
    """
    usable = (
        seconds is not None
        and seconds > 0
        and _TIMER is not None
        and _SIGNAL is not None
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return
    assert _TIMER is not None and _SIGNAL is not None

    armed = [True]

    def expire(signum: int, frame: object) -> None:
        if armed[0]:
            raise _Expired

    previous = signal.signal(_SIGNAL, expire)
    assert seconds is not None  # usable implies it
    old_timer = signal.setitimer(_TIMER, seconds)
    try:
        try:
            yield
        finally:
            armed[0] = False
            signal.setitimer(_TIMER, 0)
    except _Expired:
        raise PageTimeout(f"{what} exceeded its CPU budget of {seconds:g} s") from None
    finally:
        signal.signal(_SIGNAL, previous)
        if old_timer[0] > 0:  # an outer deadline keeps running (approximately)
            signal.setitimer(_TIMER, *old_timer)
