"""Side-by-side: evidensbase's ranking vs ASReview LAB 3.0.8 (ELAS u4) on three labelled reviews.

    .venv/bin/python bench/screening_compare.py [--seeds 1,2,3] [--only VARIANT|asreview]

Both use the same priors (one included + one excluded record, drawn as ``asreview simulate
--prior-seed SEED`` draws them), retrain after every label and are scored by the same metric code
(screening.simulate.metrics, priors left out; a last column counts the priors as screened
records, the convention the issue's reference figures follow). ASReview runs through its own
Simulate class with the default ELAS u4 cycle, exactly as its CLI builds it. A retrain-and-rerank
timing on the first 2,000 records of Nagtegaal 2019 is printed at the end.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screening.ranking import (  # noqa: E402
    QUEUE_CHAR_WEIGHT,
    QUEUE_TITLE_WEIGHT,
    RelevanceModel,
    extract_features,
)
from screening.simulate import (  # noqa: E402
    LabelledData,
    draw_priors,
    evidensbase_scorer,
    metrics,
    read_labelled_csv,
    run_simulation,
)

DATA = ROOT.parent / "shared" / "data" / "screening"
DATASETS = ["Cohen_2006_ADHD", "Kitchenham_2010", "Nagtegaal_2019"]
ASREVIEW_REFERENCE = {"Cohen_2006_ADHD": 0.676, "Kitchenham_2010": 0.671, "Nagtegaal_2019": 0.738}


def run_asreview(name: str, labels: np.ndarray, seed: int) -> tuple[list[int], float]:
    """ASReview's simulation of one seed; returns the screening order after the priors."""
    from asreview import load_dataset
    from asreview.learner import ActiveLearningCycle
    from asreview.models.models import get_ai_config
    from asreview.models.queriers import TopDown
    from asreview.models.stoppers import IsFittable
    from asreview.simulation.simulate import Simulate

    start = time.perf_counter()
    np.random.seed(seed)
    with load_dataset(DATA / f"{name}.csv", dataset_id=name) as db:
        asr_labels = np.asarray(db.input["included"])
        assert (asr_labels == labels).all(), "ASReview reads different labels"
        cycles = [
            ActiveLearningCycle(querier=TopDown(), stopper=IsFittable()),
            ActiveLearningCycle.from_meta(get_ai_config("elas_u4")["value"]),
        ]
        sim = Simulate(db.input.get_df(), db.input["included"], cycles, print_progress=False)
        included, excluded = draw_priors(labels, seed)
        sim.label([included])
        sim.label([excluded])
        sim.review()  # default stopper: the last relevant record
        seen = [int(r) for r in sim._results["record_id"].tolist()]
    order = seen[2:]
    order += [i for i in range(len(labels)) if i not in set(seen)]
    return order, time.perf_counter() - start


# Our variants: the default the simulate command uses (the word model: the same features and
# classifier as ELAS u4, so both code paths should agree), the first round's default (a title
# block x0.2) and the Nordic queue's setting. bench/screening_variants.py tries many more.
VARIANTS = {
    "ours": {},
    "ours-title0.2": {"title_weight": 0.2},
    "ours-queue": {"title_weight": QUEUE_TITLE_WEIGHT, "char_weight": QUEUE_CHAR_WEIGHT},
}


def run_ours(
    data: LabelledData, seed: int, variant: str = "ours"
) -> tuple[list[int], float, list[float]]:
    start = time.perf_counter()
    result = run_simulation(data.labels, evidensbase_scorer(data, **VARIANTS[variant]), seed)
    return result.order, time.perf_counter() - start, result.fit_seconds


def retrain_timing(
    data: LabelledData,
    n: int = 2000,
    repeats: int = 15,
    title_weight: float = 0.0,
    char_weight: float = 0.0,
) -> float:
    """Median seconds of one refit + rescoring of ``n`` records with ~100 labels."""
    labels = data.labels[:n]
    features = extract_features(
        data.texts[:n], data.titles[:n], title_weight=title_weight, char_weight=char_weight
    )
    model = RelevanceModel()
    rng = np.random.default_rng(0)
    positives = np.flatnonzero(labels == 1)
    negatives = np.flatnonzero(labels == 0)
    timings = []
    for _ in range(repeats):
        labelled = np.concatenate(
            [rng.choice(positives, 10, replace=False), rng.choice(negatives, 90, replace=False)]
        )
        t0 = time.perf_counter()
        scores = model.scores(features, labelled.tolist(), labels[labelled].tolist())
        assert scores is not None
        np.argsort(-scores)
        timings.append(time.perf_counter() - t0)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--only", choices=[*VARIANTS, "asreview"])
    parser.add_argument("--datasets", default=",".join(DATASETS))
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    rows = []
    for name in args.datasets.split(","):
        data = read_labelled_csv(DATA / f"{name}.csv")
        for tool in (*VARIANTS, "asreview"):
            if args.only and tool != args.only:
                continue
            per_seed = []
            for seed in seeds:
                if tool != "asreview":
                    order, seconds, _ = run_ours(data, seed, tool)
                else:
                    order, seconds = run_asreview(name, data.labels, seed)
                m = metrics(data.labels, order)
                counted = metrics(data.labels, [*draw_priors(data.labels, seed), *order])
                per_seed.append((m, seconds, counted.wss95))
                print(
                    f"{name:16} {tool:9} seed {seed}: WSS@95 {m.wss95:.3f} "
                    f"screened@95 {m.screened95:.3f} recall@10% {m.recall10:.3f} "
                    f"{seconds:.1f} s (WSS@95 with priors counted {counted.wss95:.3f})",
                    flush=True,
                )
            rows.append(
                (
                    name,
                    tool,
                    statistics.median(m.wss95 for m, _, _ in per_seed),
                    statistics.median(m.screened95 for m, _, _ in per_seed),
                    statistics.median(m.recall10 for m, _, _ in per_seed),
                    statistics.median(s for _, s, _ in per_seed),
                    statistics.median(w for _, _, w in per_seed),
                )
            )
    print()
    print(f"Median over seeds {args.seeds} (priors left out of the metrics)")
    print(
        "| dataset | model | WSS@95 | screened@95 | recall@10% | seconds/seed "
        "| WSS@95, priors counted |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, tool, wss, screened, recall, seconds, counted in rows:
        reference = f" (reference {ASREVIEW_REFERENCE[name]:.3f})" if tool == "asreview" else ""
        print(
            f"| {name} | {tool} | {wss:.3f} | {screened:.1%} | {recall:.1%} "
            f"| {seconds:.1f} | {counted:.3f}{reference} |"
        )
    nagtegaal = read_labelled_csv(DATA / "Nagtegaal_2019.csv")
    for label, title_weight, char_weight in (
        ("ours", 0.0, 0.0),
        ("ours-queue", QUEUE_TITLE_WEIGHT, QUEUE_CHAR_WEIGHT),
    ):
        seconds = retrain_timing(nagtegaal, title_weight=title_weight, char_weight=char_weight)
        print(f"retrain-and-rerank, {label}, 2,000 records, 100 labels: median {seconds:.3f} s")


if __name__ == "__main__":
    main()
