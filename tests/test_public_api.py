"""The public API is explicit: sorted __all__, every name importable and documented."""

from __future__ import annotations

import inspect

import icpkit


def test_all_is_unique_and_importable():
    names = [n for n in icpkit.__all__ if n != "__version__"]
    assert len(names) == len(set(names))  # order is kept sorted by ruff (RUF022)
    for n in names:
        assert hasattr(icpkit, n), n


def test_every_public_name_is_documented():
    missing = [
        n for n in icpkit.__all__ if n != "__version__" and not inspect.getdoc(getattr(icpkit, n))
    ]
    assert missing == []


def test_every_error_derives_from_the_root():
    for n in icpkit.__all__:
        obj = getattr(icpkit, n)
        if inspect.isclass(obj) and issubclass(obj, Exception):
            assert issubclass(obj, icpkit.IcpkitError), n
