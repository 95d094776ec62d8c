"""The works an export reads: one query over works and their screening status, for every format.

A work's citation key is its own key (``works.key``, unique and stable, the key the portal
shows): see citation_key.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from db.status import INCLUSION_VERSION_SQL
from exports.completeness import completeness_warnings
from exports.selection import Selection, ids_from_sql, selection_clause

# Coded fields an export can carry (RIS KW/N1, BibTeX keywords, CSV columns).
CODE_FIELDS = ("group", "method", "country", "theme")

# Characters a citation key keeps as they are: BibTeX, biber, RIS, CSL and a URL path segment all
# take them. Every key evidensbase makes is written with these alone: the corpus ids
# ('thomsen2016', checked by db.embedded), dedupe's 'lillevik2020-h123' (db.dedupe.works.work_key)
# and the tests' 'synthetic_2024'. Capitals are escaped too, because BibTeX and citeproc-py compare
# keys ignoring case: 'Ab' and 'ab' are two works but would be one citation.
_KEY_SAFE = re.compile(r"[a-z0-9_-]+")
_KEY_UNSAFE = re.compile(r"[^a-z0-9_-]+")


def citation_key(key: str) -> str:
    """A work's key as its citation key: the key itself when it is all ``a-z 0-9 _ -``.

    Every other character (a space, comma, brace, ``#``, ``%``, ``~``, quote, ``.``, a capital,
    a non-ASCII letter) becomes ``.`` and the lower-case hex of each of its UTF-8 bytes:
    ``'a b'`` → ``'a.20b'``, ``'ø'`` → ``'.c3.b8'``, ``'A'`` → ``'.41'``. The ``.`` is escaped
    itself, so two keys never share a citation key; the empty key is ``'.'``.
    """
    if _KEY_SAFE.fullmatch(key):
        return key
    if not key:
        return "."
    return _KEY_UNSAFE.sub(
        lambda m: "".join(f".{byte:02x}" for byte in m.group().encode("utf-8")), key
    )


@dataclass(slots=True)
class ExportWork:
    """One work as every format sees it."""

    id: int
    key: str
    title: str | None
    authors: list[dict[str, str]]
    year: int | None
    type: str | None
    container: str | None = None
    publisher: str | None = None
    place: str | None = None
    pages: str | None = None
    volume: str | None = None
    issue: str | None = None
    series: str | None = None  # report or book series: 'Fafo-rapport'
    number: str | None = None  # number in the series: '2023:08'
    language: str | None = None
    doi: str | None = None
    isbn: str | None = None
    issn: str | None = None
    url: str | None = None
    abstract: str | None = None
    peer_reviewed: int | None = None
    state: str = "unscreened"
    stage: int = 1
    review_version: int | None = None  # the protocol version that included it (included works)
    # The editors of the book a chapter appears in (of the work itself for a book): CSL names.
    editors: list[dict[str, str]] = field(default_factory=list)
    codes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def cite_key(self) -> str:
        """The citation key of every format: the work's own key, see citation_key."""
        return citation_key(self.key)

    @property
    def series_number(self) -> str | None:
        """The number in the series ('2023:08'); before schema v8 a report kept it in ``issue``."""
        return self.number or (self.issue if self.type == "report" else None)

    def stage_label(self) -> str:
        """'included (stage 3, review version 1)', 'excluded (stage 1)', 'unscreened'."""
        if self.state == "unscreened":
            return "unscreened"
        if self.review_version is not None:
            return f"{self.state} (stage {self.stage}, review version {self.review_version})"
        return f"{self.state} (stage {self.stage})"


@dataclass
class LoadedWorks:
    """The selected works, in export order, and a warning for each incomplete one."""

    works: list[ExportWork]
    warnings: list[str]
    labels: dict[tuple[str, str], dict[str, str]]


_COLUMNS = (
    "w.id, w.key, w.title, w.authors, w.year, w.type, w.container, w.publisher, w.place, "
    "w.pages, w.volume, w.issue, w.series, w.number, w.language, w.doi, w.isbn, w.issn, w.url, "
    "w.abstract, w.peer_reviewed, s.state, s.stage, "
    f"CASE WHEN s.state = 'included' THEN {INCLUSION_VERSION_SQL} END, w.editors"
)

