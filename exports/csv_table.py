"""CSV: one row per work, UTF-8; the Excel option adds a BOM, semicolons and formula-safe cells.

Excel opens a UTF-8 file as the local code page unless it starts with a BOM, and in Nordic locales
expects ';' between fields because ',' is the decimal mark.
"""

from __future__ import annotations

import csv
import io

from exports.records import ExportOptions, ExportWork, LoadedWorks, label

COLUMNS = (
    "citation_key", "key", "authors", "year", "title", "type", "container", "publisher", "place",
    "pages", "volume", "issue", "language", "doi", "isbn", "issn", "url", "peer_reviewed",
    "screening", "themes", "method", "countries", "group", "abstract",
)  # fmt: skip

# A cell starting with one of these is a formula to Excel (CSV injection); quote it with '.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_authors(work: ExportWork) -> str:
    """'Kjærgård, R.; Bøckman, K.; Opinion' (the same shape as works.authors_display)."""
    return "; ".join(
        n.get("literal") or ", ".join(p for p in (n.get("family"), n.get("given")) if p)
        for n in work.authors
    )


def work_row(work: ExportWork, loaded: LoadedWorks, options: ExportOptions) -> list[str]:
    """The CSV cells of one work, in COLUMNS order."""
    lang = options.labels

    def coded(field_name: str) -> str:
        return "; ".join(
            label(loaded.labels, field_name, v, lang) for v in work.codes.get(field_name, [])
        )

    flag = {1: "yes", 0: "no"}.get(work.peer_reviewed) if work.peer_reviewed is not None else ""
    return [
        work.cite_key, work.key, csv_authors(work), str(work.year or ""), work.title or "",
        work.type or "", work.container or "", work.publisher or "", work.place or "",
        work.pages or "", work.volume or "", work.issue or "", work.language or "",
        work.doi or "", work.isbn or "", work.issn or "", work.url or "", flag or "",
        work.stage_label(), coded("theme"), coded("method"), coded("country"), coded("group"),
        work.abstract or "",
    ]  # fmt: skip


def write_csv(loaded: LoadedWorks, options: ExportOptions) -> str:
    """The selected works as CSV text (the BOM, when asked for, is its first character)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if options.excel else ",", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for work in loaded.works:
        row = work_row(work, loaded, options)
        if options.excel:
            row = ["'" + cell if cell.startswith(_FORMULA_START) else cell for cell in row]
        writer.writerow(row)
    return ("\ufeff" if options.excel else "") + out.getvalue()
