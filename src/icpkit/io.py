"""Reading and writing tables: format detection, CSV sniffing, encodings and atomic writes.

CRM and spreadsheet exports arrive in every shape: semicolon CSVs from European Excel, UTF-16
from "Unicode text" exports, Latin-1 or Mac Roman with old-Mac ``\\r`` line endings, Excel sheets,
JSON lines from a warehouse. :func:`read_table` turns all of them into a polars frame whose
columns are strings for text formats (typing happens in :func:`icpkit.columns.prepare`, which can
then report a bad value with its row number) and native types for typed formats (Parquet, Excel,
JSON). Every failure is an :class:`~icpkit.errors.InputError` naming the file and, where it
applies, the column and the 1-based data row; polars, pyarrow and DuckDB errors never escape raw.

Writes are atomic (a temporary file in the target directory, fsync, ``os.replace``) so a crash
never leaves half a file, refuse to replace an existing file without ``force`` and never write
onto one of the command's inputs, even with ``force``. CSV and Excel outputs are opened in
spreadsheets and imported into CRMs, so text cells that would run as a formula get a leading ``'``
(:func:`neutralize_cells`; ``raw_cells=True`` opts out).
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import os
import re
import tempfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from icpkit.errors import IcpkitError, InputError, OutputExistsError, UsageError

Format = Literal["csv", "parquet", "xlsx", "jsonl", "json"]
PathLike = str | os.PathLike[str]

_EXTENSIONS: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".csv.gz": "csv",
    ".tsv.gz": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
}
_WRITABLE = (".csv", ".parquet", ".xlsx", ".jsonl", ".ndjson", ".json")
_DELIMITERS = (",", ";", "\t", "|")
_QUOTED = re.compile(r'"(?:[^"]|"")*"')
_SNIFF_LINES = 200
LIST_JOINER = "; "


def _supported(exts: Sequence[str]) -> str:
    return ", ".join(exts)


def detect_format(path: PathLike) -> Format:
    """The table format of ``path`` from its extension (``.csv.gz`` counts as CSV)."""
    name = Path(path).name.lower()
    for ext in sorted(_EXTENSIONS, key=len, reverse=True):
        if name.endswith(ext):
            return _EXTENSIONS[ext]
    raise UsageError(
        f"unknown file type; supported extensions are {_supported(list(_EXTENSIONS))}",
        file=path,
    )


def _check_source(source: PathLike) -> Path:
    path = Path(source)
    if path.is_dir():
        raise InputError("is a directory; give a data file", file=path)
    if not path.exists():
        raise UsageError("no such file", file=path)
    return path


# -- CSV: decoding and sniffing -----------------------------------------------------------------


@dataclass(frozen=True)
class CsvDialect:
    """What sniffing found out about a CSV file; reported so users can see how it was read."""

    encoding: str
    delimiter: str
    newline: str


def decode_bytes(data: bytes, *, file: PathLike | None = None) -> tuple[str, str]:
    """Decode CSV bytes to text, returning ``(text, encoding)``.

    Order: byte-order marks (UTF-8/16/32), then strict UTF-8, then the legacy single-byte code
    pages. Files with old-Mac ``\\r``-only line endings come from classic Mac Excel and are Mac
    Roman (the Crunchbase 2013 export is), everything else falls back to cp1252 and finally
    Latin-1, which decodes any byte.
    """
    boms = (
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    )
    for bom, enc in boms:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(enc.removesuffix("-sig")), enc
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"starts with a {enc} byte-order mark but is not valid {enc} "
                    f"(byte {exc.start + len(bom)})",
                    file=file,
                ) from None
    head = data[:4096]
    if head.count(b"\x00") > len(head) // 4:
        # UTF-16 without a byte-order mark: ASCII characters leave every other byte zero.
        enc = "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            raise InputError(
                "is binary or in an unknown encoding; save it as UTF-8 CSV", file=file
            ) from None
    try:
        text, enc = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        if b"\r" in data and b"\n" not in data:
            text, enc = data.decode("mac_roman"), "mac_roman"
        else:
            try:
                text, enc = data.decode("cp1252"), "cp1252"
            except UnicodeDecodeError:
                text, enc = data.decode("latin-1"), "latin-1"
    if "\x00" in text:
        raise InputError("is binary or in an unknown encoding; save it as UTF-8 CSV", file=file)
    return text, enc


def _newline(text: str) -> str:
    if "\r\n" in text:
        return "\r\n"
    if "\r" in text and "\n" not in text:
        return "\r"
    return "\n"


def _unquoted_lines(text: str) -> pl.Series:
    """Records of ``text`` with quoted fields removed, so delimiters can be counted per record.

    Removing quoted fields first (one regex over the whole text) also removes newlines inside
    them, so each remaining line is exactly one record and the counts are vectorised.
    """
    stripped = _QUOTED.sub("", text) if '"' in text else text
    lines = pl.Series("line", stripped.split("\n"), dtype=pl.String)
    return lines.filter(lines.str.strip_chars() != "")


def sniff_delimiter(lines: pl.Series) -> str:
    """The delimiter whose count per record is the most consistent with the header's.

    Candidates are ``,`` ``;`` tab and ``|``; one absent from the header is never chosen. Ties
    go to the delimiter yielding more columns, then to the order above.
    """
    sample = lines.head(_SNIFF_LINES)
    best: tuple[float, int, int] | None = None
    choice = ","
    for rank, d in enumerate(_DELIMITERS):
        counts = sample.str.count_matches(d, literal=True)
        header = int(counts[0])
        if header == 0:
            continue
        body = counts.slice(1)
        consistent = int((body == header).sum()) / len(body) if len(body) else 1.0
        key = (consistent, header, -rank)
        if best is None or key > best:
            best, choice = key, d
    return choice


def _parse_header(text: str, delimiter: str, file: PathLike) -> list[str]:
    try:
        first = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    except csv.Error as exc:  # e.g. a header cell past the csv module's field size limit
        raise InputError(f"has an unreadable header row: {_first_line(exc)}", file=file) from None
    return _check_names(first, file)


def _check_names(headers: Sequence[str | None], file: PathLike) -> list[str]:
    """Strip header names, name blank ones ``column_<n>`` and reject duplicates."""
    names = [(h or "").strip() for h in headers]
    names = [n if n else f"column_{i}" for i, n in enumerate(names, 1)]
    seen: dict[str, int] = {}
    for i, n in enumerate(names, 1):
        if n in seen:
            raise InputError(
                f"duplicate column header (columns {seen[n]} and {i}); rename one of them",
                file=file,
                column=n,
            )
        seen[n] = i
    return names


def _check_ragged(lines: pl.Series, delimiter: str, n_columns: int, file: PathLike) -> None:
    counts = lines.str.count_matches(delimiter, literal=True).slice(1) + 1
    bad = (counts != n_columns).arg_true()
    if len(bad):
        i = int(bad[0])
        found = int(counts[i])
        raise InputError(
            f"has {found} field(s) but the header has {n_columns}"
            + (f" ({len(bad)} such rows)" if len(bad) > 1 else ""),
            file=file,
            row=i + 1,
        )


def read_csv_text(text: str, *, file: PathLike = "<text>") -> pl.DataFrame:
    """Parse decoded CSV text (any newline convention, sniffed delimiter) to a string frame."""
    df, _ = _read_csv_text(text, file=file)
    return df


def _read_csv_text(text: str, *, file: PathLike) -> tuple[pl.DataFrame, str]:
    newline = _newline(text)
    if newline != "\n":
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InputError("is empty", file=file)
    lines = _unquoted_lines(text)
    delimiter = sniff_delimiter(lines)
    names = _parse_header(text.lstrip("\n"), delimiter, file)
    if len(lines) < 2:
        raise InputError("has a header but no data rows", file=file)
    _check_ragged(lines, delimiter, len(names), file)
    try:
        df = pl.read_csv(
            io.BytesIO(text.encode("utf-8")),
            separator=delimiter,
            has_header=True,
            infer_schema=False,
            new_columns=names,
            truncate_ragged_lines=False,
        )
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"cannot be parsed as CSV: {_first_line(exc)}", file=file) from None
    df = df.filter(~pl.all_horizontal(pl.all().is_null()))
    if df.height == 0:
        raise InputError("has a header but no data rows", file=file)
    return df, delimiter


def sniff_csv(source: PathLike) -> CsvDialect:
    """How :func:`read_table` would read a CSV file: its encoding, delimiter and newline."""
    path = _check_source(source)
    text, encoding = decode_bytes(_read_bytes(path), file=path)
    newline = _newline(text)
    norm = text.replace("\r\n", "\n").replace("\r", "\n")
    return CsvDialect(encoding, sniff_delimiter(_unquoted_lines(norm)), newline)


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot be read: {exc.strerror}", file=path) from None
    if path.name.lower().endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:  # zlib.error: corrupt deflate data
            raise InputError(f"is not a valid gzip file: {exc}", file=path) from None
    return data


def _first_line(exc: BaseException, limit: int = 300) -> str:
    """The first line of a library error, cut to ``limit`` characters (polars quotes the
    offending field, which can be megabytes long)."""
    line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return line if len(line) <= limit else line[: limit - 1] + "…"


# -- reading ------------------------------------------------------------------------------------


def read_table(
    source: PathLike, *, format: str | None = None, sheet: str | int | None = None
) -> pl.DataFrame:
    """Read a CSV/Parquet/Excel/JSON file into a frame.

    ``format`` overrides the extension; ``sheet`` picks an Excel sheet by name or 1-based
    position (the first sheet by default). CSV columns come back as strings.
    """
    path = _check_source(source)
    fmt = _format(path, format)
    if fmt == "csv":
        text, _ = decode_bytes(_read_bytes(path), file=path)
        df, _ = _read_csv_text(text, file=path)
        return df
    if path.stat().st_size == 0:
        raise InputError("is empty", file=path)
    df = _READERS[fmt](path, sheet)
    if df.width == 0 or df.height == 0:
        raise InputError("has no data rows", file=path)
    return df


def _format(path: Path, format: str | None) -> Format:
    if format is None:
        return detect_format(path)
    fmt = format.lower().lstrip(".")
    fmt = {"ndjson": "jsonl", "tsv": "csv", "pq": "parquet", "excel": "xlsx"}.get(fmt, fmt)
    if fmt not in ("csv", "parquet", "xlsx", "jsonl", "json"):
        raise InputError(
            f"unknown format {format!r}; supported: csv, parquet, xlsx, jsonl, json", file=path
        )
    return fmt  # type: ignore[return-value]


def _read_parquet(path: Path, sheet: str | int | None) -> pl.DataFrame:
    try:
        return pl.read_parquet(path)
    except Exception as exc:  # pyarrow/polars raise several unrelated types for corrupt files
        raise InputError(
            f"is not a readable Parquet file (corrupt or truncated): {_first_line(exc)}", file=path
        ) from None


def _read_xlsx(path: Path, sheet: str | int | None) -> pl.DataFrame:
    # fastexcel directly (Arrow PyCapsule to polars): no pyarrow needed, and its own header
    # de-duplication ("a", "a_1") would hide duplicate headers, so the header row is read apart.
    import fastexcel

    index: str | int = sheet - 1 if isinstance(sheet, int) else (sheet or 0)
    try:
        reader = fastexcel.read_excel(path)
        header = reader.load_sheet(index, header_row=None, n_rows=1).to_polars()
        df = reader.load_sheet(index).to_polars()
    except Exception as exc:  # fastexcel raises its own hierarchy; never let it escape
        msg = _first_line(exc)
        if type(exc).__name__ == "SheetNotFoundError":
            raise InputError(
                f"has no sheet {sheet!r}; sheets are {', '.join(reader.sheet_names)}", file=path
            ) from None
        raise InputError(
            f"is not a readable Excel .xlsx file (corrupt?): {msg}", file=path
        ) from None
    if header.height == 0:
        raise InputError("has no data rows", file=path)
    names = _check_names([None if v is None else str(v) for v in header.row(0)], path)
    return df.rename(dict(zip(df.columns, names, strict=True)))


def _read_jsonl(path: Path, sheet: str | int | None) -> pl.DataFrame:
    try:
        return pl.read_ndjson(path, infer_schema_length=None)
    except Exception as exc:
        raise InputError(f"is not valid JSON lines: {_first_line(exc)}", file=path) from None


def _read_json(path: Path, sheet: str | int | None) -> pl.DataFrame:
    try:
        return pl.read_json(path, infer_schema_length=None)
    except Exception as exc:
        raise InputError(f"is not a JSON array of objects: {_first_line(exc)}", file=path) from None


_READERS: dict[str, Callable[[Path, str | int | None], pl.DataFrame]] = {
    "parquet": _read_parquet,
    "xlsx": _read_xlsx,
    "jsonl": _read_jsonl,
    "json": _read_json,
}


def scan_table(source: PathLike, *, format: str | None = None) -> pl.LazyFrame:
    """A lazy frame over a table, streaming where the format allows it.

    Parquet and plain UTF-8 CSV (``\\n`` or ``\\r\\n`` endings) are scanned without loading;
    other inputs (legacy encodings, ``\\r`` endings, gzip, Excel, JSON) are read, then made lazy.
    Lazy CSV scanning checks the header but not ragged rows (they surface at collect time).
    """
    path = _check_source(source)
    fmt = _format(path, format)
    if fmt == "parquet":
        try:
            pl.read_parquet_schema(path)
        except Exception as exc:
            raise InputError(
                f"is not a readable Parquet file (corrupt or truncated): {_first_line(exc)}",
                file=path,
            ) from None
        return pl.scan_parquet(path)
    if fmt == "csv" and not path.name.lower().endswith(".gz"):
        with path.open("rb") as fh:
            head = fh.read(1 << 16)
        try:
            text: str | None = head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A cut multi-byte character at the end of the sample is fine; anything else is not.
            text = head[: exc.start].decode("utf-8") if exc.start > len(head) - 4 else None
        if text is not None and not text.startswith("\ufeff") and _newline(text) != "\r":
            sample = text.replace("\r\n", "\n")
            lines = _unquoted_lines(sample.rsplit("\n", 1)[0] if "\n" in sample else sample)
            if len(lines) >= 2:
                delimiter = sniff_delimiter(lines)
                names = _parse_header(sample, delimiter, path)
                return pl.scan_csv(path, separator=delimiter, infer_schema=False, new_columns=names)
    return read_table(path, format=fmt).lazy()


def read_sql(query: str, *, database: PathLike | None = None) -> pl.DataFrame:
    """Run a DuckDB query and return its result, e.g. ``SELECT * FROM read_parquet('a.parquet')``.

    ``database`` is a DuckDB file opened read-only (it must exist); without it the query runs
    in memory and can still read CSV/Parquet files through DuckDB's table functions.
    """
    import duckdb

    if database is not None:
        db = _check_source(database)
        try:
            con = duckdb.connect(str(db), read_only=True)
        except duckdb.Error as exc:
            raise InputError(
                f"is not a readable DuckDB database: {_first_line(exc)}", file=db
            ) from None
    else:
        con = duckdb.connect(":memory:")
    try:
        rel = con.sql(query)
        if rel is None:
            raise InputError("the SQL statement returns no rows (use a SELECT)", file=database)
        return pl.DataFrame(rel)  # Arrow PyCapsule: no pyarrow round trip
    except duckdb.Error as exc:
        raise InputError(f"SQL query failed: {_first_line(exc)}", file=database) from None
    finally:
        con.close()


# -- writing ------------------------------------------------------------------------------------


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return a.samefile(b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def _check_target(path: PathLike, force: bool, inputs: Sequence[PathLike]) -> Path:
    target = Path(path)
    for inp in inputs:
        if _same_file(target, Path(inp)):
            raise UsageError(
                "is one of the inputs; icpkit never overwrites its inputs, choose another output",
                file=target,
            )
    if target.is_dir():
        raise InputError("is a directory; give an output file name", file=target)
    if target.exists() and not force:
        raise OutputExistsError(target)
    if not target.parent.exists():
        raise InputError("output directory does not exist", file=target.parent)
    return target


class OutputWriteError(IcpkitError):
    """The operating system refused to write an output (read-only or full disk, permissions).

    Not an input problem: the CLI exits 1 for it (``exit_code``), naming the path.
    """

    exit_code = 1

    def __init__(self, path: PathLike, reason: str) -> None:
        self.path = str(path)
        super().__init__(f"{path}: cannot write the output: {reason}")


_TMP_SUFFIX = ".tmp"


def _temp_prefix(target: Path) -> str:
    # The writer's pid is part of the name so a later write can tell a stale temporary file
    # (its process is gone: killed, Ctrl-C'd twice, power cut) from one being written right now.
    return f".{target.name}.{os.getpid()}."


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but not ours (EPERM), or a platform without signal 0
        return True
    return True


def clear_stale_temps(target: PathLike) -> list[Path]:
    """Remove temporary files an interrupted earlier write of ``target`` left beside it.

    A temporary file is stale when the process that created it no longer runs (or it predates
    pid-stamped names). Returns the files removed.
    """
    target = Path(target)
    removed: list[Path] = []
    prefix = f".{target.name}."
    try:
        siblings = list(target.parent.iterdir())
    except OSError:
        return removed
    for p in siblings:
        name = p.name
        if not name.startswith(prefix):
            continue
        rest = name[len(prefix) :]
        if rest == "icpkit-tmp":  # the streaming scorer's temporary file
            stale = True
        elif rest.endswith(_TMP_SUFFIX):
            pid = rest.split(".", 1)[0]
            stale = not (pid.isdigit() and "." in rest and _pid_alive(int(pid)))
        else:
            continue
        if stale and p.is_file():
            with contextlib.suppress(OSError):
                p.unlink()
                removed.append(p)
    return removed


def _atomic(target: Path, write: Callable[[Path], object]) -> Path:
    """Write via ``write(tmp)`` to a temporary sibling, fsync it, then rename over ``target``.

    The temporary file is removed on any failure, Ctrl-C included; ones left by a killed earlier
    run are cleared first. OS errors (read-only or full disk) become :class:`OutputWriteError`.
    """
    clear_stale_temps(target)
    tmp: Path | None = None
    try:
        fd, tmp_name = tempfile.mkstemp(
            dir=target.parent, prefix=_temp_prefix(target), suffix=_TMP_SUFFIX
        )
        tmp = Path(tmp_name)
        os.close(fd)
        write(tmp)
        # mkstemp creates 0600; give the output the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o666 & ~umask)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        tmp.replace(target)
    except BaseException as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()
        if isinstance(exc, OSError):
            raise OutputWriteError(target, exc.strerror or str(exc)) from exc
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable (POSIX only)
        dfd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    return target


def atomic_write_bytes(
    path: PathLike, data: bytes, *, force: bool = False, inputs: Sequence[PathLike] = ()
) -> Path:
    """Write ``data`` atomically; see the module docstring for the overwrite rules."""
    target = _check_target(path, force, inputs)
    return _atomic(target, lambda tmp: tmp.write_bytes(data))


def atomic_write_text(
    path: PathLike, text: str, *, force: bool = False, inputs: Sequence[PathLike] = ()
) -> Path:
    """Write UTF-8 ``text`` atomically; see the module docstring for the overwrite rules."""
    return atomic_write_bytes(path, text.encode("utf-8"), force=force, inputs=inputs)


def _flatten_lists(df: pl.DataFrame) -> pl.DataFrame:
    """Join list columns with ``"; "`` for formats without list cells (CSV, Excel)."""
    lists = [n for n, t in df.schema.items() if isinstance(t, pl.List)]
    if not lists:
        return df
    return df.with_columns(
        pl.col(n).list.eval(pl.element().cast(pl.String)).list.join(LIST_JOINER) for n in lists
    )


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection)."""

