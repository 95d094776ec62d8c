"""CSL-JSON: the citation-processor format Zotero, Pandoc and citeproc read; also the APA input."""

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
    if work.title:
        item["title"] = work.title
    if work.year:
        item["issued"] = {"date-parts": [[work.year]]}
    number_field = "number" if work.type == "report" else "issue"
    for key, value in (
        ("container-title", work.container),
        ("publisher", work.publisher),
        ("publisher-place", work.place),
        ("page", work.pages),
        ("volume", work.volume),
        (number_field, work.issue),
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
