"""Every candidate default model for `evidensbase simulate`, on all three labelled reviews.

    .venv/bin/python bench/screening_variants.py [--seeds 1,2,3] [--only NAME,NAME] [--jobs 2]

Each candidate runs through the same simulation (screening.simulate.run_simulation: same priors,
retrain after every label) and the same metric code (screening.simulate.metrics, priors left
out) as bench/screening_compare.py. The candidate "words" is the ELAS u4 model re-implemented
(TF-IDF word 1-2-grams, sublinear tf, max_df 0.95; LinearSVC C=0.11; class weights ratio 9.8);
screening_compare.py shows that it gives ASReview 3.0.8's figures to the third decimal on every
dataset and seed, so it stands in for ASReview here and is the bar every candidate must clear.

Candidates are standard, explainable choices (no constant fitted to these three datasets):
block weights 0 / 1 only, classifier defaults, and rank averaging, which needs no calibration.
The table printed at the end is the one in bench/screening_results.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.stats import rankdata
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.svm import LinearSVC

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screening.simulate import (  # noqa: E402
    LabelledData,
    Scorer,
    evidensbase_scorer,
    metrics,
    read_labelled_csv,
    run_simulation,
)

DATA = ROOT.parent / "shared" / "data" / "screening"
# all ten labelled reviews (../shared/data/screening/SOURCE.md)
DATASETS = sorted(p.stem for p in DATA.glob("*.csv"))


def tfidf(texts: Sequence[str], *, ngrams: tuple[int, int] = (1, 2), sublinear: bool = True):
    vectorizer = TfidfVectorizer(ngram_range=ngrams, sublinear_tf=sublinear, max_df=0.95, min_df=1)
    return vectorizer.fit_transform(texts)


def stack(*blocks: sp.spmatrix) -> sp.csr_matrix:
    """l2-normalised blocks side by side, scaled to the norm of one block."""
    return sp.csr_matrix(sp.hstack(blocks).tocsr() / np.sqrt(len(blocks)))


def balanced_weights(y: np.ndarray, ratio: float) -> np.ndarray:
    """ELAS's balancer: relevant records together weigh ``ratio`` x the irrelevant ones."""
    weights = np.where(y == 1, 1.0, y.sum() / (ratio * (y == 0).sum()))
    return weights * (len(y) / weights.sum())


Fit = Callable[[sp.csr_matrix, np.ndarray], np.ndarray]  # (train X, y) -> weights fn


def svm(c: float = 0.11, ratio: float = 9.8) -> Callable:
    def scores(x: sp.csr_matrix, rows: np.ndarray, y: np.ndarray) -> np.ndarray:
        model = LinearSVC(C=c)
        model.fit(x[rows], y, sample_weight=balanced_weights(y, ratio))
        return np.asarray(model.decision_function(x))

    return scores


def svm_class_balanced(c: float = 0.11) -> Callable:
    def scores(x: sp.csr_matrix, rows: np.ndarray, y: np.ndarray) -> np.ndarray:
        model = LinearSVC(C=c, class_weight="balanced")
        model.fit(x[rows], y)
        return np.asarray(model.decision_function(x))

    return scores


def logistic(c: float = 1.0, ratio: float = 9.8) -> Callable:
    def scores(x: sp.csr_matrix, rows: np.ndarray, y: np.ndarray) -> np.ndarray:
        model = LogisticRegression(C=c, solver="liblinear")
        model.fit(x[rows], y, sample_weight=balanced_weights(y, ratio))
        return np.asarray(model.decision_function(x))

    return scores


def naive_bayes(alpha: float = 3.822) -> Callable:
    # ASReview's earlier default (v1 "nb" with TF-IDF, alpha 3.822)
    def scores(x: sp.csr_matrix, rows: np.ndarray, y: np.ndarray) -> np.ndarray:
        model = MultinomialNB(alpha=alpha)
        model.fit(x[rows], y, sample_weight=balanced_weights(y, 9.8))
        return np.asarray(model.predict_log_proba(x)[:, 1])

    return scores


