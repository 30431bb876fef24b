"""Scrubbing personal data from interview text before anything is counted, quoted or stored.

Interview notes name people, carry email signatures and phone numbers, and name the customer.
Everything icpkit derives from them (distinctive words, themes, quotes, the ICP file, the report)
is computed from scrubbed text, so nothing personal can resurface through a word count.

What is replaced, in this order (placeholders are lower-case in brackets, so they never look like
a name and are never counted as words):

* email addresses → ``[email]``; URLs → ``[link]``;
* phone numbers (7–15 digits with phone separators; not dates or year ranges) → ``[phone]``;
* names the files reveal or the caller gives (speaker labels, ``Interviewee:`` headers, contact
  names), each full name and each part, case-insensitively → ``[person]``;
* a title followed by capitalised words (``Dr. Ruiz``) → ``[person]``;
* the company's own names (when asked) → ``[company]``; the interviewed account's name and
  domain → ``[account]`` (the account reference stays in the data, not in the quote);
* any other capitalised word that the interviews never use in lower case and that is not an
  English stop word (a proper noun: a person, a place, a product) → ``[name]``. Over-scrubbing a product name is the price of not
  needing a name list or a model; words listed in ``keep`` (e.g. the ICP's technology names)
  survive.

Known limit: a person whose name is also an everyday word the interviews use in lower case
("Will", "Rose") is caught only when the files or the caller name them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"\[(?:email|link|phone|person|company|account|name)\]")

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_URL_RS = r"(?i)\b(?:https?://|www\.)\S+"
_URL = re.compile(_URL_RS.removeprefix("(?i)"), re.IGNORECASE)
_DIGIT_RUN = re.compile(r"\d(?:[\s().-]*\d){6}")
_PHONE = re.compile(r"(?<![\w+])\+?\(?\d(?:[\d\s().-]*\d)?(?![\w])")
_DATE_LIKE = re.compile(
    r"^(?:(?:19|20)\d\d\s*[-–]\s*(?:19|20)\d\d|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})$"
)
_TITLE = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Madam)\.?\s+[A-ZÀ-Þ][\w'’-]*(?:\s+[A-ZÀ-Þ][\w'’-]*)?"
)
_CAPITALISED = re.compile(r"\b[A-ZÀ-Þ][^\W\d_]*(?:['’-][^\W\d_]+)*")
_LOWER_WORD = re.compile(r"\b[a-zß-ÿ][^\W\d_]*(?:['’-][^\W\d_]+)*")
_NAME_LIKE = frozenset({"bill", "con", "de", "eg", "ie", "inc", "ltd", "mill", "sincere"})
_ALWAYS_KEPT = frozenset(
    {"i", "i'm", "i've", "i'd", "i'll", "ok", "okay"}
    | {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
    | {"january", "february", "march", "april", "may", "june", "july", "august"}
    | {"september", "october", "november", "december", "q1", "q2", "q3", "q4"}
)


def _phone(m: re.Match[str]) -> str:
    s = m.group(0)
    digits = sum(ch.isdigit() for ch in s)
    if not 7 <= digits <= 15 or _DATE_LIKE.match(s.strip()):
        return s
    if digits == len(s.strip()) and not s.startswith("+") and digits < 10:
        return s  # a bare number such as 1500000 is a figure, not a phone
    return "[phone]"


def name_parts(names: Iterable[str]) -> set[str]:
    """Each full name and each of its parts of two letters or more ('Ana Ruiz' → 3 strings)."""
    out: set[str] = set()
    for n in names:
        n = " ".join(n.split())
        if not n:
            continue
        out.add(n)
        out.update(p for p in re.split(r"[\s.]+", n) if len(p) >= 2)
    return out


def lowercase_vocabulary(texts: Iterable[str]) -> set[str]:
    """Words the texts use in lower case: the everyday words a capitalised copy may be."""
    import polars as pl

    s = pl.Series("t", list(texts), dtype=pl.String)
    if s.is_empty():
        return set()
    # Addresses are lower case but name people (jane.doe@…): they say nothing about words.
    words = (
        s.str.replace_all(_EMAIL.pattern, " ")
        .str.replace_all(r"(?i)\b(?:https?://|www\.)\S+", " ")
        .str.extract_all(_LOWER_WORD.pattern)
        .explode()
        .drop_nulls()
        .unique()
    )
    return set(words.to_list())


@dataclass(frozen=True)
class Scrubber:
    """Replaces personal data in text; build once per corpus, apply to every interview."""

    names: frozenset[str] = frozenset()
    companies: frozenset[str] = frozenset()
    vocabulary: frozenset[str] = frozenset()
    keep: frozenset[str] = frozenset()

    @classmethod
    def for_corpus(
        cls,
        texts: Iterable[str],
        *,
        names: Iterable[str] = (),
        companies: Iterable[str] = (),
        keep: Iterable[str] = (),
    ) -> Scrubber:
        """A scrubber whose everyday words are those the corpus uses in lower case."""
        parts = name_parts(names)
        low = {p.lower() for p in parts}
        # Everyday words count as seen even in a small corpus, so a sentence-initial "Honestly"
        # or "After" survives; a few that are also first names ("bill") do not.
        from icpkit.interviews.analyze import STOP_WORDS

        vocab = (lowercase_vocabulary(texts) | (STOP_WORDS - _NAME_LIKE)) - low
        return cls(
            names=frozenset(parts),
            companies=frozenset(c.strip() for c in companies if c.strip()),
            vocabulary=frozenset(vocab),
            keep=frozenset(k.lower() for k in keep),
        )

    def scrub(self, text: str, *, names: Iterable[str] = (), account: Iterable[str] = ()) -> str:
        """``text`` with personal data replaced; ``names``/``account`` are this text's own."""
        return self.scrub_many([text], names=names, accounts=account)[0]

    def scrub_many(
        self, texts: Sequence[str], *, names: Iterable[str] = (), accounts: Iterable[str] = ()
    ) -> list[str]:
        """Every text scrubbed, in the order of the module docstring.

        ``names`` (people) and ``accounts`` (the interviewed accounts' names and domains) are
        scrubbed from every text: another customer's name in a quote is no better than the
        interviewee's own. The fixed patterns and the name lists run as polars (Rust regex)
        replacements over all texts at once; phone numbers and proper nouns need a decision
        per match and run in Python.
        """
        import polars as pl

        s = pl.Series("t", list(texts), dtype=pl.String)
        s = s.str.replace_all(_EMAIL.pattern, "[email]").str.replace_all(_URL_RS, "[link]")
        s = pl.Series(
            "t", [_PHONE.sub(_phone, x) if _DIGIT_RUN.search(x) else x for x in s.to_list()]
        )
        for pattern in _word_patterns(self.names | name_parts(names)):
            s = s.str.replace_all(pattern, "[person]")
        s = s.str.replace_all(_TITLE.pattern, "[person]")
        for pattern in _word_patterns(self.companies):
            s = s.str.replace_all(pattern, "[company]")
        own = {a.strip() for a in accounts if a and len(a.strip()) >= 2}
        for pattern in _word_patterns(own):
            s = s.str.replace_all(pattern, "[account]")
        vocab, keep = self.vocabulary, self.keep | _ALWAYS_KEPT

        def proper(m: re.Match[str]) -> str:
            w = m.group(0)
            low = w.lower()
            if low in keep or (low in vocab and not w[1:].isupper() and w[1:] == w[1:].lower()):
                return w
            if len(w) <= 4 and w.isupper():
                return w  # an acronym: CRM, ARR, CFO
            return "[name]"

        return [_CAPITALISED.sub(proper, x) for x in s.to_list()]


