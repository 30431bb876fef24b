"""Outputs are created with ordinary permissions, not the 0600 of temporary files."""

from __future__ import annotations

import os

from icpkit.io import atomic_write_text


def test_atomic_write_uses_umask_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        p = atomic_write_text(tmp_path / "out.txt", "x")
    finally:
        os.umask(umask)
    assert p.stat().st_mode & 0o777 == 0o644
