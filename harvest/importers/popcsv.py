"""Publish or Perish CSV exports (its Google Scholar searches).

Header (see ../shared/fixtures/SOURCE.md; older versions end at Age or Type):
Cites,Authors,Title,Year,Source,Publisher,ArticleURL,CitesURL,GSRank,QueryDate,Type,DOI,ISSN,
CitationURL,Volume,Issue,StartPage,EndPage,ECC,CitesPerYear,CitesPerAuthor,AuthorCount,Age,
Abstract,FullTextURL,RelatedURL
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from harvest.importers.text import ImportFileError, read_text, record_key
from harvest.parse.names import clean_doi, csl_name, work_type, year_of

REQUIRED_COLUMNS = ("Cites", "Authors", "Title", "Year", "Source", "Publisher")
# Digits 0-9 only: str.isdigit() also accepts '²' and '٢', which int() then refuses or misreads.
_DIGITS = re.compile(r"[0-9]+")


def _csv_reason(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return f"a field over {csv.field_size_limit() // 1024} KiB"
    return text


def read_pop_csv(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Hits and problems from one Publish or Perish CSV file."""
    reader = csv.reader(io.StringIO(read_text(path), newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ImportFileError(f"{path}: empty file, expected a Publish or Perish CSV") from None
    except csv.Error as exc:
        raise ImportFileError(
            f"{path}:1: not a Publish or Perish CSV header ({_csv_reason(exc)})"
        ) from exc
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ImportFileError(
            f"{path}:1: not a Publish or Perish CSV header (missing {', '.join(missing)})"
        )
    records: list[dict[str, Any]] = []
    problems: list[str] = []
    line = reader.line_num
    while True:
        start = line + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # the csv module gives up on a field over its limit (128 KiB) or a broken quote:
            # that row is rejected, the next one is read as usual
            line = reader.line_num
            problems.append(f"{path}:{start}: not a readable CSV row ({_csv_reason(exc)})")
            continue
        line = reader.line_num
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
        if year and not (_DIGITS.fullmatch(year) and 1800 <= int(year) <= 2100):
            problems.append(
                f"{path}:{start}: Year {year!r} is not a year (expected 1800-2100 in digits 0-9)"
            )
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
        "rank": int(rank)
        if _DIGITS.fullmatch(rank := (values.get("GSRank") or "").strip())
        else None,
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
