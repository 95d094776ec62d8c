"""Every fault of the fault server, at the first page and mid-search: the run's status and exit
status, nothing already fetched lost, and a plain rerun after the fault is gone that ends with
exactly the hit set of a clean run (sets of hit keys, not counts)."""

from __future__ import annotations

import pytest

from tests.reliability.faultserver import FAULTS
from tests.reliability.trials import OFFSETS, PAGE, POSITIONS, TOTAL, Trial

# fault -> (status at the first page, status mid-search); the exit status follows the status.
EXPECTED = {
    "http-429": ("blocked", "blocked"),
    "http-429-retry-after": ("complete", "complete"),  # waited 1 s as asked, then answered
    "http-429-retry-after-too-long": ("blocked", "blocked"),
    "http-500": ("failed", "partial"),
    "http-503": ("failed", "partial"),
    "hang": ("failed", "partial"),
    "slow-body": ("complete", "complete"),  # slow but within the timeout: nothing wrong
    "reset-mid-body": ("failed", "partial"),
    "truncated-json": ("failed", "partial"),
    "docs-object": ("failed", "partial"),
    "top-level-list": ("failed", "partial"),
    "captcha-html": ("blocked", "blocked"),
    "empty-body": ("failed", "partial"),
    "total-not-a-number": ("failed", "partial"),
    "pnx-list": ("failed", "partial"),
    "invalid-utf8": ("failed", "partial"),
    "deep-nesting": ("failed", "partial"),
}
EXIT = {"complete": 0, "partial": 3, "blocked": 4, "failed": 5}
CASES = [(fault, position) for fault in FAULTS for position in POSITIONS]


def test_every_fault_has_an_expected_outcome() -> None:
    assert set(EXPECTED) == set(FAULTS)


def trial_of(trials: list[Trial], fault: str, position: str) -> Trial:
    (found,) = [t for t in trials if (t.fault, t.position) == (fault, position)]
    return found


@pytest.mark.parametrize(("fault", "position"), CASES)
def test_fault_then_plain_rerun(trials: list[Trial], fault: str, position: str) -> None:
    trial = trial_of(trials, fault, position)
    clean = trial.server.keys()
    assert len(clean) == TOTAL
    first, rerun = trial.first, trial.rerun
    expected = EXPECTED[fault][0 if position == "first-page" else 1]

    # the first run: its status says what happened, and its exit status is not 0 unless complete
    assert first["status"] == expected, first
    assert first["exit"] == EXIT[expected]
    if expected != "complete":
        assert first["error"], first
    # nothing fetched is lost: every stored page keeps its hits, all of them real
    assert trial.first_keys <= clean
    assert len(trial.first_keys) == first["hits_fetched"] == PAGE * len(trial.first_pages)
    fault_offset = POSITIONS[position]
    if expected in ("partial", "failed"):
        # only the faulty page is missing: the pages after it were fetched all the same (a
        # first page that fails tells no total, so no other page is known)
        assert trial.first_pages == (set() if fault_offset == 0 else OFFSETS - {fault_offset})
    elif expected == "blocked":
        assert fault_offset not in trial.first_pages
        assert trial.first_pages >= set(range(0, fault_offset, PAGE))

    # the plain rerun, after the fault is gone: exactly the clean run's hits, once each
    assert rerun["mode"] == ("replay" if expected == "complete" else "resume")
    assert rerun["status"] == "complete", rerun
    assert rerun["exit"] == 0
    assert rerun["id"] == first["id"]
    keys = rerun["keys"]
    assert len(keys) == len(set(keys))
    assert set(keys) == clean
    # it asks the engine again only for the pages the first run did not store
    assert set(trial.rerun_offsets) <= OFFSETS - trial.first_pages
    if expected != "complete":
        assert fault_offset in trial.rerun_offsets  # the bad answer was not kept in the cache
