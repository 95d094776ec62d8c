"""The export formats by name, and :func:`export_works`, the one entry point the CLI calls.

A new format is one module with a ``write_*(loaded, options) -> str`` function and one line here.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass

import sqlite_utils

from exports import apa, bibtex, csljson, csv_table, ris
from exports.records import ExportOptions, LoadedWorks, load_works
from exports.selection import Selection, SelectionError


@dataclass(frozen=True)
class ExportFormat:
    """A format: its writer, the file extension and what it is for."""

    name: str
    write: Callable[[LoadedWorks, ExportOptions], str]
    extension: str
    media_type: str
    description: str
    # Whether the format shows the works' codes: always (CSV columns) or only with --screening.
    codes: bool = False

    def uses_codes(self, options: ExportOptions) -> bool:
        """Codes are read only when the output shows them (one query fewer otherwise)."""
        return self.codes or options.screening


FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat("bib", bibtex.write_bibtex, "bib", "application/x-bibtex",
                     "BibTeX (JabRef, LaTeX; --latex for ASCII with LaTeX letters)"),
        ExportFormat("ris", ris.write_ris, "ris", "application/x-research-info-systems",
                     "RIS (Zotero, EndNote, Mendeley)"),
        ExportFormat("csv", csv_table.write_csv, "csv", "text/csv",
                     "CSV, one row per work (--excel for Excel)", codes=True),
        ExportFormat("csljson", csljson.write_csljson, "json",
                     "application/vnd.citationstyles.csl+json",
                     "CSL-JSON (Zotero, Pandoc)"),
        ExportFormat("apa-html", apa.write_apa_html, "html", "text/html",
                     "APA 7 reference list as an HTML page"),
        ExportFormat("apa-md", apa.write_apa_markdown, "md", "text/markdown",
                     "APA 7 reference list in Markdown"),
        ExportFormat("apa-txt", apa.write_apa_text, "txt", "text/plain",
                     "APA 7 reference list as plain text"),
    )
}  # fmt: skip


@dataclass
class ExportResult:
    """What an export produced: the text, how many works, and warnings about incomplete ones."""

    text: str
    format: ExportFormat
    count: int
    warnings: list[str]


def get_format(name: str) -> ExportFormat:
    """The named format, or a SelectionError listing the valid names."""
    try:
        return FORMATS[name]
    except KeyError:
        raise SelectionError(
            f"unknown format {name!r}; valid formats: {', '.join(FORMATS)}"
        ) from None


def export_works(
    db: sqlite_utils.Database,
    format_name: str,
    selection: Selection | None = None,
    options: ExportOptions | None = None,
) -> ExportResult:
    """Render the selected works in one format."""
    fmt = get_format(format_name)
    options = options or ExportOptions()
    # An export makes millions of small, acyclic objects; the cyclic collector would rescan the
    # growing heap again and again (quadratic in the number of works), so it waits till the end.
    enabled = gc.isenabled()
    gc.disable()
    try:
        loaded = load_works(db, selection, with_codes=fmt.uses_codes(options))
        text = fmt.write(loaded, options)
    finally:
        if enabled:
            gc.enable()
    return ExportResult(text, fmt, len(loaded.works), loaded.warnings)
