"""The stage clock splits the per-record step users run without changing what it produces.

bench_source prints where the time of a record goes from :class:`StageClock`; these tests hold
the split to what it claims: the rows are the same with the clock on, every HTML page is
counted once, and the stages partition the CPU the step used (their sum cannot exceed it).
No figure here depends on how fast the machine is.
"""

from __future__ import annotations

import time
from pathlib import Path

from polars.testing import assert_frame_equal

from icpkit.icp import ICP
from icpkit.sourcing.analyse import STAGES, StageClock
from icpkit.sourcing.run import make_analyser, warc_rows
from icpkit.sourcing.warc import ReadStats
from tests.helpers import shared_file
from tests.sourcing.warcgen import fixture_pages, fixture_records, write_warc

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
            }
        ]
    }
)


def _files(tmp_path: Path) -> list[str]:
    names = sorted(fixture_pages())[:40]
    made = write_warc(tmp_path / "a.warc.gz", fixture_records(names))
    # the real 2008 archive: revisits, dns: records, non-HTML, 404s, old charsets
    return [str(made.path), str(shared_file("data", "warc-aut-2008", "example.warc.gz"))]


def test_rows_are_the_same_with_the_clock_on_and_every_page_is_counted(tmp_path: Path) -> None:
    paths = _files(tmp_path)
    analyser = make_analyser(ICP_WEB)
    plain = [warc_rows(p, analyser) for p in paths]
    clock = StageClock()
    analyser.clock = clock
    stats = ReadStats()
    clocked = [warc_rows(p, analyser, stats=stats) for p in paths]
    for a, b in zip(plain, clocked, strict=True):
        assert_frame_equal(a, b)
    analysed = sum(int(f["good"].sum()) + int(f["error"].is_not_null().sum()) for f in plain)
    assert clock.html == analysed > 40  # the fixture pages and the archive's good responses
    assert set(clock.cpu) == set(STAGES)
    assert all(v >= 0.0 for v in clock.cpu.values())


def test_the_stages_partition_the_cpu_of_the_step(tmp_path: Path) -> None:
    """Laps charge consecutive intervals of one CPU clock: their sum is the CPU between the
    first and the last lap, so never more than the call used, and the work is somewhere."""
    paths = _files(tmp_path)
    analyser = make_analyser(ICP_WEB)
    warc_rows(paths[0], analyser)  # first-use costs outside
    analyser.clock = clock = StageClock()
    c0 = time.process_time()
    for p in paths:
        warc_rows(p, analyser)
    used = time.process_time() - c0
    total = sum(clock.cpu.values())
    assert 0.0 < total <= used
    assert clock.cpu["detect"] > 0.0 and clock.cpu["read"] > 0.0


def test_the_clock_off_is_the_default() -> None:
    assert make_analyser(ICP_WEB).clock is None
