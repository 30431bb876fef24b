"""Leadership changes from snapshots of the user's contacts.

A new CMO or VP often evaluates new vendors. Two exports of the same CRM's contacts, a month
apart, show who arrived: a person at director level or above in a department who is in the later
snapshot and in no earlier snapshot of the same account. The store keeps only what that needs:
per snapshot, each senior contact's keyed hash (the store's own random salt, so the hash cannot
be looked up elsewhere), department, seniority and title — no names or e-mail addresses — plus a
visit mark for every account the snapshot covers (an account absent from a snapshot is unknown
there, not leaderless).

Identity must mean the same thing in every snapshot, so the columns a snapshot was read with are
kept in the store; a later snapshot read with different columns is refused with one line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import date

import polars as pl

from icpkit.errors import InputError, MissingColumnsError
from icpkit.signals.store import SignalsStore

LEADER_SENIORITIES: tuple[str, ...] = ("c-level/owner", "vp", "head/director")
"""Seniorities that count as leadership (from :data:`icpkit.people.titles.SENIORITIES`)."""

_ID_COLUMNS = ("email", "contact_id", "person_id", "id", "linkedin_url", "linkedin")
_TITLE_COLUMNS = ("title", "job_title", "jobtitle", "position", "role")
_DOMAIN_COLUMNS = ("domain", "website", "company_domain", "company_website", "account_domain")


def _pick(
    df: pl.DataFrame, given: str | None, choices: Sequence[str], what: str, file: str | None
) -> str | None:
    if given is not None:
        if given not in df.columns:
            raise MissingColumnsError([given], file=file, why=what)
        return given
    lower = {c.lower(): c for c in df.columns}
    return next((lower[c] for c in choices if c in lower), None)


def _domains(df: pl.DataFrame, column: str | None, id_column: str) -> pl.Expr:
    """Account key per row: the domain column, else the e-mail's domain."""
    from icpkit.signals.funding import domain_expr

    if column is not None:
        return domain_expr(pl.col(column))
    return domain_expr(pl.col(id_column).cast(pl.String).str.extract(r"@(.+)$"))


def _hash_people(frame: pl.DataFrame, salt: str) -> pl.DataFrame:
    """``frame`` with ``person``: SHA-256 of the store's salt and the contact id, computed in
    DuckDB over the whole column (polars' own hash is not stable across versions)."""
    import duckdb

    con = duckdb.connect()
    try:
        con.register("__people", frame.to_arrow())
        relation = con.sql(
            "SELECT *, substr(sha256($salt || who), 1, 24) AS person FROM __people",
            params={"salt": salt},
        )
        return pl.DataFrame(pl.from_arrow(relation.to_arrow_table()))
    finally:
        con.close()


def snapshot_frames(
    contacts: pl.DataFrame,
    observed_on: date,
    salt: str,
    *,
    file: str | os.PathLike[str] | None = None,
    id_column: str | None = None,
    title_column: str | None = None,
    domain_column: str | None = None,
) -> tuple[dict[str, pl.DataFrame], dict[str, str | None]]:
    """Store rows (``leaders``, ``visits``) for one contacts snapshot, and the columns used."""
    from icpkit.people.titles import classify_titles

    name = str(file) if file is not None else None
    ident = _pick(contacts, id_column, _ID_COLUMNS, "who each contact is", name)
    title = _pick(contacts, title_column, _TITLE_COLUMNS, "each contact's job title", name)
    dom = _pick(contacts, domain_column, _DOMAIN_COLUMNS, "each contact's company website", name)
    missing = [w for w, c in (("an id or email column", ident), ("a title column", title)) if not c]
    if missing:
        raise InputError(
            f"contacts snapshot needs {' and '.join(missing)} "
            f"(--contacts-id-column / --contacts-title-column)",
            file=name,
        )
    assert ident is not None and title is not None
    if dom is None and not contacts[ident].cast(pl.String).str.contains("@").any():
        raise InputError(
            "contacts snapshot needs a company website column (or e-mail ids to take it from)",
            file=name,
        )
    frame = contacts.select(
        _domains(contacts, dom, ident).alias("account"),
        pl.col(ident).cast(pl.String).str.strip_chars().str.to_lowercase().alias("who"),
        pl.col(title).cast(pl.String).alias("title"),
    ).filter(pl.col("account").is_not_null())
    classes = classify_titles(frame["title"])
    frame = frame.with_columns(
        classes["department"].alias("department"),
        classes["seniority"].alias("seniority"),
        classes["title_clean"].alias("title"),
    )
    leaders = (
        frame.filter(pl.col("seniority").is_in(LEADER_SENIORITIES) & pl.col("who").is_not_null())
        .pipe(_hash_people, salt)
        .with_columns(
            pl.lit(observed_on).alias("observed_on"),
            pl.lit("contacts").alias("source"),
        )
        .unique(["account", "person"], keep="first", maintain_order=True)
    )
    visits = (
        frame.select("account")
        .unique(maintain_order=True)
        .with_columns(
            pl.lit(observed_on).alias("observed_on"),
            pl.lit("contacts").alias("source"),
            pl.lit(True).alias("ok"),
            pl.lit(None, dtype=pl.String).alias("detail"),
            pl.lit(None, dtype=pl.List(pl.String)).alias("unseen"),
        )
    )
    used = {"id": ident, "title": title, "domain": dom}
    return {"leaders": leaders, "visits": visits}, used


