"""The domain view (several captures → one observation) and the ICP's website criteria."""

from __future__ import annotations

import dataclasses
import json
import random
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icpkit.icp import ICP
from icpkit.sourcing.analyse import Analyser
from icpkit.sourcing.domain_view import domain_view
from icpkit.sourcing.evaluate import evaluate
from icpkit.sourcing.run import make_analyser, source_warc
from icpkit.sourcing.warc import Capture
from icpkit.technographics.detector import Detector
from icpkit.technographics.fingerprints import load_fingerprints
from tests.sourcing.warcgen import http_response, warc_record

JQUERY = '<script src="/js/jquery-3.6.0.min.js"></script>'
REACT = '<div data-reactroot=""></div><script src="/static/react.production.min.js"></script>'
SHOPIFY = '<script src="https://cdn.shopify.com/s/files/1/theme.js"></script>'


def _cap(url: str, when: str, html: str = "", *, status: int = 200, kind: str = "response",
         headers: tuple = ()) -> Capture:  # fmt: skip
    t = datetime.fromisoformat(when).replace(tzinfo=timezone.utc)
    body = f"<html><head><title>Acme</title></head><body>{html}</body></html>".encode()
    return Capture(
        url, t, kind, status, (("Content-Type", "text/html"), *headers),
        body if kind == "response" else b"", "text/html", None, False, "f.warc.gz", 0,
    )  # fmt: skip


def _captures() -> list[Capture]:
    return [
        _cap("https://www.acme.example/", "2025-01-10T00:00:00", JQUERY),
        _cap(
            "https://www.acme.example/",
            "2026-03-01T00:00:00",
            REACT + '<a href="/careers">Jobs</a>',
        ),
        _cap("https://www.acme.example/pricing", "2026-05-01T00:00:00", JQUERY + REACT),
        _cap("https://www.acme.example/", "2026-06-01T00:00:00", status=503),
        _cap("https://acme.example/", "2026-07-01T00:00:00", kind="revisit"),
        _cap("https://shop.other.example/", "2026-02-01T00:00:00", SHOPIFY),
    ]


def test_latest_good_home_page_is_the_observation_and_dates_are_kept() -> None:
    rows = Analyser(Detector()).frame(_captures())
    view = domain_view(rows)
    assert view["domain"].to_list() == ["acme.example", "other.example"]
    acme = view.row(0, named=True)
    # the 503 and the revisit are later, but not good; the pricing page is not the home page
    assert acme["page_url"] == "https://www.acme.example/"
    assert acme["observed_at"].month == 3 and acme["observed_at"].year == 2026
    assert "react" in acme["tech"] and "jquery" not in acme["tech"]
    assert acme["first_seen"].year == 2025 and acme["last_seen"].month == 7  # revisit included
    assert acme["captures"] == 5
    assert acme["has_pricing_page"] is True and acme["has_careers_page"] is True
    assert acme["has_login_page"] is False
    history = {h["tech"]: h for h in acme["tech_history"]}
    assert history["jquery"]["first_seen"].year == 2025
    assert history["jquery"]["last_seen"].month == 5  # still on the pricing page in May
    assert history["react"]["first_seen"].month == 3


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000))
def test_the_view_does_not_depend_on_capture_order(seed: int) -> None:
    rows = _ROWS.sample(fraction=1.0, shuffle=True, seed=seed)
    assert domain_view(rows).equals(_VIEW)


_ROWS = Analyser(Detector()).frame(_captures())
_VIEW = domain_view(_ROWS)


def _fingerprints(tmp_path: Path, *, chat_patterns: dict) -> Path:
    """A tiny Wappalyzer-format database: one live-chat tool, one CMS."""
    root = tmp_path / "fp"
    (root / "technologies").mkdir(parents=True)
    (root / "categories.json").write_text(
        json.dumps(
            {"52": {"name": "Live chat", "priority": 9}, "1": {"name": "CMS", "priority": 1}}
        )
    )
    techs = {
        "ChatBox": {"cats": [52], **chat_patterns},
        "PressCMS": {"cats": [1], "html": '<meta name="generator" content="PressCMS'},
    }
    for letter in "abcdefghijklmnopqrstuvwxyz_":
        (root / "technologies" / f"{letter}.json").write_text(
            json.dumps({k: v for k, v in techs.items() if k[0].lower() == letter})
        )
    return root


ICP_CHAT = ICP.model_validate(
    {
        "segments": [
            {
                "id": "web",
                "name": "Web",
                "must": [
                    {"column": "tech", "has_any": ["presscms"]},
                    {"column": "tech", "has_none": ["chatbox"], "category": "live chat"},
                    {"column": "employees", "between": [50, 500]},
                ],
            }
        ]
    }
)
PRESS = '<meta name="generator" content="PressCMS 2">'


def _judge(fp: Path, pages: dict[str, str]) -> pl.DataFrame:
    analyser = make_analyser(ICP_CHAT, Detector(load_fingerprints(fp)))
    rows = analyser.frame(
        _cap(f"https://{host}/", "2026-01-01T00:00:00", html) for host, html in pages.items()
    )
    return evaluate(domain_view(rows), ICP_CHAT, keep_all=True)


