"""The review state as a user meets it on the command line (the real CLI on a built database)."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from evidensbase.cli import main


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def add_work(db: Path, key: str) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO works (key, title, year, type, language, peer_reviewed, origin)"
            " VALUES (?, ?, 2024, 'report', 'nb', 0, 'harvest')",
            [key, f"Synthetic {key}"],
        )


def write_sheet(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM decisions").fetchone()[0])


def test_a_stage_3_include_on_an_unscreened_work_is_refused(built_db: Path, tmp_path: Path):
    add_work(built_db, "synthetic_fresh")
    sheet = write_sheet(
        tmp_path / "synthetic_skip.csv",
        [{"work_key": "synthetic_fresh", "stage": "3", "decision": "include", "reviewer": "Kari"}],
    )
    before = count(built_db)
    code, output = run("import-decisions", "--db", str(built_db), str(sheet))
    assert code != 0
    assert "synthetic_skip.csv:2:" in output
    assert "has not passed stage 1" in output
    assert count(built_db) == before
    code, output = run("export", "--db", str(built_db), "-f", "csv", "--stage", "included")
    assert "synthetic_fresh" not in output


def test_a_stage_1_disagreement_is_a_conflict_not_an_exclusion(built_db: Path, tmp_path: Path):
    add_work(built_db, "synthetic_split")
    sheet = write_sheet(
        tmp_path / "synthetic_split.csv",
        [
            {"work_key": "synthetic_split", "stage": "1", "decision": "include",
             "criterion": "", "reviewer": "Kari"},
            {"work_key": "synthetic_split", "stage": "1", "decision": "exclude",
             "criterion": "not_relevant", "reviewer": "Ola"},
        ],
    )  # fmt: skip
    assert run("import-decisions", "--db", str(built_db), str(sheet))[0] == 0
    code, output = run("conflicts", "--db", str(built_db), "--stage", "1")
    assert code == 0
    assert "synthetic_split" in output
    assert "Kari: include, Ola: exclude" in output
    assert "1 unresolved conflict(s) at stage 1." in output
    code, excluded = run("export", "--db", str(built_db), "-f", "csv", "--stage", "excluded")
    assert code == 0 and "synthetic_split" not in excluded
    code, conflicted = run("export", "--db", str(built_db), "-f", "csv", "--stage", "conflict")
    assert code == 0 and "synthetic_split" in conflicted
    code, output = run(
        "resolve", "--db", str(built_db), "--stage", "1", "synthetic_split", "exclude",
        "--criterion", "not_relevant", "--reviewer", "Eva",
    )  # fmt: skip
    assert code == 0, output
    code, excluded = run("export", "--db", str(built_db), "-f", "csv", "--stage", "excluded")
    assert "synthetic_split" in excluded


def test_exporting_every_decision_and_importing_it_back_adds_nothing(
    built_db: Path, tmp_path: Path
) -> None:
    add_work(built_db, "synthetic_rt")
    assert run("rules", "--db", str(built_db))[0] == 0
    out = tmp_path / "all.csv"
    code, output = run("export-decisions", "--db", str(built_db), "-o", str(out))
    assert code == 0, output
    before = count(built_db)
    # the report's own (24 works × 3 stages) and the rule that put 2024 outside 2016–2022
    assert before == 73
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == before
    assert [r["actor"] for r in rows].count("source") == 72
    assert [(r["work_key"], r["actor"]) for r in rows if r["actor"] != "source"] == [
        ("synthetic_rt", "rule")
    ]
    code, output = run("import-decisions", "--db", str(built_db), str(out))
    assert code == 0, output
    assert "Imported 0 new decision(s)" in output
    assert count(built_db) == before
    with sqlite3.connect(built_db) as conn:  # still the rule's, so a person can overturn it
        assert conn.execute("SELECT actor FROM decisions WHERE reviewer = 'rule'").fetchall() == [
            ("rule",)
        ]
    # a spreadsheet edit that keeps the content (capitals, blanks) is still the same decision
    rows[0]["decision"] = " Include"
    rows[0]["reviewer"] = f" {rows[0]['reviewer']} "
    edited = write_sheet(tmp_path / "synthetic_edited.csv", rows)
    code, output = run("import-decisions", "--db", str(built_db), str(edited))
    assert (code, count(built_db)) == (0, before), output
    # a changed decision under an exported id is refused: the trail is never edited
    rows[0]["decision"] = "exclude"
    rows[0]["criterion"] = "not_relevant"
    changed = write_sheet(tmp_path / "synthetic_changed.csv", rows)
    code, output = run("import-decisions", "--db", str(built_db), str(changed))
    assert code != 0
    assert "synthetic_changed.csv:2: decision d-" in output and "was changed" in output
    assert count(built_db) == before


def test_decide_overturns_a_rule_from_the_command_line(built_db: Path) -> None:
    add_work(built_db, "synthetic_2024")  # 2024: outside the protocol's 2016–2022
    assert run("rules", "--db", str(built_db))[0] == 0
    code, output = run(
        "decide", "--db", str(built_db), "synthetic_2024", "--stage", "1", "include",
        "--reviewer", "Kari", "--note", "in scope for the update",
    )  # fmt: skip
    assert code == 0, output
    assert "synthetic_2024 is now awaiting stage 2." in output
    with sqlite3.connect(built_db) as conn:
        trail = conn.execute(
            "SELECT d.actor, d.decision, d.criterion FROM decisions d JOIN works w"
            " ON w.id = d.work_id WHERE w.key = 'synthetic_2024' ORDER BY d.id"
        ).fetchall()
    assert trail == [("rule", "exclude", "outside_period"), ("person", "include", None)]
    # stage 2 applies the quality rule to a report that is not peer-reviewed
    code, output = run(
        "decide", "--db", str(built_db), "synthetic_2024", "--stage", "2", "include",
        "--reviewer", "Kari",
    )  # fmt: skip
    assert code != 0 and "needs the quality ratings" in output
    ratings = [
        "--rating=validity=yes", "--rating=reliability=yes", "--rating=generalisation_evidence=no",
        "--rating=clear_question=yes", "--rating=specified_method=partly",
        "--rating=findings_answer_question=no",
    ]  # fmt: skip
    code, output = run(
        "decide", "--db", str(built_db), "synthetic_2024", "--stage", "2", "include",
        "--reviewer", "Kari", *ratings,
    )  # fmt: skip
    assert code == 0, output
    assert "stage 2: exclude (quality_not_acceptable)" in output
    assert "is now excluded at stage 2" in output
    code, output = run(
        "decide", "--db", str(built_db), "no_such_key", "--stage", "1", "include",
        "--reviewer", "Kari",
    )  # fmt: skip
    assert code != 0 and "no work with key 'no_such_key'" in output
