"""What `evidensbase export` writes, `evidensbase import` reads back to the same works."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from evidensbase.cli import main


def corpus_works(path: Path) -> dict[str, tuple[list[dict[str, str]], int]]:
    with sqlite3.connect(path) as conn:
        return {
            title: (json.loads(authors), year)
            for title, authors, year in conn.execute(
                "SELECT title, authors, year FROM works WHERE origin = 'corpus'"
            )
        }


@pytest.mark.parametrize(("export_format", "import_format"), [("ris", "ris"), ("bib", "bibtex")])
def test_exported_corpus_imports_back_to_the_same_authors_titles_and_years(
    built_db: Path, tmp_path: Path, export_format: str, import_format: str
) -> None:
    exported = tmp_path / f"corpus.{export_format}"
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["export", "--db", str(built_db), "--format", export_format, "--stage", "included",
         "-o", str(exported)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    target = tmp_path / "imported.db"
    result = runner.invoke(
        main,
        ["import", str(exported), "--format", import_format, "--query", "corpus export",
         "--db", str(target)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "24 read, 24 imported (24 new), 0 rejected" in result.output

    expected = corpus_works(built_db)
    with sqlite3.connect(target) as conn:
        imported = {
            title: (json.loads(authors), year)
            for title, authors, year in conn.execute("SELECT title, authors, year FROM hits")
        }
    assert imported == expected
    # Nordic letters and initials survive: one work checked by hand against Vedlegg 1.
    assert imported["Evaluering av integreringspakke II og III"] == (
        [{"family": "Hernes", "given": "V."}, {"family": "Danielsen", "given": "Å. Ø."},
         {"family": "Staver", "given": "A. B."}],
        2022,
    )  # fmt: skip
