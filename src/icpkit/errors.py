"""The one exception hierarchy of icpkit.

Every error the library raises on purpose derives from :class:`IcpkitError` and carries what a
user needs to act on it::

    IcpkitError
    ├── InputError            a data file or frame is unusable (file, column, row)
    │   ├── MissingColumnsError   the data lacks columns the ICP or a config needs
    │   ├── OutcomeError          no usable best/worst definition can be built
    │   └── UsageError            the request itself is impossible: no such file, a format
    │                             icpkit cannot read or write, an output onto an input
    ├── IcpFileError          an ICP file is invalid (file, line, field)
    │   └── MissingIcpFileError   the ICP file named does not exist (a usage mistake)
    ├── OutputExistsError     refusing to overwrite an existing output without force
    ├── NotFittedError        a learner was used before ``fit``
    ├── FingerprintError      a technology fingerprint database is invalid (technology, field)
    └── NetworkRefused        a network target is refused (url, rule)

Errors from lower layers (polars, yaml, httpx) are mapped to these at the boundary so callers
only ever need ``except IcpkitError``. ``exit_code`` is the ``icp`` command's exit status for
the error: 1 for errors, 2 for usage mistakes (as click does for a bad option).
"""

from __future__ import annotations

import os


class IcpkitError(Exception):
    """Base class of every error icpkit raises on purpose."""

    #: The CLI's exit status for this error: 1 for errors, 2 for usage mistakes.
    exit_code: int = 1


def _where(file: str | os.PathLike[str] | None, column: str | None, row: int | None) -> str:
    parts = []
    if file is not None:
        parts.append(f"{file}")
    if column is not None:
        parts.append(f"column {column!r}")
    if row is not None:
        parts.append(f"row {row}")
    return ", ".join(parts)


class InputError(IcpkitError):
    """A data input cannot be used as given.

    ``row`` is 1-based and counts data rows (the header is not a row).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | os.PathLike[str] | None = None,
        column: str | None = None,
        row: int | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.column = column
        self.row = row
        where = _where(file, column, row)
        super().__init__(f"{where}: {message}" if where else message)


class UsageError(InputError):
    """The request itself cannot be carried out as asked: a file that does not exist, a format
    icpkit cannot read or write, an output that would overwrite an input. A usage mistake."""

    exit_code = 2


class MissingColumnsError(InputError):
    """The data lacks columns that are required."""

    def __init__(
        self, missing: list[str], *, file: str | os.PathLike[str] | None = None, why: str = ""
    ) -> None:
        self.missing = list(missing)
        names = ", ".join(repr(m) for m in missing)
        msg = f"missing column(s) {names}"
        if why:
            msg += f" ({why})"
        super().__init__(msg, file=file)


class OutcomeError(InputError):
    """No usable best/worst outcome definition can be built from the data."""


class IcpFileError(IcpkitError, ValueError):
    """An ICP file (or an ICP model built from data) is invalid. ``line`` is 1-based where known;
    ``field`` is a dotted path. Also a ``ValueError``, as pydantic's ``ValidationError`` is, so
    code that caught that when building a criterion keeps working."""

    def __init__(
        self,
        message: str,
        *,
        file: str | os.PathLike[str] | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.field = field
        parts = []
        if file is not None:
            parts.append(str(file) + (f":{line}" if line is not None else ""))
        elif line is not None:
            parts.append(f"line {line}")
        if field:
            parts.append(f"field {field!r}")
        where = ", ".join(parts)
        super().__init__(f"{where}: {message}" if where else message)


class MissingIcpFileError(IcpFileError):
    """The ICP file named does not exist: a usage mistake, as a missing data file is
    (:class:`UsageError`); both make ``icp`` exit 2."""

    exit_code = 2


class OutputExistsError(IcpkitError):
    """Refusing to overwrite an existing output file without ``force``."""

    exit_code = 2  # a usage mistake: the flag that allows it exists

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        super().__init__(f"{path} already exists; pass --force to replace it")


class NotFittedError(IcpkitError, ValueError, AttributeError):
    """An estimator was used before ``fit`` was called.

    Also a ``ValueError`` and ``AttributeError``, like scikit-learn's own ``NotFittedError``, so
    code written for scikit-learn estimators catches it too.
    """


class FingerprintError(IcpkitError):
    """A technology fingerprint database entry is invalid."""

    def __init__(self, message: str, *, technology: str | None = None, field: str | None = None):
        self.technology = technology
        self.field = field
        where = ", ".join(
            p
            for p in (
                f"technology {technology!r}" if technology else "",
                f"field {field!r}" if field else "",
            )
            if p
        )
        super().__init__(f"{where}: {message}" if where else message)


class NetworkRefused(IcpkitError):
    """A network target was refused by a safety rule (SSRF guard, robots.txt, scheme)."""

    def __init__(self, url: str, rule: str, detail: str = "") -> None:
        self.url = url
        self.rule = rule
        super().__init__(f"refused {url}: {rule}" + (f" ({detail})" if detail else ""))


__all__ = [
    "FingerprintError",
    "IcpFileError",
    "IcpkitError",
    "InputError",
    "MissingColumnsError",
    "MissingIcpFileError",
    "NetworkRefused",
    "NotFittedError",
    "OutcomeError",
    "OutputExistsError",
]
