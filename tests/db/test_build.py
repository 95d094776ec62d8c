"""Building the database from the embedded protocol and corpus (issue: foundation)."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

from db.build import build_database

# First author (or organisation) and year of each of the 24 works, typed by hand from the
# headings of Vedlegg 1 in the report (seed lines 4295–5190), in the appendix's order.
VEDLEGG_1 = [
    ("Thomsen", 2016),
    ("Opinion", 2017),
    ("Kjærgård", 2019),
    ("Lillevik", 2020),
    ("Søholt", 2020),
    ("Søholt", 2020),
    ("Hernes", 2021),
    ("Hernes", 2022),
    ("Hellang", 2022),
    ("Hertzberg", 2017),
    ("Sundelin", 2017),
    ("Sundelin", 2017),
    ("Stendal", 2019),
    ("Hansen", 2021),
    ("Axelsson", 2022),
    ("Abkhezr", 2017),
    ("Abkhezr", 2018),
    ("Fredriksen", 2020),
    ("Kiteki", 2021),
    ("Linde", 2021),
    ("Udayar", 2021),
    ("Kekki", 2022),
    ("Petersen", 2022),
    ("Sultana", 2022),
]


def rows(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def dump(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table (FTS shadow tables included): what 'the same content' means."""
    with sqlite3.connect(path) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {
            t: sorted(conn.execute(f"SELECT * FROM [{t}]").fetchall(), key=repr) for t in tables
        }


def test_corpus_lists_the_24_works_of_vedlegg_1(built_db: Path) -> None:
    found = Counter(rows(built_db, "SELECT first_author, year FROM corpus"))
    assert found == Counter(VEDLEGG_1)
    assert len(VEDLEGG_1) == 24


def test_groups_follow_vedlegg_1(built_db: Path) -> None:
    groups = dict(rows(built_db, "SELECT report_group, count(*) FROM corpus GROUP BY 1"))
    assert groups == {
        "Norske rapporter / Norwegian reports": 9,
        "Svenske og danske rapporter / Swedish and Danish reports": 6,
        "Fagfellevurderte artikler / Peer-reviewed articles": 9,
    }


def test_every_work_has_a_three_part_summary_in_both_languages(built_db: Path) -> None:
    missing = rows(
        built_db,
        """
        SELECT key FROM corpus WHERE length(topic_nb) < 20 OR length(method_nb) < 10
            OR length(findings_nb) < 20 OR length(topic_en) < 20 OR length(method_en) < 10
            OR length(findings_en) < 20""",
    )
    assert missing == []


def test_search_yield_reproduces_table_3_1(built_db: Path) -> None:
    table = rows(
        built_db,
        "SELECT language, hits, after_stage1, after_stage2, included "
        "FROM search_yield ORDER BY position",
    )
    assert table == [
        ("nb", 190, 31, 12, 9),
        ("sv", 112, 22, 6, 3),
        ("da", 15, 6, 2, 2),
        ("en", 68, 29, 17, 10),
        ("", 385, 88, 37, 24),
    ]


def test_flow_gives_the_reported_totals(built_db: Path) -> None:
    flow = rows(built_db, "SELECT stage, reported FROM flow ORDER BY step")
    assert flow == [("identified", 385), ("stage1", 88), ("stage2", 37), ("included", 24)]


def test_searches_follow_section_2_1(built_db: Path) -> None:
    by_group = Counter(rows(built_db, "SELECT engine, language FROM searches"))
    # 4 Norwegian, 3 Swedish and 3 Danish combinations in both engines;
    # 2 x 2 English ones in Oria only.
    assert by_group == Counter(
        {
            ("oria", "nb"): 4,
            ("scholar", "nb"): 4,
            ("oria", "sv"): 3,
            ("scholar", "sv"): 3,
            ("oria", "da"): 3,
            ("scholar", "da"): 3,
            ("oria", "en"): 4,
            # beyond the report (no row of Table 3.1): the open sources' example searches
            ("nva", "nb"): 2,
            ("openalex", "en"): 1,
            ("swepub", "sv"): 1,
        }
    )
    beyond = rows(built_db, "SELECT id FROM searches WHERE yield_row IS NULL ORDER BY id")
    assert beyond == [
        ("nva-nb-reports-flyktninger",),
        ("nva-nb-reports-innvandrere",),
        ("openalex-en-nordic-refugee",),
        ("swepub-sv-open-nyanländ",),
    ]
    # the report's 24 searches, each in its row of Table 3.1
    report = rows(built_db, "SELECT yield_row, count(*) FROM searches GROUP BY 1 ORDER BY 1")
    assert report == [(None, 4), ("da", 6), ("en", 4), ("no", 8), ("sv", 6)]
    english = rows(
        built_db, "SELECT query, filters FROM searches WHERE id = 'oria-en-career-guidance-refugee'"
    )
    assert english == [
        ('"career guidance" AND refugee', '{"exclude_theses": true, "peer_reviewed_only": true}')
    ]
    assert rows(built_db, "SELECT DISTINCT year_from, year_to FROM searches") == [(2016, 2022)]


def test_report_inconsistencies_stay_visible(built_db: Path) -> None:
    notes = dict(rows(built_db, "SELECT id, en FROM report_notes"))
    assert "26" in notes["vedlegg_count"] and "24" in notes["vedlegg_count"]
    assert "3 Swedish, 2 Danish and 10 English" in notes["group_vs_language"]


def test_build_twice_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "twice.db"
    first = build_database(path)
    before = dump(path)
    second = build_database(path)
    assert first.total_changes > 0
    assert second.changed == {}
    assert dump(path) == before


def test_decisions_are_append_only(built_db: Path) -> None:
    with sqlite3.connect(built_db) as conn:
        for statement in ("UPDATE decisions SET decision = 'exclude'", "DELETE FROM decisions"):
            try:
                conn.execute(statement)
            except sqlite3.IntegrityError as exc:
                assert "append-only" in str(exc)
            else:
                raise AssertionError(f"{statement!r} was allowed")
    assert rows(built_db, "SELECT count(*) FROM decisions WHERE decision = 'include'") == [(72,)]