# The C scanner behind json.loads, called without json.loads' three Python frames per work.
_SCAN_JSON: Any = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def load_works(
    db: sqlite_utils.Database, selection: Selection | None = None, with_codes: bool = True
) -> LoadedWorks:
    """Read the selected works, sorted by author, year and title.

    ``with_codes=False`` leaves every work's ``codes`` empty, for formats that do not show them.
    """
    selection = selection or Selection()
    where, params = selection_clause(db, selection)
    only = ids_from_sql(db, selection.sql) if selection.sql else None
    sql = (
        f"SELECT {_COLUMNS} FROM works w JOIN work_status s ON s.work_id = w.id "
        f"WHERE {where} ORDER BY w.authors_display COLLATE NOCASE, w.year, w.title, w.id"
    )
    works: list[ExportWork] = []
    append = works.append
    for row in db.execute(sql, params):
        if only is not None and row[0] not in only:
            continue
        work = ExportWork(row[0], row[1], row[2], _names(row[3]), *row[4:-1])
        if row[-1] and row[-1] != "[]":
            work.editors = _names(row[-1])
        append(work)
    warnings = completeness_warnings(works)
    if with_codes and works:
        _attach_codes(db, works)
    labels = {
        (vocabulary, value): {"nb": nb, "en": en}
        for vocabulary, value, nb, en in db.execute(
            "SELECT vocabulary, value, nb, en FROM labels"
        ).fetchall()
    }
    return LoadedWorks(works, warnings, labels)


def _names(text: str | None) -> list[dict[str, str]]:
    """A JSON list of CSL names (works.authors, works.editors) as Python."""
    if not text:
        return []
    try:
        names, end = _SCAN_JSON(text, 0)
    except StopIteration:
        end = -1
    if end != len(text):  # surrounding blanks, or bad JSON: json.loads says where
        names = json.loads(text)
    return names  # type: ignore[no-any-return]


def _attach_codes(db: sqlite_utils.Database, works: list[ExportWork]) -> None:
    by_id = {work.id: work for work in works}
    marks = ", ".join("?" for _ in CODE_FIELDS)
    rows = db.execute(
        f"SELECT c.work_id, c.field, c.value FROM codes c "
        f"LEFT JOIN labels l ON l.vocabulary = c.field AND l.value = c.value "
        f"WHERE c.field IN ({marks}) ORDER BY c.work_id, c.field, l.sort, c.value",
        list(CODE_FIELDS),
    )
    for work_id, field_name, value in rows:
        work = by_id.get(work_id)
        if work is not None and value not in work.codes.setdefault(field_name, []):
            work.codes[field_name].append(value)


def label(
    labels: dict[tuple[str, str], dict[str, str]], vocabulary: str, value: str, lang: str
) -> str:
    """The nb or en label of a coded value, or the value itself when it has none."""
    entry: Any = labels.get((vocabulary, value))
    return entry[lang] if entry else value


@dataclass(frozen=True)
class ExportOptions:
    """Choices shared by the formats; each format reads the ones that concern it."""

    latex: bool = False  # BibTeX: ASCII with LaTeX commands ({\o}, {\aa}) instead of UTF-8
    excel: bool = False  # CSV: BOM, semicolons, formula-safe cells
    screening: bool = False  # RIS/BibTeX/CSL-JSON: screening stage and codes as keywords and note
    labels: str = "en"  # language of code labels: en or nb


def screening_keywords(work: ExportWork, loaded: LoadedWorks, lang: str) -> list[str]:
    """The work's themes as labels, for RIS KW, BibTeX keywords and CSL keyword."""
    return [label(loaded.labels, "theme", t, lang) for t in work.codes.get("theme", [])]


def screening_note(work: ExportWork, loaded: LoadedWorks, lang: str) -> str:
    """'Screening: included (stage 3). Method: Qualitative. Countries: Norway.'"""
    parts = [f"Screening: {work.stage_label()}"]
    for field_name, heading in (("group", "Group"), ("method", "Method"), ("country", "Countries")):
        values = [label(loaded.labels, field_name, v, lang) for v in work.codes.get(field_name, [])]
        if values:
            parts.append(f"{heading}: {', '.join(values)}")
    return ". ".join(parts) + "."