def _word_patterns(words: Iterable[str], chunk: int = 500) -> list[str]:
    """Case-insensitive whole-word alternations (Rust regex syntax), longest words first."""
    parts = sorted(
        {c for w in words if len(c := " ".join(w.split()).strip(" .,;:'\"()")) >= 2},
        key=lambda w: (-len(w), w),
    )
    return [
        "(?i)\\b(?:" + "|".join(re.escape(p) for p in parts[i : i + chunk]) + ")\\b"
        for i in range(0, len(parts), chunk)
    ]


def contact_names(contacts: object) -> list[str]:
    """Personal names in a contacts table (first/last/full name columns), to scrub everywhere."""
    import polars as pl

    from icpkit.columns.names import canonical_headers

    if not isinstance(contacts, pl.DataFrame):
        return []
    canon = canonical_headers(contacts.columns)
    cols = [
        canon[c]
        for c in (
            "first_name",
            "last_name",
            "name",
            "full_name",
            "contact_name",
            "firstname",
            "lastname",
        )
        if c in canon
    ]
    names: set[str] = set()
    for c in cols:
        names.update(
            str(v)
            for v in contacts[c].cast(pl.String).drop_nulls().unique().to_list()
            if str(v).strip()
        )
    return sorted(names)


__all__ = ["PLACEHOLDER", "Scrubber", "contact_names", "lowercase_vocabulary", "name_parts"]
