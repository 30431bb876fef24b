"""Synthetic customer interviews with a planted truth, for tests, the demo and benchmarks.

Interview analysis can only be tested against text whose answer is known. This generator writes
interviews for two (or more) segments plus interviews of accounts in no segment. Each segment
has planted themes, each a phrase under one question ("spreadsheets broke at 200 people" as the
challenge before, "first automated report" as the aha moment), mentioned by a realistic minority
of that segment's interviews (``rate``) and by a few others (``others_rate``). Everything else is
filler drawn from one Zipf-distributed vocabulary shared by every interview, plus phrases every
segment says alike, so nothing else is distinctive.

Each interview also carries personal data to scrub: an interviewee named in an ``Interviewee:``
header, in speaker labels and in the text, an email signature and a phone number, and a name of
the vendor's own staff mentioned in passing. Names are made of syllables, so they are not words
the interviews use otherwise. One ``np.random.default_rng(seed)`` drives everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from icpkit.interviews.read import Interview

FILLER_BASE_WORDS = [
    "we",
    "the",
    "team",
    "was",
    "our",
    "it",
    "to",
    "and",
    "of",
    "a",
    "in",
    "for",
    "that",
    "with",
    "had",
    "on",
    "process",
    "data",
    "sales",
    "customers",
    "people",
    "time",
    "tool",
    "work",
    "manual",
    "hours",
    "week",
    "month",
    "quarter",
    "board",
    "pipeline",
    "reports",
    "reporting",
    "numbers",
    "finance",
    "operations",
    "marketing",
    "leads",
    "deals",
    "forecast",
    "tracking",
    "system",
    "systems",
    "setup",
    "rollout",
    "adoption",
    "training",
    "support",
    "integration",
    "workflow",
    "approval",
    "review",
    "budget",
    "cost",
    "costs",
    "revenue",
    "growth",
    "hiring",
    "onboarding",
    "migration",
    "export",
    "import",
    "dashboard",
    "dashboards",
    "visibility",
    "accuracy",
    "errors",
    "mistakes",
    "spreadsheet",
    "copy",
    "paste",
    "emails",
    "meetings",
    "calls",
    "handoff",
    "handoffs",
    "accounts",
    "contracts",
    "renewals",
    "pricing",
    "quote",
    "quotes",
    "invoices",
    "billing",
    "vendor",
    "vendors",
    "platform",
    "product",
    "features",
    "feature",
    "roadmap",
    "feedback",
    "requests",
    "tickets",
    "questions",
    "answers",
    "managers",
    "leadership",
    "executives",
    "director",
    "analysts",
    "reps",
    "team's",
    "company's",
    "planning",
    "targets",
    "goals",
    "metrics",
    "kpis",
    "insight",
    "insights",
    "trust",
    "confidence",
    "speed",
    "faster",
    "slower",
    "easier",
    "harder",
    "simple",
    "complex",
    "clean",
    "messy",
    "shared",
    "single",
    "source",
    "truth",
    "field",
    "fields",
    "records",
    "duplicates",
    "owner",
    "owners",
    "territory",
    "territories",
    "segment",
    "segments",
    "regions",
    "region",
    "global",
    "local",
    "remote",
    "office",
    "weekly",
    "daily",
    "monthly",
    "annual",
    "yearly",
    "friday",
    "monday",
    "morning",
    "evening",
    "deadline",
    "deadlines",
]
_SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ra",
    "ten",
    "vis",
    "dor",
    "pel",
    "qua",
    "zen",
    "bri",
    "tho",
    "nak",
    "sol",
    "vey",
    "mur",
    "dax",
    "ilo",
    "fen",
    "gar",
    "hul",
    "jor",
    "kes",
    "lun",
    "mav",
    "nor",
    "osk",
    "pry",
    "rin",
    "sab",
    "tev",
    "ulm",
    "vor",
    "wex",
    "yar",
    "zul",
]
_SHARED_PHRASES = (
    "customer support answered quickly",
    "the onboarding call went well",
    "pricing was reasonable",
    "we compared a few vendors",
)


@dataclass(frozen=True)
class PlantedTheme:
    """A phrase one segment's interviews say under one question more often than others."""

    segment: str
    question: str
    phrase: str
    rate: float
    others_rate: float


