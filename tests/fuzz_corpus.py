"""A deterministic corpus of malformed tabular inputs for the fuzz tests (issue 11, item 11).

``CASES`` names every case at import time (so pytest can parametrize on them); ``write_case``
writes one into a directory. Everything derives from fixed seeds: the same names give the same
bytes on every machine. Files stay small (the whole corpus is a few MB, most of it the 2 MB-cell
cases) so that running all of it through ``icp discover`` and ``icp score`` stays quick.
"""

from __future__ import annotations

import gzip
import io
import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl

ROWS = 40  # rows of the "good" base table the malformed variants start from

Builder = Callable[[Path], Path]


@lru_cache(maxsize=1)
def base_frame() -> pl.DataFrame:
    """A small, valid customer table (with outcomes) that most cases damage in one way."""
    from icpkit.sample.customers import generate_customers

    return generate_customers(ROWS, seed=4).customers


def _good_bytes(fmt: str) -> bytes:
    """The base table serialised in ``fmt`` (csv, csv.gz, tsv, parquet, xlsx, json, jsonl)."""
    return _serialise(base_frame(), fmt)


def _serialise(frame: pl.DataFrame, fmt: str) -> bytes:
    buf = io.BytesIO()
    if fmt == "csv":
        frame.write_csv(buf)
    elif fmt == "tsv":
        frame.write_csv(buf, separator="\t")
    elif fmt == "csv.gz":
        return gzip.compress(_serialise(frame, "csv"), mtime=0)
    elif fmt == "parquet":
        frame.write_parquet(buf)
    elif fmt == "xlsx":
        frame.write_excel(buf)
    elif fmt == "json":
        frame.write_json(buf)
    elif fmt == "jsonl":
        frame.write_ndjson(buf)
    else:  # pragma: no cover - a typo in this file
        raise ValueError(fmt)
    return buf.getvalue()


def _bytes_case(name: str, suffix: str, make: Callable[[], bytes]) -> tuple[str, Builder]:
    def build(directory: Path) -> Path:
        path = directory / f"{name}.{suffix}"
        path.write_bytes(make())
        return path

    return name, build


def _frame_case(name: str, suffix: str, make: Callable[[], pl.DataFrame]) -> tuple[str, Builder]:
    return _bytes_case(name, suffix, lambda: _serialise(make(), suffix))


def _text_case(name: str, text: str, encoding: str = "utf-8", suffix: str = "csv"):
    return _bytes_case(name, suffix, lambda: text.encode(encoding))


FORMATS = ("csv", "csv.gz", "tsv", "parquet", "xlsx", "json", "jsonl")


def _random_bytes() -> list[tuple[str, Builder]]:
    out = []
    for fmt in FORMATS:
        for size in (0, 1, 7, 100, 4096, 65536):
            rng = random.Random(f"{fmt}-{size}")  # string seeds: stable across runs
            out.append(
                _bytes_case(
                    f"random-{size}b-{fmt.replace('.', '_')}",
                    fmt,
                    lambda rng=rng, size=size: rng.randbytes(size),
                )
            )
    # Valid containers with garbage inside: gzip of random bytes, a zip that is no workbook.
    out.append(
        _bytes_case(
            "gzip-of-random",
            "csv.gz",
            lambda: gzip.compress(random.Random(1).randbytes(3000), mtime=0),
        )
    )
    out.append(_bytes_case("gzip-of-nothing", "csv.gz", lambda: gzip.compress(b"", mtime=0)))
    out.append(_bytes_case("zip-not-workbook", "xlsx", _zip_not_workbook))
    out.append(_bytes_case("parquet-magic-only", "parquet", lambda: b"PAR1PAR1"))
    out.append(
        _bytes_case(
            "parquet-magic-random",
            "parquet",
            lambda: b"PAR1" + random.Random(2).randbytes(500) + b"PAR1",
        )
    )
    return out


def _zip_not_workbook() -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    return buf.getvalue()


def _truncations() -> list[tuple[str, Builder]]:
    out = []
    for fmt in ("csv", "csv.gz", "parquet", "xlsx", "json", "jsonl"):
        for cut in (0.02, 0.1, 0.33, 0.5, 0.9, -1):
            label = "last-byte" if cut == -1 else f"{int(cut * 100)}pct"

            def make(fmt: str = fmt, cut: float = cut) -> bytes:
                data = _good_bytes(fmt)
                return data[:-1] if cut == -1 else data[: max(1, int(len(data) * cut))]

            out.append(_bytes_case(f"truncated-{label}-{fmt.replace('.', '_')}", fmt, make))
    return out