def test_lacks_live_chat_is_claimed_only_where_live_chat_is_observable(tmp_path: Path) -> None:
    seen = _fingerprints(tmp_path / "a", chat_patterns={"scriptSrc": "chatbox\\.js"})
    out = _judge(
        seen,
        {"nochat.example": PRESS, "chat.example": PRESS + '<script src="/chatbox.js"></script>'},
    )
    nochat, chat = out.row(1, named=True), out.row(0, named=True)
    assert nochat["domain"] == "nochat.example" and nochat["matched"] is True
    assert "no live chat tool [must:web]" in nochat["criteria_met"]
    assert any("1 of them observable" in e for e in nochat["evidence"])
    assert chat["matched"] is False
    assert "no live chat tool [must:web]" in chat["criteria_failed"]
    assert "employees 50–500 [must:web]" in nochat["not_observable"] or any(
        "employees" in n for n in nochat["not_observable"]
    )
    # a live-chat tool seen only by running JavaScript cannot be ruled out from an archive
    js_only = _fingerprints(tmp_path / "b", chat_patterns={"js": {"ChatBox.version": ""}})
    out = _judge(js_only, {"nochat.example": PRESS})
    row = out.row(0, named=True)
    assert "no live chat tool [must:web]" in row["criteria_unknown"]
    assert row["matched"] is True  # the other website criterion is met, none failed
    assert any("not observable" in e for e in row["evidence"])


def test_page_signals_answer_country_language_and_key_page_criteria(tmp_path: Path) -> None:
    icp = ICP.model_validate(
        {
            "segments": [
                {
                    "id": "de",
                    "name": "DE",
                    "must": [
                        {"column": "country", "in": ["germany"]},
                        {"column": "language", "in": ["de"]},
                        {"column": "has_pricing_page", "is": True},
                    ],
                }
            ]
        }
    )
    de = (
        '<html lang="de-DE"><head><meta property="og:site_name" content="Acme GmbH">'
        '<title>Startseite | Acme</title></head><body><a href="/preise">Preise</a>'
        '<a href="tel:+49 30 1234567">Anrufen</a></body></html>'
    )
    uk = (
        '<html lang="en"><head><title>Widgets Ltd - Home</title></head><body>'
        '<p>1 High Street, London SW1A 1AA</p><a href="/login">Log in</a></body></html>'
    )
    recs = []
    for url, html in (("https://www.acme.de/", de), ("https://widgets.co.uk/", uk)):
        recs.append(warc_record(url, http_response(html.encode())))
    path = tmp_path / "p.warc.gz"
    path.write_bytes(b"".join(recs))
    res = source_warc([str(path)], icp, keep_all=True)
    a, w = res.frame.row(0, named=True), res.frame.row(1, named=True)
    assert a["domain"] == "acme.de" and a["company_name"] == "Acme GmbH"
    assert a["country"] == "germany"  # the ICP's vocabulary, from the code "de"
    assert "de (cctld)" in a["country_hints"] and "de (phone)" in a["country_hints"]
    assert a["language"] == "de" and a["has_pricing_page"] is True and a["matched"] is True
    assert w["domain"] == "widgets.co.uk" and w["company_name"] == "Widgets Ltd"
    assert w["country"] == "united kingdom" and "gb (postcode)" in w["country_hints"]
    assert w["has_login_page"] is True and w["has_pricing_page"] is False
    assert w["matched"] is False and len(w["criteria_failed"]) == 3


def test_planted_technology_is_found_exactly_and_a_shuffled_null_finds_nothing(
    tmp_path: Path,
) -> None:
    """Planted truth: 200 sites, 23 of them run Shopify; the ICP asks for Shopify and no
    live chat. Every planted site matches, no other does. Null: the same sites judged against
    an ICP asking for a technology none of them carries match nothing."""
    rng = random.Random(5)
    planted = set(rng.sample(range(200), 23))
    recs = []
    for i in range(200):
        url = f"https://www.shop{i:03d}.example/"
        extra = SHOPIFY if i in planted else rng.choice([JQUERY, REACT, ""])
        body = f"<html><head><title>Shop {i}</title></head><body>{extra}</body></html>"
        recs.append(warc_record(url, http_response(body.encode())))
    path = tmp_path / "shops.warc.gz"
    path.write_bytes(b"".join(recs))
    icp = ICP.model_validate(
        {"segments": [{"id": "s", "name": "S", "must": [
            {"column": "tech_stack", "has_any": ["shopify"]},
            {"column": "tech_stack", "has_none": ["intercom"], "category": "live chat"},
        ]}]}
    )  # fmt: skip
    res = source_warc([str(path)], icp)
    assert set(res.frame["domain"]) == {f"shop{i:03d}.example" for i in planted}
    assert res.domains == 200
    assert res.frame["tech_stack"].list.contains("shopify").all()  # the ICP's own column
    null = ICP.model_validate(
        {"segments": [{"id": "s", "name": "S", "must": [
            {"column": "tech_stack", "has_any": ["magento"]}]}]}
    )  # fmt: skip
    assert source_warc([str(path)], null).frame.height == 0


