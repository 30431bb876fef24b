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
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path, PurePosixPath
from typing import IO
from urllib.parse import urljoin, urlsplit

import httpx

from icpkit.errors import FingerprintError, NetworkRefused
from icpkit.technographics.fetch import DEFAULT_USER_AGENT
from icpkit.technographics.netguard import check_url

MAX_DOWNLOAD = 200 * 1024 * 1024
MAX_EXTRACTED = 1024 * 1024 * 1024


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
    """GET with manual redirects, each hop vetted; the body is capped at MAX_DOWNLOAD."""
    with httpx.Client(
        transport=transport, trust_env=False, timeout=60, headers={"user-agent": DEFAULT_USER_AGENT}
    ) as client:
        for _ in range(10):
            check_url(url, allow_private=allow_private)
            with client.stream("GET", url, follow_redirects=False) as resp:
                if resp.is_redirect and "location" in resp.headers:
                    url = urljoin(url, resp.headers["location"])
                    continue
                if resp.status_code != 200:
                    raise FingerprintError(f"{url}: HTTP {resp.status_code}")
                buf = io.BytesIO()
                for chunk in resp.iter_bytes():
                    buf.write(chunk)
                    if buf.tell() > MAX_DOWNLOAD:
                        raise FingerprintError(f"{url}: larger than {MAX_DOWNLOAD} bytes")
                return buf.getvalue()
    raise FingerprintError(f"{url}: too many redirects")


def _safe_member(root: Path, name: str) -> Path:
    target = (root / name).resolve()
    if not target.is_relative_to(root.resolve()):
        raise FingerprintError(f"archive member {name!r} escapes the target folder")
    return target


def _members(
    data: bytes, stack: ExitStack
) -> Iterator[tuple[str, bool, int, Callable[[], IO[bytes] | None]]] | None:
    """The regular files and folders of a .tar.gz or .zip archive (links, devices, fifos are
    never extracted) as ``(name, is_dir, size, open)``; ``None`` when ``data`` is neither."""
    if data[:2] == b"\x1f\x8b":
        # (closed by the stack, like the zip file below)
        tar = stack.enter_context(tarfile.open(fileobj=io.BytesIO(data), mode="r:gz"))  # noqa: SIM115
        return (
            (m.name, m.isdir(), m.size, lambda m=m: tar.extractfile(m))
            for m in tar.getmembers()
            if m.isfile() or m.isdir()
        )
    if data[:2] == b"PK":
        zf = stack.enter_context(zipfile.ZipFile(io.BytesIO(data)))
        return (
            (i.filename, i.is_dir(), i.file_size, lambda i=i: zf.open(i)) for i in zf.infolist()
        )
    return None


def _extract(data: bytes, dest: Path) -> None:
    with ExitStack() as stack:
        members = _members(data, stack)
        if members is None:
            (dest / "technologies.json").write_bytes(data)
            return
        total = 0
        for name, is_dir, size, open_member in members:
            target = _safe_member(dest, name)
            if is_dir:
                target.mkdir(parents=True, exist_ok=True)
                continue
            total += size
            if total > MAX_EXTRACTED:
                raise FingerprintError("archive expands beyond the size limit")
            target.parent.mkdir(parents=True, exist_ok=True)
            src = open_member()
            if src is not None:
                with src, target.open("wb") as out:
                    shutil.copyfileobj(src, out)


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
        _extract(data, version)
        root = _find_root(version)
        db = load_fingerprints(root)
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


def resolve_fingerprints(path: str | os.PathLike[str] | None = None):  # type: ignore[no-untyped-def]
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
