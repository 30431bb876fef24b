"""A small Common Crawl style columnar URL index, written as hive-partitioned Parquet."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import polars as pl

from tests.sourcing.warcgen import Written


def write_index(root: Path, crawl: str, files: list[tuple[str, Written]]) -> Path:
    """Rows for every record of ``files`` ((name relative to the archive root, written file)),
    with Common Crawl's column names, under ``crawl=<crawl>/subset=warc/``."""
    from icpkit.sourcing.analyse import registered_domain

    rows = []
    for name, written in files:
        for rec in written.records:
            url = rec["url"]
            host = url.split("/")[2]
            rest = url.split("/", 3)[3] if url.count("/") >= 3 else ""
            path, _, query = ("/" + rest).partition("?")
            rows.append(
                {
                    "url_surtkey": ",".join(reversed(host.split("."))) + ")" + path,
                    "url": url,
                    "url_host_name": host,
                    "url_host_tld": host.rsplit(".", 1)[-1],
                    "url_host_registered_domain": registered_domain(host),
                    "url_path": path,
                    "url_query": query or None,
                    "fetch_time": rec.get(
                        "fetch_time", datetime(2026, 9, 20, 10, tzinfo=timezone.utc)
                    ),
                    "fetch_status": rec.get("status", 200),
                    "content_mime_type": "text/html",
                    "content_mime_detected": rec.get("mime", "text/html"),
                    "content_charset": "UTF-8",
                    "content_languages": "eng",
                    "warc_filename": name,
                    "warc_record_offset": rec["offset"],
                    "warc_record_length": rec["length"],
                    "warc_segment": "1700000000000.0",
                }
            )
    out = root / "cc-index" / "table" / "cc-main" / "warc" / f"crawl={crawl}" / "subset=warc"
    out.mkdir(parents=True, exist_ok=True)
    df = pl.DataFrame(rows).with_columns(
        pl.col("fetch_status").cast(pl.Int16),
        pl.col("warc_record_offset").cast(pl.Int64),
        pl.col("warc_record_length").cast(pl.Int32),
    )
    df.write_parquet(out / "part-00000.parquet")
    return root / "cc-index"
