"""Reading and writing tables: formats, encodings, sniffing, errors and atomic writes."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from icpkit.errors import IcpkitError, InputError, OutputExistsError
from icpkit.io import (
    atomic_write_bytes,
    atomic_write_text,
    decode_bytes,
    detect_format,
    read_sql,
    read_table,
    scan_table,
    sniff_csv,
    write_table,
)
from tests.helpers import shared_dir

SHARED = shared_dir()
CRUNCHBASE = SHARED / "data" / "crunchbase-2013"
needs_crunchbase = pytest.mark.skipif(
    not (CRUNCHBASE / "crunchbase-companies.csv").is_file(),
    reason=f"real Crunchbase 2013 export not found at {CRUNCHBASE} (set ICPKIT_SHARED)",
)


@pytest.fixture
def frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": ["a1", "a2", "a3"],
            "Company name": ["Acme, Inc.", "Bêta GmbH", 'Gamma "G" Ltd'],
            "employees": [12, 250, 4000],
            "arr": [1200.5, None, 99000.0],
            "churned": [False, True, False],
            "close_date": [date(2023, 1, 5), date(2022, 7, 1), None],
            "tech": [["shopify", "klaviyo"], [], None],
        }
    )


# -- round trips --------------------------------------------------------------------------------


@pytest.mark.parametrize("ext", ["parquet", "jsonl", "ndjson", "json"])
def test_typed_formats_round_trip(tmp_path: Path, frame: pl.DataFrame, ext: str) -> None:
    path = write_table(frame, tmp_path / f"out.{ext}")
    back = read_table(path)
    if ext != "parquet":  # JSON has no date type: dates come back as ISO strings
        back = back.with_columns(pl.col("close_date").str.to_date())
    assert back.columns == frame.columns
    assert back.select(pl.exclude("tech")).equals(frame.select(pl.exclude("tech")))
    assert back["tech"].to_list() == frame["tech"].to_list()


def test_csv_round_trip_joins_lists(tmp_path: Path, frame: pl.DataFrame) -> None:
    path = write_table(frame, tmp_path / "out.csv")
    back = read_table(path)
    assert back.columns == frame.columns
    assert back.schema["employees"] == pl.String  # typing happens in columns.prepare
    assert back["Company name"].to_list() == frame["Company name"].to_list()
    # an empty list is written as a quoted empty string, so "known none" survives as "" vs null
    assert back["tech"].to_list() == ["shopify; klaviyo", "", None]
    assert back["arr"].to_list() == ["1200.5", None, "99000.0"]


def test_xlsx_round_trip(tmp_path: Path, frame: pl.DataFrame) -> None:
    path = write_table(frame, tmp_path / "out.xlsx")
    back = read_table(path)
    assert back.columns == frame.columns
    assert back["employees"].cast(pl.Int64).to_list() == [12, 250, 4000]
    assert back["Company name"].to_list() == frame["Company name"].to_list()
    assert back["tech"].to_list()[0] == "shopify; klaviyo"


def test_xlsx_sheet_choice(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "book.xlsx"
    wb = xlsxwriter.Workbook(path)
    for name, value in (("First", "one"), ("Accounts", "two")):
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, ["id", "v"])
        ws.write_row(1, 0, ["x", value])
    wb.close()
    assert read_table(path)["v"].to_list() == ["one"]
    assert read_table(path, sheet="Accounts")["v"].to_list() == ["two"]
    assert read_table(path, sheet=2)["v"].to_list() == ["two"]
    with pytest.raises(InputError, match="Nope") as err:
        read_table(path, sheet="Nope")
    assert err.value.file == str(path)


def test_csv_gz(tmp_path: Path) -> None:
    path = tmp_path / "data.csv.gz"
    path.write_bytes(gzip.compress("id;city\n1;Zürich\n2;Köln\n".encode()))
    assert detect_format(path) == "csv"
    df = read_table(path)
    assert df.to_dict(as_series=False) == {"id": ["1", "2"], "city": ["Zürich", "Köln"]}


# -- encodings, line endings, delimiters ------------------------------------------------------

ROWS = [["id", "name", "city"], ["1", "Café Noël", "Montréal"], ["2", "Straße AG", "Köln"]]


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("utf-16", "utf-16-le"),  # Python writes a little-endian BOM
        ("utf-16-be-bom", "utf-16-be"),
        ("cp1252", "cp1252"),
    ],
)
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_encodings_newlines_delimiters(
    tmp_path: Path, encoding: str, expected: str, newline: str, delimiter: str
) -> None:
    text = newline.join(delimiter.join(r) for r in ROWS) + newline
    if encoding == "utf-16-be-bom":
        data = b"\xfe\xff" + text.encode("utf-16-be")
    elif encoding == "cp1252" and newline == "\r":
        # \r-only files come from classic Mac Excel, whose legacy code page is Mac Roman
        encoding = expected = "mac_roman"
        data = text.encode(encoding)
    else:
        data = text.encode(encoding)
    path = tmp_path / "accounts.csv"
    path.write_bytes(data)
    df = read_table(path)
    assert df.columns == ROWS[0]
    assert df.rows() == [tuple(r) for r in ROWS[1:]]
    dialect = sniff_csv(path)
    assert dialect.delimiter == delimiter
    assert dialect.newline == newline
    assert dialect.encoding == expected


def test_legacy_fallbacks() -> None:
    assert decode_bytes("Condé €5".encode("cp1252")) == ("Condé €5", "cp1252")
    # 0x81 is undefined in cp1252: Latin-1 decodes anything
    assert decode_bytes(b"a\x81b\n") == ("a\x81b\n", "latin-1")
    assert decode_bytes("Condé\r".encode("mac_roman")) == ("Condé\r", "mac_roman")


def test_quoted_fields_with_delimiters_and_newlines(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text('id,note,n\r\n1,"a, b",2\r\n2,"line1\r\nline2 ""q""",3\r\n', newline="")
    df = read_table(path)
    assert df["note"].to_list() == ["a, b", 'line1\nline2 "q"']
    assert df["n"].to_list() == ["2", "3"]


