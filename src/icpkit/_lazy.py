"""Public names loaded on first use (PEP 562), for the packages whose modules pull in heavy
libraries: discovery scikit-learn and SciPy, scoring DuckDB and sqlglot, reports Jinja,
technographics the page parser. ``import icpkit`` and ``icp --help`` then wait for none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_exports(
    package: str,
    table: Mapping[str, str],
    namespace: dict[str, Any],
    *,
    submodules: bool = False,
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for a package whose public names live in ``table``.

    ``table`` maps a public name to the module defining it; a name is imported on first access
    and cached in ``namespace`` (the package's ``globals()``). With ``submodules``, other
    attribute names are tried as submodules (``icpkit.scoring`` worked as an attribute when
    everything loaded eagerly).
    """

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            if submodules and not name.startswith("_"):
                try:
                    return import_module(f"{package}.{name}")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{package}.{name}":
                        raise
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *table})

    return __getattr__, __dir__


__all__ = ["lazy_exports"]
