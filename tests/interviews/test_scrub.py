"""No planted name, email or phone number survives into the ICP file, the report or any output.

Property tests over generated personal data: names made of random letters (so not everyday
words, the scrubber's documented limit), emails and phone numbers in the formats people write,
planted in the very sentences that become quotes, in headers, in speaker labels and in free text.
"""

from __future__ import annotations

import re
from dataclasses import replace

import polars as pl
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from icpkit.interviews import analyze_interviews, generate_interviews, with_insights
from icpkit.interviews.read import Interview, parse_notes
from icpkit.interviews.scrub import Scrubber
from icpkit.interviews.synthetic import PlantedTheme
from icpkit.report import render_html, render_markdown

from .conftest import two_segment_icp

names = st.from_regex(r"[A-Z][a-z]{3,9}", fullmatch=True)
emails = st.from_regex(
    r"[a-z]{2,8}([._][a-z]{2,8})?@[a-z]{3,10}\.(com|io|de|co\.uk)", fullmatch=True
)


@st.composite
def phones(draw: st.DrawFn) -> str:
    d = "".join(str(draw(st.integers(0, 9))) for _ in range(10))
    style = draw(st.integers(0, 5))
    return [
        f"+1 {d[:3]} {d[3:6]} {d[6:]}",
        f"({d[:3]}) {d[3:6]}-{d[6:]}",
        f"{d[:3]}.{d[3:6]}.{d[6:]}",
        f"{d[:3]}-{d[3:6]}-{d[6:]}",
        f"+44 {d[:2]} {d[2:6]} {d[6:]}",
        f"+49{d}",
    ][style]


def _leaks(outputs: str, secrets: list[str]) -> list[str]:
    found = []
    for s in secrets:
        if re.search(rf"(?<![\w]){re.escape(s)}(?![\w])", outputs, re.IGNORECASE):
            found.append(s)
        digits = re.sub(r"\D", "", s)
        if len(digits) >= 7:
            # the phone's digits in order with any phone separators between them
            spread = r"[\s()+-]*".join(digits)
            if re.search(rf"(?<!\d){spread}(?!\d)", outputs):
                found.append(s)
    return found


@settings(max_examples=200, deadline=None)
@given(first=names, last=names, email=emails, phone=phones(), other=names)
def test_scrubber_removes_names_emails_phones(
    first: str, last: str, email: str, phone: str, other: str
) -> None:
    corpus = [
        "the team said the spreadsheets broke and we needed one report for the board.",
        "we called support, they answered; the rollout took a week.",
    ]
    vocab = Scrubber.for_corpus(corpus).vocabulary
    assume(all(n.lower() not in vocab for n in (first, last, other)))
    text = (
        f"{first} {last}: the spreadsheets broke. I'm {first}, mail {email} or call {phone}. "
        f"{other} from your team helped; Dr. {last} signed. Ask {other.upper()} or {first}'s boss."
    )
    s = Scrubber.for_corpus([*corpus, text], names=[f"{first} {last}"])
    out = s.scrub(text)
    # the all-caps copy is caught only as a known name; the free-text one as a proper noun
    secrets = [first, last, email, phone] + ([other] if len(other) > 4 else [])
    assert not _leaks(out, secrets), out
    assert "spreadsheets broke" in out  # content survives


def _plant(
    iv: Interview, first: str, last: str, email: str, phone: str, colleague: str
) -> Interview:
    """Personal data in the theme sentence (so in quotes), in free text and as a known name."""
    sections = dict(iv.sections)
    phrase = "spreadsheets broke at 200 people"
    for q, text in sections.items():
        text = text.replace(phrase, f"{phrase}, {first} {last} told me ({email}, {phone})")
        sections[q] = text + f" Thanks to {colleague}, who helped. Call {phone} again."
    return replace(iv, sections=sections, names=(f"{first} {last}",))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=names, last=names, email=emails, phone=phones(), colleague=names)
def test_no_personal_data_in_icp_file_report_or_tables(
    first: str, last: str, email: str, phone: str, colleague: str
) -> None:
    themes = (PlantedTheme("seg-1", "challenges", "spreadsheets broke at 200 people", 0.9, 0.0),)
    corpus = generate_interviews(12, 12, words=120, themes=themes, personal_data=False, seed=5)
    vocab = Scrubber.for_corpus(iv.text for iv in corpus.interviews).vocabulary
    assume(all(n.lower() not in vocab for n in (first, last, colleague)))
    assume(len({first, last, colleague}) == 3)
    planted = [_plant(iv, first, last, email, phone, colleague) for iv in corpus.interviews]
    icp = two_segment_icp()
    result = analyze_interviews(planted, icp, corpus.accounts, permutations=30, seed=1)
    seg1 = result.insights.for_segment("seg-1")
    assert seg1 is not None and seg1.themes and seg1.themes[0].quotes  # quotes were picked
    assert any("spreadsheets broke" in q.text for q in seg1.themes[0].quotes)
    revised = with_insights(icp, result.insights)
    outputs = "\n".join(
        [
            revised.to_yaml(),
            render_markdown(revised),
            render_html(revised),
            result.terms.write_csv(),
            result.links.write_csv(),
            "\n".join(result.warnings),
        ]
    )
    assert not _leaks(outputs, [first, last, email, phone, colleague])


def test_account_name_and_own_company_scrubbed_from_quotes() -> None:
    themes = (PlantedTheme("seg-1", "aha", "first automated report", 0.9, 0.0),)
    corpus = generate_interviews(12, 12, words=120, themes=themes, personal_data=False, seed=2)
    names = dict(zip(corpus.accounts["id"], corpus.accounts["name"], strict=True))
    planted = []
    for iv in corpus.interviews:
        s = dict(iv.sections)
        s["aha"] = s["aha"].replace(
            "first automated report",
            f"first automated report at {names[iv.account]} thanks to Vendorly Cloud",
        )
        planted.append(replace(iv, sections=s))
    result = analyze_interviews(
        planted, two_segment_icp(), corpus.accounts, companies=["Vendorly Cloud"], permutations=30
    )
    quotes = [q for s in result.insights.segments for t in s.themes for q in t.quotes]
    assert quotes
    for q in quotes:
        assert "Vendorly" not in q.text and names[q.account] not in q.text  # type: ignore[index]
        assert "[account]" in q.text and "[company]" in q.text
        assert q.account is not None and q.interview.startswith(q.account)


def test_speaker_labels_become_known_names() -> None:
    iv = parse_notes(
        [
            "Interviewer: What was your aha moment?",
            "Qorvath Zelm: The report.",
            "Qorvath Zelm: Yes.",
        ],
        source="x",
    )
    assert iv.names == ("Qorvath Zelm",)
    out = Scrubber.for_corpus([iv.text], names=iv.names).scrub("qorvath zelm liked the report")
    assert out == "[person] liked the report"
    assert pl.Series([out]).str.contains("(?i)qorvath").sum() == 0