def test_semicolon_with_decimal_commas_in_values(tmp_path: Path) -> None:
    path = tmp_path / "eu.csv"
    path.write_text("id;revenue;city\n1;1,5;Paris\n2;2,75;Lyon\n", encoding="utf-8")
    df = read_table(path)
    assert df.columns == ["id", "revenue", "city"]
    assert df["revenue"].to_list() == ["1,5", "2,75"]


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text("id,v\n1,a\n\n2,b\n\n", encoding="utf-8")
    assert read_table(path)["id"].to_list() == ["1", "2"]


# -- the real Crunchbase export ---------------------------------------------------------------


@needs_crunchbase
def test_crunchbase_companies() -> None:
    path = CRUNCHBASE / "crunchbase-companies.csv"
    df = read_table(path)
    assert df.shape == (17727, 17)
    assert df.columns[:5] == ["permalink", "name", "category_code", "funding_total_usd", "status"]
    assert sniff_csv(path).newline == "\r"
    cities = set(df["city"].drop_nulls().to_list())
    assert "Bogotá" in cities  # Mac Roman 0x87, not cp1252's '‡'
    assert set(df["status"].drop_nulls().unique()) == {"operating", "acquired", "ipo", "closed"}


@needs_crunchbase
def test_crunchbase_acquisitions_legacy_encoding() -> None:
    df = read_table(CRUNCHBASE / "crunchbase-acquisitions.csv")
    assert df.height > 4000
    assert "Condé Nast" in set(df["acquirer_name"].to_list())


@needs_crunchbase
def test_crunchbase_scan_falls_back_to_read() -> None:
    path = CRUNCHBASE / "crunchbase-rounds.csv"
    lazy = scan_table(path)
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.select(pl.len()).collect().item() == read_table(path).height


# -- lazy scans and SQL -----------------------------------------------------------------------


def test_scan_csv_and_parquet(tmp_path: Path, frame: pl.DataFrame) -> None:
    csv_path = write_table(frame.drop("tech"), tmp_path / "a.csv")
    pq_path = write_table(frame, tmp_path / "a.parquet")
    assert scan_table(csv_path).collect().equals(read_table(csv_path))
    assert scan_table(pq_path).collect().equals(frame)
    pq_path.write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match="Parquet"):
        scan_table(pq_path)


def test_read_sql_in_memory_and_file(tmp_path: Path, frame: pl.DataFrame) -> None:
    import duckdb

    pq_path = write_table(frame.drop("tech"), tmp_path / "a.parquet")
    df = read_sql(f"SELECT id, employees FROM read_parquet('{pq_path}') WHERE employees > 100")
    assert df.to_dict(as_series=False) == {"id": ["a2", "a3"], "employees": [250, 4000]}

    db = tmp_path / "crm.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE accounts AS SELECT 1 AS id, 'x' AS name")
    con.close()
    assert read_sql("SELECT * FROM accounts", database=db).rows() == [(1, "x")]
    with pytest.raises(InputError, match="SQL query failed") as err:
        read_sql("SELECT * FROM nowhere", database=db)
    assert err.value.file == str(db)
    with pytest.raises(InputError, match="no such file"):
        read_sql("SELECT 1", database=tmp_path / "missing.duckdb")
    assert not (tmp_path / "missing.duckdb").exists()


# -- errors -----------------------------------------------------------------------------------


def _error(path: Path, **kw: object) -> InputError:
    with pytest.raises(InputError) as err:
        read_table(path, **kw)  # type: ignore[arg-type]
    assert err.value.file == str(path)
    assert str(path) in str(err.value)
    return err.value


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert "no such file" in str(_error(tmp_path / "nope.csv"))
    assert "directory" in str(_error(tmp_path))


def test_unknown_extension_lists_supported(tmp_path: Path) -> None:
    path = tmp_path / "data.xls"
    path.write_bytes(b"x")
    err = _error(path)
    assert ".csv" in str(err) and ".parquet" in str(err) and ".xlsx" in str(err)