DEFAULT_THEMES: tuple[PlantedTheme, ...] = (
    PlantedTheme("seg-1", "challenges", "spreadsheets broke at 200 people", 0.45, 0.05),
    PlantedTheme("seg-1", "aha", "first automated report", 0.45, 0.05),
    PlantedTheme("seg-2", "challenges", "audit findings piled up", 0.45, 0.05),
    PlantedTheme("seg-2", "results", "closed the books in three days", 0.45, 0.05),
)


@dataclass
class SyntheticInterviews:
    """The interviews, their accounts and what was planted in them."""

    interviews: list[Interview]
    accounts: pl.DataFrame
    themes: tuple[PlantedTheme, ...]
    mentions: dict[str, list[int]] = field(default_factory=dict)  # phrase → interview indexes
    names: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)


def _pseudo_words(rng: np.random.Generator, n: int, parts: tuple[int, int]) -> list[str]:
    out: set[str] = set()
    while len(out) < n:
        k = int(rng.integers(parts[0], parts[1] + 1))
        out.add("".join(rng.choice(_SYLLABLES, k)))
    return sorted(out)


_NAME_SYLLABLES = [
    "ae",
    "bel",
    "cor",
    "dru",
    "eli",
    "fay",
    "gus",
    "hol",
    "ira",
    "jun",
    "lem",
    "nia",
    "oto",
    "pia",
    "quin",
    "ros",
    "uma",
    "wyn",
    "xan",
]


def _person(rng: np.random.Generator, avoid: set[str]) -> str:
    """A two-part name from syllables; never one of the words the filler text uses."""
    parts: list[str] = []
    while len(parts) < 2:
        w = "".join(rng.choice(_NAME_SYLLABLES, int(rng.integers(2, 4))))
        if w not in avoid and w not in parts:
            parts.append(w)
    return " ".join(w.capitalize() for w in parts)


def _phone(rng: np.random.Generator) -> str:
    d = rng.integers(0, 10, 10)
    s = "".join(map(str, d))
    style = int(rng.integers(0, 4))
    if style == 0:
        return f"+1 {s[:3]} {s[3:6]} {s[6:]}"
    if style == 1:
        return f"({s[:3]}) {s[3:6]}-{s[6:]}"
    if style == 2:
        return f"{s[:3]}.{s[3:6]}.{s[6:]}"
    return f"+44 {s[:2]} {s[2:6]} {s[6:]}"


class _Filler:
    """Sentences of Zipf-distributed words: common business words, then a long tail."""

    def __init__(self, rng: np.random.Generator, tail: int = 4000) -> None:
        self.rng = rng
        self.words = np.array(FILLER_BASE_WORDS + _pseudo_words(rng, tail, (2, 4)), dtype=object)
        w = 1.0 / np.arange(1, self.words.size + 1) ** 1.05
        self.p = w / w.sum()

    def text(self, n_words: int) -> list[str]:
        words = self.words[self.rng.choice(self.words.size, n_words, p=self.p)]
        out: list[str] = []
        i = 0
        while i < n_words:
            k = int(self.rng.integers(8, 20))
            chunk = list(words[i : i + k])
            chunk[0] = str(chunk[0]).capitalize()
            out.append(" ".join(chunk) + ".")
            i += k
        return out