_DANGEROUS = r"^[=+\-@\t\r]"
# A plain number such as "-5" or "+3.2e4" is a number to every spreadsheet, never a formula, so it
# is left as it is (a negative amount must stay a number). "-2+3" or "+1 555 0100" is not plain.
_PLAIN_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_RAW_CELLS: ContextVar[bool] = ContextVar("icpkit_raw_cells", default=False)


def neutralize_cells(df: pl.DataFrame) -> pl.DataFrame:
    """Prefix ``'`` to text cells a spreadsheet would run as a formula (OWASP CSV injection).

    Company names, titles and the reasons that repeat them come from files anyone can write; a
    cell like ``=HYPERLINK(...)`` would run when the CSV opens in Excel or is imported into a CRM.
    Only text columns are touched: numeric, boolean and date columns stay what they are, and a
    text cell that is a plain number ("-5") is kept as is (see ``_PLAIN_NUMBER``). Header cells
    get the same rule.
    """
    import re

    # Header cells too: column names come from the input file.
    renames = {
        n: f"'{n}"
        for n in df.columns
        if re.search(_DANGEROUS, n) and not re.search(_PLAIN_NUMBER, n)
    }
    text = [n for n, t in df.schema.items() if t == pl.String]
    if text:
        df = df.with_columns(
            pl.when(pl.col(n).str.contains(_DANGEROUS) & ~pl.col(n).str.contains(_PLAIN_NUMBER))
            .then(pl.lit("'") + pl.col(n))
            .otherwise(pl.col(n))
            .alias(n)
            for n in text
        )
    return df.rename(renames) if renames else df


