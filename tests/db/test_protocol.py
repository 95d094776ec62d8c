"""The protocol as every package reads it: from the database build stored, else the file."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from db.database import open_db
from db.decisions import stage_criteria
from db.protocol import (
    embedded_protocol,
    find_search,
    language_id,
    load_protocol,
    load_searches,
    stored_protocol,
)


def test_the_stored_protocol_is_the_file_as_built(built_db: Path) -> None:
    db = open_db(built_db)
    try:
        stored = stored_protocol(db)
        assert stored is not None
        assert stored.data == embedded_protocol().data
        assert load_protocol(db).data == stored.data
        assert [c.id for c in stored.concepts] == ["guidance", "population"]
        assert "karriereveiledning" in stored.concepts[0].terms
        assert stored.language_codes("oria")["nb"] == ["nor", "nob", "nno"]
        assert stored.language_codes("scholar") == {}
        assert (
            stage_criteria(db, 2)
            == stored.criterion_ids(2)
            == {
                "not_relevant_full_text",
                "quality_not_acceptable",
                "full_text_unavailable",
            }
        )
    finally:
        db.close()


def test_a_database_nothing_has_built_reads_the_embedded_file(tmp_path: Path) -> None:
    db = sqlite_utils.Database(tmp_path / "empty.db")  # no schema, no protocol table
    try:
        assert stored_protocol(db) is None
        assert load_protocol(db).data == embedded_protocol().data
        assert stage_criteria(db, 1) == set()  # no protocol stored: nothing to hold a decision to
    finally:
        db.close()


def test_the_embedded_protocol_is_a_fresh_copy_each_time() -> None:
    first = embedded_protocol()
    first.data["languages"].append("de")
    assert "de" not in embedded_protocol().languages


def test_searches_are_read_with_their_terms_and_filters(built_db: Path) -> None:
    db = open_db(built_db)
    try:
        oria = load_searches(db, "oria")
        assert [s.id for s in oria] == sorted(s.id for s in oria)
        english = find_search(db, "oria-en-career-guidance-refugee")
        assert english is not None and english in oria
        assert english.terms == ("career guidance", "refugee")
        assert english.query == '"career guidance" AND refugee'
        assert english.filters == {"exclude_theses": True, "peer_reviewed_only": True}
        assert (english.year_from, english.year_to, english.language) == (2016, 2022, "en")
        assert find_search(db, "no-such-search") is None
        assert load_searches(db, "gopher") == []
    finally:
        db.close()


def test_one_helper_normalises_language_codes_and_names() -> None:
    # ISO 639-1, 639-2/B and /T codes and English names, as Oria, RIS and BibTeX files give them
    given = ["no", "nor", "nob", "Norwegian", "nno", "SWE", "dan", " eng ", "de", "", None]
    assert [language_id(v) for v in given] == [
        "nb", "nb", "nb", "nb", "nn", "sv", "da", "en", "de", None, None,
    ]  # fmt: skip
