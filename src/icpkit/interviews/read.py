"""Reading interview notes and transcripts: .txt, .md, .docx, .vtt, .srt and CSV answer sheets.

Every format becomes the same :class:`Interview`: the answers split by question (challenges
before, the aha moment, results since, and the guide's other questions), the account reference
the notes give (a header line such as ``Account: acme.com``, a CSV column, or the file name), and
the personal names the file itself reveals (speaker labels, an ``Interviewee:`` header) so that
scrubbing can remove them everywhere, not only where a heuristic spots them.

Sections are found by headings: Markdown ``#`` lines, .docx heading styles, short lines ending in
``:`` or ``?`` and ``Q:`` lines, classified by their words (:data:`QUESTION_WORDS`). Text before
any recognised heading is ``other``. Errors are one line naming the file: a binary or unreadable
file, a .docx that is not one, text that is not in the expected encoding.
"""

from __future__ import annotations

import codecs
import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from icpkit.errors import InputError, UsageError

CORE_QUESTIONS: tuple[str, ...] = ("challenges", "aha", "results")
"""The three questions the method asks every interviewee; analysed one by one."""

QUESTIONS: tuple[str, ...] = (
    *CORE_QUESTIONS,
    "alternatives",
    "trigger",
    "objections",
    "involved",
)
"""Every question of the interview guide; ``other`` holds text under no recognised heading."""

#: Words that classify a heading or question line, checked in this order (first match wins).
QUESTION_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("aha", ("aha", "a-ha", "moment", "click", "realis", "realiz", "turning point")),
    ("alternatives", ("alternative", "competitor", "consider", "instead", "evaluat")),
    ("trigger", ("trigger", "why now", "made you buy", "made you look", "urgent")),
    ("objections", ("objection", "concern", "hesitat", "worr", "almost didn", "risk")),
    ("involved", ("involved", "who else", "stakeholder", "decision", "sign off", "signed")),
    ("challenges", ("challenge", "problem", "pain", "before", "struggl", "frustrat")),
    ("results", ("result", "outcome", "since", "impact", "improv", "achiev", "changed")),
)

#: File types read from a notes folder (CSV sheets: one interview per row).
NOTE_SUFFIXES: tuple[str, ...] = (".txt", ".md", ".markdown", ".docx", ".vtt", ".srt", ".csv")

_ACCOUNT_KEYS = (
    "account_id",
    "account",
    "customer",
    "company",
    "domain",
    "website",
    "account_domain",
)
_NAME_KEYS = (
    "interviewee",
    "participant",
    "contact",
    "customer_name",
    "person",
    "attendee",
    "interviewer",
)
_SEGMENT_KEYS = ("segment", "segment_id")
_META_KEYS = (
    *_ACCOUNT_KEYS,
    *_NAME_KEYS,
    *_SEGMENT_KEYS,
    "interview_id",
    "date",
    "role",
    "title",
    "id",
    "file",
)
#: Speaker labels that are roles, not names (kept out of the names to scrub).
ROLE_LABELS = frozenset(
    {"q", "a", "interviewer", "customer", "speaker", "me", "us", "moderator", "host", "guest"}
    | {"note", "notes", "answer", "question", "interviewee", "participant", "them", "you"}
)
_HEADER = re.compile(r"^\s*([A-Za-z][A-Za-z _-]{1,30}):\s*(.+?)\s*$")
_SPEAKER = re.compile(r"^\s*([A-ZÀ-Þ][\w.'’-]*(?: [A-ZÀ-Þ][\w.'’-]*){0,3})\s*:\s+(?=\S)")
_QA = re.compile(r"^\s*(?:q(?:uestion)?\s*\d*[.:)]|\d+[.)])\s*", re.IGNORECASE)
_ANSWER = re.compile(r"^\s*a(?:nswer)?\s*[.:)]\s*", re.IGNORECASE)
_TIMING = re.compile(r"^\s*(?:\d+:)?\d{1,2}:\d{2}[.,]\d{3}\s*-->")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>")
_TAG = re.compile(r"</?[^>]+>")


