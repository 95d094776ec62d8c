"""BibTeX exports (Oria, Google Scholar, Zotero) via bibtexparser 2.

A block bibtexparser cannot parse (or a duplicate key) is reported with the file and line and
skipped; LaTeX accents ({\\o}, \\"{o}) are decoded to letters.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import bibtexparser
from bibtexparser.middlewares import LatexDecodingMiddleware

from db.protocol import language_id
from harvest.importers.text import read_text, wrong_format
from harvest.parse.names import clean_doi, csl_names, work_type, year_of


def read_bibtex(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Hits and problems from one BibTeX file."""
    # bibtexparser also logs each failed block; we report them ourselves, with file and line.
    logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)
    text = read_text(path)
    # bibtexparser reads text without any @entry as comments: an empty library, not an error.
    if not re.search(r"^\s*@[A-Za-z]+\s*[{(]", text, re.MULTILINE):
        raise wrong_format(path, text, "BibTeX entries (@type{key, ...})")
    library = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    problems = []
    for block in library.failed_blocks:
        error = getattr(block, "error", None)
        reason = (
            getattr(error, "abort_reason", None) or str(error or "").strip() or type(block).__name__
        ).strip()
        if type(block).__name__ == "DuplicateBlockKeyBlock":
            reason = f"duplicate key {getattr(block, 'key', '?')!r}"
        problems.append(f"{path}:{(block.start_line or 0) + 1}: BibTeX entry skipped: {reason}")
    records = []
    for entry in library.entries:
        if not entry.fields_dict.get("title"):
            problems.append(
                f"{path}:{(entry.start_line or 0) + 1}: entry {entry.key!r} has no title"
            )
            continue
        records.append(bibtex_hit(entry.entry_type, entry.key, entry.fields_dict))
    return records, problems


def bibtex_hit(entry_type: str, key: str, fields: dict[str, Any]) -> dict[str, Any]:
    """One BibTeX entry as a hit."""
    values = {name.lower(): _plain(field.value) for name, field in fields.items()}
    authors = values.get("author") or values.get("editor") or ""
    return {
        "hit_key": f"bibtex:{key}",
        "title": values.get("title"),
        "authors": csl_names([authors], separator=" and "),
        "year": year_of(values.get("year"), values.get("date")),
        "type": work_type(entry_type),
        "language": language_id(values.get("language")),
        "container": values.get("journal") or values.get("booktitle") or values.get("series"),
        "publisher": values.get("publisher") or values.get("institution") or values.get("school"),
        "doi": clean_doi(values.get("doi")),
        "isbn": values.get("isbn"),
        "issn": values.get("issn"),
        "url": values.get("url"),
        "abstract": values.get("abstract"),
        "peer_reviewed": None,
        "raw": {"ENTRYTYPE": entry_type, "ID": key, **values},
    }


def _plain(value: Any) -> str:
    # '{Ø}degård' and '{{Karriere}}' -> braces only protect case in BibTeX
    return " ".join(str(value).replace("{", "").replace("}", "").split())
