"""Importers: files researchers export by hand, stored as hits with a search run of their own.

One reader per format (``READERS``): a path in, ``(records, problems)`` out, where each record is a
hit and each problem names the file and line of a malformed record that was skipped. The import of a
file is one transaction; importing the same file again (same format, search and query) adds nothing.
Several files (:func:`import_files`) are one transaction each: a file that is refused leaves the
others imported, and the summary names which were and which were not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from db import open_db, provenance
from db.protocol import find_search
from evidensbase import __version__
from harvest.importers.bibtex import read_bibtex
from harvest.importers.popcsv import read_pop_csv
from harvest.importers.primojson import read_primo_json
from harvest.importers.ris import read_ris
from harvest.importers.text import ImportFileError

Reader = Callable[[Path], tuple[list[dict[str, Any]], list[str]]]
READERS: dict[str, Reader] = {
    "ris": read_ris,
    "bibtex": read_bibtex,
    "pop-csv": read_pop_csv,
    "primo-json": read_primo_json,
}
__all__ = [
    "READERS",
    "ImportFileError",
    "ImportReport",
    "ImportSummary",
    "import_file",
    "import_files",
]


@dataclass
class ImportReport:
    """What one file gave: records read, imported (new among them) and rejected."""

    path: Path
    run_id: int
    read: int
    imported: int
    new: int
    problems: list[str] = field(default_factory=list)


def import_file(
    db_path: str | Path,
    path: Path,
    *,
    file_format: str,
    search_id: str | None = None,
    query: str | None = None,
) -> ImportReport:
    """Read one exported file and store its records as hits of an import run."""
    if file_format not in READERS:
        raise ImportFileError(f"{path}: unknown format {file_format!r}")
    records, problems = READERS[file_format](path)  # raises before the database is touched
    db = open_db(db_path)
    try:
        if search_id is not None:
            search = find_search(db, search_id)
            if search is None:
                raise ImportFileError(f"unknown search {search_id!r}; see the searches table")
            query = search.query if query is None else query
        source = str(path.resolve())
        with db.conn:
            last = provenance.latest_run(
                db, engine=file_format, search_id=search_id, query=query, source=source
            )
            if last is None:
                run_id = provenance.start_run(
                    db,
                    engine=file_format,
                    query=query,
                    source=source,
                    tool=f"evidensbase {__version__} import",
                    search_id=search_id,
                )
            else:
                run_id = last["id"]
                provenance.set_run_status(db, run_id, provenance.RUNNING)
            new = provenance.store_hits(db, run_id, records)
            provenance.record_import(db, run_id, len(records) + len(problems))
            status = provenance.PARTIAL if problems else provenance.COMPLETE
            error = f"{len(problems)} record(s) rejected: {problems[0]}" if problems else None
            provenance.finish_run(db, run_id, status, error)
    finally:
        db.close()
    return ImportReport(
        path=path,
        run_id=run_id,
        read=len(records) + len(problems),
        imported=len(records),
        new=new,
        problems=problems,
    )


@dataclass
class ImportSummary:
    """What an import of several files gave: a report per imported file, and each file that was
    not imported with why."""

    reports: list[ImportReport] = field(default_factory=list)
    refused: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def rejected_records(self) -> int:
        return sum(len(report.problems) for report in self.reports)

    def describe(self) -> str:
        """One line: how many files were imported, and which were not."""
        total = len(self.reports) + len(self.refused)
        line = f"{len(self.reports)} of {total} file(s) imported"
        if self.refused:
            line += "; not imported: " + ", ".join(str(path) for path, _ in self.refused)
        return line


def import_files(
    db_path: str | Path,
    paths: list[Path],
    *,
    file_format: str,
    search_id: str | None = None,
    query: str | None = None,
) -> ImportSummary:
    """Import each file in its own transaction; a refused file does not stop the others."""
    summary = ImportSummary()
    for path in paths:
        try:
            report = import_file(
                db_path, path, file_format=file_format, search_id=search_id, query=query
            )
        except ImportFileError as exc:
            summary.refused.append((path, str(exc)))
            continue
        summary.reports.append(report)
    return summary