def generate_interviews(
    n_per_segment: int = 20,
    n_other: int = 20,
    *,
    segments: Sequence[str] = ("seg-1", "seg-2"),
    themes: Sequence[PlantedTheme] = DEFAULT_THEMES,
    words: int = 300,
    personal_data: bool = True,
    seed: int = 0,
) -> SyntheticInterviews:
    """Interviews of ``n_per_segment`` accounts per segment and ``n_other`` in no segment.

    ``words`` is the approximate length of each interview (three sections of equal length).
    Accounts get an ``arr`` outcome; accounts whose interview mentions the first theme of a
    segment have a higher one (a planted association, for the outcome comparison).
    """
    # The steps draw from ``rng`` in a fixed order: reordering them changes every seed's corpus.
    rng = np.random.default_rng(seed)
    filler = _Filler(rng)
    labels = [s for s in segments for _ in range(n_per_segment)] + [None] * n_other
    n = len(labels)
    ids = [f"acc-{i + 1:04d}" for i in range(n)]
    companies = [f"{w.capitalize()} Labs" for w in _pseudo_words(rng, n, (3, 4))]
    avoid = {str(w) for w in filler.words}
    staff = _person(rng, avoid)
    per_section = max(words // 3, 10)
    interviews: list[Interview] = []
    mentions: dict[str, list[int]] = {t.phrase: [] for t in themes}
    names: list[str] = [staff]
    emails: list[str] = []
    phones: list[str] = []
    arr = rng.lognormal(10.5, 0.6, n)
    for i, seg in enumerate(labels):
        person = _person(rng, avoid)
        first, last = person.split()
        email = f"{first.lower()}.{last.lower()}@{companies[i].split()[0].lower()}.example"
        phone = _phone(rng)
        sections, planted = _sections(rng, filler, seg, themes, per_section)
        for t in planted:
            mentions[t.phrase].append(i)
            if t is next(x for x in themes if x.segment == t.segment):
                arr[i] *= 1.6
        if personal_data:
            sections["challenges"].insert(0, f"I'm {first}, I run operations at {companies[i]}.")
            sections["aha"].append(f"{staff} from your team walked {first} through it.")
            sections["results"].append(f"Reach me at {email} or {phone} any time.")
            names.append(person)
            emails.append(email)
            phones.append(phone)
        interviews.append(
            Interview(
                source=f"{ids[i]}.md",
                sections={q: " ".join(s) for q, s in sections.items()},
                account=ids[i],
                names=(person,) if personal_data else (),
            )
        )
    accounts = pl.DataFrame(
        {
            "id": ids,
            "name": companies,
            "domain": [f"{c.split()[0].lower()}.example" for c in companies],
            "segment": labels,
            "arr": np.round(arr, 0),
        },
        schema={
            "id": pl.String,
            "name": pl.String,
            "domain": pl.String,
            "segment": pl.String,
            "arr": pl.Float64,
        },
    )
    return SyntheticInterviews(interviews, accounts, tuple(themes), mentions, names, emails, phones)


def _sections(
    rng: np.random.Generator,
    filler: _Filler,
    seg: str | None,
    themes: Sequence[PlantedTheme],
    per_section: int,
) -> tuple[dict[str, list[str]], list[PlantedTheme]]:
    """One interview's sentences per question, with the themes it mentions planted in them.

    Each theme is mentioned at its segment's rate (``others_rate`` elsewhere), as a phrase set
    inside a filler sentence at a random place in its question; phrases every segment says
    are added too, so not everything shared looks distinctive. Returns the themes planted.
    """
    sections: dict[str, list[str]] = {
        q: filler.text(per_section) for q in ("challenges", "aha", "results")
    }
    planted: list[PlantedTheme] = []
    for t in themes:
        rate = t.rate if t.segment == seg else t.others_rate
        if rng.random() < rate:
            planted.append(t)
            pos = int(rng.integers(0, len(sections[t.question]) + 1))
            around = filler.text(10)[0].rstrip(".").split()
            cut = len(around) // 2
            sentence = " ".join([*around[:cut], t.phrase, *around[cut:]]) + "."
            sections[t.question].insert(pos, sentence)
    for phrase in _SHARED_PHRASES:
        if rng.random() < 0.3:
            sections["results"].append(f"Also {phrase}.")
    return sections, planted


_HEADINGS = {
    "challenges": "What challenges were you facing before you found us?",
    "aha": "What was your aha moment with the product?",
    "results": "What results have you seen since?",
}


def write_interviews(corpus: SyntheticInterviews, directory: Path) -> list[Path]:
    """Write each interview as a Markdown notes file (header, question headings, answers)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for iv in corpus.interviews:
        lines = [f"Account: {iv.account}"]
        if iv.names:
            lines.append(f"Interviewee: {iv.names[0]}")
        lines.append("")
        for q, heading in _HEADINGS.items():
            lines += [f"## {heading}", "", iv.sections.get(q, ""), ""]
        p = directory / iv.source
        p.write_text("\n".join(lines), encoding="utf-8")
        paths.append(p)
    return paths


__all__ = [
    "DEFAULT_THEMES",
    "FILLER_BASE_WORDS",
    "PlantedTheme",
    "SyntheticInterviews",
    "generate_interviews",
    "write_interviews",
]