@dataclass(frozen=True)
class Interview:
    """One interview: answers by question, the account it names and the names it reveals.

    ``source`` is the real file path (relative to the notes folder), used to link by file name
    and never shown: people name files after the interviewee. ``ref`` is what outputs show
    instead (see :func:`file_ref`).
    """

    source: str
    sections: dict[str, str]
    account: str | None = None
    segment: str | None = None
    names: tuple[str, ...] = ()
    ref: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(t for t in self.sections.values() if t)


@dataclass
class InterviewSet:
    """The interviews read from a folder or file, and what was skipped (one line each)."""

    interviews: list[Interview]
    warnings: list[str] = field(default_factory=list)


#: Said once with warnings that name files by number.
FILE_NUMBERS_NOTE = (
    "files are numbered in name order (hidden files aside); their names are not shown because "
    "they may name people"
)


def file_ref(number: int, path: Path | str) -> str:
    """A short reference to a notes file that is safe to show: ``file #3 (.md)``.

    File names often carry the interviewee's name ("call with Ana Ruiz.docx"), and warnings and
    link tables end up in shared terminals and files; the number (the file's position in name
    order) and the extension are enough to find it again.
    """
    suffix = Path(path).suffix.lower()
    return f"file #{number} ({suffix})" if suffix else f"file #{number}"


def classify_heading(line: str) -> str | None:
    """The question a heading or question line asks, or None when it names none."""
    low = line.lower()
    for question, words in QUESTION_WORDS:
        if any(w in low for w in words):
            return question
    return None


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def decode_text(data: bytes, *, file: Path | str, encoding: str | None = None) -> str:
    """Bytes of a text note to text: UTF-8 (or a byte-order-marked UTF-16/32) unless told.

    Interview notes are written by people, not exported by CRMs, so a guess between legacy code
    pages would silently garble names and quotes; a file that is not UTF-8 is refused with the
    fix (re-save as UTF-8 or pass ``encoding``).
    """
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise UsageError(f"unknown encoding {encoding!r}", file=file) from None
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise InputError(f"is not valid {encoding} (byte {exc.start})", file=file) from None
    for bom, enc in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(enc)
            except UnicodeDecodeError:
                raise InputError(f"starts like {enc} but is not valid {enc}", file=file) from None
    head = data[:8192]
    controls = sum(head.count(bytes([b])) for b in (*range(9), 11, *range(14, 32)))
    if b"\x00" in head or controls > len(head) // 20:
        raise InputError("is a binary file, not text notes", file=file)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"is not UTF-8 text (undecodable byte at offset {exc.start}); re-save it as UTF-8 "
            "or pass --encoding",
            file=file,
        ) from None


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot be read: {exc.strerror or exc}", file=path) from None


def parse_notes(lines: Iterable[str], *, source: str, headings: Iterable[int] = ()) -> Interview:
    """Lines of notes or a transcript to an :class:`Interview` (sections, header, speakers).

    ``headings`` are indexes of lines known to be headings (a .docx heading style).
    """
    known_headings = set(headings)
    lines = list(lines)
    # A "Word: text" prefix is a speaker when it recurs (a transcript) or is a full name; a
    # one-off "Budget: $20k" is content and stays in the text.
    labels: dict[str, int] = {}
    for raw in lines:
        m = _SPEAKER.match(_QA.sub("", raw.strip().lstrip("#").strip()))
        if m:
            labels[m.group(1).strip()] = labels.get(m.group(1).strip(), 0) + 1
    speakers = {
        w
        for w, n in labels.items()
        if (n >= 2 or " " in w or w.lower() in ROLE_LABELS) and classify_heading(w) is None
    }
    meta: dict[str, str] = {}
    names: list[str] = []
    sections: dict[str, list[str]] = {}
    current = "other"
    in_header = True
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            continue
        if in_header and not line.startswith("#"):
            m = _HEADER.match(line)
            if m and _key(m.group(1)) in _META_KEYS and not m.group(2).endswith("?"):
                meta[_key(m.group(1))] = m.group(2)
                continue
        if line in ("---", "***"):
            continue
        in_header = False
        is_heading = i in known_headings or line.startswith("#") or bool(_QA.match(line))
        text = line.lstrip("#").strip()
        text = _QA.sub("", text) if _QA.match(text) else text
        words = len(text.split())
        if not is_heading and words <= 14 and text.endswith((":", "?")):
            is_heading = True
        speaker = _SPEAKER.match(text)
        if speaker and not is_heading and speaker.group(1).strip() in speakers:
            who = speaker.group(1).strip()
            if who.lower() not in ROLE_LABELS and classify_heading(who) is None:
                names.append(who)
            text = text[speaker.end() :]
            if text.endswith("?") and len(text.split()) <= 30:
                is_heading = True  # the interviewer asking the next question
        if is_heading:
            q = classify_heading(text)
            if q is not None:
                current = q
                continue
            if i in known_headings or line.startswith("#"):
                current = "other"
                continue
        text = _ANSWER.sub("", text)
        if text:
            sections.setdefault(current, []).append(text)
    for k in _NAME_KEYS:
        if k in meta:
            names.extend(n.strip() for n in re.split(r"[,;&]| and ", meta[k]) if n.strip())
    account = next((meta[k] for k in _ACCOUNT_KEYS if k in meta), None)
    segment = next((meta[k] for k in _SEGMENT_KEYS if k in meta), None)
    return Interview(
        source=source,
        sections={k: " ".join(v) for k, v in sections.items()},
        account=account,
        segment=segment,
        names=tuple(dict.fromkeys(names)),
    )


