"""A broken corpus file stops build with one line per problem and leaves the database alone."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from db.build import build_database
from db.embedded import CORPUS_DIR, CorpusError, load_corpus
from evidensbase.cli import main


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS_DIR, target)
    return target


def break_file(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_each_problem_gets_one_line_naming_file_record_and_field(corpus_copy: Path) -> None:
    norwegian = corpus_copy / "works" / "norwegian_reports.yaml"
    articles = corpus_copy / "works" / "peer_reviewed_articles.yaml"
    break_file(norwegian, "  title: Karriereveiledning for nyankomne innvandrere\n", "")
    break_file(norwegian, "  year: 2017\n", "  year: 1850\n")
    break_file(
        articles,
        "themes: [method_process, counsellor_competence]",
        "themes: [method_process, counsellor_competence, storytelling]",
    )
    break_file(articles, "- id: kiteki2021", "- id: abkhezr2017")

    with pytest.raises(CorpusError) as caught:
        load_corpus(corpus_copy)

    problems = caught.value.problems
    assert len(problems) == 4, problems
    thomsen = line_of(norwegian, "- id: thomsen2016")
    opinion = line_of(norwegian, "- id: opinion2017")
    assert f"{norwegian}:{thomsen}: record 'thomsen2016': field 'title': missing" in problems
    assert (
        f"{norwegian}:{opinion}: record 'opinion2017': field 'year': 1850 is not a year "
        "between 1900 and 2100"
    ) in problems
    unknown = [p for p in problems if "'storytelling'" in p]
    assert len(unknown) == 1 and str(articles) in unknown[0] and "field 'themes'" in unknown[0]
    duplicate = [p for p in problems if "duplicate id" in p]
    assert len(duplicate) == 1 and "'abkhezr2017'" in duplicate[0]


def test_a_bad_file_leaves_the_existing_database_as_it_was(
    corpus_copy: Path, tmp_path: Path
) -> None:
    path = tmp_path / "kept.db"
    build_database(path, corpus_copy)
    before = path.read_bytes()
    break_file(corpus_copy / "works" / "norwegian_reports.yaml", "  year: 2016\n", "  year: 3016\n")
    with pytest.raises(CorpusError):
        build_database(path, corpus_copy)
    assert path.read_bytes() == before
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT year FROM works WHERE key = 'thomsen2016'").fetchone() == (
            2016,
        )


def test_build_command_prints_the_problems_and_fails(corpus_copy: Path, tmp_path: Path) -> None:
    break_file(corpus_copy / "yield.yaml", "    hits: 190\n", "    hits: 191\n")
    result = CliRunner().invoke(
        main, ["build", "--db", str(tmp_path / "x.db"), "--corpus", str(corpus_copy)]
    )
    assert result.exit_code == 1
    assert "column 'hits': rows add up to 386, reported total is 385" in result.output
    assert "was left as it was" in result.output


def test_invalid_yaml_names_file_and_line(corpus_copy: Path) -> None:
    articles = corpus_copy / "works" / "peer_reviewed_articles.yaml"
    break_file(articles, "- id: kekki2022", "- id: [kekki2022")
    with pytest.raises(CorpusError) as caught:
        load_corpus(corpus_copy)
    assert caught.value.problems[0].startswith(f"{articles}:")
    assert "not valid YAML" in caught.value.problems[0]


def test_bad_ranking_concepts_name_file_line_and_field(corpus_copy: Path) -> None:
    protocol = corpus_copy / "protocol.yaml"
    break_file(
        protocol, "  - id: population\n    nb: Flyktninger", "  - id: guidance\n    nb: Flyktninger"
    )
    break_file(protocol, "terms: [karriereveiledning,", "terms: [karriereveiledning, '',")
    with pytest.raises(CorpusError) as caught:
        load_corpus(corpus_copy)
    guidance = line_of(protocol, "  - id: guidance")
    second = line_of(protocol, "    nb: Flyktninger") - 1
    assert caught.value.problems == [
        f"{protocol}:{guidance}: concept 'guidance': field 'terms': term #2 '' is not a word",
        f"{protocol}:{second}: concept 'guidance': field 'id': duplicate concept id",
    ]


def test_a_protocol_without_concepts_is_refused(corpus_copy: Path) -> None:
    protocol = corpus_copy / "protocol.yaml"
    break_file(protocol, "concepts:\n", "unused_concepts:\n")
    with pytest.raises(CorpusError) as caught:
        load_corpus(corpus_copy)
    assert caught.value.problems == [
        f"{protocol}: field 'concepts': expected a list of concepts with id, nb, en and terms"
    ]


def test_a_search_group_is_a_row_of_table_3_1_or_beyond_the_report(corpus_copy: Path) -> None:
    protocol = corpus_copy / "protocol.yaml"
    # a report group that lost its row, one beyond the report that claims one, and a row that
    # Table 3.1 does not have
    break_file(protocol, "    yield_row: sv\n", "")
    break_file(
        protocol, "    beyond_report: true\n", "    beyond_report: true\n    yield_row: en\n"
    )
    break_file(protocol, "    yield_row: da\n", "    yield_row: is\n")
    with pytest.raises(CorpusError) as caught:
        load_corpus(corpus_copy)
    swedish = line_of(protocol, "  - id: sv")
    reports = line_of(protocol, "  - id: nb-reports")
    assert caught.value.problems == [
        f"{protocol}:{swedish}: search group 'sv': field 'yield_row': missing "
        "(or mark the group beyond_report: true)",
        f"{protocol}:{reports}: search group 'nb-reports': field 'yield_row': a search beyond "
        "the report has no row of Table 3.1",
    ]
    # with the first two mended, the unknown row is named against Table 3.1's rows
    break_file(
        protocol, "    beyond_report: true\n    yield_row: en\n", "    beyond_report: true\n"
    )
    break_file(protocol, "    language: sv\n", "    language: sv\n    yield_row: sv\n")
    with pytest.raises(CorpusError) as caught:
        load_corpus(corpus_copy)
    assert caught.value.problems == [
        f"{protocol}: search group 'da': field 'yield_row': 'is' is not a row of Table 3.1 "
        "(da, en, no, sv)"
    ]


def test_searches_beyond_the_report_leave_table_3_1_and_the_flow_as_reported(
    tmp_path: Path,
) -> None:
    path = tmp_path / "built.db"
    build_database(path)
    conn = sqlite3.connect(path)
    try:
        beyond = conn.execute(
            "SELECT count(*) FROM searches WHERE yield_row IS NULL"
            " AND engine IN ('nva', 'openalex', 'swepub')"
        ).fetchone()
        table = conn.execute("SELECT sum(hits) FROM search_yield WHERE position < 99").fetchone()
        reported = conn.execute("SELECT reported FROM flow ORDER BY step").fetchall()
    finally:
        conn.close()
    assert beyond == (4,)
    assert table == (385,)
    assert reported == [(385,), (88,), (37,), (24,)]