def calibrated(c: float = 0.11, ratio: float = 9.8) -> Callable:
    """The ELAS SVM with probabilities from CalibratedClassifierCV (sigmoid, 3 folds); plain
    decision values while a class has fewer than 3 labels (the folds need one of each)."""
    plain = svm(c, ratio)

    def scores(x: sp.csr_matrix, rows: np.ndarray, y: np.ndarray) -> np.ndarray:
        if min(int(y.sum()), int((y == 0).sum())) < 3:
            return plain(x, rows, y)
        model = CalibratedClassifierCV(LinearSVC(C=c), method="sigmoid", cv=3)
        model.fit(x[rows], y, sample_weight=balanced_weights(y, ratio))
        return np.asarray(model.predict_proba(x)[:, 1])

    return scores


def switch(
    first: Callable[[LabelledData], Scorer],
    tail: Callable[[LabelledData], Scorer],
    share: float = 0.10,
) -> Callable[[LabelledData], Scorer]:
    """SAFE-like: ``first`` ranks until ``share`` of the records are labelled, then ``tail``."""

    def factory(data: LabelledData) -> Scorer:
        early, late = first(data), tail(data)
        limit = share * len(data.labels)

        def score(labelled: Sequence[int], labels: Sequence[int]) -> np.ndarray | None:
            return (early if len(labelled) < limit else late)(labelled, labels)

        return score

    return factory


def single(features: Callable[[LabelledData], sp.csr_matrix], learner: Callable):
    def factory(data: LabelledData) -> Scorer:
        x = features(data)

        def score(labelled: Sequence[int], labels: Sequence[int]) -> np.ndarray | None:
            y = np.asarray(labels)
            if len(set(y.tolist())) < 2:
                return None
            return learner(x, np.asarray(labelled), y)

        return score

    return factory


def _averaged(
    members: tuple[tuple[Callable[[LabelledData], sp.csr_matrix], Callable], ...],
    normalise: Callable[[np.ndarray], np.ndarray],
):
    """A scorer that averages its members' scores, each put on a common scale first."""

    def factory(data: LabelledData) -> Scorer:
        xs = [(features(data), learner) for features, learner in members]

        def score(labelled: Sequence[int], labels: Sequence[int]) -> np.ndarray | None:
            y = np.asarray(labels)
            if len(set(y.tolist())) < 2:
                return None
            rows = np.asarray(labelled)
            return np.mean([normalise(learner(x, rows, y)) for x, learner in xs], axis=0)

        return score

    return factory


def rank_average(*members: tuple[Callable[[LabelledData], sp.csr_matrix], Callable]):
    """Average of each member's rank of every record (ties share a rank): needs no calibration."""
    return _averaged(members, rankdata)


def zscore_average(*members: tuple[Callable[[LabelledData], sp.csr_matrix], Callable]):
    """Average of each member's standardised score over all records."""
    return _averaged(members, lambda s: (s - s.mean()) / (s.std() or 1.0))


def words(data: LabelledData) -> sp.csr_matrix:
    return tfidf(data.texts)


def unigrams(data: LabelledData) -> sp.csr_matrix:
    return tfidf(data.texts, ngrams=(1, 1))


def words_raw_tf(data: LabelledData) -> sp.csr_matrix:
    return tfidf(data.texts, sublinear=False)


def title_only(data: LabelledData) -> sp.csr_matrix:
    return tfidf(data.titles)


def words_and_title(data: LabelledData) -> sp.csr_matrix:
    return stack(tfidf(data.texts), tfidf(data.titles))


def words_and_chars(data: LabelledData) -> sp.csr_matrix:
    chars = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, max_df=0.95, min_df=2
    ).fit_transform(data.texts)
    return stack(tfidf(data.texts), chars)


RESULTS = ROOT / "bench" / "results" / "variants"  # per candidate: {dataset|seed: [wss, fit]}
EMBEDDINGS = ROOT / "bench" / "results" / "embeddings"


