"""Replaying a labelled review through the ranking, the way ASReview's simulation does.

Per seed: one random included and one random excluded record are the prior knowledge (drawn the
way ``asreview simulate --n-prior-included 1 --n-prior-excluded 1 --prior-seed SEED`` draws them),
then the model is retrained after every label and the top-ranked unlabelled record is labelled next.
The simulation stops once 95 % recall and 10 % screened are both reached: the reported metrics need
nothing after that point. With ``stopping`` settings it goes on until every stopping rule of
screening.stopping has advised stopping (or all records are screened), checking the rules as it
goes, and reports for each rule where it would have stopped, the recall reached there and the work
saved. Those figures count the two priors as screened records (a reviewer screens them too):
recall is the share of all relevant records found, work saved the share of all records not
screened. QuantCI is calibrated on each record's score when it was picked (out-of-sample).

Metrics leave the two priors out (as asreview-insights does by default): N and the number of
relevant records are counted over the records after the priors.
"""

from __future__ import annotations

import csv
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sqlite_utils

from screening.ranking import (
    EmbeddingFusion,
    Features,
    RelevanceModel,
    extract_features,
    vector_features,
)
from screening.stopping import HEURISTIC_N, RULES, StopTracker

RECALL_TARGET = 0.95
EARLY_SHARE = 0.10

# (labelled indices, their labels) -> a score per record, or None when the model cannot fit yet
Scorer = Callable[[Sequence[int], Sequence[int]], "np.ndarray | None"]


class SimulationDataError(ValueError):
    """A labelled data file that cannot be simulated."""


@dataclass
class LabelledData:
    """A labelled review: one text and one 0/1 label per record."""

    path: Path
    texts: list[str]
    labels: np.ndarray
    titles: list[str]

    @property
    def name(self) -> str:
        return self.path.stem


@dataclass(frozen=True)
class StoppingSettings:
    """What the stopping rules are asked for in a simulation (screening.stopping's defaults)."""

    recall_target: float = 0.95
    confidence: float = 0.95
    heuristic_n: int = HEURISTIC_N
    every: int = 1  # check the rules after every ``every`` screened records


@dataclass(frozen=True)
class StopResult:
    """Where one rule would have stopped a simulated screening (priors counted as screened)."""

    rule: str
    screened: int | None  # records screened when the rule first advised stopping; None: never
    recall: float  # share of all relevant records found by then (1.0 if never: all screened)
    work_saved: float  # share of all records not screened by then (0.0 if never)

    def met(self, recall_target: float) -> bool:
        return self.recall >= recall_target - 1e-12


@dataclass
class SeedResult:
    seed: int
    priors: tuple[int, int]
    order: list[int]
    seconds: float
    fit_seconds: list[float]
    stops: dict[str, StopResult] = field(default_factory=dict)  # with stopping settings only


@dataclass
class Metrics:
    wss95: float
    screened95: float
    recall10: float


def read_labelled_csv(path: Path, label_column: str = "label_included") -> LabelledData:
    """Read title, abstract and the label column (0/1) of a labelled review CSV."""
    texts: list[str] = []
    titles: list[str] = []
    labels: list[int] = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        for needed in ("title", label_column):
            if needed not in columns:
                raise SimulationDataError(
                    f"{path}: no column {needed!r} (found: {', '.join(columns)})"
                )
        for line, row in enumerate(reader, start=2):
            raw = (row.get(label_column) or "").strip()
            if raw not in ("0", "1", "0.0", "1.0"):
                raise SimulationDataError(
                    f"{path}:{line}: {label_column} must be 0 or 1, found {raw!r}"
                )
            labels.append(int(float(raw)))
            texts.append(f"{row.get('title') or ''} {row.get('abstract') or ''}")
            titles.append(row.get("title") or "")
    array = np.asarray(labels)
    if array.sum() < 2 or (array == 0).sum() < 2:
        raise SimulationDataError(f"{path}: needs at least two included and two excluded records")
    return LabelledData(path=path, texts=texts, labels=array, titles=titles)


