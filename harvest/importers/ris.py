"""RIS exports (Oria, Zotero, EndNote, Scholar's "Import into RefMan") via rispy.

The file is split into records at ``TY``/``ER`` so each record is parsed, and rejected, on its own:
a record with a line that is not a ``XX  - value`` tag, no ``TY``, or no ``ER`` is reported with the
file and line and skipped. A file with no ``TY`` line at all is not RIS and is refused whole.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import rispy

from db.protocol import language_id
from harvest.importers.text import read_text, record_key, wrong_format
from harvest.parse.names import clean_doi, csl_names, first, work_type, year_of

_TAG = re.compile(r"^([A-Z][A-Z0-9])  -( (.*))?$")
# rispy's RisWriter (ASReview's RIS export uses it) writes its set_header(), "1.", "2.", ...,
# before each record; rispy's own reader skips every line before a TY, so we skip these too.
_RISPY_HEADER = re.compile(r"^\d+\.$")
_ISSN = re.compile(r"\d{4}-?\d{3}[\dXx]")


def read_ris(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Hits and problems from one RIS file."""
    records: list[dict[str, Any]] = []
    problems: list[str] = []
    text = read_text(path)
    if not re.search(r"^TY  -", text, re.MULTILINE):
        raise wrong_format(path, text, "RIS records (a 'TY  - ' line starts each)")
    seen: dict[str, int] = {}
    for start, lines, problem in _split(text):
        if problem:
            problems.append(f"{path}:{problem}")
            continue
        try:
            (entry,) = rispy.loads("\n".join(lines) + "\n")
        except Exception as exc:  # rispy raises bare KeyError/ValueError on odd records
            problems.append(f"{path}:{start}: RIS record not readable ({exc!r})")
            continue
        records.append(_unique_key(ris_hit(entry), seen))
    return records, problems


def _unique_key(hit: dict[str, Any], seen: dict[str, int]) -> dict[str, Any]:
    """Give a later record that repeats an earlier one's AN (or, without an AN, its whole
    content) a key of its own.

    An AN is only unique within the database that assigned it: files merged from several
    databases, or numbered by a reference manager, repeat them. A librarian expects every record
    in the file to be imported, so the first keeps ``ris:AN`` (what earlier imports stored) and
    the n-th repeat becomes ``ris:AN#n``; the same file imported again gets the same keys and adds
    nothing. Whether two such records are one publication is for dedupe to decide, on content.
    """
    key = hit["hit_key"]
    seen[key] = seen.get(key, 0) + 1
    if seen[key] > 1:
        hit["hit_key"] = f"{key}#{seen[key]}"
    return hit


def _split(text: str) -> list[tuple[int, list[str], str | None]]:
    """(first line number, lines, problem) for each record."""
    out: list[tuple[int, list[str], str | None]] = []
    current: list[str] = []
    start = 0
    problem: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.rstrip()
        if not line.strip():
            continue
        match = _TAG.match(line)
        tag = match.group(1) if match else None
        if tag == "TY":
            if current:
                out.append((start, current, problem or f"{start}: record has no ER line"))
            current, start, problem = [line], number, None
        elif not current and _RISPY_HEADER.match(line):
            continue
        elif not current:
            problem_line = f"{number}: text outside a record (expected 'TY  - '): {line[:40]!r}"
            out.append((number, [], problem_line))
        else:
            current.append(line)
            if tag is None and problem is None:
                problem = f"{number}: not a RIS tag line ('XX  - value'): {line[:40]!r}"
            if tag == "ER":
                out.append((start, current, problem))
                current, problem = [], None
    if current:
        out.append((start, current, problem or f"{start}: record has no ER line"))
    return out


def ris_hit(entry: dict[str, Any]) -> dict[str, Any]:
    """One rispy entry as a hit.

    In a report's or a book's record (as Zotero and ``evidensbase export`` write them) T2 is the
    series, not a container, and a report's SN its number in that series: neither becomes the
    container or an ISSN; they stay in ``raw``."""
    kind = work_type(entry.get("type_of_reference"))
    in_series = kind in ("report", "book")
    authors = entry.get("authors") or entry.get("first_authors") or []
    serial = entry.get("issn")
    digits = len(re.sub(r"[^0-9Xx]", "", serial)) if serial else 0
    isbn = serial if digits in (10, 13) else None
    a_number = kind == "report" and serial is not None and not _ISSN.fullmatch(serial.strip())
    issn = serial if serial and not isbn and not a_number else None
    urls = entry.get("urls") or []
    key = entry.get("accession_number") or entry.get("id")
    container = None if in_series else entry.get("secondary_title")
    return {
        "hit_key": f"ris:{key}" if key else record_key("ris", entry),
        "title": entry.get("title") or entry.get("primary_title"),
        "authors": csl_names(authors),
        "year": year_of(entry.get("year"), entry.get("publication_year"), entry.get("date")),
        "type": kind,
        "language": language_id(entry.get("language")),
        "container": container
        or entry.get("journal_name")
        or entry.get("alternate_title3")
        or entry.get("alternate_title1"),
        "publisher": entry.get("publisher"),
        "doi": clean_doi(entry.get("doi")),
        "isbn": isbn,
        "issn": issn,
        "url": first(urls),
        "abstract": entry.get("abstract") or entry.get("notes_abstract"),
        "peer_reviewed": None,
        "raw": entry,
    }
