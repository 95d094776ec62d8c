"""The export's fast paths give what the slow, obvious ones give.

- the status query in exports.records equals the work_status view, for works with several and
  conflicting decisions;
- the RIS text written directly equals rispy's writer for the same records, and rispy reads it back;
- the CSV lines written directly equal csv.writer's.

The works and decisions here are synthetic (made up in the tests): a work is a key and title;
a decision is (stage, decision, decided_at) for one work, inserted in the order listed.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import rispy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.database import open_db
from exports import ris
from exports.csv_table import csv_lines
from exports.records import (
    STATUS_JOIN,
    ExportOptions,
    ExportWork,
    LoadedWorks,
    assign_cite_keys,
    load_works,
)
from exports.registry import export_works
from exports.selection import Selection

_settings = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- status: exports' one-pass query against the work_status view ----------------------------

# synthetic_decisions: work key -> decisions (stage, decision, decided_at), in insertion order.
SYNTHETIC_DECISIONS: dict[str, list[tuple[int, str, str]]] = {
    "synthetic-none": [],
    "synthetic-one": [(1, "include", "2024-01-01T10:00:00")],
    # a later stage wins even when it was decided earlier
    "synthetic-stage-over-time": [
        (3, "include", "2024-01-01T10:00:00"),
        (1, "exclude", "2024-06-01T10:00:00"),
    ],
    # two reviewers disagree at stage 2: the later decision wins
    "synthetic-conflict": [
        (1, "include", "2024-01-01T10:00:00"),
        (2, "include", "2024-02-01T10:00:00"),
        (2, "exclude", "2024-02-03T10:00:00"),
        (2, "maybe", "2024-02-02T10:00:00"),
    ],
    # same stage, same time: the higher id (inserted last) wins
    "synthetic-tie": [
        (2, "exclude", "2024-03-01T10:00:00"),
        (2, "include", "2024-03-01T10:00:00"),
    ],
}


@pytest.fixture(scope="module")
def empty_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the real schema and views and no works."""
    path = tmp_path_factory.mktemp("status") / "empty.db"
    open_db(path).close()
    return path


def _status_db(empty: Path, decisions: dict[str, list[tuple[int, str, str]]]) -> sqlite3.Connection:
    """An in-memory copy of the empty database with these works and decisions."""
    conn = sqlite3.connect(":memory:")
    with sqlite3.connect(empty) as source:
        source.backup(conn)
    for key, rows in decisions.items():
        work_id = conn.execute("INSERT INTO works (key, title) VALUES (?, ?)", [key, key]).lastrowid
        conn.executemany(
            "INSERT INTO decisions (work_id, stage, decision, reviewer, actor, decided_at) "
            "VALUES (?, ?, ?, 'synthetic', 'person', ?)",
            [(work_id, *row) for row in rows],
        )
    conn.commit()
    return conn


def _both(conn: sqlite3.Connection) -> tuple[dict[str, Any], dict[str, Any]]:
    view = {
        key: (stage, decision)
        for key, stage, decision in conn.execute(
            "SELECT w.key, s.last_stage, s.last_decision FROM works w "
            "JOIN work_status s ON s.work_id = w.id"
        ).fetchall()
    }
    ours = {
        key: (stage, decision)
        for key, stage, decision in conn.execute(
            f"SELECT w.key, s.last_stage, s.last_decision FROM works w {STATUS_JOIN}"
        ).fetchall()
    }
    return view, ours


def test_status_query_equals_the_view_with_conflicting_decisions(
    empty_db: Path, tmp_path: Path
) -> None:
    conn = _status_db(empty_db, SYNTHETIC_DECISIONS)
    view, ours = _both(conn)
    assert ours == view
    # and both say what the decisions above say, worked out by hand
    assert ours == {
        "synthetic-none": (None, None),
        "synthetic-one": (1, "include"),
        "synthetic-stage-over-time": (3, "include"),
        "synthetic-conflict": (2, "exclude"),
        "synthetic-tie": (2, "include"),
    }
    path = tmp_path / "status.db"
    with sqlite3.connect(path) as target:
        conn.backup(target)
    db = open_db(path)
    try:
        labels = {w.key: w.stage_label() for w in load_works(db).works}
        excluded = {w.key for w in load_works(db, Selection(stage="excluded")).works}
    finally:
        db.close()
    assert labels["synthetic-conflict"] == "excluded (stage 2)"
    assert labels["synthetic-none"] == "unscreened"
    assert excluded == {"synthetic-conflict"}


