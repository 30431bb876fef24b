"""The signals store: an append-only DuckDB file of dated observations, one history per account.

Timing signals are about change, so the store keeps every observation with its source and the
date it was made, and never updates one: running ``icp signals collect`` again next month adds a
second observation beside the first. Every table has a primary key that includes the observation
date, and rows go in with ``INSERT OR IGNORE``, so re-running a collection for the same date is
idempotent, and a collection killed half-way resumes from the accounts not yet marked done in
``visits`` (each batch of accounts is written, with its visit marks, in one transaction).

Tables (``account`` is the normalised domain, or the normalised name when no domain is known):

* ``visits`` — that an account was looked at for a source on a date, and whether the look
  succeeded (``ok``); a failed look is *unknown*, never "nothing there". ``unseen`` lists
  technology categories the look could not have seen (see :mod:`icpkit.signals.stack`).
* ``postings`` — open roles: title (the role only), department, seniority, posting date.
* ``leaders`` — director-and-above people from contacts snapshots, as a keyed hash (no names or
  e-mail addresses are stored), with department, seniority and title.
* ``funding`` — rounds: date, round type, amount.
* ``tech`` — technologies detected on an account's site on a date (only on looks that loaded:
  a ``stack`` visit with ``ok``; the change rules rely on it).
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from icpkit.errors import InputError, UsageError

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS visits (
        account VARCHAR NOT NULL, observed_on DATE NOT NULL, source VARCHAR NOT NULL,
        ok BOOLEAN NOT NULL, detail VARCHAR, unseen VARCHAR[],
        PRIMARY KEY (account, observed_on, source))""",
    """CREATE TABLE IF NOT EXISTS postings (
        account VARCHAR NOT NULL, observed_on DATE NOT NULL, source VARCHAR NOT NULL,
        posting_id VARCHAR NOT NULL, title VARCHAR, department VARCHAR, seniority VARCHAR,
        posted_on DATE,
        PRIMARY KEY (account, observed_on, posting_id))""",
    """CREATE TABLE IF NOT EXISTS leaders (
        account VARCHAR NOT NULL, observed_on DATE NOT NULL, source VARCHAR NOT NULL,
        person VARCHAR NOT NULL, department VARCHAR, seniority VARCHAR, title VARCHAR,
        PRIMARY KEY (account, observed_on, source, person))""",
    """CREATE TABLE IF NOT EXISTS funding (
        account VARCHAR NOT NULL, announced_on DATE NOT NULL, round_type VARCHAR NOT NULL,
        amount DOUBLE, source VARCHAR, observed_on DATE,
        PRIMARY KEY (account, announced_on, round_type))""",
    """CREATE TABLE IF NOT EXISTS tech (
        account VARCHAR NOT NULL, observed_on DATE NOT NULL, technology VARCHAR NOT NULL,
        category VARCHAR,
        PRIMARY KEY (account, observed_on, technology))""",
)

#: Columns (in order) of each table, as :meth:`SignalsStore.append` expects them.
COLUMNS: dict[str, tuple[str, ...]] = {
    "visits": ("account", "observed_on", "source", "ok", "detail", "unseen"),
    "postings": (
        "account",
        "observed_on",
        "source",
        "posting_id",
        "title",
        "department",
        "seniority",
        "posted_on",
    ),
    "leaders": ("account", "observed_on", "source", "person", "department", "seniority", "title"),
    "funding": ("account", "announced_on", "round_type", "amount", "source", "observed_on"),
    "tech": ("account", "observed_on", "technology", "category"),
}

_PORT = re.compile(r":\d+$")


def account_key(target: str) -> str:
    """The account a website belongs to: its normalised domain without a port.

    ``https://www.Acme.com/careers`` and ``acme.com`` are one account; a port (a local test
    server) names the same company, so it is dropped. Raises InputError when it is no domain.
    """
    from icpkit.technographics.netguard import normalize_domain

    return _PORT.sub("", normalize_domain(target))


def _connect(path: Path, read_only: bool) -> Any:
    import duckdb

    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot open the signals store: {first}", file=path) from None


