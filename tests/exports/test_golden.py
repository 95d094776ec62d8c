"""Every format of the embedded corpus against its golden file (never rewritten on a mismatch)."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from db.database import open_db
from exports.records import ExportOptions
from exports.registry import export_works

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "exports" / "golden"

CASES = [
    ("bib", ExportOptions(), "corpus.bib"),
    ("bib", ExportOptions(latex=True), "corpus-latex.bib"),
    ("ris", ExportOptions(), "corpus.ris"),
    ("ris", ExportOptions(screening=True), "corpus-screening.ris"),
    ("csv", ExportOptions(), "corpus.csv"),
    ("csv", ExportOptions(excel=True), "corpus-excel.csv"),
    ("csljson", ExportOptions(), "corpus.json"),
    ("apa-html", ExportOptions(), "corpus-apa.html"),
    ("apa-md", ExportOptions(), "corpus-apa.md"),
    ("apa-txt", ExportOptions(), "corpus-apa.txt"),
]


@pytest.mark.parametrize(("format_name", "options", "filename"), CASES)
def test_export_matches_golden_file(
    export_db: Path, update_golden: bool, format_name: str, options: ExportOptions, filename: str
) -> None:
    db = open_db(export_db)
    try:
        text = export_works(db, format_name, options=options).text
    finally:
        db.close()
    path = GOLDEN / filename
    if update_golden:
        path.write_bytes(text.encode("utf-8"))
    if not path.exists():
        pytest.fail(f"{path} is missing: run pytest tests/exports --update-golden and check it")
    expected = path.read_bytes().decode("utf-8")
    if text != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"golden/{filename}",
                tofile="export",
                n=1,
            )
        )
        pytest.fail(f"{filename} differs from the golden file:\n{diff[:4000]}")