_decision = st.tuples(
    st.integers(1, 3),
    st.sampled_from(["include", "exclude", "maybe"]),
    st.sampled_from([f"2024-0{m}-01T10:00:00" for m in range(1, 4)]),  # few times: many ties
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_decision, max_size=5), min_size=1, max_size=6))
def test_status_query_equals_the_view_for_generated_decisions(
    empty_db: Path, works: list[list[tuple[int, str, str]]]
) -> None:
    conn = _status_db(empty_db, {f"synthetic-{i}": rows for i, rows in enumerate(works)})
    view, ours = _both(conn)
    assert ours == view
    assert len(ours) == len(works)


# --- RIS: our text against rispy's writer ----------------------------------------------------


def _rispy_text(loaded: LoadedWorks, options: ExportOptions) -> str:
    refs = [ris.work_reference(work, loaded, options) for work in loaded.works]
    return rispy.dumps(refs, implementation=ris._RisWriter, skip_unknown_tags=True)


def test_corpus_ris_equals_rispy_output_and_parses_back(export_db: Path) -> None:
    db = open_db(export_db)
    try:
        for options in (ExportOptions(), ExportOptions(screening=True, labels="nb")):
            loaded = load_works(db, with_codes=True)
            text = export_works(db, "ris", options=options).text
            assert text == _rispy_text(loaded, options)
            refs = [ris.work_reference(work, loaded, options) for work in loaded.works]
            assert rispy.loads(text) == refs
            assert len(refs) == 24
    finally:
        db.close()


_text = st.text(
    alphabet=st.characters(blacklist_categories=["Cs", "Cc"]) | st.sampled_from(" \t\n-–,;"),
    max_size=30,
)
_name = st.one_of(
    st.fixed_dictionaries({"family": _text}, optional={"given": _text}),
    st.fixed_dictionaries({"literal": _text}),
    st.fixed_dictionaries({}, optional={"given": _text}),
)
_optional = st.one_of(st.none(), _text)
_OTHER_FIELDS = ("container", "publisher", "place", "pages", "volume", "issue", "language",
                 "doi", "isbn", "issn", "url", "abstract")  # fmt: skip
_ris_work = st.builds(
    lambda authors, title, year, kind, fields: ExportWork(
        id=1, key="w", title=title, authors=authors, year=year, type=kind, **fields
    ),
    st.lists(_name, max_size=4),
    _optional,
    st.one_of(st.none(), st.integers(1900, 2100)),
    st.sampled_from(["report", "journal_article", "book_chapter", "book", "thesis", "other"]),
    st.fixed_dictionaries({name: _optional for name in _OTHER_FIELDS}),
)


@_settings
@given(_ris_work, st.booleans())
def test_ris_text_equals_rispy_output_for_generated_works(
    work: ExportWork, screening: bool
) -> None:
    assign_cite_keys([work])
    work.codes = {"theme": ["method_process"], "country": ["no"]}
    loaded = LoadedWorks([work], [], {("theme", "method_process"): {"nb": "Prosess", "en": "P"}})
    options = ExportOptions(screening=screening)
    text = ris.write_ris(loaded, options)
    assert text == _rispy_text(loaded, options)
    (parsed,) = rispy.loads(text)
    assert parsed["id"] == work.cite_key
    assert parsed["type_of_reference"] == ris.RIS_TYPES.get(work.type or "", "GEN")


# --- CSV: our lines against csv.writer -------------------------------------------------------


@_settings
@given(st.lists(st.lists(_text, min_size=2, max_size=6), max_size=5), st.sampled_from([",", ";"]))
def test_csv_lines_equal_csv_writer(rows: list[list[str]], delimiter: str) -> None:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    assert "".join(csv_lines(rows, delimiter)) == out.getvalue()


def test_csv_lines_quote_only_what_csv_writer_quotes() -> None:
    rows = [["a", "Søholt, Å.", 'say "hi"', "two\nlines", "x;y", ""]]
    assert csv_lines(rows, ",") == ['a,"Søholt, Å.","say ""hi""","two\nlines",x;y,\r\n']
    assert csv_lines(rows, ";") == ['a;Søholt, Å.;"say ""hi""";"two\nlines";"x;y";\r\n']
