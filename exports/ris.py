"""RIS (rispy) with the tags Zotero's RIS import maps for each type.

Zotero reads PB as a report's institution, SN as a report's number (ISSN for articles, ISBN
otherwise) and T2 as the journal or book title; a name without a comma becomes an organisation.
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

_PAGE_RANGE = re.compile(r"^\s*(\S+?)\s*[-–—]+\s*(\S+)\s*$")


def ris_name(name: dict[str, str]) -> str:
    """'Kjærgård, R.'; an organisation has no comma ('Kompetanse Norge'); 'Family,' alone."""
    if name.get("literal") or not name.get("family"):
        return _line(name.get("literal") or name.get("given") or "")
    return _line(f"{name['family']}, {name.get('given') or ''}".rstrip())


def _line(text: str) -> str:
    """RIS is line-based: a value never spans lines."""
    return " ".join(text.split())


def work_reference(work: ExportWork, loaded: LoadedWorks, options: ExportOptions) -> dict[str, Any]:
    """One rispy reference (rispy's field names) for a work."""
    kind = RIS_TYPES.get(work.type or "", "GEN")
    ref: dict[str, Any] = {"type_of_reference": kind, "id": work.cite_key}
    if work.authors:
        ref["authors"] = [ris_name(n) for n in work.authors]
    if work.title:
        ref["title"] = _line(work.title)
    if work.year:
        ref["year"] = str(work.year)
    if work.container and kind in ("JOUR", "CHAP", "GEN"):
        ref["secondary_title"] = _line(work.container)
    if work.publisher:
        ref["publisher"] = _line(work.publisher)
    if work.place:
        ref["place_published"] = _line(work.place)
    if work.pages:
        match = _PAGE_RANGE.match(work.pages)
        if match:
            ref["start_page"], ref["end_page"] = match.group(1), match.group(2)
        else:
            ref["start_page"] = _line(work.pages)
    if work.volume:
        ref["volume"] = _line(work.volume)
    notes = []
    if kind == "RPRT":
        if work.report_number:
            ref["issn"] = _line(work.report_number)  # SN: Zotero's report number
        if work.isbn:
            notes.append(f"ISBN: {_line(work.isbn)}")
    else:
        if work.issue:
            ref["number"] = _line(work.issue)
        serial = work.issn if kind == "JOUR" else work.isbn or work.issn
        if serial:
            ref["issn"] = _line(serial)
    if work.doi:
        ref["doi"] = _line(work.doi)
    if work.url:
        ref["urls"] = [_line(work.url)]
    if work.language:
        ref["language"] = work.language
    if work.abstract:
        ref["abstract"] = _line(work.abstract)
    if options.screening:
        keywords = screening_keywords(work, loaded, options.labels)
        if keywords:
            ref["keywords"] = keywords
        notes.append(screening_note(work, loaded, options.labels))
    if notes:
        ref["notes"] = notes
    return ref


class _RisWriter(rispy.RisWriter):
    """rispy's writer without its '1.' line before each record, which is not RIS."""

    def set_header(self, count: int) -> str:
        return ""


# rispy's tag for each field name work_reference uses, and the fields that take one line per item.
_TAGS = {name: tag for tag, name in rispy.TAG_KEY_MAPPING.items() if tag != "TY"}
_LIST_FIELDS = frozenset(LIST_TYPE_TAGS)


def ris_record(ref: dict[str, Any]) -> str:
    """One reference as the lines _RisWriter writes for it ('TY  - RPRT' ... 'ER  - ').

    rispy's writer spends most of an export in its per-line generators and format calls; this
    writes the same text directly (tests compare the two).
    """
    lines = [f"TY  - {ref['type_of_reference']}"]
    for name, value in ref.items():
        tag = _TAGS.get(name)
        if tag is None:
            continue  # type_of_reference, written first
        if tag in _LIST_FIELDS:
            lines.extend([f"{tag}  - {item}" for item in value])
        else:
            lines.append(f"{tag}  - {value}")
    lines.append("ER  - ")
    return "\n".join(lines)


def write_ris(loaded: LoadedWorks, options: ExportOptions) -> str:
    """The selected works as an RIS file (UTF-8), records separated by a blank line."""
    if not loaded.works:
        return ""
    records = [ris_record(work_reference(work, loaded, options)) for work in loaded.works]
    return "\n\n".join(records) + "\n"