def embedded(data: LabelledData) -> np.ndarray:
    """screening.embeddings' vectors of every record, computed once per dataset and kept on disk."""
    from screening.embeddings import MODEL, embed

    path = EMBEDDINGS / f"{data.name}.{MODEL.replace('/', '_')}.npy"
    if path.exists():
        vectors = np.load(path)
        if len(vectors) == len(data.texts):
            return vectors
    vectors = embed(data.texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def words_and_embeddings(data: LabelledData) -> sp.csr_matrix:
    return stack(tfidf(data.texts), sp.csr_matrix(embedded(data)))


def library(**weights: float) -> Callable[[LabelledData], Scorer]:
    def factory(data: LabelledData) -> Scorer:
        return evidensbase_scorer(data, **weights)

    return factory


CANDIDATES: dict[str, tuple[str, Callable[[LabelledData], Scorer]]] = {
    "words": (
        "ELAS u4 re-implemented: word 1-2-grams, SVM C 0.11, ratio 9.8",
        single(words, svm()),
    ),
    "library-default": ("screening.simulate's default as committed", library()),
    "title0.2": (
        "words + title block x0.2 in one SVM (issue 5 default)",
        library(title_weight=0.2),
    ),
    "title1": ("words + title block x1 in one SVM", single(words_and_title, svm())),
    "unigrams": ("word 1-grams only, SVM", single(unigrams, svm())),
    "raw-tf": ("word 1-2-grams without sublinear tf, SVM", single(words_raw_tf, svm())),
    "svm-balanced": (
        "words, SVM with class_weight='balanced' (ratio 1)",
        single(words, svm_class_balanced()),
    ),
    "svm-C1": ("words, SVM C 1 (sklearn default)", single(words, svm(c=1.0))),
    "logistic": ("words, logistic regression C 1, ratio 9.8", single(words, logistic())),
    "nb": ("words, multinomial naive Bayes (ASReview v1 default)", single(words, naive_bayes())),
    "chars": (
        "words + char 3-5-grams in one SVM (Nordic queue features)",
        single(words_and_chars, svm()),
    ),
    "rank:words+title": (
        "rank average: SVM on words, SVM on titles",
        rank_average((words, svm()), (title_only, svm())),
    ),
    "z:words+title": (
        "z-score average: SVM on words, SVM on titles",
        zscore_average((words, svm()), (title_only, svm())),
    ),
    "rank:svm+logistic": (
        "rank average: SVM and logistic regression, both on words",
        rank_average((words, svm()), (words, logistic())),
    ),
    "rank:svm+nb": (
        "rank average: SVM and naive Bayes, both on words",
        rank_average((words, svm()), (words, naive_bayes())),
    ),
    "rank:words+title1": (
        "rank average: SVM on words, SVM on words + title x1",
        rank_average((words, svm()), (words_and_title, svm())),
    ),
    "rank:words+chars": (
        "rank average: SVM on words, SVM on words + char n-grams",
        rank_average((words, svm()), (words_and_chars, svm())),
    ),
}


CANDIDATES.update(
    {
        "calibrated": (
            "words, SVM calibrated (CalibratedClassifierCV sigmoid, 3 folds)",
            single(words, calibrated()),
        ),
        "rank:svm+nb+chars": (
            "rank average: SVM on words, naive Bayes on words, SVM on words + char n-grams",
            rank_average((words, svm()), (words, naive_bayes()), (words_and_chars, svm())),
        ),
        "switch:svm+nb-words": (
            "rank:svm+nb for the first 10 % screened, then words",
            switch(rank_average((words, svm()), (words, naive_bayes())), single(words, svm())),
        ),
        "switch:chars-words": (
            "rank:words+chars for the first 10 % screened, then words",
            switch(rank_average((words, svm()), (words_and_chars, svm())), single(words, svm())),
        ),
        "switch:title1-words": (
            "rank:words+title1 for the first 10 % screened, then words",
            switch(rank_average((words, svm()), (words_and_title, svm())), single(words, svm())),
        ),
        "switch:words-svm+nb": (
            "words for the first 10 % screened, then rank:svm+nb",
            switch(single(words, svm()), rank_average((words, svm()), (words, naive_bayes()))),
        ),
    }
)


CANDIDATES.update(
    {
        "emb": ("SVM on WordLlama embeddings alone", single(embedded, svm())),
        "words+emb": (
            "words + embeddings side by side in one SVM",
            single(words_and_embeddings, svm()),
        ),
        "rank:words+emb": (
            "rank average: SVM on words, SVM on embeddings",
            rank_average((words, svm()), (embedded, svm())),
        ),
        "switch:emb-words": (
            "rank:words+emb for the first 10 % screened, then words",
            switch(rank_average((words, svm()), (embedded, svm())), single(words, svm())),
        ),
        "switch:words+emb-words": (
            "words + embeddings in one SVM for the first 10 % screened, then words",
            switch(single(words_and_embeddings, svm()), single(words, svm())),
        ),
    }
)


def fusion(**settings: float | bool) -> Callable[[LabelledData], Scorer]:
    """screening.ranking.EmbeddingFusion as the live queue runs it, with these settings: words,
    joined by rank:words+emb while 3-fold CV on the labelled records favours it."""
    from screening.ranking import EmbeddingFusion, Features, vector_features

    def factory(data: LabelledData) -> Scorer:
        word_features = Features(words(data), np.asarray([], dtype=object))
        vectors = vector_features(embedded(data))
        chooser = EmbeddingFusion(**settings)  # type: ignore[arg-type]

        def score(labelled: Sequence[int], labels: Sequence[int]) -> np.ndarray | None:
            return chooser.scores(word_features, vectors, labelled, labels)

        return score

    return factory


CANDIDATES["cv:words|words+emb"] = (
    "every 25 labels, 3-fold CV picks words or rank:words+emb (higher held-out AP)",
    fusion(margin=0.0, unanimous=False),
)
CANDIDATES["cv-strict:words|words+emb"] = (
    "as cv:words|words+emb, but rank:words+emb only when it wins every fold by 0.05 AP on average",
    fusion(),  # screening.ranking.EmbeddingFusion's defaults
)


def job(args: tuple[str, str, int]) -> tuple[str, str, int, float, float, float, float]:
    name, dataset, seed = args
    data = read_labelled_csv(DATA / f"{dataset}.csv")
    start = time.perf_counter()
    result = run_simulation(data.labels, CANDIDATES[name][1](data), seed)
    m = metrics(data.labels, result.order)
    fit = statistics.median(result.fit_seconds)
    return name, dataset, seed, m.wss95, m.recall10, time.perf_counter() - start, fit


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--only", default=",".join(CANDIDATES))
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    names = args.only.split(",")
    if names[0] != "words":
        names = ["words", *[n for n in names if n != "words"]]  # the bar runs first
    print(f"Median over seeds {args.seeds}, priors left out; bar: ELAS u4 (= words)")
    short = [d.replace("Cohen_2006_", "") for d in DATASETS]
    print(
        f"| candidate | what | {' | '.join(short)} | mean (diff) | worst diff | refit (median s) |"
    )
    print("|---|---|" + "---|" * (len(DATASETS) + 3), flush=True)
    bar: dict[str, float] = {}
    with Pool(args.jobs) as pool:
        for name in names:
            cache = RESULTS / f"{name.replace('/', '_')}.json"
            done = json.loads(cache.read_text()) if cache.exists() else {}
            work = [(name, d, s) for d in DATASETS for s in seeds if f"{d}|{s}" not in done]
            for _, d, s, w, _, _, f in pool.map(job, work, chunksize=1):
                done[f"{d}|{s}"] = (w, f)
            RESULTS.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps(done))
            by = {(d, s): tuple(done[f"{d}|{s}"]) for d in DATASETS for s in seeds}
            cells, diffs, means, fits = [], [], [], []
            for d in DATASETS:
                wss = statistics.median(by[(d, s)][0] for s in seeds)
                fits += [by[(d, s)][1] for s in seeds]
                bar.setdefault(d, wss)  # "words" runs first: ELAS u4 on these seeds
                means.append(wss)
                diffs.append(wss - bar[d])
                cells.append(f"{wss:.3f} ({wss - bar[d]:+.3f})")
            print(
                f"| {name} | {CANDIDATES[name][0]} | {' | '.join(cells)} | "
                f"{statistics.mean(means):.3f} ({statistics.mean(diffs):+.3f}) | {min(diffs):+.3f} "
                f"| {statistics.median(fits):.4f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
