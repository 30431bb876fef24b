"""Reading real note formats (.docx made with python-docx, .vtt, .srt, .md, CSV) and bad input."""

from __future__ import annotations

from pathlib import Path

import docx
import polars as pl
import pytest

from icpkit.errors import InputError, UsageError
from icpkit.interviews import analyze_interviews, read_interviews
from icpkit.interviews.read import classify_heading, read_note_file

from .conftest import two_segment_icp

VTT = """WEBVTT

NOTE recorded call, captions exported by the meeting tool

1
00:00:01.000 --> 00:00:04.000
<v Interviewer>What challenges were you facing before you found us?</v>

2
00:00:04.500 --> 00:00:09.000
<v Marisol Quintero>Our spreadsheets broke at 200 people, every month.</v>

3
00:00:09.500 --> 00:00:12.000
<v Interviewer>What was your aha moment?</v>

00:00:12.500 --> 00:00:16.000
<v Marisol Quintero>The first automated report went to the board.</v>
"""

SRT = """1
00:00:01,000 --> 00:00:03,000
Interviewer: What results have you seen since?

2
00:00:03,500 --> 00:00:06,000
Ilse Varga: We closed the books in three days.

3
00:00:06,500 --> 00:00:08,000
Ilse Varga: Audits are calm now.
"""


def test_docx_made_with_python_docx(tmp_path: Path) -> None:
    d = docx.Document()
    d.add_paragraph("Account: acc-0007")
    d.add_heading("Challenges before", level=2)
    d.add_paragraph("Audit findings piled up every quarter.")
    d.add_heading("Aha moment", level=2)
    d.add_paragraph("Seeing the reconciliation run by itself.")
    table = d.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Results since"
    table.rows[0].cells[1].text = "Closed the books in three days."
    path = tmp_path / "call.docx"
    d.save(str(path))
    iv = read_note_file(path)
    assert iv.account == "acc-0007"
    assert iv.sections["challenges"] == "Audit findings piled up every quarter."
    assert iv.sections["aha"] == "Seeing the reconciliation run by itself."
    assert iv.sections["results"] == "Closed the books in three days."


def test_vtt_captions_with_voice_tags(tmp_path: Path) -> None:
    path = tmp_path / "acme.vtt"
    path.write_text(VTT, encoding="utf-8")
    iv = read_note_file(path)
    assert iv.sections["challenges"] == "Our spreadsheets broke at 200 people, every month."
    assert iv.sections["aha"] == "The first automated report went to the board."
    assert "Marisol Quintero" in iv.names
    assert "Interviewer" not in iv.names  # a role, not a person
    assert "00:00" not in iv.text and "-->" not in iv.text and "NOTE" not in iv.text


def test_srt_with_speaker_labels(tmp_path: Path) -> None:
    path = tmp_path / "globex.srt"
    path.write_text(SRT, encoding="utf-8")
    iv = read_note_file(path)
    assert iv.sections["results"] == "We closed the books in three days. Audits are calm now."
    assert iv.names == ("Ilse Varga",)


def test_markdown_header_sections_and_one_off_colon_kept(tmp_path: Path) -> None:
    path = tmp_path / "n.md"
    path.write_text(
        "Account: globex.com\nInterviewee: Ana Ruiz\n\n"
        "## What challenges were you facing before?\nBudget: we had none.\n\n"
        "## Results\nA: Faster closes.\n",
        encoding="utf-8",
    )
    iv = read_note_file(path)
    assert iv.account == "globex.com"
    assert iv.names == ("Ana Ruiz",)
    # "Budget:" occurs once and is one word: content, not a speaker.
    assert iv.sections == {"challenges": "Budget: we had none.", "results": "Faster closes."}


@pytest.mark.parametrize(
    ("heading", "question"),
    [
        ("What challenges were you facing before you found us?", "challenges"),
        ("What was your aha moment with the product?", "aha"),
        ("What results have you seen since?", "results"),
        ("What alternatives did you consider?", "alternatives"),
        ("Why now: what triggered the purchase?", "trigger"),
        ("Any objections or concerns?", "objections"),
        ("Who else was involved in the decision?", "involved"),
        ("Introductions", None),
    ],
)
def test_headings_classified(heading: str, question: str | None) -> None:
    assert classify_heading(heading) == question