@contextlib.contextmanager
def raw_cells(enabled: bool = True) -> Iterator[None]:
    """Within the block, CSV/Excel writes keep cells verbatim (no ``'`` before ``=`` and co.).

    For callers that write through a library function without a ``raw_cells`` parameter (the
    CLI's ``--raw-cells``); :func:`write_table` also takes ``raw_cells=`` directly.
    """
    token = _RAW_CELLS.set(enabled)
    try:
        yield
    finally:
        _RAW_CELLS.reset(token)


def _spreadsheet_cells(df: pl.DataFrame, raw: bool) -> pl.DataFrame:
    flat = _flatten_lists(df)
    return flat if raw else neutralize_cells(flat)


def write_table(
    df: pl.DataFrame,
    path: PathLike,
    *,
    force: bool = False,
    inputs: Sequence[PathLike] = (),
    raw_cells: bool | None = None,
) -> Path:
    """Write ``df`` atomically in the format of the extension (csv, parquet, xlsx, jsonl, json).

    CSV and Excel cells that a spreadsheet would run as a formula get a leading ``'``
    (:func:`neutralize_cells`) unless ``raw_cells=True`` (``None``: the :func:`raw_cells`
    context, off by default). Parquet and JSON keep values as they are.
    """
    raw = _RAW_CELLS.get() if raw_cells is None else raw_cells
    name = Path(path).name.lower()
    ext = next((e for e in _WRITABLE if name.endswith(e)), None)
    if Path(path).is_dir():
        raise InputError("is a directory; give an output file name", file=path)
    if ext is None:
        raise UsageError(
            f"unknown output type; supported extensions are {_supported(_WRITABLE)}", file=path
        )
    target = _check_target(path, force, inputs)
    writers: dict[str, Callable[[Path], object]] = {
        ".csv": lambda p: _spreadsheet_cells(df, raw).write_csv(p),
        ".parquet": lambda p: df.write_parquet(p),
        ".xlsx": lambda p: _spreadsheet_cells(df, raw).write_excel(p),
        ".jsonl": lambda p: df.write_ndjson(p),
        ".ndjson": lambda p: df.write_ndjson(p),
        ".json": lambda p: df.write_json(p),
    }
    try:
        return _atomic(target, writers[ext])
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"cannot be written: {_first_line(exc)}", file=target) from None


def check_output(path: PathLike, *, force: bool = False, inputs: Sequence[PathLike] = ()) -> Path:
    """Refuse an output before any work: an input, a directory, existing without ``force``."""
    return _check_target(path, force, inputs)


__all__ = [
    "FORMULA_START",
    "CsvDialect",
    "Format",
    "OutputWriteError",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_output",
    "clear_stale_temps",
    "decode_bytes",
    "detect_format",
    "neutralize_cells",
    "raw_cells",
    "read_csv_text",
    "read_sql",
    "read_table",
    "scan_table",
    "sniff_csv",
    "sniff_delimiter",
    "write_table",
]
