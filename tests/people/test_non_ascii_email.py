"""A well-formed address with non-ASCII characters is not called malformed.

Found on contacts of Crunchbase companies: 251 of 969 addresses such as "fritz.müller@…" were
left out as "malformed email" — a reader looks for typos that are not there. They are still left
out (most sending tools cannot send to them), under their own reason.
"""

from __future__ import annotations

import polars as pl

from icpkit.icp import ICP
from icpkit.people.outreach import NON_ASCII_EMAIL, build_outreach


def test_non_ascii_is_its_own_reason(icp: ICP) -> None:
    accounts = pl.DataFrame(
        {
            "id": ["a1"],
            "domain": ["acme.com"],
            "name": ["Acme"],
            "tier": ["A"],
            "disqualified": [False],
            "segment": ["s1"],
            "fit_score": [90.0],
            "priority": [45.0],
            "rank": [1],
        }
    )
    emails = ["fritz.müller@acme.com", "gül@acme.com", "not-an-email", "ann@acme.com"]
    contacts = pl.DataFrame(
        {
            "Email": emails,
            "Job Title": ["CMO"] * 4,
            "Country": ["US"] * 4,
            "Company ID": ["a1"] * 4,
        }
    )
    res = build_outreach(accounts, contacts, icp, per_account=5)
    assert res.excluded[NON_ASCII_EMAIL] == 2
    assert res.excluded["malformed email"] == 1
    assert res.frame["email"].to_list() == ["ann@acme.com"]