class SignalsStore:
    """One signals store file (DuckDB). Use as a context manager; writes are transactional.

    ``create=False`` refuses a file that does not exist (``show`` / ``export`` read a store,
    they never make an empty one by accident).
    """

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True) -> None:
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise UsageError("no such signals store (run `icp signals collect` first)", file=path)
        if self.path.is_dir():
            raise UsageError("is a directory; give the signals store file", file=path)
        self.db = _connect(self.path, read_only=False)
        for statement in _SCHEMA:
            self.db.execute(statement).fetchall()

    def __enter__(self) -> SignalsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file (pending transactions were committed by :meth:`append`)."""
        self.db.close()

    # -- meta ----------------------------------------------------------------------------------

    def salt(self) -> str:
        """This store's random key for hashing people (made once, kept in the store)."""
        value = self.meta("person_salt")
        if value is None:
            self.set_meta("person_salt", secrets.token_hex(16))
            value = self.meta("person_salt")
        return str(value)

    def meta(self, key: str) -> str | None:
        """A stored setting (None when unset)."""
        rows = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        """Store a setting once (a value already there is kept: the store is append-only)."""
        self.db.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", [key, value]).fetchall()

    # -- writing -------------------------------------------------------------------------------

    def append(self, frames: dict[str, pl.DataFrame]) -> dict[str, int]:
        """Insert each table's rows in one transaction; rows already present are kept as they are.

        Returns the number of new rows per table. All tables commit together or not at all, so an
        interrupted run never leaves postings without their visit mark (or the reverse).
        """
        added: dict[str, int] = {}
        self.db.begin()
        try:
            for table, frame in frames.items():
                cols = COLUMNS[table]
                if frame.is_empty():
                    added[table] = 0
                    continue
                before = self._count(table)
                self.db.register("__incoming", frame.select(cols).to_arrow())
                self.db.execute(
                    f"INSERT OR IGNORE INTO {table} ({', '.join(cols)}) "
                    f"SELECT {', '.join(cols)} FROM __incoming"
                ).fetchall()
                self.db.unregister("__incoming")
                added[table] = self._count(table) - before
            self.db.commit()
        except BaseException:
            self.db.rollback()
            raise
        return added

    def _count(self, table: str) -> int:
        return int(self.db.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])

    # -- reading -------------------------------------------------------------------------------

    def visited(self, source: str, observed_on: date, accounts: Iterable[str]) -> set[str]:
        """Accounts of ``accounts`` already looked at for ``source`` on ``observed_on`` (resume)."""
        wanted = pl.DataFrame({"account": list(accounts)}, schema={"account": pl.String})
        self.db.register("__wanted", wanted.to_arrow())
        rows = self.db.execute(
            "SELECT DISTINCT v.account FROM visits v JOIN __wanted w USING (account) "
            "WHERE v.source = ? AND v.observed_on = ?",
            [source, observed_on],
        ).fetchall()
        self.db.unregister("__wanted")
        return {r[0] for r in rows}

    def frame(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> pl.DataFrame:
        """A query's result as a polars frame (``params`` positional or named)."""
        relation = self.db.sql(sql, params=params if params is not None else [])
        return pl.DataFrame(pl.from_arrow(relation.to_arrow_table()))

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {table: self._count(table) for table in COLUMNS}

    def timeline(self, account: str) -> pl.DataFrame:
        """One account's history, oldest first: ``date``, ``source``, ``kind``, ``what``.

        ``account`` may be any spelling of its website. Raises InputError when the store knows
        nothing about it.
        """
        try:
            key = account_key(account)
        except InputError:
            key = account.strip().lower()
        sql = """
        SELECT observed_on AS date, source, 'look' AS kind,
               CASE WHEN ok THEN 'read' ELSE 'unknown (' || coalesce(detail, 'failed') || ')' END
               || CASE WHEN ok AND detail IS NOT NULL THEN ' via ' || detail ELSE '' END AS what
          FROM visits WHERE account = $a
        UNION ALL
        SELECT observed_on, source, 'open role',
               title || ' (' || coalesce(department, '?') || ', ' || coalesce(seniority, '?') || ')'
               || coalesce(', posted ' || CAST(posted_on AS VARCHAR), '')
          FROM postings WHERE account = $a
        UNION ALL
        SELECT observed_on, source, 'leader', coalesce(title, '') || ' (' ||
               coalesce(department, '?') || ', ' || coalesce(seniority, '?') || ')'
          FROM leaders WHERE account = $a
        UNION ALL
        SELECT announced_on, coalesce(source, 'rounds'), 'funding',
               round_type || coalesce(', ' || CAST(CAST(amount AS BIGINT) AS VARCHAR) || ' USD', '')
          FROM funding WHERE account = $a
        UNION ALL
        SELECT observed_on, 'detect', 'technology', technology || coalesce(' (' || category || ')', '')
          FROM tech WHERE account = $a
        ORDER BY 1, 2, 3, 4
        """
        out = self.frame(sql, {"a": key})
        if out.is_empty():
            raise InputError(f"the signals store has no history for {account!r}", file=self.path)
        return out


__all__ = ["COLUMNS", "SignalsStore", "account_key"]
