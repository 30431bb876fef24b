"""``--engine spark`` and the single process give identical results on the same inputs.

One local[2] Spark session serves the test session; skips when PySpark or Java is missing
(.ci/java.sh installs Java in CI).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from icpkit.icp import ICP
from icpkit.sourcing.run import source_index, source_warc
from tests.helpers import shared_file
from tests.sourcing.ccindex import write_index
from tests.sourcing.test_index_ranges import CRAWL, _archive
from tests.sourcing.test_warc import _broken_file
from tests.sourcing.warcgen import fixture_pages, fixture_records, write_warc

pytest.importorskip("pyspark")

ICP_WEB = ICP.model_validate(
    {
        "segments": [
            {
                "id": "s",
                "name": "S",
                "must": [
                    {"column": "tech", "has_any": ["php", "jquery", "wordpress"]},
                    {"column": "tech", "has_none": ["intercom"], "category": "live chat"},
                ],
                # a category the fingerprint set lacks: unknown everywhere, said once
                "nice": [{"column": "tech", "has_none": ["stripe"], "category": "payments"}],
            }
        ],
        "disqualifiers": [{"column": "tech", "has_any": ["shopify"]}],
    }
)


@pytest.fixture(scope="session")
def spark():
    from icpkit.scoring.spark import SparkUnavailable, spark_session

    try:
        return spark_session("local[2]", "icpkit-tests")
    except SparkUnavailable as exc:
        pytest.skip(str(exc))


def test_spark_equals_single_process_on_warc_files(spark, tmp_path: Path) -> None:
    names = sorted(fixture_pages())[:120]
    a = write_warc(tmp_path / "a.warc.gz", fixture_records(names[:60])).path
    b = write_warc(
        tmp_path / "b.warc.gz", fixture_records(names[60:], date="2026-10-01T00:00:00Z", start=60)
    ).path
    broken, _ = _broken_file(tmp_path)
    real = shared_file("data", "warc-aut-2008", "example.warc.gz")
    paths = [str(a), str(b), str(broken), str(real)]
    single = source_warc(paths, ICP_WEB, keep_all=True)
    distributed = source_warc(paths, ICP_WEB, keep_all=True, engine="spark", spark=spark)
    assert single.frame.height > 100 and single.matched > 5
    assert_frame_equal(distributed.frame, single.frame)
    for name in ("records", "responses", "revisits", "non_html", "other_types", "broken", "cut"):
        assert getattr(distributed.stats, name) == getattr(single.stats, name), name
    # what went wrong comes back from the tasks, not only how often
    assert single.errors and any("broken" in e or str(broken) in e for e in single.errors)
    assert sorted(distributed.errors) == sorted(single.errors)
    assert distributed.unknown_categories == single.unknown_categories == ["payments"]
    only = source_warc(paths, ICP_WEB, engine="spark", spark=spark)
    assert_frame_equal(only.frame, single.frame.filter(pl.col("matched")))


def test_spark_equals_single_process_from_an_index(spark, tmp_path: Path, range_server) -> None:
    domains, files = _archive(range_server.root, n=24)
    index = write_index(tmp_path, CRAWL, files)
    kw = {"index": index, "archive": range_server.url, "crawl": CRAWL}
    kw |= {"allow_private": True, "keep_all": True, "rate": 200}
    single = source_index(domains, ICP_WEB, **kw)
    distributed = source_index(domains, ICP_WEB, engine="spark", spark=spark, **kw)
    assert_frame_equal(distributed.frame, single.frame)
    assert distributed.stats.responses == single.stats.responses == 26
    assert distributed.notes == single.notes and len(single.notes) == 1


def test_read_errors_of_index_hits_come_back_from_spark_tasks(
    spark, tmp_path: Path, range_server
) -> None:
    """Index hits into a WARC file the archive no longer serves: both engines count them as
    broken and report each failed read with the file it names."""
    domains, files = _archive(range_server.root, n=12)
    index = write_index(tmp_path, CRAWL, files)
    gone = range_server.root / files[1][0]
    gone.unlink()
    kw = {"index": index, "archive": range_server.url, "crawl": CRAWL}
    kw |= {"allow_private": True, "keep_all": True, "rate": 200}
    single = source_index(domains, ICP_WEB, **kw)
    distributed = source_index(domains, ICP_WEB, engine="spark", spark=spark, **kw)
    lost = len(files[1][1].records)
    assert single.stats.broken == distributed.stats.broken == lost
    assert len(single.errors) == lost and all(files[1][0] in e for e in single.errors)
    assert sorted(distributed.errors) == sorted(single.errors)
    assert_frame_equal(distributed.frame, single.frame)