def import_contacts(
    store: SignalsStore,
    path: str | os.PathLike[str],
    observed_on: date,
    *,
    id_column: str | None = None,
    title_column: str | None = None,
    domain_column: str | None = None,
) -> dict[str, int]:
    """Add one contacts snapshot (taken on ``observed_on``) to the store; rows added per table.

    Raises InputError when the snapshot is read with other columns than earlier snapshots (the
    hashes would not match, and every leader would look new).
    """
    from icpkit.io import read_table

    contacts = read_table(path)
    frames, used = snapshot_frames(
        contacts,
        observed_on,
        store.salt(),
        file=path,
        id_column=id_column,
        title_column=title_column,
        domain_column=domain_column,
    )
    stored = store.meta("contacts_columns")
    if stored is not None:
        before = json.loads(stored)
        if before.get("id") != used["id"] or before.get("title") != used["title"]:
            raise InputError(
                "contacts snapshot has different columns from the earlier snapshots "
                f"(id {before.get('id')!r} and title {before.get('title')!r} before, "
                f"id {used['id']!r} and title {used['title']!r} now); name the same columns "
                "with --contacts-id-column / --contacts-title-column",
                file=path,
            )
    else:
        store.set_meta("contacts_columns", json.dumps(used))
    return store.append(frames)


NEW_LEADERS_SQL = """
WITH looks AS (
    SELECT account, source, observed_on FROM visits
    WHERE source IN ('contacts', 'team_page') AND ok AND observed_on <= $as_of
), firsts AS (
    SELECT account, source, min(observed_on) AS first_look FROM looks GROUP BY account, source
), arrivals AS (
    SELECT account, source, person, min(observed_on) AS arrived_on,
           arg_min(department, observed_on) AS department,
           arg_min(seniority, observed_on) AS seniority, arg_min(title, observed_on) AS title
    FROM leaders WHERE source IN ('contacts', 'team_page') AND observed_on <= $as_of
    GROUP BY account, source, person
)
SELECT a.account, a.arrived_on, a.department, a.seniority, a.title, a.source
FROM arrivals a JOIN firsts f USING (account, source)
WHERE a.arrived_on > f.first_look
"""
"""Director-and-above people who arrived after an account's first look of the same source (a
contacts snapshot, or its team page), up to ``$as_of``. People are compared within a source
only: the two hash different things (a contact's id, a name on the site)."""


def new_leaders(store: SignalsStore, as_of: date) -> pl.DataFrame:
    """New leaders per account with the snapshot date that first showed them, oldest first."""
    return store.frame(NEW_LEADERS_SQL + " ORDER BY account, arrived_on", {"as_of": as_of})


__all__ = ["LEADER_SENIORITIES", "NEW_LEADERS_SQL", "import_contacts", "new_leaders"]
