"""CSL-JSON: the citation-processor format Zotero, Pandoc and citeproc read; also the APA input.

Variables as the CSL 1.0.2 specification names them: ``container-title`` (journal or book),
``editor`` (the book's editors), ``collection-title`` and ``collection-number`` (a series and the
number in it: APA prints a report's as "(Fafo-rapport 2023:08)"), ``number`` (a report's number
when it is in no known series), ``publisher``, ``publisher-place``, ``page``, ``volume``,
``issue``, ``DOI``, ``ISBN``, ``ISSN``.
"""

from __future__ import annotations

import json
from typing import Any

from exports.records import (
    ExportOptions,
    ExportWork,
    LoadedWorks,
    screening_keywords,
    screening_note,
)

CSL_TYPES = {
    "report": "report",
    "journal_article": "article-journal",
    "book_chapter": "chapter",
    "book": "book",
    "thesis": "thesis",
}


def work_item(work: ExportWork, loaded: LoadedWorks, options: ExportOptions) -> dict[str, Any]:
    """One CSL-JSON item; names stay CSL names ({family, given} or {literal})."""
    item: dict[str, Any] = {"id": work.cite_key, "type": CSL_TYPES.get(work.type or "", "document")}
    if work.authors:
        item["author"] = [dict(name) for name in work.authors]
    if work.editors:
        item["editor"] = [dict(name) for name in work.editors]
    if work.title:
        item["title"] = work.title
    if work.year:
        item["issued"] = {"date-parts": [[work.year]]}
    number = work.series_number
    for key, value in (
        ("container-title", work.container),
        ("collection-title", work.series),
        ("collection-number" if work.series else "number", number),
        ("publisher", work.publisher),
        ("publisher-place", work.place),
        ("page", work.pages),
        ("volume", work.volume),
        # Before schema v8 a report's issue held its number (see ExportWork.series_number).
        ("issue", work.issue if work.type != "report" else None),
        ("language", work.language),
        ("DOI", work.doi),
        ("ISBN", work.isbn),
        ("ISSN", work.issn),
        ("URL", work.url),
        ("abstract", work.abstract),
    ):
        if value:
            item[key] = value
    if options.screening:
        keywords = screening_keywords(work, loaded, options.labels)
        if keywords:
            item["keyword"] = ", ".join(keywords)
        item["note"] = screening_note(work, loaded, options.labels)
    return item


def csl_items(loaded: LoadedWorks, options: ExportOptions) -> list[dict[str, Any]]:
    """The selected works as CSL-JSON items."""
    return [work_item(work, loaded, options) for work in loaded.works]


def write_csljson(loaded: LoadedWorks, options: ExportOptions) -> str:
    """The selected works as a CSL-JSON array (UTF-8, indented)."""
    return json.dumps(csl_items(loaded, options), ensure_ascii=False, indent=2) + "\n"