def _bit_flips() -> list[tuple[str, Builder]]:
    out = []
    for fmt, count in (("parquet", 24), ("xlsx", 4), ("csv.gz", 4)):
        for i in range(count):

            def make(fmt: str = fmt, i: int = i) -> bytes:
                data = bytearray(_good_bytes(fmt))
                rng = random.Random(f"flip-{fmt}-{i}")
                flips = 1 if i % 3 == 0 else 8 if i % 3 == 1 else 64
                for _ in range(flips):
                    pos = rng.randrange(len(data))
                    data[pos] ^= 1 << rng.randrange(8)
                return bytes(data)

            out.append(_bytes_case(f"bitflip-{i:02d}-{fmt.replace('.', '_')}", fmt, make))
    return out


ENCODINGS = (
    "utf-8",
    "utf-8-sig",
    "utf-16",
    "utf-16-le",
    "utf-16-be",
    "utf-32",
    "latin-1",
    "cp1252",
    "mac_roman",
    "shift_jis",
    "gb18030",
    "koi8-r",
)


def _encodings() -> list[tuple[str, Builder]]:
    out = []
    for enc in ENCODINGS:
        names = {
            "shift_jis": "株式会社テスト",
            "gb18030": "测试公司",
            "koi8-r": "Компания",
        }.get(enc, "Société Générale Müller")

        def make(enc: str = enc, names: str = names) -> bytes:
            frame = base_frame().with_columns(
                pl.concat_str([pl.lit(names + " "), pl.col("Company name")]).alias("Company name")
            )
            return frame.write_csv().encode(enc, errors="replace")

        out.append(_bytes_case(f"encoding-{enc}", "csv", make))
    return out


def _shapes() -> list[tuple[str, Builder]]:
    header = ",".join(base_frame().columns)
    out = [
        _text_case("header-only", header + "\n"),
        _text_case("header-only-no-newline", header),
        _text_case("header-only-tsv", header.replace(",", "\t") + "\n", suffix="tsv"),
        _frame_case("header-only-parquet", "parquet", lambda: base_frame().head(0)),
        _frame_case("header-only-xlsx", "xlsx", lambda: base_frame().head(0)),
        _text_case("empty-json-array", "[]", suffix="json"),
        _text_case("empty-jsonl", "\n\n", suffix="jsonl"),
        _text_case("only-newlines", "\n\n\n\r\n"),
        _text_case("only-bom", "\ufeff"),
        _text_case("only-whitespace", "   \t  \n  "),
    ]
    for fmt in ("csv", "tsv", "parquet", "xlsx", "json", "jsonl"):
        out.append(_frame_case(f"one-row-{fmt}", fmt, lambda: base_frame().head(1)))
        out.append(_frame_case(f"two-rows-{fmt}", fmt, lambda: base_frame().head(2)))
    out.append(_frame_case("one-column", "csv", lambda: base_frame().select("Churned")))
    out.append(_frame_case("one-column-id", "csv", lambda: base_frame().select("Record ID")))
    return out


def _wide(rows: int, cols: int) -> pl.DataFrame:
    rng = np.random.default_rng(10)
    base = base_frame().head(rows)
    extra = pl.DataFrame({f"c{i}": rng.integers(0, 3, size=rows) for i in range(cols)})
    return pl.concat([base, extra], how="horizontal")


def _wide_cases() -> list[tuple[str, Builder]]:
    return [
        _frame_case("10k-columns-csv", "csv", lambda: _wide(8, 10_000)),
        _frame_case("10k-columns-parquet", "parquet", lambda: _wide(8, 10_000)),
        _frame_case("10k-columns-no-rows", "csv", lambda: _wide(0, 10_000)),
    ]


def _non_finite() -> list[tuple[str, Builder]]:
    tokens = ("NaN", "nan", "inf", "-inf", "Infinity", "1e309", "-1e309", "#NUM!")
    out = []
    for k, tok in enumerate(tokens):

        def make(tok: str = tok) -> pl.DataFrame:
            f = base_frame()
            pos = pl.int_range(pl.len()) % 3 == 0
            return f.with_columns(
                pl.when(pos).then(pl.lit(tok)).otherwise(pl.col(c).cast(pl.String)).alias(c)
                for c in ("Number of Employees", "ARR", "Retention (months)")
            )

        out.append(_frame_case(f"nonfinite-{k}-{tok.strip('#!')}", "csv", make))
    for name, value in (("nan", float("nan")), ("inf", float("inf"))):

        def make_pq(value: float = value) -> pl.DataFrame:
            f = base_frame()
            return f.with_columns(
                pl.when(pl.int_range(pl.len()) % 2 == 0)
                .then(pl.lit(value))
                .otherwise(pl.col(c).cast(pl.Float64))
                .alias(c)
                for c in ("ARR", "Retention (months)")
            )

        out.append(_frame_case(f"nonfinite-{name}-parquet", "parquet", make_pq))
    out.append(
        _frame_case(
            "all-nan-outcome",
            "parquet",
            lambda: base_frame().with_columns(
                pl.lit(float("nan")).alias("ARR"),
                pl.lit(float("nan")).alias("Retention (months)"),
            ),
        )
    )
    return out