def draw_priors(labels: np.ndarray, seed: int) -> tuple[int, int]:
    """One included and one excluded record, drawn as ASReview's CLI draws them for ``seed``."""
    included = np.where(labels == 1)[0]
    excluded = np.where(labels == 0)[0]
    first = np.random.RandomState(seed).choice(included, 1, replace=False)[0]
    second = np.random.RandomState(seed).choice(excluded, 1, replace=False)[0]
    return int(first), int(second)


def run_simulation(
    labels: np.ndarray, scorer: Scorer, seed: int, *, stopping: StoppingSettings | None = None
) -> SeedResult:
    """Label the top-ranked record, retrain, repeat, until the metrics' end point is reached.

    With ``stopping``: go on until every stopping rule has advised stopping too.
    """
    start = time.perf_counter()
    priors = draw_priors(labels, seed)
    labelled = list(priors)
    n_after = len(labels) - len(priors)
    relevant_after = int(labels.sum()) - 1
    needed = math.ceil(RECALL_TARGET * relevant_after)
    early = math.ceil(EARLY_SHARE * n_after)
    pool = np.ones(len(labels), dtype=bool)
    pool[list(priors)] = False
    order: list[int] = []
    found = 0
    fits: list[float] = []
    tracker = None
    if stopping is not None:
        tracker = StopTracker(
            len(labels), recall_target=stopping.recall_target, confidence=stopping.confidence,
            heuristic_n=stopping.heuristic_n,
        )  # fmt: skip
        for prior in priors:
            tracker.add(bool(labels[prior]))
    while pool.any() and (
        found < needed or len(order) < early or (tracker is not None and not tracker.done)
    ):
        t0 = time.perf_counter()
        scores = scorer(labelled, labels[labelled].tolist())
        fits.append(time.perf_counter() - t0)
        candidates = np.flatnonzero(pool)
        if tracker is not None and stopping is not None and len(labelled) % stopping.every == 0:
            tracker.check(None if scores is None else scores[candidates])
        if scores is None:
            pick = int(candidates[0])
        else:
            pick = int(candidates[np.argmax(scores[candidates])])
        pool[pick] = False
        labelled.append(pick)
        order.append(pick)
        found += int(labels[pick])
        if tracker is not None:
            tracker.add(bool(labels[pick]), math.nan if scores is None else float(scores[pick]))
    if tracker is not None and not pool.any():
        tracker.check(np.empty(0))  # everything screened
    # unscreened records keep their dataset order after the stop; metrics never read that far
    order.extend(np.flatnonzero(pool).tolist())
    result = SeedResult(seed, priors, order, time.perf_counter() - start, fits)
    if tracker is not None:
        result.stops = stop_results(labels, list(priors) + order, tracker.first)
    return result


def stop_results(
    labels: np.ndarray, screened_order: Sequence[int], first: dict[str, int | None]
) -> dict[str, StopResult]:
    """Recall and work saved where each rule first advised stopping (``first``: count screened)."""
    hits = np.cumsum(labels[np.asarray(screened_order)])
    total, relevant = len(labels), int(labels.sum())
    results = {}
    for rule in RULES:
        at = first.get(rule)
        if at is None:
            results[rule] = StopResult(rule, None, 1.0, 0.0)
        else:
            results[rule] = StopResult(
                rule, at, float(hits[at - 1]) / relevant, (total - at) / total
            )
    return results


def metrics(labels: np.ndarray, order: Sequence[int]) -> Metrics:
    """WSS@95, share screened to reach 95 % recall, and recall after 10 % screened."""
    hits = np.cumsum(labels[np.asarray(order)])
    total = len(order)
    relevant = int(hits[-1])
    needed = math.ceil(RECALL_TARGET * relevant)
    screened = int(np.searchsorted(hits, needed) + 1)
    early = math.ceil(EARLY_SHARE * total)
    return Metrics(
        wss95=(total - screened) / total - (1 - RECALL_TARGET),
        screened95=screened / total,
        recall10=float(hits[early - 1]) / relevant,
    )


def evidensbase_scorer(data: LabelledData, **weights: float) -> Scorer:
    """Our ranking's model over ``data`` (features computed once, model refitted per call).

    ``weights``: title_weight / char_weight overriding screening.ranking's defaults.
    """
    features: Features = extract_features(data.texts, data.titles, **weights)
    model = RelevanceModel()

    def score(labelled: Sequence[int], labels: Sequence[int]) -> np.ndarray | None:
        return model.scores(features, labelled, labels)

    return score