def test_company_name_from_titles_of_every_shape() -> None:
    from icpkit.sourcing.pagesignals import page_signals
    from icpkit.technographics.page import Page

    for title, want in [
        ("Home | Acme Widgets", "Acme Widgets"),
        ("Acme - Widgets for everyone", "Acme"),
        ("— | ·", "—"),
        ("", None),
    ]:
        page = Page(url="https://www.acme.example/", html=f"<title>{title}</title>")
        assert page_signals(page, "acme.example")["company_name"] == want, title


def test_language_criteria_take_names_as_well_as_codes(tmp_path: Path) -> None:
    """'english' ≡ 'en' (any case, with or without a region), and the file's ICP column holds
    the criterion's own word, so icp score judges it the same way."""
    from icpkit.scoring import score

    pages = [
        ("https://www.britco.example/", '<html lang="en-GB"><title>Brit</title></html>', ()),
        ("https://www.deco.example/", "<html><title>De</title></html>",
         (("Content-Language", "de-DE"),)),
        ("https://www.frco.example/", '<html><meta property="og:locale" content="fr_FR"></html>',
         ()),
        ("https://www.quiet.example/", "<html><title>Quiet</title></html>", ()),
    ]  # fmt: skip
    path = tmp_path / "lang.warc.gz"
    path.write_bytes(
        b"".join(
            warc_record(url, http_response(html.encode(), headers=dict(extra)))
            for url, html, extra in pages
        )
    )

    def found(values: list[str]) -> pl.DataFrame:
        icp = ICP.model_validate(
            {"segments": [{"id": "l", "name": "L", "must": [
                {"column": "language", "in": values}]}]}
        )  # fmt: skip
        res = source_warc([str(path)], icp, keep_all=True)
        scored = score(res.frame, icp, missing="unknown")
        # icp score reads the file as it is and agrees with the website judgement
        assert (
            scored["segment"].eq("l").fill_null(False).to_list() == res.frame["matched"].to_list()
        )
        return res.frame

    for words in (["English"], ["en"], ["en-US"], [" ENGLISH "]):
        frame = found(words)
        assert frame.filter("matched")["domain"].to_list() == ["britco.example"], words
    both = found(["english", "fr"])
    assert both.filter("matched")["domain"].to_list() == ["britco.example", "frco.example"]
    langs = dict(zip(both["domain"], both["language"], strict=True))
    assert langs == {"britco.example": "english", "deco.example": "de",
                     "frco.example": "fr", "quiet.example": None}  # fmt: skip
    assert found(["german"]).filter("matched")["domain"].to_list() == ["deco.example"]
    assert found(["klingon"]).filter("matched").height == 0  # a name we do not know: no match


def test_a_category_the_fingerprints_lack_leaves_its_criterion_unknown() -> None:
    """An ICP asking for "no payments tool" over a set without that category must not fail
    every page (it did, with 'unknown category'): the page is read, the criterion unknown."""
    analyser = Analyser(Detector(), categories=["no-such-category", "live chat"])
    assert analyser.unknown_categories == ["no-such-category"]
    rows = analyser.frame(_captures())
    good = rows.filter(pl.col("good"))
    assert good.height > 0 and good["error"].is_null().all()


def test_a_cut_page_claims_no_lack_it_cannot_see(tmp_path: Path) -> None:
    """A page cut at the record size limit (or stored WARC-Truncated) does not show what came
    after the cut: on the real pages cut at 20,000 bytes, givewell.org read "no live chat
    tool" though its whole page carries Intercom. A tool detected before the cut still
    counts."""
    seen = _fingerprints(tmp_path / "a", chat_patterns={"scriptSrc": "chatbox\\.js"})
    icp_named = ICP.model_validate(
        {
            "segments": [
                {
                    "id": "web",
                    "name": "Web",
                    "must": [
                        {"column": "tech", "has_any": ["presscms"]},
                        {"column": "tech", "has_none": ["chatbox"]},
                    ],
                }
            ]
        }
    )
    for icp, label in ((ICP_CHAT, "no live chat tool"), (icp_named, "has none of chatbox")):
        analyser = make_analyser(icp, Detector(load_fingerprints(seen)))

        def cap(host: str, html: str, cut: bool) -> Capture:
            c = _cap(f"https://{host}/", "2026-01-01T00:00:00", html)
            return dataclasses.replace(c, truncated=cut)

        rows = analyser.frame(
            [
                cap("whole.example", PRESS, False),
                cap("cut.example", PRESS, True),
                cap("cutchat.example", PRESS + '<script src="/chatbox.js"></script>', True),
            ]
        )
        out = evaluate(domain_view(rows), icp, keep_all=True)
        by = {r["domain"]: r for r in out.iter_rows(named=True)}
        assert any(label in m for m in by["whole.example"]["criteria_met"]), by["whole.example"]
        assert any(label in u for u in by["cut.example"]["criteria_unknown"]), by["cut.example"]
        assert any("page was cut" in e for e in by["cut.example"]["evidence"])
        assert any(label in f for f in by["cutchat.example"]["criteria_failed"])
