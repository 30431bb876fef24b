"""Scoring a file end to end and summarising the result (what ``icp score`` shows)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import cast

import polars as pl

from icpkit.columns.names import resolve_columns
from icpkit.columns.parsing import NumberConventionWarning
from icpkit.errors import InputError
from icpkit.icp import ICP
from icpkit.scoring.asof import stale_dates_note
from icpkit.scoring.engine import EngineName, Missing, Reasons, score, score_lazy
from icpkit.scoring.explain import expand_reasons
from icpkit.scoring.plan import QUADRANTS, build_plan


@dataclass(frozen=True)
class ScoreResult:
    """A scored file's summary: row count, tier and quadrant distributions, the top accounts.

    ``warnings`` say how the file was read where it was not plain: which number convention each
    text number column was read in (``6.515`` as 6515 in a European export), and ambiguous or
    mixed columns; and, scoring with ``missing="unknown"``, which of the ICP's columns the file
    lacks (:func:`missing_columns_note`). They are part of the result (``icp score`` prints
    them), not stray warnings.
    """

    rows: int
    tiers: dict[str, int]
    quadrants: dict[str, int]
    disqualified: int
    top: pl.DataFrame
    output: Path | None = None
    frame: pl.DataFrame | None = field(default=None, repr=False)
    warnings: tuple[str, ...] = ()


@contextmanager
def reading_notes() -> Iterator[list[str]]:
    """Collect :class:`~icpkit.columns.NumberConventionWarning` texts (each once, in order);
    every other warning goes on as it came."""
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NumberConventionWarning)
        yield notes
    for w in caught:
        if issubclass(w.category, NumberConventionWarning):
            if str(w.message) not in notes:
                notes.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)


def summarize(scored: pl.DataFrame, icp: ICP, *, top: int = 20) -> ScoreResult:
    """Distributions plus the ``top`` accounts by rank, their reasons expanded to text."""
    tiers = dict.fromkeys("ABCD", 0)
    for t, n in scored.group_by("tier").len().iter_rows():
        tiers[t] = n
    quads = dict.fromkeys(QUADRANTS, 0)
    for q, n in scored.group_by("quadrant").len().iter_rows():
        quads[q] = n
    head = scored.sort("rank").head(top) if "rank" in scored.columns else scored.head(top)
    if "reasons" in head.columns and not _is_text(head["reasons"]):
        head = head.with_columns(expand_reasons(head["reasons"], icp))
    return ScoreResult(
        rows=scored.height,
        tiers=tiers,
        quadrants=quads,
        disqualified=int(scored["disqualified"].sum()),
        top=head,
        frame=scored,
    )


def _is_text(s: pl.Series) -> bool:
    """Packed string codes are made of + - ? only; expanded text never is."""
    if s.dtype != pl.String:
        return False
    first = s.drop_nulls().head(1)
    return first.len() == 0 or not set(first[0]) <= {"+", "-", "?"}


def score_file(
    source: str | Path,
    icp: ICP,
    output: str | Path,
    *,
    force: bool = False,
    missing: Missing = "error",
    as_of: date | None = None,
    reasons: Reasons = "codes",
    top: int = 20,
    stream: bool | None = None,
    on_stage: Callable[[str], None] | None = None,
    engine: EngineName = "polars",
) -> ScoreResult:
    """Read, score and atomically write; Parquet-to-Parquet streams unless ``stream=False``.

    ``on_stage`` is told "read", "score", "write" as work progresses (the CLI's progress bar).
    How values were read (number conventions) comes back in :attr:`ScoreResult.warnings`.
    When the file's dates end long before ``as_of`` (default today), so that the ICP's
    timing windows cannot be met, one of the warnings says so (:func:`stale_dates_note`).
    ``engine="spark"`` runs the Spark SQL of :func:`icpkit.scoring.compile_sql` instead
    (:func:`icpkit.scoring.spark.score_file_spark`; ``stream`` does not apply).
    """
    if engine == "spark":
        from icpkit import io
        from icpkit.scoring.spark import score_file_spark

        spark_result = cast(
            ScoreResult,
            score_file_spark(
                source,
                icp,
                output,
                force=force,
                missing=missing,
                as_of=as_of,
                reasons=reasons,
                top=top,
                on_stage=on_stage,
            ),
        )
        stale = stale_dates_note(io.scan_table(source), icp, as_of=as_of)
        return replace(spark_result, warnings=(*spark_result.warnings, *([stale] if stale else [])))
    with reading_notes() as notes:
        result = _score_file(
            source,
            icp,
            output,
            force=force,
            missing=missing,
            as_of=as_of,
            reasons=reasons,
            top=top,
            stream=stream,
            on_stage=on_stage,
        )
    return replace(result, warnings=(*notes, *result.warnings))


def missing_columns_note(columns: Sequence[str], icp: ICP) -> str | None:
    """What scoring a file without some of the ICP's columns means, in one line (or None).

    With ``missing="unknown"`` those criteria are unknown for every account and unknown adds no
    points, so an account gets fewer points than it would with the data: on the Crunchbase
    export scored with the Telco ICP every account came out tier D, "poor fit", with nothing
    said. The scores stand; the note says why they are low.
    """
    wanted = list(build_plan(icp).columns())
    found = resolve_columns(list(columns), wanted)
    absent = [w for w in wanted if w not in found]
    if not absent:
        return None
    shown = ", ".join(repr(c) for c in absent[:5]) + (
        f" and {len(absent) - 5} more" if len(absent) > 5 else ""
    )
    return (
        f"{len(absent)} of the {len(wanted)} columns the ICP reads are not in the file ({shown}): "
        "their criteria are unknown for every account and add no points, so fit scores and "
        "tiers are lower than the same accounts would get with that data"
    )


def _score_file(
    source: str | Path,
    icp: ICP,
    output: str | Path,
    *,
    force: bool,
    missing: Missing,
    as_of: date | None,
    reasons: Reasons,
    top: int,
    stream: bool | None,
    on_stage: Callable[[str], None] | None,
) -> ScoreResult:
    from icpkit import io

    src, out = Path(source), Path(output)
    note = on_stage or (lambda _stage: None)
    if stream is None:
        stream = src.suffix.lower() == ".parquet" and out.suffix.lower() == ".parquet"
    if stream:
        io._check_target(out, force, [src])  # refuse before doing the work
        lf = io.scan_table(src)
        note("score")
        scored = score_lazy(lf, icp, as_of=as_of, missing=missing, reasons=reasons)
        note("write")
        tmp = out.with_name(f".{out.name}.icpkit-tmp")
        try:
            scored.sink_parquet(tmp)
            tmp.replace(out)
        finally:
            tmp.unlink(missing_ok=True)
        absent = missing_columns_note(lf.collect_schema().names(), icp)
        stale = stale_dates_note(lf, icp, as_of=as_of)
        summary_cols = ["tier", "quadrant", "disqualified", "rank", "fit_score", "reasons"]
        summary = pl.scan_parquet(out)
        n = summary.select(pl.len()).collect().item()
        if n == 0:
            raise InputError("no rows to score", file=src)
        names = summary.collect_schema().names()
        head = summary.sort("rank").head(top).collect()
        small = summary.select([c for c in summary_cols if c in names]).collect()
        res = summarize(small, icp, top=0)
        top_frame = (
            head.with_columns(expand_reasons(head["reasons"], icp))
            if ("reasons" in head.columns and reasons == "codes")
            else head
        )
        return ScoreResult(
            rows=n,
            tiers=res.tiers,
            quadrants=res.quadrants,
            disqualified=res.disqualified,
            top=top_frame,
            output=out,
            warnings=tuple(w for w in (absent, stale) if w),
        )
    note("read")
    df = io.read_table(src)
    if df.height == 0:
        raise InputError("no rows to score", file=src)
    note("score")
    scored = score(df, icp, as_of=as_of, missing=missing, reasons=reasons)
    note("write")
    written = io.write_table(scored, out, force=force, inputs=[src])
    res = summarize(scored, icp, top=top)
    return ScoreResult(
        rows=res.rows,
        tiers=res.tiers,
        quadrants=res.quadrants,
        disqualified=res.disqualified,
        top=res.top,
        output=written,
        frame=scored,
        warnings=tuple(
            w
            for w in (missing_columns_note(df.columns, icp), stale_dates_note(df, icp, as_of=as_of))
            if w
        ),
    )


__all__ = ["ScoreResult", "missing_columns_note", "score_file", "summarize"]
