"""Decisions to and from CSV: a spreadsheet round trip, idempotent re-import, all-or-nothing."""

from __future__ import annotations

import csv
import io

import pytest

from db.status import stage_outcome
from screening.decisions_csv import DecisionsCsvError, export_decisions, import_decisions


def test_queue_export_fill_in_and_import(tmp_path, db, add_work):
    first = add_work("synthetic_c1", title="Untitled one")
    second = add_work("synthetic_c2", title="Untitled two")
    buffer = io.StringIO()
    assert export_decisions(db, buffer, stage=1, queue_for="Eva") == 2
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert [r["work_key"] for r in rows] == ["synthetic_c1", "synthetic_c2"]
    rows[0].update(decision="include", note="looks relevant")
    rows[1].update(decision="exclude", criterion="not_relevant")
    sheet = tmp_path / "synthetic_sheet.csv"
    with sheet.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    assert import_decisions(db, sheet) == 2
    assert import_decisions(db, sheet) == 0  # the same file again adds nothing
    assert stage_outcome(db, first, 1) == "include"
    assert stage_outcome(db, second, 1) == "exclude"

    out = io.StringIO()
    export_decisions(db, out, stage=1)
    exported = list(csv.DictReader(io.StringIO(out.getvalue())))
    ours = [r for r in exported if r["work_key"].startswith("synthetic_")]
    assert [(r["work_key"], r["decision"], r["criterion"], r["reviewer"]) for r in ours] == [
        ("synthetic_c1", "include", "", "Eva"),
        ("synthetic_c2", "exclude", "not_relevant", "Eva"),
    ]


def test_bad_row_names_its_line_and_stores_nothing(tmp_path, db, add_work):
    add_work("synthetic_c3")
    sheet = tmp_path / "synthetic_bad.csv"
    sheet.write_text(
        "work_key,stage,decision,criterion,reviewer\n"
        "synthetic_c3,1,include,,Eva\n"
        "synthetic_c3,1,exclude,because,Eva\n",
        encoding="utf-8",
    )
    before = db.execute("SELECT count(*) FROM decisions").fetchone()[0]
    with pytest.raises(DecisionsCsvError, match=r"synthetic_bad.csv:3: criterion 'because' is not"):
        import_decisions(db, sheet)
    assert db.execute("SELECT count(*) FROM decisions").fetchone()[0] == before


def test_a_sheet_that_is_not_utf8_is_refused_with_its_line(tmp_path, db, add_work):
    add_work("synthetic_c4")
    sheet = tmp_path / "synthetic_latin1.csv"
    sheet.write_bytes(
        "work_key,stage,decision,reviewer,note\nsynthetic_c4,1,include,Eva,sjøen\n".encode("cp1252")
    )
    with pytest.raises(DecisionsCsvError, match=r"synthetic_latin1.csv:2: not UTF-8 \(byte 0xf8\)"):
        import_decisions(db, sheet)
    empty = tmp_path / "synthetic_empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(DecisionsCsvError, match=r"synthetic_empty\.csv: the file is empty"):
        import_decisions(db, empty)


def test_line_numbers_count_the_lines_of_multi_line_notes(tmp_path, db, add_work):
    add_work("synthetic_c5")
    sheet = tmp_path / "synthetic_multiline.csv"
    sheet.write_text(
        "work_key,stage,decision,criterion,reviewer,note\n"
        'synthetic_c5,1,include,,Eva,"first line\nsecond line\nthird line"\n'
        "synthetic_c5,1,exclude,because,Eva,\n",
        encoding="utf-8",
    )
    with pytest.raises(DecisionsCsvError, match=r"synthetic_multiline.csv:5: criterion 'because'"):
        import_decisions(db, sheet)


def test_a_note_over_the_field_limit_is_a_clear_error(tmp_path, db, add_work):
    add_work("synthetic_c6")
    sheet = tmp_path / "synthetic_huge.csv"
    note = "x" * (200 * 1024)
    sheet.write_text(
        f"work_key,stage,decision,reviewer,note\nsynthetic_c6,1,include,Eva,{note}\n",
        encoding="utf-8",
    )
    before = db.execute("SELECT count(*) FROM decisions").fetchone()[0]
    with pytest.raises(DecisionsCsvError, match=r"synthetic_huge.csv:2: not a readable CSV row"):
        import_decisions(db, sheet)
    assert db.execute("SELECT count(*) FROM decisions").fetchone()[0] == before
