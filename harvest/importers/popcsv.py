"""Publish or Perish CSV exports (its Google Scholar searches).

Header (see ../shared/fixtures/SOURCE.md; older versions end at Age or Type):
Cites,Authors,Title,Year,Source,Publisher,ArticleURL,CitesURL,GSRank,QueryDate,Type,DOI,ISSN,
CitationURL,Volume,Issue,StartPage,EndPage,ECC,CitesPerYear,CitesPerAuthor,AuthorCount,Age,
Abstract,FullTextURL,RelatedURL
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from harvest.importers.text import ImportFileError, read_text, record_key
from harvest.parse.names import clean_doi, csl_name, work_type, year_of

REQUIRED_COLUMNS = ("Cites", "Authors", "Title", "Year", "Source", "Publisher")


def read_pop_csv(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Hits and problems from one Publish or Perish CSV file."""
    reader = csv.reader(io.StringIO(read_text(path), newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ImportFileError(f"{path}: empty file, expected a Publish or Perish CSV") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ImportFileError(
            f"{path}:1: not a Publish or Perish CSV header (missing {', '.join(missing)})"
        )
    records, problems = [], []
    line = reader.line_num
    for row in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(f"{path}:{start}: {len(row)} fields where the header has {len(header)}")
            continue
        values = dict(zip(header, row, strict=True))
        if not values["Title"].strip():
            problems.append(f"{path}:{start}: no Title")
            continue
        year = values["Year"].strip()
        if year and not (year.isdigit() and 1800 <= int(year) <= 2100):
            problems.append(f"{path}:{start}: Year {year!r} is not a year")
            continue
        records.append(pop_hit(values))
    return records, problems


def pop_hit(values: dict[str, str]) -> dict[str, Any]:
    """One Publish or Perish row as a hit (Scholar's own fields stay in ``raw``)."""

    def get(name: str) -> str | None:
        value = (values.get(name) or "").strip()
        return value or None

    authors = [n for part in (get("Authors") or "").split(",") if (n := csl_name(part))]
    return {
        "hit_key": record_key(
            "pop", {k: values.get(k) for k in ("Title", "Authors", "Year", "Source", "ArticleURL")}
        ),
        "rank": int(values["GSRank"]) if (values.get("GSRank") or "").strip().isdigit() else None,
        "title": get("Title"),
        "authors": authors,
        "year": year_of(get("Year")),
        "type": work_type(get("Type")) if get("Type") else None,
        "language": None,
        "container": get("Source"),
        "publisher": get("Publisher"),
        "doi": clean_doi(get("DOI")),
        "isbn": None,
        "issn": get("ISSN"),
        "url": get("ArticleURL"),
        "abstract": get("Abstract"),
        "peer_reviewed": None,
        "raw": values,
    }