def fusion_scorer_factory(
    db: sqlite_utils.Database,
) -> Callable[[LabelledData], Scorer]:
    """The live queue's ranking for simulations: the word model (simulate's default features),
    joined by the model on embeddings when CV on the labels favours it
    (screening.ranking.EmbeddingFusion); the vectors are stored in ``db`` and reused."""
    from db.embeddings import text_vectors

    def factory(data: LabelledData) -> Scorer:
        features = extract_features(data.texts, data.titles)
        vectors, _ = text_vectors(db, data.texts)
        fusion = EmbeddingFusion()
        as_features = vector_features(vectors)

        def score(labelled: Sequence[int], labels: Sequence[int]) -> np.ndarray | None:
            return fusion.scores(features, as_features, labelled, labels)

        return score

    return factory


@dataclass
class DatasetSummary:
    name: str
    records: int
    relevant: int
    per_seed: list[tuple[int, Metrics, float]]
    stops: list[dict[str, StopResult]] = field(default_factory=list)  # per seed, when simulated
    recall_target: float = RECALL_TARGET

    def median(self, attribute: str) -> float:
        return statistics.median(getattr(m, attribute) for _, m, _ in self.per_seed)

    @property
    def median_seconds(self) -> float:
        return statistics.median(s for _, _, s in self.per_seed)

    def target_met(self, rule: str) -> tuple[int, int]:
        """(runs whose recall at the rule's stop met the recall target, runs)."""
        return sum(s[rule].met(self.recall_target) for s in self.stops), len(self.stops)

    def median_work_saved(self, rule: str) -> float:
        return statistics.median(s[rule].work_saved for s in self.stops)


def simulate_dataset(
    data: LabelledData,
    seeds: Sequence[int],
    scorer_factory: Callable[[LabelledData], Scorer],
    *,
    stopping: StoppingSettings | None = None,
) -> tuple[DatasetSummary, list[SeedResult]]:
    """Run every seed on one dataset and summarise the metrics (and the stopping rules)."""
    per_seed = []
    results = []
    for seed in seeds:
        scorer = scorer_factory(data)
        result = run_simulation(data.labels, scorer, seed, stopping=stopping)
        per_seed.append((seed, metrics(data.labels, result.order), result.seconds))
        results.append(result)
    summary = DatasetSummary(data.name, len(data.labels), int(data.labels.sum()), per_seed)
    if stopping is not None:
        summary.stops = [r.stops for r in results]
        summary.recall_target = stopping.recall_target
    return summary, results


def _stop_text(stop: StopResult) -> str:
    if stop.screened is None:
        return f"{stop.rule} never"
    return f"{stop.rule} at {stop.screened} (recall {stop.recall:.1%}, saved {stop.work_saved:.1%})"


def format_summary(summary: DatasetSummary) -> str:
    """One block of text per dataset: per-seed figures and the medians (and stopping rules)."""
    lines = [f"{summary.name}: {summary.records} records, {summary.relevant} relevant"]
    for number, (seed, m, seconds) in enumerate(summary.per_seed):
        lines.append(
            f"  seed {seed}: WSS@95 {m.wss95:.3f}  screened@95 {m.screened95:.1%}"
            f"  recall@10% {m.recall10:.1%}  ({seconds:.1f} s)"
        )
        if summary.stops:
            stops = summary.stops[number]
            lines.append("    stops: " + "; ".join(_stop_text(stops[r]) for r in RULES))
    lines.append(
        f"  median: WSS@95 {summary.median('wss95'):.3f}"
        f"  screened@95 {summary.median('screened95'):.1%}"
        f"  recall@10% {summary.median('recall10'):.1%}"
    )
    if summary.stops:
        parts = []
        for rule in RULES:
            met, runs = summary.target_met(rule)
            never = sum(s[rule].screened is None for s in summary.stops)
            parts.append(
                f"{rule} {met}/{runs}"
                + (f", {never} never stopped" if never else "")
                + f" (median saved {summary.median_work_saved(rule):.1%})"
            )
        lines.append(f"  recall {summary.recall_target:.0%} met at the stop: " + "; ".join(parts))
    return "\n".join(lines)