@pytest.mark.parametrize("content", [b"", b"\n\n", b"id,name\n", b"id,name\r\n\r\n"])
def test_empty_or_header_only(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes(content)
    err = _error(path)
    assert "empty" in err.message or "no data rows" in err.message


def test_ragged_rows_name_the_row(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text('id,name,city\n1,"A, Inc.",X\n2,B\n3,C,Y\n', encoding="utf-8")
    err = _error(path)
    assert err.row == 2 and "row 2" in str(err)
    assert "2 field(s)" in err.message and "3" in err.message
    path.write_text('id,name\n1,"multi\nline"\n2,b\n3,c,extra\n', encoding="utf-8")
    assert _error(path).row == 3  # the quoted newline does not shift the count


def test_duplicate_headers(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("id,Email,email ,Email\n1,a,b,c\n", encoding="utf-8")
    err = _error(path)
    assert err.column == "Email" and "columns 2 and 4" in err.message


def test_binary_csv_is_undecodable(tmp_path: Path) -> None:
    path = tmp_path / "bin.csv"
    path.write_bytes(b"\xff\xfe" + b"\x00\xd8" * 3)  # UTF-16 BOM then a lone surrogate
    assert "utf-16" in _error(path).message


@pytest.mark.parametrize(
    ("name", "content", "word"),
    [
        ("x.parquet", b"PAR1garbagePAR1", "Parquet"),
        ("x.xlsx", b"PK\x03\x04 not a zip", "Excel"),
        ("x.jsonl", b'{"a": 1}\n{"a": \n', "JSON"),
        ("x.json", b'[{"a": 1}, {', "JSON"),
    ],
)
def test_corrupt_typed_files(tmp_path: Path, name: str, content: bytes, word: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    err = _error(path)
    assert word in err.message
    assert type(err) is InputError  # never a raw polars/pyarrow/fastexcel error


def test_unknown_format_override(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("a\n1\n")
    assert read_table(path, format="CSV")["a"].to_list() == ["1"]
    assert "supported" in _error(path, format="xml").message


# -- writes -----------------------------------------------------------------------------------


def test_refuses_overwrite_without_force(tmp_path: Path, frame: pl.DataFrame) -> None:
    path = tmp_path / "out.csv"
    path.write_text("keep me")
    with pytest.raises(OutputExistsError, match="force"):
        write_table(frame, path)
    assert path.read_text() == "keep me"
    write_table(frame.drop("tech"), path, force=True)
    assert read_table(path).height == 3


def test_never_writes_onto_an_input(tmp_path: Path, frame: pl.DataFrame) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id\n1\n")
    link = tmp_path / "link.csv"
    link.symlink_to(src)
    for target, inputs in (
        (src, [src]),
        (link, [src]),
        (tmp_path / "sub" / ".." / "in.csv", [src]),
    ):
        with pytest.raises(InputError, match="inputs") as err:
            write_table(frame, target, force=True, inputs=inputs)
        assert err.value.file == str(target)
    with pytest.raises(InputError, match="inputs"):
        atomic_write_text(src, "x", force=True, inputs=[str(src)])
    assert src.read_text() == "id\n1\n"


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    bad = pl.DataFrame({"s": [{"a": 1}]})  # CSV cannot hold a struct column
    target = tmp_path / "out.csv"
    with pytest.raises(IcpkitError):
        write_table(bad, target)
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(IcpkitError):
        write_table(pl.DataFrame({"s": [{"a": 1}]}), target, force=True)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_atomic_write_bytes_and_text(tmp_path: Path) -> None:
    p = atomic_write_bytes(tmp_path / "b.bin", b"\x00\x01")
    assert p.read_bytes() == b"\x00\x01"
    t = atomic_write_text(tmp_path / "t.txt", "héllo\n")
    assert t.read_bytes() == "héllo\n".encode()
    with pytest.raises(OutputExistsError):
        atomic_write_text(t, "again")
    assert atomic_write_text(t, "again", force=True).read_text() == "again"


def test_write_errors(tmp_path: Path, frame: pl.DataFrame) -> None:
    with pytest.raises(InputError, match="supported"):
        write_table(frame, tmp_path / "out.xml")
    with pytest.raises(InputError, match="does not exist"):
        write_table(frame, tmp_path / "no" / "out.csv")
    with pytest.raises(InputError, match="directory"):
        write_table(frame, tmp_path, force=True)


def test_detect_format() -> None:
    assert detect_format("a.CSV") == "csv"
    assert detect_format("a.tsv") == "csv"
    assert detect_format("x/a.ndjson") == "jsonl"
    assert detect_format("a.pq") == "parquet"
    with pytest.raises(InputError, match="unknown file type"):
        detect_format("a.xml")


def test_xlsx_duplicate_headers(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "dup.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["id", "Amount", "Amount"])
    ws.write_row(1, 0, ["a", 1, 2])
    wb.close()
    err = _error(path)
    assert err.column == "Amount" and "columns 2 and 3" in err.message
