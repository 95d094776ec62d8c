"""CSV: one row per work, UTF-8; the Excel option adds a BOM, semicolons and formula-safe cells.

Excel opens a UTF-8 file as the local code page unless it starts with a BOM, and in Nordic locales
expects ';' between fields because ',' is the decimal mark.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterable

from exports.records import ExportOptions, ExportWork, LoadedWorks, label

COLUMNS = (
    "citation_key", "key", "authors", "year", "title", "type", "container", "publisher", "place",
    "pages", "volume", "issue", "series", "number", "editors", "language", "doi", "isbn", "issn",
    "url", "peer_reviewed",
    "screening", "themes", "method", "countries", "group", "abstract",
)  # fmt: skip

# A cell starting with one of these is a formula to Excel (CSV injection); quote it with '.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_authors(work: ExportWork) -> str:
    """'Kjærgård, R.; Bøckman, K.; Opinion' (the same shape as works.authors_display)."""
    return csv_names(work.authors)


def csv_names(names: list[dict[str, str]]) -> str:
    """CSL names as 'Family, G.; Organisation'."""
    parts = []
    for name in names:
        literal = name.get("literal")
        if literal:
            parts.append(literal)
            continue
        family = name.get("family")
        given = name.get("given")
        parts.append(f"{family}, {given}" if family and given else family or given or "")
    return "; ".join(parts)


_PEER_REVIEWED = {1: "yes", 0: "no"}
_CODED = ("theme", "method", "country", "group")  # the coded columns, in COLUMNS order


def work_row(work: ExportWork, loaded: LoadedWorks, options: ExportOptions) -> list[str]:
    """The CSV cells of one work, in COLUMNS order."""
    if work.codes:
        labels, lang = loaded.labels, options.labels
        coded = [
            "; ".join(label(labels, name, v, lang) for v in work.codes.get(name, ()))
            for name in _CODED
        ]
    else:
        coded = ["", "", "", ""]
    year = work.year
    return [
        work.cite_key, work.key, csv_authors(work), str(year) if year else "", work.title or "",
        work.type or "", work.container or "", work.publisher or "", work.place or "",
        work.pages or "", work.volume or "", work.issue or "", work.series or "",
        work.series_number or "", csv_names(work.editors) if work.editors else "",
        work.language or "",
        work.doi or "", work.isbn or "", work.issn or "", work.url or "",
        _PEER_REVIEWED.get(work.peer_reviewed, "") if work.peer_reviewed is not None else "",
        work.stage_label(), *coded, work.abstract or "",
    ]  # fmt: skip


def _formula_safe(row: list[str]) -> list[str]:
    return ["'" + cell if cell.startswith(_FORMULA_START) else cell for cell in row]


# A cell with one of these needs more than quotes around it (doubled quotes; a line break the
# csv module treats as a line terminator): such rows go through csv.writer itself.
_HARD_CELL = re.compile('["\r\n]')


def csv_lines(rows: Iterable[list[str]], delimiter: str) -> list[str]:
    """Each row as the line csv.writer writes (QUOTE_MINIMAL, quotes doubled, CRLF), CRLF included.

    csv.writer examines every character with a function call; most rows need at most a pair of
    quotes around the cells holding the delimiter, which plain string methods find far faster.
    """
    scratch = io.StringIO()
    writer = csv.writer(scratch, delimiter=delimiter, lineterminator="\r\n")
    lines = []
    for row in rows:
        line = delimiter.join(row)
        if _HARD_CELL.search(line):
            scratch.seek(0)
            scratch.truncate()
            writer.writerow(row)
            lines.append(scratch.getvalue())
        elif line.count(delimiter) == len(row) - 1:
            lines.append(line + "\r\n")
        else:
            quoted = [f'"{cell}"' if delimiter in cell else cell for cell in row]
            lines.append(delimiter.join(quoted) + "\r\n")
    return lines


def write_csv(loaded: LoadedWorks, options: ExportOptions) -> str:
    """The selected works as CSV text (the BOM, when asked for, is its first character)."""
    rows: Iterable[list[str]] = (work_row(work, loaded, options) for work in loaded.works)
    if options.excel:
        rows = map(_formula_safe, rows)
    lines = csv_lines(itertools.chain([list(COLUMNS)], rows), ";" if options.excel else ",")
    return ("\ufeff" if options.excel else "") + "".join(lines)