def _captions(text: str) -> tuple[list[str], list[str]]:
    """Caption text lines of a .vtt or .srt file and the voice-tag speaker names."""
    out: list[str] = []
    voices: list[str] = []
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    for block in blocks:
        lines = [x for x in block.split("\n") if x.strip()]
        if not lines:
            continue
        first = lines[0].strip()
        if first.startswith(("WEBVTT", "NOTE", "STYLE", "REGION")):
            continue
        timing = next((k for k, x in enumerate(lines) if _TIMING.match(x)), None)
        if timing is None:
            continue  # not a cue (an index without timing, stray text)
        for cue in lines[timing + 1 :]:
            for v in _VOICE.findall(cue):
                voices.append(v.strip())
            spoken = _TAG.sub("", cue).strip()
            if spoken:
                out.append(spoken)
    return out, voices


def read_note_file(
    path: Path, *, root: Path | None = None, encoding: str | None = None, ref: str | None = None
) -> Interview:
    """One notes file (not CSV) to an :class:`Interview`; the source is relative to ``root``."""
    iv = _read_note_file(path, root=root, encoding=encoding)
    return dataclasses.replace(iv, ref=ref) if ref is not None else iv


def _read_note_file(path: Path, *, root: Path | None, encoding: str | None) -> Interview:
    source = str(path.relative_to(root)) if root is not None else path.name
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return _read_docx(path, source)
    text = decode_text(_read_bytes(path), file=path, encoding=encoding)
    if suffix in (".vtt", ".srt"):
        lines, voices = _captions(text)
        if not lines:
            raise InputError(f"has no captions (not a {suffix} transcript)", file=path)
        iv = parse_notes(lines, source=source)
        voice_names = tuple(v for v in voices if v.lower() not in ROLE_LABELS)
        names = tuple(dict.fromkeys((*iv.names, *voice_names)))
        return Interview(iv.source, iv.sections, iv.account, iv.segment, names)
    return parse_notes(text.splitlines(), source=source)


def _read_docx(path: Path, source: str) -> Interview:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputError(
            f"is not a readable .docx file ({type(exc).__name__})", file=path
        ) from None
    lines: list[str] = []
    headings: list[int] = []
    for p in document.paragraphs:
        style = (p.style.name if p.style is not None else "") or ""
        if style.lower().startswith(("heading", "title")):
            headings.append(len(lines))
        lines.append(p.text)
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells]
            if len(cells) >= 2 and classify_heading(cells[0]):
                headings.append(len(lines))
                lines.append(cells[0])
                lines.append(" ".join(cells[1:]))
            else:
                lines.append(" ".join(cells))
    return parse_notes(lines, source=source, headings=headings)


