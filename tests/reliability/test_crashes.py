"""kill -9 of a real ``evidensbase`` process once per kind of write (tests/reliability/crashes.py):
the database passes ``PRAGMA integrity_check``, no output file is left truncated, and running the
same command again reaches the state of an uninterrupted run, row for row. The full run (at least
50 kills) is in bench/reliability.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.crashes import KINDS, CrashBench, Outcome

RECORDS = 60  # every fifth repeats another's DOI: 48 publications
UNIQUE = 48
PAGES = 2


@pytest.fixture(scope="module")
def bench(corpus_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrashBench]:
    root = tmp_path_factory.mktemp("crashes")
    made = CrashBench(root, corpus_template, records=RECORDS, pages=PAGES, page_delay=0.2)
    try:
        yield made
    finally:
        made.close()


def test_the_reference_runs_store_what_each_command_is_for(bench: CrashBench) -> None:
    """The uninterrupted runs the kills are compared with did their work (checked by hand)."""
    refs = {
        kind: {t: [dict(r) for r in rows] if t != "<output>" else rows for t, rows in got.items()}
        for kind, got in bench.references.items()
    }
    harvest = refs["harvest"]
    assert len(harvest["hits"]) == PAGES * 50
    assert [r["status"] for r in harvest["search_runs"]] == ["complete"]
    assert len(refs["import"]["hits"]) == RECORDS  # every synthetic record
    deduped = [w for w in refs["dedupe"]["works"] if "Synthetic crash record" in w["title"]]
    assert len(deduped) == UNIQUE
    assert (
        len(refs["import-decisions"]["decisions"]) == len(refs["decide"]["decisions"]) + UNIQUE - 1
    )
    resolved = [d for d in refs["resolve"]["decisions"] if d["reviewer"] == "synthetic-c"]
    assert [(d["role"], d["decision"]) for d in resolved] == [("resolve", "include")]
    assert len(refs["build"]["works"]) == 24
    assert refs["export"]["<output>"].count(b"\nER  -") == 24 + UNIQUE
    assert refs["export-decisions"]["<output>"].count(b"\n") == 1 + len(
        refs["export-decisions"]["decisions"]
    )


@pytest.fixture(scope="module")
def outcomes(bench: CrashBench) -> dict[str, Outcome]:
    """One kill per kind, two at a time."""
    return {o.kind: o for o in bench.trials(list(KINDS))}


@pytest.mark.parametrize("kind", KINDS)
def test_a_kill_leaves_an_intact_database_and_the_rerun_reaches_the_clean_state(
    outcomes: dict[str, Outcome], kind: str
) -> None:
    outcome = outcomes[kind]
    assert outcome.killed, outcome  # the kill landed before the command ended
    assert outcome.integrity == "ok", outcome
    assert not outcome.partial_output, outcome
    assert outcome.rerun_exit == 0, outcome
    assert outcome.mismatched_tables == [], outcome
    assert outcome.decisions_lost == 0, outcome
    assert outcome.stale_temporaries == 0, outcome  # the rerun removed what the kill left
