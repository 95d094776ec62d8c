"""RIS (rispy) with the tags Zotero's RIS import maps for each type.

Zotero (translators/RIS.js) reads, per type:

- report (RPRT): PB institution, CY place, T2 series title, SN report number;
- chapter (CHAP): T2 book title, A2 editor, T3 series, SN ISBN, PB, CY, SP/EP;
- book (BOOK): T2 series, M1 series number, A3 editor, SN ISBN;
- article (JOUR): T2 journal, VL, IS, SP/EP, SN ISSN.

What a type has no tag for (a report's ISBN, a chapter's number in its series, a report's
editors) goes into an N1 note as text. A name without a comma becomes an organisation.
"""

from __future__ import annotations

import re
from typing import Any

import rispy
from rispy.config import LIST_TYPE_TAGS

from exports.records import (
    ExportOptions,
    ExportWork,
    LoadedWorks,
    screening_keywords,
    screening_note,
)

RIS_TYPES = {
    "report": "RPRT",
    "journal_article": "JOUR",
    "book_chapter": "CHAP",
    "book": "BOOK",
    "thesis": "THES",
}

# The tag of the editors of the book (a chapter's book, a book itself), as Zotero reads it.
_EDITOR_TAGS = {"CHAP": "A2", "JOUR": "A2", "GEN": "A2", "BOOK": "A3"}

_PAGE_RANGE = re.compile(r"^\s*(\S+?)\s*[-–—]+\s*(\S+)\s*$")


def ris_name(name: dict[str, str]) -> str:
    """'Kjærgård, R.'; an organisation has no comma ('Kompetanse Norge'); 'Family,' alone."""
    literal = name.get("literal")
    family = name.get("family")
    if literal or not family:
        return _line(literal or name.get("given") or "")
    given = name.get("given")
    return _line(f"{family}, {given}" if given else f"{family},")


def _line(text: str) -> str:
    """RIS is line-based: a value never spans lines."""
    return " ".join(text.split())


def ris_lines(work: ExportWork, loaded: LoadedWorks, options: ExportOptions) -> list[str]:
    """The lines of a work's RIS record, 'TY  - RPRT' first, without the closing 'ER  - '."""
    kind = RIS_TYPES.get(work.type or "", "GEN")
    lines = [f"TY  - {kind}", f"ID  - {work.cite_key}"]
    add = lines.append
    notes = []
    for name in work.authors:
        add(f"AU  - {ris_name(name)}")
    if work.editors:
        if kind in _EDITOR_TAGS:
            tag = _EDITOR_TAGS[kind]
            lines.extend(f"{tag}  - {ris_name(name)}" for name in work.editors)
        else:
            notes.append("Editors: " + "; ".join(ris_name(name) for name in work.editors))
    if work.title:
        add(f"TI  - {_line(work.title)}")
    if work.year:
        add(f"PY  - {work.year}")
    if work.container and kind in ("JOUR", "CHAP", "GEN"):
        add(f"T2  - {_line(work.container)}")
    series, number = work.series, work.series_number
    if series:
        add(f"{'T2' if kind in ('RPRT', 'BOOK') else 'T3'}  - {_line(series)}")
    if number and kind == "BOOK":
        add(f"M1  - {_line(number)}")  # Zotero's series number of a book
    elif number and kind != "RPRT":
        notes.append(f"Number in series: {_line(number)}")
    if work.publisher:
        add(f"PB  - {_line(work.publisher)}")
    if work.place:
        add(f"CY  - {_line(work.place)}")
    if work.pages:
        match = _PAGE_RANGE.match(work.pages)
        if match:
            add(f"SP  - {match.group(1)}")
            add(f"EP  - {match.group(2)}")
        else:
            add(f"SP  - {_line(work.pages)}")
    if work.volume:
        add(f"VL  - {_line(work.volume)}")
    if kind == "RPRT":
        if number:
            add(f"SN  - {_line(number)}")  # Zotero's report number
        if work.isbn:
            notes.append(f"ISBN: {_line(work.isbn)}")
        if work.issn:
            notes.append(f"ISSN: {_line(work.issn)}")
    else:
        if work.issue:
            add(f"IS  - {_line(work.issue)}")
        serial = work.issn if kind == "JOUR" else work.isbn or work.issn
        if serial:
            add(f"SN  - {_line(serial)}")
    if work.doi:
        add(f"DO  - {_line(work.doi)}")
    if work.url:
        add(f"UR  - {_line(work.url)}")
    if work.language:
        add(f"LA  - {work.language}")
    if work.abstract:
        add(f"AB  - {_line(work.abstract)}")
    if options.screening:
        for keyword in screening_keywords(work, loaded, options.labels):
            add(f"KW  - {keyword}")
        notes.append(screening_note(work, loaded, options.labels))
    for note in notes:
        add(f"N1  - {note}")
    return lines


# rispy's field name for each tag, and the tags that rispy keeps as lists (one line per item).
_FIELD_NAMES = rispy.TAG_KEY_MAPPING
_LIST_TAGS = frozenset(LIST_TYPE_TAGS)


def work_reference(work: ExportWork, loaded: LoadedWorks, options: ExportOptions) -> dict[str, Any]:
    """One rispy reference (rispy's field names) for a work: the same record as ris_lines."""
    ref: dict[str, Any] = {}
    for line in ris_lines(work, loaded, options):
        tag, value = line[:2], line[6:]
        name = _FIELD_NAMES[tag]
        if tag in _LIST_TAGS:
            ref.setdefault(name, []).append(value)
        else:
            ref[name] = value
    return ref


class _RisWriter(rispy.RisWriter):
    """rispy's writer without its '1.' line before each record, which is not RIS."""

    def set_header(self, count: int) -> None:  # type: ignore[override]
        # None, not "": rispy 0.9 (which asreview pins) writes an empty header as a blank line.
        return None


def write_ris(loaded: LoadedWorks, options: ExportOptions) -> str:
    """The selected works as an RIS file (UTF-8), records separated by a blank line.

    The text is what rispy writes for the same records (tests compare the two), built here
    directly: rispy's per-line generators and format calls took most of an export's time.
    """
    if not loaded.works:
        return ""
    records = ["\n".join(ris_lines(work, loaded, options)) for work in loaded.works]
    return "\nER  - \n\n".join(records) + "\nER  - \n"