def read_answer_sheet(
    path: Path, *, root: Path | None = None, ref: str | None = None
) -> list[Interview]:
    """A CSV (or other table) with one interview per row: an account column and answer columns.

    Answer columns are classified by their header like headings; other text columns are
    ``other``. Interviewee columns give names to scrub and are never analysed.
    """
    from icpkit.io import read_table

    df = read_table(path)
    source = str(path.relative_to(root)) if root is not None else path.name
    keys = {_key(c): c for c in df.columns}
    account_col = next((keys[k] for k in _ACCOUNT_KEYS if k in keys), None)
    if account_col is None:
        raise InputError(f"has no account column (one of {', '.join(_ACCOUNT_KEYS)})", file=path)
    segment_col = next((keys[k] for k in _SEGMENT_KEYS if k in keys), None)
    name_cols = [keys[k] for k in _NAME_KEYS if k in keys]
    answer_cols = {c: classify_heading(c.replace("_", " ")) or "other" for c in df.columns}
    answer_cols = {c: q for c, q in answer_cols.items() if _key(c) not in _META_KEYS}
    if not answer_cols:
        raise InputError("has no answer columns besides the account", file=path)
    rows = df.select(
        [account_col, *([segment_col] if segment_col else []), *name_cols, *answer_cols]
    ).cast(
        {c: str for c in df.columns if c in (account_col, segment_col, *name_cols, *answer_cols)}
    )
    out: list[Interview] = []
    for n, rec in enumerate(rows.iter_rows(named=True), start=1):
        sections: dict[str, list[str]] = {}
        for c, q in answer_cols.items():
            if rec[c]:
                sections.setdefault(q, []).append(str(rec[c]))
        names = tuple(str(rec[c]).strip() for c in name_cols if rec[c])
        out.append(
            Interview(
                source=f"{source}#row{n}",
                sections={k: " ".join(v) for k, v in sections.items()},
                account=rec[account_col],
                segment=rec[segment_col] if segment_col else None,
                names=names,
                ref=f"{ref} row {n}" if ref is not None else None,
            )
        )
    return out


def read_interviews(path: str | Path, *, encoding: str | None = None) -> InterviewSet:
    """Every interview in a folder (recursively) or one file, in file-name order.

    Hidden files and other file types are skipped with a warning; a folder with no notes, an
    unreadable or binary file, and an answer sheet without an account column are errors.
    Warnings name files by :func:`file_ref`, never by name; errors about a file that cannot be
    read give its path (the user must find it, and errors stay on the user's terminal).
    """
    root = Path(path)
    if not root.exists():
        raise UsageError("no such file or folder", file=root)
    warnings: list[str] = []
    if root.is_dir():
        files = sorted(
            p
            for p in root.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
        )
        refs = {p: file_ref(k, p) for k, p in enumerate(files, start=1)}
        notes = [p for p in files if p.suffix.lower() in NOTE_SUFFIXES]
        for p in files:
            if p.suffix.lower() not in NOTE_SUFFIXES:
                warnings.append(
                    f"{refs[p]}: skipped (not a notes file: {', '.join(NOTE_SUFFIXES)})"
                )
        base: Path | None = root
    else:
        notes, base = [root], None
        refs = {root: file_ref(1, root)}
        if root.suffix.lower() not in NOTE_SUFFIXES:
            raise UsageError(
                f"not a notes file; icpkit reads {', '.join(NOTE_SUFFIXES)}", file=root
            )
    if not notes:
        raise InputError(f"contains no interview notes ({', '.join(NOTE_SUFFIXES)})", file=root)
    interviews: list[Interview] = []
    for p in notes:
        if p.suffix.lower() == ".csv":
            interviews.extend(read_answer_sheet(p, root=base, ref=refs[p]))
        else:
            interviews.append(read_note_file(p, root=base, encoding=encoding, ref=refs[p]))
    empty = [iv.ref for iv in interviews if not iv.text.strip()]
    for s in empty:
        warnings.append(f"{s}: no text; left out")
    interviews = [iv for iv in interviews if iv.text.strip()]
    if not interviews:
        raise InputError("no interview has any text", file=root)
    return InterviewSet(interviews, warnings)


__all__ = [
    "CORE_QUESTIONS",
    "FILE_NUMBERS_NOTE",
    "NOTE_SUFFIXES",
    "QUESTIONS",
    "QUESTION_WORDS",
    "ROLE_LABELS",
    "Interview",
    "InterviewSet",
    "classify_heading",
    "decode_text",
    "file_ref",
    "parse_notes",
    "read_answer_sheet",
    "read_interviews",
    "read_note_file",
]
