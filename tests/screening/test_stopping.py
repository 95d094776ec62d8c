"""Stopping rules on hand-worked cases: buscar's hypergeometric p, a known knee, the heuristic at
exactly N, QuantCI on made-up probabilities, stop_points against verdicts, and `rank` showing them.

Every expected figure is worked out here from the rule's definition (math.comb for the
hypergeometric, statistics.NormalDist for the normal quantile), never read from the code.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from db.decisions import record_decision
from screening.stopping import (
    RULES,
    StopTracker,
    buscar_p_value,
    missing_for_h0,
    stop_points,
    verdicts,
)


def by_rule(found: list) -> dict:
    return {v.rule: v for v in found}


def hypergeom_cdf(k: int, population: int, successes: int, draws: int) -> float:
    """P(X <= k) drawing ``draws`` without replacement: the textbook sum of comb ratios."""
    total = math.comb(population, draws)
    return (
        sum(
            math.comb(successes, x) * math.comb(population - successes, draws - x)
            for x in range(k + 1)
        )
        / total
    )


def buscar_by_hand(sequence: list[int], unscreened: int, target: float) -> float:
    """buscar over every trailing window, straight from Callaghan & Müller-Hansen (2020)."""
    found = sum(sequence)
    missing = math.floor(found / target) + 1 - found
    if missing > unscreened:
        return 0.0
    best = 1.0
    for size in range(1, len(sequence) + 1):
        k = sum(sequence[-size:])
        best = min(best, hypergeom_cdf(k, unscreened + size, missing + k, size))
    return best


def test_recall_below_target_needs_this_many_missing():
    # 10 found: recall < 95 % needs a total above 10 / 0.95 = 10.53, i.e. 11: one more
    assert missing_for_h0(10, 0.95) == 1
    # 19 found: a total of 20 gives exactly 95 %, not below; 21 is needed: two more
    assert missing_for_h0(19, 0.95) == 2
    assert missing_for_h0(4, 0.8) == 2  # 4 / 5 = 80 % exactly; 4 / 6 is below


def test_buscar_p_value_worked_by_hand():
    # 4 relevant, then 6 irrelevant; 10 unscreened; target 80 %: H0 needs 2 relevant unscreened.
    # The window of the 6 irrelevant is a sample of 6 from 6 + 10 = 16 records holding 2
    # relevant: P(none drawn) = C(14, 6) / C(16, 6) = 3003 / 8008 = 0.375.
    sequence = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    assert math.comb(14, 6) / math.comb(16, 6) == 0.375
    # the longer windows hold relevant records and give larger p: 0.375 is the minimum
    assert abs(buscar_by_hand(sequence, 10, 0.8) - 0.375) < 1e-12
    assert abs(buscar_p_value(sequence, 10, 0.8) - 0.375) < 1e-12
    verdict = by_rule(verdicts(sequence, 20, recall_target=0.8))["buscar"]
    assert not verdict.stop
    assert verdict.p_value is not None and abs(verdict.p_value - 0.375) < 1e-12
    # inverted at 95 %: 5 missing give C(11, 6) / C(16, 6) = 462 / 8008 = 0.058 (not rejected),
    # 6 missing give C(10, 6) / C(16, 6) = 210 / 8008 = 0.026 (rejected): at most 5 remain
    assert math.comb(11, 6) / math.comb(16, 6) > 0.05 > math.comb(10, 6) / math.comb(16, 6)
    assert verdict.remaining_estimate == 5
    assert "at most 5 relevant works unscreened at 95% confidence" in verdict.detail


def test_buscar_advises_stopping_when_the_p_value_falls_below_alpha():
    # 5 relevant, then 45 irrelevant, 2 unscreened, target 90 %: 5 / 0.9 = 5.6, so H0 needs one
    # more. Missing it in the 45 drawn from 47: P = C(46, 45) / C(47, 45) = 46 / 1081 = 2 / 47.
    sequence = [1] * 5 + [0] * 45
    expected = math.comb(46, 45) / math.comb(47, 45)
    assert abs(expected - 2 / 47) < 1e-15
    assert abs(buscar_by_hand(sequence, 2, 0.9) - expected) < 1e-12
    verdict = by_rule(verdicts(sequence, 52, recall_target=0.9))["buscar"]
    assert verdict.stop and verdict.p_value is not None
    assert abs(verdict.p_value - 2 / 47) < 1e-12
    assert "p = 0.043 for 'recall below 90%' (below 0.05)" in verdict.detail
    # at 99 % confidence the same evidence is not enough
    assert not by_rule(verdicts(sequence, 52, recall_target=0.9, confidence=0.99))["buscar"].stop


def test_buscar_once_everything_is_screened():
    # nothing unscreened: no relevant work can be missing, so H0 is impossible (p = 0)
    assert buscar_p_value([1, 0, 1, 0], 0, 0.95) == 0.0
    assert by_rule(verdicts([1, 0, 1, 0], 4))["buscar"].stop


def test_buscar_matches_every_window_on_random_orders():
    # the code checks only the longest window per count of relevant records; every window agrees
    rng = np.random.default_rng(7)
    for _ in range(40):
        n = int(rng.integers(1, 40))
        sequence = (rng.random(n) < np.linspace(0.8, 0.0, n)).astype(int).tolist()
        unscreened = int(rng.integers(0, 30))
        by_hand = buscar_by_hand(sequence, unscreened, 0.95)
        assert abs(buscar_p_value(sequence, unscreened, 0.95) - by_hand) < 1e-9, sequence


def test_knee_with_a_known_knee():
    # 150 relevant first, then only irrelevant: the knee is at 150, and after t screened the
    # slope ratio is (150 / 150) / ((0 + 1) / (t - 150)) = t - 150; with 150 found the rule needs
    # 156 - 150 = 6, so it first advises stopping at t = 156.
    order = [True] * 150 + [False] * 100
    at_155 = by_rule(verdicts(order[:155], 250))["knee"]
    at_156 = by_rule(verdicts(order[:156], 250))["knee"]
    assert not at_155.stop and at_156.stop
    assert at_156.figures["knee"] == 150 and at_156.figures["ratio"] == 6.0
    assert "knee at 150 screened, slope ratio 6.0" in at_156.detail
    assert stop_points(order)["knee"] == 156


def test_knee_asks_more_when_few_are_relevant():
    # 20 relevant at positions 2, 4, …, 40, then irrelevant. The knee is at 40 (the distance
    # above the chord t·r_i - 20·i grows by t - 20 from i = 39 to 40 and falls after), the slope
    # ratio (20 / 40) / (1 / (t - 40)) = (t - 40) / 2, and with 20 found the rule needs
    # 156 - 20 = 136: t - 40 >= 272, first at t = 312.
    order = [i % 2 == 1 for i in range(40)] + [False] * 400
    assert sum(order[:40]) == 20 and order[1] and not order[0]
    assert not by_rule(verdicts(order[:311], 440))["knee"].stop
    at_312 = by_rule(verdicts(order[:312], 440))["knee"]
    assert at_312.stop and at_312.figures["knee"] == 40 and at_312.figures["ratio"] == 136.0
    assert stop_points(order)["knee"] == 312
    # and never before 150 screened, whatever the ratio
    steep = [True] * 10 + [False] * 139
    assert not by_rule(verdicts(steep, 1000))["knee"].stop


def test_heuristic_at_exactly_n():
    assert not by_rule(verdicts([True] + [False] * 49, 1000))["heuristic"].stop
    at_50 = by_rule(verdicts([True] + [False] * 50, 1000))["heuristic"]
    assert at_50.stop and at_50.detail == "50 irrelevant in a row (advises stopping at 50)"
    assert not by_rule(verdicts([True] + [False] * 9, 1000, heuristic_n=10))["heuristic"].stop
    assert by_rule(verdicts([True] + [False] * 10, 1000, heuristic_n=10))["heuristic"].stop
    # a relevant record resets the run
    assert not by_rule(verdicts([False] * 60 + [True] + [False] * 10, 1000))["heuristic"].stop
    assert stop_points([True] + [False] * 70)["heuristic"] == 51


def test_quantci_on_probabilities_by_hand():
    z = NormalDist().inv_cdf(0.95)  # 1.6449, one-sided
    found = [True] * 19 + [False] * 31
    # ten unscreened at p = 0.1: R = 1.0, V = 10 * 0.1 * 0.9 = 0.9, upper = 1 + z * sqrt(0.9)
    upper = 1.0 + z * math.sqrt(0.9)
    recall_low = 19 / (19 + upper)
    assert 0.88 < recall_low < 0.89  # below 95 %: keep screening
    keep = by_rule(verdicts(found, 60, scores_unscreened=[0.1] * 10))["quantci"]
    assert not keep.stop and keep.remaining_estimate is not None
    assert abs(keep.remaining_estimate - 1.0) < 1e-12
    assert abs(keep.figures["upper"] - upper) < 1e-9
    # at p = 0.01: R = 0.1, V = 0.099, recall at least 19 / (19.1 + z * sqrt(0.099)) = 0.9685
    low = 19 / (19 + 0.1 + z * math.sqrt(0.099))
    assert 0.968 < low < 0.969
    stop = by_rule(verdicts(found, 60, scores_unscreened=[0.01] * 10))["quantci"]
    assert stop.stop and abs(stop.figures["recall_low"] - low) < 1e-9


def test_quantci_calibrates_with_platts_targets():
    # every screened record scored 0.5: the calibrated probability is the mean of Platt's
    # targets, (2 * 3/4 + 8 * 1/10) / 10 = 0.23 with 2 relevant (target (2+1)/(2+2)) and 8 not
    # (target 1/(8+2)); five unscreened scored 0.5 then hold 5 * 0.23 = 1.15 relevant works.
    screened = [True, True] + [False] * 8
    verdict = by_rule(
        verdicts(screened, 15, scores_unscreened=[0.5] * 5, scores_screened=[0.5] * 10)
    )["quantci"]
    assert verdict.remaining_estimate is not None
    assert abs(verdict.remaining_estimate - 1.15) < 1e-4


def test_quantci_says_why_it_cannot_judge():
    no_scores = by_rule(verdicts([True, False], 10))["quantci"]
    assert not no_scores.stop and "no model scores" in no_scores.detail
    raw = by_rule(verdicts([True, False], 4, scores_unscreened=[2.5, -1.0]))["quantci"]
    assert not raw.stop and "not probabilities" in raw.detail
    one_class = by_rule(
        verdicts([True, True], 4, scores_unscreened=[2.5, -1.0], scores_screened=[1.0, 2.0])
    )["quantci"]
    assert not one_class.stop and "cannot calibrate yet" in one_class.detail


def _small_order() -> tuple[list[bool], list[np.ndarray]]:
    """A 230-record order, relevant ones thinning out, with made-up model scores per step."""
    rng = np.random.default_rng(3)
    n = 230
    labels = (rng.random(n) < 0.6 * np.exp(-np.arange(n) / 40)).tolist()
    labels[0], labels[1] = True, False
    base = np.where(labels, 1.5, -1.0)
    snapshots = [base + rng.normal(0, 1.0, n) for _ in range(n + 1)]
    return labels, snapshots


def test_stop_points_agree_with_verdicts_step_by_step():
    labels, snapshots = _small_order()
    n = len(labels)
    for every in (1, 4):

        def scores_at(t: int) -> np.ndarray | None:
            return None if t < 2 else snapshots[t][t:]

        points = list(range(every, n + 1, every))
        if points[-1] != n:
            points.append(n)
        prequential = np.full(n, np.nan)  # each record's score at the last check before it
        for start, end in zip([0, *points], [*points, n], strict=True):
            scores = scores_at(start)
            if scores is not None:
                prequential[start:end] = scores[: end - start]
        first: dict[str, int | None] = dict.fromkeys(RULES)
        for t in points:
            now = scores_at(t)
            for verdict in verdicts(
                labels[:t], n, scores_unscreened=now, heuristic_n=30,
                scores_screened=None if now is None else prequential[:t],
            ):  # fmt: skip
                if verdict.stop and first[verdict.rule] is None:
                    first[verdict.rule] = t
        points_found = stop_points(labels, scores_at=scores_at, heuristic_n=30, every=every)
        assert points_found == first, every
        assert all(first[rule] is not None for rule in ("buscar", "quantci", "heuristic"))


def test_the_tracker_agrees_with_stop_points():
    labels, snapshots = _small_order()
    n = len(labels)
    tracker = StopTracker(n, heuristic_n=30)
    for t in range(n + 1):
        if t:
            tracker.add(labels[t - 1], snapshots[t - 1][t - 1] if t - 1 >= 2 else math.nan)
            tracker.check(snapshots[t][t:])
    expected = stop_points(
        labels, scores_at=lambda t: None if t < 2 else snapshots[t][t:], heuristic_n=30
    )
    assert tracker.first == expected


def test_stop_points_without_scores_leaves_quantci_out():
    points = stop_points([True] * 5 + [False] * 200)
    assert points["quantci"] is None
    assert points["heuristic"] == 55


def test_rank_prints_every_rule_and_buscars_p(built_db, db, add_work):
    from click.testing import CliRunner

    from evidensbase.cli import main

    relevant = [
        add_work(f"synthetic_st_on{n}", title=f"Karriereveiledning for flyktninger {n}")
        for n in range(6)
    ]
    other = [add_work(f"synthetic_st_off{n}", title=f"Lakseoppdrett {n}") for n in range(60)]
    for work in relevant[:4]:
        record_decision(db, work, 1, "include", reviewer="Anna")
    for work in other[:20]:
        record_decision(db, work, 1, "exclude", reviewer="Anna", criterion="not_relevant")
    db.close()
    ranked = CliRunner().invoke(main, ["rank", "--db", str(built_db), "--top", "2"])
    assert ranked.exit_code == 0, ranked.output
    out = ranked.output
    # 4 relevant then 20 irrelevant, 42 unscreened: H0 "recall < 95 %" needs 1 more relevant;
    # missing it in the 20 drawn from 62: C(61, 20) / C(62, 20) = 42 / 62 = 0.677
    assert "Screened 24, relevant 4, unscreened 42." in out
    assert "buscar (recommended): keep screening: p = 0.677 for 'recall below 95%'" in out
    assert "quantci: keep screening:" in out and "knee: keep screening:" in out
    assert "heuristic: keep screening: 20 irrelevant in a row (advises stopping at 50)" in out
    assert "Recommendation (buscar at 95% recall, 95% confidence): keep screening" in out
    assert "Relevant works estimated still unscreened:" in out
    # a lower target and confidence: 4 / 0.8 = 5, so H0 needs 2 more: C(60, 20) / C(62, 20)
    # = 42 * 41 / (62 * 61) = 0.455
    assert abs(math.comb(60, 20) / math.comb(62, 20) - 42 * 41 / (62 * 61)) < 1e-12
    lower = CliRunner().invoke(
        main, ["rank", "--db", str(built_db), "--recall-target", "0.8", "--confidence", "0.9"]
    )
    assert lower.exit_code == 0, lower.output
    assert "p = 0.455 for 'recall below 80%' (not below 0.10)" in lower.output
    assert "Recommendation (buscar at 80% recall, 90% confidence)" in lower.output
    refused = CliRunner().invoke(main, ["rank", "--db", str(built_db), "--confidence", "1.5"])
    assert refused.exit_code == 2 and "--confidence" in refused.output
