"""Selecting works (stage, theme, language, years, search, SQL), bad input and the CLI."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from db.database import open_db
from db.embedded import load_corpus
from exports.records import ExportOptions, load_works
from exports.registry import export_works
from exports.selection import Selection, SelectionError, parse_years

CORPUS = load_corpus().works  # the YAML records: the expected values come from here


@pytest.fixture
def db_copy(export_db: Path, tmp_path: Path) -> Path:
    """A private copy of the built database, for tests that add rows."""
    path = tmp_path / "copy.db"
    shutil.copy(export_db, path)
    return path


def _keys(path: Path, selection: Selection) -> set[str]:
    db = open_db(path)
    try:
        return {w.key for w in load_works(db, selection).works}
    finally:
        db.close()


def test_every_filter_selects_what_the_corpus_files_say(export_db: Path) -> None:
    assert len(_keys(export_db, Selection(stage="included"))) == 24
    assert _keys(export_db, Selection(stage="excluded")) == set()
    power = {w["id"] for w in CORPUS if "power_relations" in w["themes"]}
    assert _keys(export_db, Selection(theme="power_relations")) == power
    swedish = {w["id"] for w in CORPUS if w["language"] == "sv"}
    assert (
        _keys(export_db, Selection(language="sv")) == swedish == {"sundelin2017b", "axelsson2022"}
    )
    early = {w["id"] for w in CORPUS if w["year"] <= 2017}
    assert _keys(export_db, Selection(years=parse_years("-2017"))) == early
    assert _keys(export_db, Selection(years=parse_years("2016"))) == {"thomsen2016"}
    both = _keys(export_db, Selection(theme="power_relations", years=(2021, 2022)))
    assert both == {
        w["id"] for w in CORPUS if "power_relations" in w["themes"] and w["year"] >= 2021
    }


def test_stage_follows_the_review_state(db_copy: Path) -> None:
    with sqlite3.connect(db_copy) as conn:
        work_id = conn.execute("SELECT id FROM works WHERE key = 'opinion2017'").fetchone()[0]
        # A reviewer disagrees with the report's own inclusion: a conflict, never an exclusion.
        conn.execute(
            "INSERT INTO decisions (work_id, stage, decision, criterion, reviewer, actor, "
            "decided_at) VALUES (?, 3, 'exclude', 'x', 'tester', 'person', '2099-01-01')",
            [work_id],
        )
    assert _keys(db_copy, Selection(stage="excluded")) == set()
    assert _keys(db_copy, Selection(stage="conflict")) == {"opinion2017"}
    assert len(_keys(db_copy, Selection(stage="included"))) == 23
    assert "opinion2017" in _keys(db_copy, Selection(stage="stage2"))
    with sqlite3.connect(db_copy) as conn:
        conn.execute(
            "INSERT INTO decisions (work_id, stage, decision, criterion, reviewer, actor, role, "
            "decided_at) VALUES (?, 3, 'exclude', 'x', 'third', 'person', 'resolve', "
            "'2099-01-02')",
            [work_id],
        )
    assert _keys(db_copy, Selection(stage="excluded")) == {"opinion2017"}
    assert _keys(db_copy, Selection(stage="conflict")) == set()
    assert "opinion2017" not in _keys(db_copy, Selection(stage="included"))


def test_search_selects_the_works_its_hits_became(db_copy: Path) -> None:
    with sqlite3.connect(db_copy) as conn:
        work_id = conn.execute("SELECT id FROM works WHERE key = 'kekki2022'").fetchone()[0]
        search = conn.execute("SELECT id FROM searches ORDER BY id LIMIT 1").fetchone()[0]
        run = conn.execute(
            "INSERT INTO search_runs (search_id, engine, status, started_at) "
            "VALUES (?, 'oria', 'complete', '2024-01-01')",
            [search],
        ).lastrowid
        conn.execute(
            "INSERT INTO hits (run_id, engine, hit_key, raw, fetched_at, work_id) "
            "VALUES (?, 'oria', 'h1', '{}', '2024-01-01', ?)",
            [run, work_id],
        )
    assert _keys(db_copy, Selection(search=search)) == {"kekki2022"}


def test_sql_selects_ids_and_cannot_write(export_db: Path) -> None:
    assert _keys(export_db, Selection(sql="select id from works where key = 'hansen2021';")) == {
        "hansen2021"
    }
    with pytest.raises(SelectionError, match="readonly"):
        _keys(export_db, Selection(sql="delete from works"))
    with pytest.raises(SelectionError, match="no such column"):
        _keys(export_db, Selection(sql="select nope from works"))
    assert len(_keys(export_db, Selection())) == 24  # nothing was deleted


@pytest.mark.parametrize(
    ("selection", "message"),
    [
        (Selection(theme="gender"), "valid themes: method_process, collaboration_organisation"),
        (Selection(stage="done"), "valid stages: all, unscreened, stage1, stage2, included"),
        (Selection(language="xx"), "valid languages: da, en, nb, nn, sv"),
        (Selection(search="nope"), "valid searches: "),
    ],
)
def test_bad_filters_list_the_valid_values(
    export_db: Path, selection: Selection, message: str
) -> None:
    with pytest.raises(SelectionError, match=message):
        _keys(export_db, selection)


@pytest.mark.parametrize("text", ["2022-2016", "20-21", "", "abc"])
def test_bad_years_are_refused(text: str) -> None:
    with pytest.raises(SelectionError, match="years"):
        parse_years(text)


def test_unknown_format_lists_the_valid_ones(export_db: Path) -> None:
    db = open_db(export_db)
    try:
        with pytest.raises(SelectionError, match="valid formats: bib, ris, csv, csljson, apa-html"):
            export_works(db, "endnote")
    finally:
        db.close()


def test_a_work_without_title_or_year_is_exported_with_a_warning(db_copy: Path) -> None:
    with sqlite3.connect(db_copy) as conn:
        conn.execute(
            "INSERT INTO works (key, title, authors, authors_display, year, type) "
            "VALUES ('synthetic_untitled', '', ?, 'Ås, K.', NULL, 'report')",
            [json.dumps([{"family": "Ås", "given": "K."}])],
        )
    db = open_db(db_copy)
    try:
        result = export_works(db, "bib")
        ris = export_works(db, "ris").text
    finally:
        db.close()
    assert result.count == 25
    # A report with no title, year or publisher: one warning per fact a style needs.
    own = [warning for warning in result.warnings if warning.startswith("synthetic_untitled:")]
    assert own == [
        "synthetic_untitled: report has no title (APA, biblatex)",
        "synthetic_untitled: report has no year (APA, biblatex)",
        "synthetic_untitled: report has no publisher (APA, biblatex)",
    ]
    assert "@techreport{synthetic_untitled,\n  author = {Ås, K.}\n}" in result.text
    assert "AU  - Ås, K.\nER  - " in ris


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evidensbase", "export", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_cli_writes_to_stdout_and_reports_on_stderr(export_db: Path) -> None:
    done = _cli("--db", str(export_db), "--format", "ris", "--language", "da")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("TY  - ") == 2  # stendal2019 and hansen2021 are Danish
    assert "AU  - Stendal, A. W." in done.stdout
    # Both Danish works lack facts the report does not give (Vedlegg 1, lines 4761 and 4791).
    assert done.stderr.splitlines() == [
        "warning: hansen2021: book chapter has no editors (APA, biblatex)",
        "warning: hansen2021: book chapter has no publisher (APA)",
        "warning: stendal2019: report has no publisher (APA, biblatex)",
        "Wrote 2 works as ris to stdout.",
    ]


def test_cli_writes_a_file_and_says_so(export_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "refs.csv"
    done = _cli("--db", str(export_db), "-f", "csv", "--excel", "--theme", "other", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Wrote 0 works as csv to {out}."
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfcitation_key;key;authors;year")


def test_cli_unknown_format_and_theme_list_the_valid_ones(export_db: Path) -> None:
    done = _cli("--db", str(export_db), "-f", "docx")
    assert done.returncode == 2
    assert "valid formats: bib, ris, csv, csljson, apa-html, apa-md, apa-txt" in done.stderr
    done = _cli("--db", str(export_db), "-f", "bib", "--theme", "gender")
    assert done.returncode == 2
    assert "valid themes: method_process" in done.stderr


def test_screening_codes_go_to_ris_keywords_and_notes(export_db: Path) -> None:
    db = open_db(export_db)
    try:
        text = export_works(
            db, "ris", Selection(years=(2016, 2016)), ExportOptions(screening=True, labels="nb")
        ).text
    finally:
        db.close()
    # thomsen2016: themes method_process, collaboration_organisation, individual_group (YAML)
    assert "KW  - Veiledning som metodikk og prosess\n" in text
    assert "KW  - Samarbeid og organisering\n" in text
    assert "KW  - Veiledning individuelt eller i grupper\n" in text
    assert (
        "N1  - Screening: included (stage 3, review version 1). Group: Norske rapporter. "
        "Method: Kvalitativ." in text
    )