DATE_FORMATS = (
    "%Y-%m-%d",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%b %d, %Y",
    "%d %b %Y",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%d %H:%M:%S",
    "%Y%m%d",
    "%d-%b-%y",
    "%B %d, %Y",
    "%m/%d/%y",
    "%A, %d %B %Y",
    "%Y-%m-%dT%H:%M:%S.%f%z",
    "epoch-seconds",
    "epoch-millis",
    "excel-serial",
)


def _dates() -> list[tuple[str, Builder]]:
    out = []
    for k, fmt in enumerate(DATE_FORMATS):

        def make(fmt: str = fmt) -> pl.DataFrame:
            f = base_frame()
            start = datetime(2019, 1, 1)
            days = [start + timedelta(days=37 * i + 3) for i in range(f.height)]
            if fmt == "epoch-seconds":
                text = [str(int(d.timestamp())) for d in days]
            elif fmt == "epoch-millis":
                text = [str(int(d.timestamp() * 1000)) for d in days]
            elif fmt == "excel-serial":
                text = [str((d - datetime(1899, 12, 30)).days) for d in days]
            elif "%z" in fmt:
                text = [d.strftime(fmt.replace("%z", "+0200")) for d in days]
            else:
                text = [d.strftime(fmt) for d in days]
            return f.with_columns(
                pl.Series("Close Date", text), pl.Series("Last Funding Date", text)
            )

        safe = fmt.replace("%", "").replace("/", "-").replace(" ", "_").replace(",", "")
        out.append(_frame_case(f"dates-{k:02d}-{safe.replace(':', '')}", "csv", make))
    return out


def _big_cells() -> list[tuple[str, Builder]]:
    cell = "x" * (2 * 1024 * 1024)

    def frame() -> pl.DataFrame:
        f = base_frame()
        return f.with_columns(
            pl.when(pl.int_range(pl.len()) == 3)
            .then(pl.lit(cell))
            .otherwise(pl.col("Industry"))
            .alias("Industry")
        )

    return [
        _frame_case("2mb-cell-csv", "csv", frame),
        _frame_case("2mb-cell-parquet", "parquet", frame),
        _frame_case("2mb-cell-jsonl", "jsonl", frame),
        _text_case("2mb-header", "a" * (2 * 1024 * 1024) + ",b\n1,2\n3,4\n"),
        _text_case("2mb-unterminated-quote", 'a,b\n1,"' + cell),
    ]


def _headers() -> list[tuple[str, Builder]]:
    good = base_frame().write_csv().splitlines()
    body = "\n".join(good[1:]) + "\n"
    n = len(base_frame().columns)
    heads = {
        "dup-headers": ",".join(["Industry"] * n),
        "dup-headers-two": ",".join(["Churned", *base_frame().columns[1:-1], "Churned"]),
        "dup-after-canonical": ",".join(
            ["Industry", "industry ", "INDUSTRY", *base_frame().columns[3:]]
        ),
        "empty-headers": "," * (n - 1),
        "some-empty-headers": ",".join(["", "", *base_frame().columns[2:]]),
        "whitespace-headers": ",".join([" "] * n),
        "symbol-headers": ",".join(["%", "$", "#", *base_frame().columns[3:]]),
        "numeric-headers": ",".join(str(i) for i in range(n)),
        "newline-in-header": ",".join(['"Ind\nustry"', *base_frame().columns[1:]]),
    }
    out = [_text_case(k, v + "\n" + body) for k, v in heads.items()]
    out.append(
        _bytes_case(
            "dup-keys-jsonl",
            "jsonl",
            lambda: b'{"a": 1, "a": 2, "Churned": true}\n{"a": 3, "Churned": false}\n',
        )
    )
    out.append(_bytes_case("empty-key-json", "json", lambda: b'[{"": 1, "x": 2}, {"": 3}]'))
    return out


