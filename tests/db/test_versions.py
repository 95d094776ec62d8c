"""Protocol versions: an amended protocol file becomes a new version; runs and decisions name it."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import yaml
from click.testing import CliRunner

from db.build import build_database
from db.database import open_db
from db.decisions import record_decision
from db.embedded import CORPUS_DIR
from db.versions import current_version, diff_protocols, record_version
from evidensbase.cli import main


def amended_corpus(tmp_path: Path) -> Path:
    """A copy of the embedded corpus whose protocol widens the period to 2026, with a reason."""
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS_DIR, corpus)
    path = corpus / "protocol.yaml"
    protocol = yaml.safe_load(path.read_text(encoding="utf-8"))
    protocol["review"]["years"] = [2016, 2026]
    protocol["amendment"] = {"reason": "Update for 2023–2026 asked for by the commissioner"}
    path.write_text(yaml.safe_dump(protocol, allow_unicode=True), encoding="utf-8")
    return corpus


def test_an_amended_protocol_file_is_a_new_version(tmp_path: Path) -> None:
    db_path = tmp_path / "review.db"
    build_database(db_path)
    build_database(db_path)  # unchanged: no new version
    db = open_db(db_path)
    assert [v.version for v in [current_version(db)] if v] == [1]
    assert db.execute("SELECT DISTINCT protocol_version FROM decisions").fetchall() == [(1,)]
    db.close()

    build_database(db_path, amended_corpus(tmp_path))
    db = open_db(db_path)
    version = current_version(db)
    assert version is not None and version.version == 2
    assert version.reason == "Update for 2023–2026 asked for by the commissioner"
    assert "review.years: [2016, 2022] → [2016, 2026]" in version.changes
    with sqlite3.connect(db_path) as conn:
        years = conn.execute("SELECT value FROM protocol WHERE key = 'review'").fetchone()[0]
        assert '"years": [2016, 2026]' in years
        assert conn.execute("SELECT DISTINCT year_to FROM searches").fetchall() == [(2026,)]
    work = int(db.table("works").insert({"key": "synthetic-v", "title": "Synthetic V"}).last_pk)
    record_decision(db, work, 1, "include", reviewer="Kari")
    assert db.execute(
        "SELECT protocol_version FROM decisions WHERE work_id = ?", [work]
    ).fetchall() == [(2,)]
    record_decision(db, work, 2, "include", reviewer="Kari")
    record_decision(db, work, 3, "include", reviewer="Kari")
    # the corpus says which version of the review included each work
    versions = dict(db.execute("SELECT key, review_version FROM corpus").fetchall())
    assert versions.pop("synthetic-v") == 2
    assert set(versions.values()) == {1} and len(versions) == 24
    db.close()

    result = CliRunner().invoke(main, ["protocol", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert "Version 1" in result.output and "Version 2" in result.output
    assert "Update for 2023–2026 asked for by the commissioner" in result.output
    result = CliRunner().invoke(main, ["protocol", "--db", str(db_path), "--diff", "1", "2"])
    assert result.exit_code == 0, result.output
    assert "review.years: [2016, 2022] → [2016, 2026]" in result.output
    result = CliRunner().invoke(main, ["protocol", "--db", str(db_path), "--diff", "1", "7"])
    assert result.exit_code != 0 and "no protocol version 7 (versions: 1, 2)" in result.output


def test_an_amendment_in_the_database_survives_a_rebuild_from_the_unchanged_file(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "review.db"
    build_database(db_path)
    db = open_db(db_path)
    first = current_version(db)
    assert first is not None
    content = dict(first.content, review=dict(first.content["review"], years=[2016, 2026]))
    with db.atomic():
        record_version(db, content, reason="update --years 2023-2026", made_by="test")
    db.close()
    build_database(db_path)
    db = open_db(db_path)
    version = current_version(db)
    assert version is not None and version.version == 2
    assert version.content["review"]["years"] == [2016, 2026]


def test_the_diff_names_criteria_by_their_id() -> None:
    old = {"stages": [{"id": "s1", "criteria": [{"id": "a", "en": "A"}]}]}
    new = {"stages": [{"id": "s1", "criteria": [{"id": "a", "en": "A2"}, {"id": "b", "en": "B"}]}]}
    assert diff_protocols(old, new) == [
        'stages[s1].criteria[a].en: "A" → "A2"',
        'stages[s1].criteria[b].en: added "B"',
    ]


def test_a_wider_period_re_judges_a_rule_exclusion_and_queues_the_work(tmp_path: Path) -> None:
    db_path = tmp_path / "review.db"
    build_database(db_path)
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "INSERT INTO works (key, title, year, type, language, peer_reviewed, origin) VALUES"
            " ('synthetic_2024', 'Karriereveiledning for nyankomne 2024', 2024, 'report', 'nb',"
            " 0, 'harvest')"
        )
    runner = CliRunner()
    assert runner.invoke(main, ["rules", "--db", str(db_path)]).exit_code == 0
    queued = runner.invoke(main, ["rank", "--db", str(db_path)])
    assert "0 works in the queue." in queued.output

    build_database(db_path, amended_corpus(tmp_path))
    result = runner.invoke(main, ["rules", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert "under protocol version 2; excluded 0 by rule, cleared 1" in result.output
    queued = runner.invoke(main, ["rank", "--db", str(db_path)])
    assert "synthetic_2024" in queued.output and "1 works in the queue." in queued.output
    with sqlite3.connect(db_path) as conn:
        trail = conn.execute(
            "SELECT d.actor, d.decision, d.criterion, d.protocol_version FROM decisions d"
            " JOIN works w ON w.id = d.work_id WHERE w.key = 'synthetic_2024' ORDER BY d.id"
        ).fetchall()
    assert trail == [("rule", "exclude", "outside_period", 1), ("rule", "include", None, 2)]
    again = runner.invoke(main, ["rules", "--db", str(db_path)])
    assert "Checked 0 works" in again.output