def test_csv_answer_sheet(tmp_path: Path) -> None:
    path = tmp_path / "answers.csv"
    pl.DataFrame(
        {
            "Account ID": ["acc-1", "acc-2"],
            "Interviewee": ["Ana Ruiz", "Bo Lind"],
            "Challenges before": ["Spreadsheets broke.", "Audits piled up."],
            "Aha moment": ["The first report.", ""],
            "Results": ["Hours saved.", "Books closed fast."],
        }
    ).write_csv(path)
    found = read_interviews(path)
    a, b = found.interviews
    assert (a.account, a.source) == ("acc-1", "answers.csv#row1")
    assert a.sections == {
        "challenges": "Spreadsheets broke.",
        "aha": "The first report.",
        "results": "Hours saved.",
    }
    assert a.names == ("Ana Ruiz",)
    assert "aha" not in b.sections


# -- bad input: one line, naming the file ---------------------------------------------------


def _one_line(exc: BaseException) -> str:
    msg = str(exc)
    assert "\n" not in msg
    return msg


def test_binary_file_named(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("Account: x\n\nfine", encoding="utf-8")
    bad = tmp_path / "b.txt"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(InputError) as e:
        read_interviews(tmp_path)
    assert "b.txt" in _one_line(e.value) and "binary" in str(e.value)


def test_fake_docx_named(tmp_path: Path) -> None:
    (tmp_path / "x.docx").write_text("not a zip", encoding="utf-8")
    with pytest.raises(InputError) as e:
        read_interviews(tmp_path)
    assert "x.docx" in _one_line(e.value) and "not a readable .docx" in str(e.value)


def test_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "photo.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(InputError) as e:
        read_interviews(tmp_path / "notes")
    assert "contains no interview notes" in _one_line(e.value)


def test_unsupported_encoding(tmp_path: Path) -> None:
    p = tmp_path / "latin.txt"
    p.write_bytes("Account: x\nLa réunion était utile.".encode("cp1252"))
    with pytest.raises(InputError) as e:
        read_interviews(tmp_path)
    msg = _one_line(e.value)
    assert "latin.txt" in msg and "not UTF-8" in msg and "--encoding" in msg
    # ... and the fix it names works.
    iv = read_interviews(tmp_path, encoding="cp1252").interviews[0]
    assert "réunion" in iv.text
    with pytest.raises(UsageError, match="unknown encoding 'klingon'"):
        read_interviews(tmp_path, encoding="klingon")


def test_utf16_with_bom_is_read(tmp_path: Path) -> None:
    p = tmp_path / "u16.txt"
    p.write_bytes("\ufeffAccount: x\nRésumé of the call.".encode("utf-16-le"))
    assert "Résumé" in read_interviews(tmp_path).interviews[0].text


def test_notes_linking_to_no_account(tmp_path: Path) -> None:
    (tmp_path / "n.md").write_text("Account: nobody.example\n\nSome text.", encoding="utf-8")
    accounts = pl.DataFrame({"id": ["acc-1"], "domain": ["acme.com"], "segment": ["seg-1"]})
    with pytest.raises(InputError) as e:
        analyze_interviews(
            read_interviews(tmp_path).interviews, two_segment_icp(), accounts, notes=tmp_path
        )
    msg = _one_line(e.value)
    assert "none of the 1 interview(s) links to an account" in msg and str(tmp_path) in msg


def test_without_accounts_notes_name_their_segment(tmp_path: Path) -> None:
    from icpkit.interviews import generate_interviews, write_interviews

    corpus = generate_interviews(30, 0, words=150, seed=3)
    paths = write_interviews(corpus, tmp_path)
    segment_of = dict(zip(corpus.accounts["id"], corpus.accounts["segment"], strict=True))
    for p in paths[:-1]:  # the last one names no segment: reported, left out
        text = p.read_text(encoding="utf-8")
        p.write_text(f"Segment: {segment_of[p.stem]}\n{text}", encoding="utf-8")
    result = analyze_interviews(
        read_interviews(tmp_path).interviews, two_segment_icp(), None, permutations=50
    )
    assert result.insights.linked == 59
    # the 60th file in name order, named by number (file names may name people)
    assert result.warnings == ["file #60 (.md): links to no account; left out"]
    linked = result.links.filter(pl.col("link").is_not_null())
    assert set(linked["link"]) == {"segment header"}
    assert linked["segment"].to_list() == [segment_of[p.stem] for p in paths[:-1]]