def _parquet_types() -> list[tuple[str, Builder]]:
    n = ROWS

    def with_col(series: pl.Series) -> Callable[[], pl.DataFrame]:
        return lambda: base_frame().with_columns(series)

    r = range(n)
    cases = {
        "list-int": pl.Series("Scores", [[i, i + 1] for i in r]),
        "list-str": pl.Series("Tags", [["a", "b"][: i % 3] for i in r]),
        "struct": pl.Series("Address", [{"city": f"c{i % 4}", "zip": i} for i in r]),
        "list-struct": pl.Series("Contacts", [[{"n": i}] for i in r]),
        "nested-list": pl.Series("Matrix", [[[i], [i, i]] for i in r]),
        "binary": pl.Series("Blob", [bytes([i % 256]) * 5 for i in r]),
        "decimal": pl.Series("Price", [Decimal(f"{i}.25") for i in r], dtype=pl.Decimal(10, 2)),
        "time": pl.Series("Opens", [time(i % 24, 0) for i in r]),
        "duration": pl.Series("Lag", [timedelta(hours=i) for i in r]),
        "datetime-tz": pl.Series(
            "Seen", [datetime(2024, 1, 1) + timedelta(days=i) for i in r]
        ).dt.replace_time_zone("Europe/Paris"),
        "categorical": pl.Series("Tier", ["a", "b"] * (n // 2), dtype=pl.Categorical),
        "null-type": pl.Series("Nothing", [None] * n, dtype=pl.Null),
        "array": pl.Series("Vec", [[i, i] for i in r], dtype=pl.Array(pl.Int64, 2)),
        "uint64-huge": pl.Series("Big", [2**64 - 1 - i for i in r], dtype=pl.UInt64),
        "date-as-outcome": pl.Series("Churned", [date(2024, 1, 1)] * n),
        "binary-label": pl.Series("Churned", [b"\x00\xff"] * n),
    }
    out = [_frame_case(f"parquet-{k}", "parquet", with_col(v)) for k, v in cases.items()]
    out.append(
        _frame_case(
            "parquet-nested-only",
            "parquet",
            lambda: pl.DataFrame({"s": [{"a": [1, 2]}] * n, "l": [[None]] * n}),
        )
    )
    return out


def _csv_oddities() -> list[tuple[str, Builder]]:
    good = base_frame().write_csv()
    lines = good.splitlines()
    return [
        _text_case("unbalanced-quote", good.replace(",", ',"', 1)),
        _text_case("ragged-rows", "\n".join([*lines[:5], lines[5] + ",extra,more", *lines[6:]])),
        _text_case("short-row", "\n".join([*lines[:5], "1,2", *lines[6:]])),
        _bytes_case("nul-bytes", "csv", lambda: good.replace(",", ",\x00", 3).encode()),
        _text_case("crlf", good.replace("\n", "\r\n")),
        _text_case("cr-only", good.replace("\n", "\r")),
        _text_case("semicolons-and-commas", good.replace(",", ";", 200)),
        _text_case("html-instead", "<html><body><table><tr><td>1</td></tr></table></body></html>"),
        _text_case("json-in-csv", '[{"a": 1}, {"a": 2}]'),
        _text_case("csv-in-json", good, suffix="json"),
        _text_case("csv-in-jsonl", good, suffix="jsonl"),
        _text_case("json-object-not-array", '{"a": [1, 2, 3]}', suffix="json"),
        _text_case("jsonl-scalars", "1\n2\n3\n", suffix="jsonl"),
        _text_case("jsonl-mixed-types", '{"a": 1}\n{"a": "x"}\n{"a": [1]}\n', suffix="jsonl"),
        _text_case("json-deep", "[" * 5000 + "]" * 5000, suffix="json"),
        _bytes_case("csv-is-parquet", "csv", lambda: _good_bytes("parquet")),
        _bytes_case("parquet-is-csv", "parquet", lambda: _good_bytes("csv")),
        _bytes_case("xlsx-is-csv", "xlsx", lambda: _good_bytes("csv")),
        _bytes_case("csv-gz-not-gzipped", "csv.gz", lambda: _good_bytes("csv")),
        _text_case("all-values-empty", lines[0] + "\n" + ("," * (lines[0].count(",")) + "\n") * 30),
        _text_case("all-same-row", lines[0] + "\n" + (lines[1] + "\n") * 30),
        _text_case("label-all-one-value", _all_churned()),
    ]


def _all_churned() -> str:
    return base_frame().with_columns(pl.lit(True).alias("Churned")).write_csv()


def _all_cases() -> list[tuple[str, Builder]]:
    cases = [
        *_random_bytes(),
        *_truncations(),
        *_bit_flips(),
        *_encodings(),
        *_shapes(),
        *_wide_cases(),
        *_non_finite(),
        *_dates(),
        *_big_cells(),
        *_headers(),
        *_parquet_types(),
        *_csv_oddities(),
    ]
    names = [n for n, _ in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    return cases


_BUILDERS = dict(_all_cases())
CASES: list[str] = list(_BUILDERS)


def write_case(name: str, directory: Path) -> Path:
    """Write case ``name`` into ``directory`` and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    return _BUILDERS[name](directory)


__all__ = ["CASES", "DATE_FORMATS", "ENCODINGS", "base_frame", "write_case"]
