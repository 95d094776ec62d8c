"""Comparing two records: same, different or maybe, with a score and the rule that decided.

A record is a hit prepared once for matching (folded title, surnames, identifiers). Blocking keys
put records that could be the same publication into the same bucket, so only a few pairs per record
are ever compared and the cost grows close to linearly with the number of hits.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from db.dedupe import normalise as n

Outcome = Literal["same", "different", "maybe"]

# Types whose web version often carries the next year (reports, working papers, theses online).
_LOOSE_YEAR_TYPES = frozenset({"report", "other", "thesis", "book", None})
# Engines whose records are snippets: their year and type are less trustworthy.
SNIPPET_ENGINES = frozenset({"scholar", "google-scholar", "pop-csv"})


@dataclass(frozen=True, slots=True)
class Record:
    """A hit prepared for matching."""

    id: int
    engine: str
    exact_id: str | None  # engine record id: the same Oria record in two runs is one work
    title: str  # folded
    main: str  # folded main title (no subtitle)
    truncated: bool
    subtitled: bool  # the title goes on after its main title
    short: bool  # under four significant words or 30 letters: too generic to match on alone
    numbers: tuple[str, ...]
    surnames: tuple[str, ...]
    initial: str  # the first author's first initial, '' when unknown
    year: int | None
    type: str | None
    venue: str
    doi: str | None
    isbns: tuple[str, ...]


def prepare(hit: Mapping[str, Any]) -> Record:
    """Fold one hit (a row of the hits table, authors as JSON text or a list) for matching."""
    authors = hit.get("authors") or []
    if isinstance(authors, str):
        surnames, initial = _authors(authors)
    else:
        surnames, initial = n.surnames(authors), n.first_initial(authors)
    title = hit.get("title") or ""
    folded, main, subtitled = n.title_parts(title)
    engine = str(hit.get("engine") or "")
    key = hit.get("hit_key")
    return Record(
        id=int(hit["id"]),
        engine=engine,
        exact_id=f"{engine}:{key}" if key else None,
        title=folded,
        main=main,
        truncated=n.is_truncated(title),
        subtitled=subtitled,
        short=len(_significant(folded)) < 4 or len(folded) < 30,
        numbers=n.title_numbers(folded),
        surnames=surnames,
        initial=initial,
        year=_year(hit.get("year")),
        type=hit.get("type") or None,
        venue=n.fold(hit.get("container") or ""),
        doi=n.normalise_doi(hit.get("doi")),
        isbns=n.normalise_isbn(hit.get("isbn")),
    )


@functools.lru_cache(maxsize=1 << 16)  # copies of one work carry the same author list
def _authors(authors_json: str) -> tuple[tuple[str, ...], str]:
    authors = json.loads(authors_json or "[]")
    return n.surnames(authors), n.first_initial(authors)


def _year(value: Any) -> int | None:
    try:
        return int(str(value)[:4]) if value not in (None, "") else None
    except ValueError:
        return None


def _significant(title: str) -> list[str]:
    return [w for w in title.split() if w not in n.STOPWORDS and len(w) > 1]


def blocking_keys(record: Record) -> Iterator[str]:
    """Buckets a possible duplicate of this record shares with it (at least one of them)."""
    if record.exact_id:
        yield "id:" + record.exact_id
    if record.doi:
        yield "doi:" + record.doi
    for isbn in record.isbns:
        yield "isbn:" + isbn
    words = _significant(record.title)
    if words:
        # The opening words survive Scholar's truncation and a dropped subtitle.
        yield "t:" + " ".join(words[:3])
        # The two longest words survive a typo or a changed word near the start.
        longest = sorted(sorted(set(words)), key=len, reverse=True)[:2]
        yield "w:" + " ".join(sorted(longest))
    if record.surnames and record.year:
        # Same first author and year: catches a title in another language, for the maybe queue.
        yield f"a:{record.surnames[0]}:{record.year}"


# A 'maybe' that leaves the question open instead of keeping the two apart: two incomplete titles
# cannot show which part each is, but each may still join a complete copy of one work.
BOTH_PARTIAL = "both_partial"


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Outcome
    score: float  # 0-100, the title similarity the rules used
    method: str  # which rule decided, for the merge record


def title_similarity(a: Record, b: Record) -> tuple[float, bool]:
    """0-100: best of full titles, main titles, and a truncated title against the other's start.

    The flag says whether the full titles matched; otherwise only a part of one title did, which
    needs the authors to confirm it.
    """
    full = fuzz.ratio(a.title, b.title)
    if full >= 97:
        return full, True
    score = full
    if a.main and b.main and (a.main == a.title or b.main == b.title):
        # One of them lost its subtitle (Scholar, some catalogues): compare the main titles.
        score = max(score, fuzz.ratio(a.main, b.main) - 1)
    for short, long in ((a, b), (b, a)):
        if short.truncated and len(short.title) >= 30:
            score = max(score, fuzz.ratio(short.title, long.title[: len(short.title)]) - 1)
    return score, score == full


def _authors_agree(a: Record, b: Record) -> bool | None:
    """True / False when both list authors; None when one does not."""
    if not a.surnames or not b.surnames:
        return None
    if _close(a.surnames[0], b.surnames[0]):
        return True
    shorter, longer = sorted((a.surnames, b.surnames), key=len)
    shared = sum(1 for s in shorter if any(_close(s, t) for t in longer))
    return shared * 2 >= len(shorter) and shared > 0


def _first_authors_agree(a: Record, b: Record) -> bool:
    """The same first author: surname (a letter's slip allowed) and initial, where both give one."""
    if not a.surnames or not b.surnames or not _close(a.surnames[0], b.surnames[0]):
        return False
    return not a.initial or not b.initial or a.initial == b.initial


def _most_authors_agree(a: Record, b: Record) -> bool:
    """Half the shorter author list (Scholar keeps three, 'et al.' one) is in the other."""
    shorter, longer = sorted((a.surnames, b.surnames), key=len)
    shared = sum(1 for s in shorter if any(_close(s, t) for t in longer))
    return shared > 0 and shared * 2 >= len(shorter)


def _partial(x: Record, y: Record) -> bool:
    """x's title may have lost words y's shows: cut by an ellipsis, or without y's subtitle."""
    lost_subtitle = not x.subtitled and y.subtitled and (x.title != y.title or y.truncated)
    return x.truncated or lost_subtitle


def _fuzzy_same(a: Record, b: Record, similarity: float, method: str) -> Verdict:
    """'same' on a fuzzy title, unless the authors are weak or a lost part may hold a number.

    Scholar's ellipsis and a dropped subtitle can hide 'Del 3'. When both titles are incomplete,
    nothing shows which part either is; when one is, most of the authors must confirm the match.
    Co-authors alone never do: common surnames repeat, and the parts of a series share them.
    """
    partial_a, partial_b = _partial(a, b), _partial(b, a)
    if partial_a and partial_b:
        return Verdict("maybe", similarity, BOTH_PARTIAL)
    if a.surnames and b.surnames and not _first_authors_agree(a, b):
        return Verdict("maybe", similarity, "first_author_differs")
    if (partial_a or partial_b) and not (_first_authors_agree(a, b) and _most_authors_agree(a, b)):
        return Verdict("maybe", similarity, "partial_title_weak_authors")
    return Verdict("same", similarity, method)


def _close(x: str, y: str) -> bool:
    return x == y or (min(len(x), len(y)) >= 5 and Levenshtein.distance(x, y) <= 1)


def _year_gap_allowed(a: Record, b: Record) -> bool:
    """±1 year is normal for reports and their web versions, and for snippets of anything."""
    loose = a.type in _LOOSE_YEAR_TYPES and b.type in _LOOSE_YEAR_TYPES
    return loose or a.engine in SNIPPET_ENGINES or b.engine in SNIPPET_ENGINES


def compare(a: Record, b: Record) -> Verdict:
    """Decide whether two records are the same publication."""
    if a.exact_id and a.exact_id == b.exact_id:
        return Verdict("same", 100.0, "engine_id")
    similarity, whole = title_similarity(a, b)
    if a.numbers != b.numbers and (a.numbers or b.numbers):
        if not _truncated_prefix(a, b):
            return Verdict("different", similarity, "title_numbers")
        if similarity >= 88:
            # The ellipsis may have eaten 'Part II': only a person can tell which part it is.
            return Verdict("maybe", similarity, "truncated_title_numbers")
        return Verdict("different", similarity, "title_differs")
    if a.doi and b.doi:
        if a.doi == b.doi:
            if similarity >= 70:
                return Verdict("same", 100.0, "doi")
            return Verdict("maybe", similarity, "doi_title_differs")
        return Verdict("different", similarity, "doi_differs")
    authors = _authors_agree(a, b)
    gap = abs(a.year - b.year) if a.year and b.year else None
    shared_isbn = bool(set(a.isbns) & set(b.isbns))
    if shared_isbn and "book_chapter" not in (a.type, b.type):
        if similarity >= 70 and authors is not False:
            return Verdict("same", 100.0, "isbn")
        return Verdict("maybe", similarity, "isbn_title_differs")
    if gap is not None and gap > 1:
        if similarity >= 97 and authors:
            return Verdict("maybe", similarity, "year_differs")
        return Verdict("different", similarity, "year_differs")
    year_ok = gap in (None, 0) or _year_gap_allowed(a, b)
    short = a.short
    if authors is False:
        if similarity >= 97 and not short:
            return Verdict("maybe", similarity, "authors_differ")
        return Verdict("different", similarity, "authors_differ")
    if similarity >= 95:
        if authors and year_ok:
            return _fuzzy_same(a, b, similarity, "fuzzy_title_authors")
        if authors is None and year_ok and not short and similarity >= 97 and whole:
            return _fuzzy_same(a, b, similarity, "fuzzy_title")
        return Verdict("maybe", similarity, "fuzzy_title_weak")
    if similarity >= 88:
        if authors and year_ok and not short:
            return _fuzzy_same(a, b, similarity, "fuzzy_title_authors")
        return Verdict("maybe", similarity, "fuzzy_title_weak")
    if similarity >= 75 and authors and gap == 0:
        return Verdict("maybe", similarity, "fuzzy_title_weak")
    if authors and gap == 0 and a.venue and a.venue == b.venue and a.type == b.type == "report":
        # Same authors, year and publisher series: possibly one report under two titles.
        return Verdict("maybe", similarity, "other_language_title")
    return Verdict("different", similarity, "title_differs")


def _truncated_prefix(a: Record, b: Record) -> bool:
    """A truncated title may have lost the 'Part II' at its end: its numbers are a prefix."""
    for short, long in ((a, b), (b, a)):
        if short.truncated and set(short.numbers) <= set(long.numbers):
            return True
    return False
