"""Dedupe on a real database file: merges, non-merges, provenance, review, split, re-runs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from db.dedupe import DedupeError, dedupe_hits, maybe_queue, split_work
from evidensbase.cli import main


def test_oria_record_and_scholar_snippet_of_one_report_become_one_work(store, synthetic) -> None:
    oria, scholar = store.add(synthetic["fafo_oria"], synthetic["fafo_scholar"])
    report = dedupe_hits(store.path)
    assert (report.new_hits, report.works_created, report.attached) == (2, 1, 0)
    links = store.work_of()
    assert links[oria] == links[scholar]
    # The work takes Oria's structured metadata, not the snippet's [PDF] title, 2020 or 'm.fl.'.
    (work,) = store.query(
        "SELECT key, title, year, type, authors_display, isbn, origin FROM works WHERE id = ?",
        [links[oria]],
    )
    assert work == (
        f"lillevik2019-h{oria}",
        "Kompetansekartlegging og karriereveiledning for nyankomne flyktninger : en evaluering",
        2019,
        "report",
        "Lillevik, R.; Weiss, N.; Hagen, A. L.",
        "978-82-324-0499-3",
        "harvest",
    )
    sources = dict(
        store.query("SELECT field, engine FROM work_sources WHERE work_id = ?", [links[oria]])
    )
    assert sources["title"] == sources["year"] == sources["authors"] == "oria"
    # The merge is recorded: which hit matched which, by what rule, decided by whom.
    rows = store.query(
        "SELECT hit_id, method, matched_hit_id, actor FROM hit_links ORDER BY hit_id"
    )
    assert rows[0][0] == oria and rows[1][0] == scholar
    assert {r[1] for r in rows} == {"fuzzy_title_authors"}
    assert {r[3] for r in rows} == {"rule"}
    assert (rows[1][2], rows[0][2]) == (oria, scholar)


def test_numbered_parts_are_never_merged(store, synthetic) -> None:
    ids = store.add(
        synthetic["delrapport_1"],
        synthetic["delrapport_2"],
        synthetic["part_1"],
        synthetic["part_2"],
    )
    dedupe_hits(store.path)
    links = store.work_of()
    assert len({links[i] for i in ids}) == 4
    # The near miss is kept as evidence of why they were held apart.
    methods = {r[0] for r in store.query("SELECT method FROM hit_pairs WHERE outcome='different'")}
    assert methods == {"title_numbers"}
    titles = [r[0] for r in store.query("SELECT title FROM works WHERE origin='harvest'")]
    assert "Career guidance for adult refugees in the Nordic countries. Part II: policies" in titles


def test_same_report_under_an_english_title_waits_for_a_person(store, synthetic) -> None:
    oria, english = store.add(synthetic["fafo_oria"], synthetic["fafo_english"])
    report = dedupe_hits(store.path)
    assert report.works_created == 2 and report.maybe == 1
    (pair,) = maybe_queue(store.path)
    assert (pair.hit_a["id"], pair.hit_b["id"]) == (oria, english)
    assert pair.method == "other_language_title"


def _review(store, answers: str) -> Any:
    return CliRunner().invoke(
        main, ["dedupe", "--db", str(store.path), "--review", "--person", "Kari"], input=answers
    )


def test_review_shows_the_pair_side_by_side_and_records_same(store, synthetic) -> None:
    oria, english = store.add(synthetic["fafo_oria"], synthetic["fafo_english"])
    dedupe_hits(store.path)
    result = _review(store, "s\n")
    assert result.exit_code == 0, result.output
    assert "Skills mapping and career guidance" in result.output
    assert "Kompetansekartlegging og" in result.output
    assert "Recorded 1 same, 0 different (by Kari); 0 pair(s) still waiting." in result.output
    links = store.work_of()
    assert links[oria] == links[english]
    assert store.query("SELECT count(*) FROM works WHERE origin = 'harvest'") == [(1,)]
    person = store.query(
        "SELECT hit_a, hit_b, outcome, decided_by FROM hit_pairs WHERE actor = 'person'"
    )
    assert person == [(oria, english, "same", "Kari")]
    # The merged work keeps the older work's key and takes its fields from both Oria records.
    assert store.query("SELECT key FROM works WHERE origin='harvest'") == [
        (f"lillevik2019-h{oria}",)
    ]


def test_review_different_and_quit(store, synthetic) -> None:
    store.add(synthetic["fafo_oria"], synthetic["fafo_english"])
    dedupe_hits(store.path)
    result = _review(store, "q\n")
    assert "Recorded 0 same, 0 different (by Kari); 1 pair(s) still waiting." in result.output
    result = _review(store, "d\n")
    assert "Recorded 0 same, 1 different (by Kari); 0 pair(s) still waiting." in result.output
    assert store.query("SELECT count(*) FROM works WHERE origin = 'harvest'") == [(2,)]
    assert "No maybe-pairs are waiting." in _review(store, "").output


def test_split_undoes_a_merge_and_later_hits_never_rejoin(store, synthetic) -> None:
    oria, scholar = store.add(synthetic["fafo_oria"], synthetic["fafo_scholar"])
    dedupe_hits(store.path)
    work = store.work_of()[oria]
    (key,) = store.query("SELECT key FROM works WHERE id = ?", [work])[0]
    result = CliRunner().invoke(
        main, ["dedupe", "--db", str(store.path), "--split", key, "--person", "Kari"]
    )
    assert result.exit_code == 0, result.output
    assert f"new work(s) lillevik2020-h{scholar}" in result.output
    links = store.work_of()
    assert links[oria] == work and links[scholar] != work
    # The scholar hit's old link is closed, not deleted; the split is the person's.
    assert store.query(
        "SELECT work_id, unlinked_by IS NOT NULL, actor FROM hit_links WHERE hit_id = ? "
        "ORDER BY id",
        [scholar],
    ) == [(work, 1, "rule"), (links[scholar], 0, "person")]
    before = store.snapshot()
    assert dedupe_hits(store.path).new_hits == 0
    assert store.snapshot() == before
    # A second copy of the same Oria record arrives in a later run: it joins the Oria work and
    # the person's split stands.
    (later,) = store.add(dict(synthetic["fafo_oria"], engine="oria"))
    dedupe_hits(store.path)
    links = store.work_of()
    assert links[later] == work and links[scholar] != work
    assert store.query("SELECT method FROM hit_links WHERE hit_id = ?", [later]) == [("engine_id",)]


def test_split_errors_name_the_problem_and_change_nothing(store, synthetic) -> None:
    (oria,) = store.add(synthetic["fafo_oria"])
    dedupe_hits(store.path)
    before = store.snapshot()
    with pytest.raises(DedupeError, match="no work with id or key 'nosuchwork'"):
        split_work(store.path, "nosuchwork", "Kari")
    with pytest.raises(DedupeError, match=r"has 1 hit\(s\): nothing to split"):
        split_work(store.path, store.work_of()[oria], "Kari")
    result = CliRunner().invoke(
        main, ["dedupe", "--db", str(store.path), "--split", "nosuchwork", "--person", "Kari"]
    )
    assert result.exit_code == 1
    assert "Error: no work with id or key 'nosuchwork'" in result.output
    assert store.snapshot() == before


def test_cli_run_reports_what_it_did_and_a_rerun_does_nothing(store, synthetic) -> None:
    store.add(*synthetic.values())
    runner = CliRunner()
    first = runner.invoke(main, ["dedupe", "--db", str(store.path)])
    assert first.exit_code == 0, first.output
    # 7 hits: the Oria and Scholar Fafo records merge, every other hit is its own work.
    assert first.output.startswith(
        "7 new hit(s): 0 joined existing works, 7 went into 6 new work(s)"
    )
    assert "1 maybe-pair(s) wait" in first.output
    before = store.snapshot()
    second = runner.invoke(main, ["dedupe", "--db", str(store.path)])
    assert second.output.startswith("0 new hit(s)")
    assert store.snapshot() == before
    # No hit is lost.
    assert store.query("SELECT count(*) FROM hits WHERE work_id IS NULL") == [(0,)]


def test_a_search_that_finds_a_corpus_work_again_joins_it(corpus_store, synthetic) -> None:
    """The synthetic Fafo records mimic Lillevik et al. (2020), one of the 24 corpus works: a
    re-run of the searches must attach them to it, not make a second work of it."""
    store = corpus_store
    corpus = store.query("SELECT * FROM works WHERE origin = 'corpus' ORDER BY id")
    oria, scholar = store.add(synthetic["fafo_oria"], synthetic["fafo_scholar"])
    result = CliRunner().invoke(main, ["dedupe", "--db", str(store.path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("2 new hit(s): 2 joined existing works, 0 went into 0 new")
    (lillevik,) = store.query("SELECT id FROM works WHERE key = 'lillevik2020'")
    links = store.work_of()
    assert links[oria] == links[scholar] == lillevik[0]
    # The link says how it matched; there is no hit of the curated work to point at.
    methods = store.query("SELECT hit_id, method, matched_hit_id FROM hit_links ORDER BY hit_id")
    assert [(h, m) for h, m, _ in methods] == [
        (oria, "fuzzy_title_authors"),
        (scholar, "fuzzy_title_authors"),
    ]
    assert {matched for *_, matched in methods} == {None}
    # The curated record keeps the report's fields (not the snippet's '[PDF]' title or 2019).
    assert store.query("SELECT * FROM works WHERE origin = 'corpus' ORDER BY id") == corpus
    assert store.query("SELECT count(*) FROM works WHERE origin = 'harvest'") == [(0,)]


def test_work_fields_are_searchable(store, synthetic) -> None:
    (oria,) = store.add(synthetic["fafo_oria"])
    dedupe_hits(store.path)
    found = store.query("SELECT rowid FROM works_fts WHERE works_fts MATCH 'karriereveiledning'")
    assert (store.work_of()[oria],) in found
    authors = json.loads(
        store.query("SELECT authors FROM works WHERE id = ?", [store.work_of()[oria]])[0][0]
    )
    assert authors[0] == {"family": "Lillevik", "given": "Rune"}


def test_one_record_found_by_many_searches_becomes_one_work(store, synthetic) -> None:
    # An update runs every search string: the same record comes back from 30 of them, a block
    # large enough to be screened in bulk in which every pair is close.
    record = synthetic["fafo_oria"]
    hits = store.add(*[dict(record, hit_key=f"{record['hit_key']}-{n}") for n in range(30)])
    report = dedupe_hits(store.path)
    assert (report.new_hits, report.works_created) == (30, 1)
    links = store.work_of()
    assert len({links[h] for h in hits}) == 1
