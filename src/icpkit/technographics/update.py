"""Download a Wappalyzer-format fingerprint database into the user cache, validated, switched atomically.

icpkit is MIT and bundles only permissively licensed data; larger (often GPL) databases are
fetched at run time by the user into ``$XDG_CACHE_HOME/icpkit/fingerprints/<name>/`` and stay a
separate work. The source may be a repository archive (``.tar.gz``/``.tgz``/``.zip``) or a single
``technologies.json``. Every hop of the download is vetted by the SSRF guard; archives are
extracted without links or paths escaping the target; the result must load with
:func:`~icpkit.technographics.fingerprints.load_fingerprints` before ``current`` is switched to
it (a symlink replaced with ``os.replace``, so readers never see a half-written database).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tarfile
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from functools import partial
from pathlib import Path, PurePosixPath
from typing import IO
from urllib.parse import urljoin, urlsplit

import httpx

from icpkit.errors import FingerprintError, NetworkRefused
from icpkit.technographics.bounded import ACCEPT_ENCODING, BoundedDecoder, DecodeRefused
from icpkit.technographics.fetch import DEFAULT_USER_AGENT
from icpkit.technographics.netguard import SyncGuardedTransport, check_url

MAX_DOWNLOAD = 200 * 1024 * 1024
MAX_EXTRACTED = 1024 * 1024 * 1024
#: Members an archive may hold (a repository archive with icons has ~10,000).
MAX_MEMBERS = 50_000
_DATA_FILES = frozenset({"categories.json", "groups.json", "technologies.json", "apps.json"})


def fingerprints_home() -> Path:
    """``$XDG_CACHE_HOME/icpkit/fingerprints`` (``~/.cache`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "icpkit" / "fingerprints"


def _name_from_url(url: str) -> str:
    parts = urlsplit(url)
    stem = PurePosixPath(parts.path).name or parts.hostname or "fingerprints"
    stem = re.sub(r"(\.tar\.gz|\.tgz|\.zip|\.json)$", "", stem, flags=re.I)
    host = (parts.hostname or "").split(".")[0]
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{host}-{stem}" if host else stem).strip("-.")
    return name or "fingerprints"


def _download(url: str, *, allow_private: bool, transport: httpx.BaseTransport | None) -> bytes:
    """GET with manual redirects, each hop vetted; the decoded body is capped at MAX_DOWNLOAD.

    Without an injected ``transport`` the download goes through a :class:`SyncGuardedTransport`,
    whose connections use the very addresses the hop check vetted (no second DNS answer can
    redirect it to an internal host). The body is decoded here with a bounded decoder, so a
    compressed bomb stops at the cap instead of inflating in memory.
    """
    guarded = (
        transport if transport is not None else SyncGuardedTransport(allow_private=allow_private)
    )
    headers = {"user-agent": DEFAULT_USER_AGENT, "accept-encoding": ACCEPT_ENCODING}
    try:
        with httpx.Client(
            transport=guarded, trust_env=False, timeout=60, headers=headers
        ) as client:
            for _ in range(10):
                if isinstance(guarded, SyncGuardedTransport):
                    guarded.check(url)
                else:
                    check_url(url, allow_private=allow_private)
                with client.stream("GET", url, follow_redirects=False) as resp:
                    if resp.is_redirect and "location" in resp.headers:
                        url = urljoin(url, resp.headers["location"])
                        continue
                    if resp.status_code != 200:
                        raise FingerprintError(f"{url}: HTTP {resp.status_code}")
                    try:
                        decoder = BoundedDecoder(
                            resp.headers.get("content-encoding"), MAX_DOWNLOAD + 1
                        )
                        buf = io.BytesIO()
                        raw = 0
                        for chunk in resp.iter_raw():
                            raw += len(chunk)
                            buf.write(decoder.feed(chunk))
                            if decoder.full or raw > MAX_DOWNLOAD:
                                raise FingerprintError(f"{url}: larger than {MAX_DOWNLOAD} bytes")
                    except DecodeRefused as exc:
                        raise FingerprintError(f"{url}: {exc}") from None
                    return buf.getvalue()
    except httpx.HTTPError as exc:  # connect, TLS, protocol: one line, no traceback
        raise FingerprintError(f"{url}: download failed: {exc}") from None
    raise FingerprintError(f"{url}: too many redirects")


def _safe_member(root: Path, name: str) -> Path:
    target = (root / name).resolve()
    if not target.is_relative_to(root.resolve()):
        raise FingerprintError(f"archive member {name!r} escapes the target folder")
    return target


def _needed(name: str) -> bool:
    """Whether a member is one of the files a Wappalyzer-format loader reads (icons, tests,
    scripts and everything else in a repository archive are never written to disk)."""
    path = PurePosixPath(name)
    if path.suffix.lower() != ".json":
        return False
    if path.name in _DATA_FILES:
        return True
    return len(path.parts) >= 2 and path.parts[-2] == "technologies"


def _members(
    data: bytes, stack: ExitStack
) -> Iterator[tuple[str, int, Callable[[], IO[bytes] | None]]] | None:
    """The regular files of a .tar.gz or .zip archive (links, devices, fifos are never
    extracted) as ``(name, declared size, open)``; ``None`` when ``data`` is neither.

    Every member, wanted or not, counts against MAX_MEMBERS, and a tar stream is refused once
    its decompressed length passes MAX_EXTRACTED (skipping a member still inflates it)."""
    if data[:2] == b"\x1f\x8b":
        # (closed by the stack, like the zip file below)
        tar = stack.enter_context(tarfile.open(fileobj=io.BytesIO(data), mode="r|gz"))  # noqa: SIM115

        def tar_members() -> Iterator[tuple[str, int, Callable[[], IO[bytes] | None]]]:
            for count, m in enumerate(tar, 1):
                if count > MAX_MEMBERS:
                    raise FingerprintError(f"archive has more than {MAX_MEMBERS} members")
                if m.offset_data + max(m.size, 0) > MAX_EXTRACTED:
                    raise FingerprintError("archive expands beyond the size limit")
                tar.members.clear()  # type: ignore[attr-defined]  # streaming: keep no list of every header
                if m.isfile():
                    yield m.name, m.size, partial(tar.extractfile, m)

        return tar_members()
    if data[:2] == b"PK":
        zf = stack.enter_context(zipfile.ZipFile(io.BytesIO(data)))
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise FingerprintError(f"archive has more than {MAX_MEMBERS} members")
        return ((i.filename, i.file_size, partial(zf.open, i)) for i in infos if not i.is_dir())
    return None


def _copy(src: IO[bytes], target: Path, budget: int) -> int:
    """Copy at most ``budget`` bytes (what the member *really* holds, not what its header
    claims); returns the bytes written."""
    written = 0
    with src, target.open("wb") as out:
        while chunk := src.read(1024 * 1024):
            written += len(chunk)
            if written > budget:
                raise FingerprintError("archive expands beyond the size limit")
            out.write(chunk)
    return written


def _extract(data: bytes, dest: Path) -> None:
    """Write the data files of an archive (or a single JSON document) into ``dest``.

    Corrupt, truncated or lying archives and member names that clash (a file where a folder
    must go) raise one-line :class:`FingerprintError` s, never a library traceback."""
    try:
        with ExitStack() as stack:
            members = _members(data, stack)
            if members is None:
                (dest / "technologies.json").write_bytes(data)
                return
            total = 0
            for name, _size, open_member in members:
                target = _safe_member(dest, name)  # refused even when not needed
                if not _needed(name):
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                src = open_member()
                if src is not None:
                    total += _copy(src, target, MAX_EXTRACTED - total)
    except FingerprintError:
        raise
    except (tarfile.TarError, zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise FingerprintError(f"corrupt archive: {_one_line(exc)}") from None
    except (EOFError, zlib.error) as exc:
        raise FingerprintError(f"truncated or corrupt archive: {_one_line(exc)}") from None
    except OSError as exc:  # e.g. a file and a folder of the same name
        raise FingerprintError(f"cannot extract archive: {_one_line(exc)}") from None
    except (ValueError, NotImplementedError, RuntimeError) as exc:  # encrypted, unknown method
        raise FingerprintError(f"unsupported archive: {_one_line(exc)}") from None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def _find_root(folder: Path) -> Path:
    """The folder load_fingerprints should read: one with technologies/ or technologies.json."""
    candidates = sorted(
        (p.parent for p in folder.rglob("categories.json") if (p.parent / "technologies").is_dir()),
        key=lambda p: len(p.parts),
    )
    if candidates:
        return candidates[0]
    singles = sorted(folder.rglob("technologies.json"), key=lambda p: len(p.parts))
    if singles:
        return singles[0].parent
    raise FingerprintError("no Wappalyzer-format data (technologies/ + categories.json) found")


def update_fingerprints(
    url: str,
    *,
    dest: Path | None = None,
    name: str | None = None,
    allow_private: bool = False,
    transport: httpx.BaseTransport | None = None,
) -> Path:
    """Download, validate and install a fingerprint database; returns the folder to load.

    ``dest`` defaults to ``fingerprints_home()/<name>`` (name derived from the URL). The returned
    path is ``<dest>/current``, which always points at a complete, validated version; the previous
    version is removed after the switch. Raises NetworkRefused or FingerprintError.
    """
    from icpkit.technographics.fingerprints import load_fingerprints

    if not url.lower().startswith(("http://", "https://")):
        raise NetworkRefused(url, "scheme", "fingerprints are downloaded over http(s) only")
    home = Path(dest) if dest is not None else fingerprints_home() / (name or _name_from_url(url))
    home.mkdir(parents=True, exist_ok=True)
    data = _download(url, allow_private=allow_private, transport=transport)
    version = Path(tempfile.mkdtemp(prefix=f"v{int(time.time())}-", dir=home))
    try:
        try:
            _extract(data, version)
            root = _find_root(version)
            db = load_fingerprints(root)
        except (RecursionError, TypeError, ValueError, AttributeError, KeyError) as exc:
            raise FingerprintError(f"{url}: malformed database: {_one_line(exc)}") from None
        if not db.technologies:
            raise FingerprintError(f"{url}: the database holds no technologies")
    except BaseException:
        shutil.rmtree(version, ignore_errors=True)
        raise
    (version / "SOURCE").write_text(f"{url}\n", encoding="utf-8")
    current = home / "current"
    previous = current.resolve() if current.is_symlink() else None
    link = home / f".current-{os.getpid()}"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(root.relative_to(home))
    link.replace(current)
    if previous is not None and previous.exists():
        old_version = next(
            (p for p in [previous, *previous.parents] if p.parent == home.resolve()), None
        )
        if old_version is not None and old_version != version.resolve():
            shutil.rmtree(old_version, ignore_errors=True)
    return current


def installed_fingerprints() -> list[Path]:
    """Databases installed by :func:`update_fingerprints`, most recently switched first."""
    home = fingerprints_home()
    if not home.is_dir():
        return []
    found = [p / "current" for p in home.iterdir() if (p / "current").exists()]
    return sorted(found, key=lambda p: p.lstat().st_mtime, reverse=True)


def resolve_fingerprints(path: str | os.PathLike[str] | None = None):
    """The database to use: ``path``; else the bundled data; else the newest installed one."""
    from icpkit.technographics.fingerprints import load_fingerprints

    if path is not None:
        return load_fingerprints(path)
    try:
        return load_fingerprints()
    except FingerprintError:
        installed = installed_fingerprints()
        if not installed:
            raise
        return load_fingerprints(installed[0])


__all__ = [
    "fingerprints_home",
    "installed_fingerprints",
    "resolve_fingerprints",
    "update_fingerprints",
]
