"""Stopping rules for ranked screening: may the reviewer stop, how many relevant works remain?

Nothing here stops screening: every rule *advises*, and the reviewer decides. Four rules
(``RULES``), each evaluated after every screened record by ``verdicts`` (one moment) or
``stop_points`` (a complete screening order, vectorised for simulations and benchmarks):

``buscar``
    Callaghan & Müller-Hansen (2020), "Statistical stopping criteria for automated screening in
    systematic reviews", Syst Rev 9:273. H0: "recall is still below the target τ". With ``r``
    relevant found among ``n`` screened and ``U`` unscreened, H0 needs at least
    ``K = floor(r / τ) + 1 - r`` relevant works among the unscreened. Each trailing window of the
    last ``s`` screened records (``k`` relevant in it) is treated as a random sample drawn without
    replacement from the window plus the unscreened records, an urn holding ``k + K`` relevant
    works under H0; the p-value of the window is the hypergeometric ``P(X <= k)``
    (``scipy.stats.hypergeom.cdf(k, U + s, K + k, s)``) and the test's p-value is the smallest
    over all windows ``s = 1..n``. When ``K > U`` the target cannot be missed any more and p = 0.
    The rule advises stopping when ``p < 1 - confidence``. The minimum is computed exactly but
    only over the longest window holding each count of relevant works (``r + 1`` windows, not
    ``n``): adding an irrelevant record to a window adds a non-relevant ball to the urn and one
    draw, which can only lower ``P(X <= k)``, so within a run of equal ``k`` the longest window
    gives the smallest p. ``remaining_estimate`` is the test inverted: the largest number of
    relevant works still unscreened that the test cannot reject at ``confidence`` (an upper
    bound, not a mean).
``quantci``
    After Yang, Lewis & Frieder (2021), "Heuristic stopping rules for technology-assisted review",
    DocEng '21 (the Quant rule with a confidence interval). The model's scores for the unscreened
    records are turned into probabilities ``p_i`` by Platt scaling: a logistic regression of the
    label on the score with Platt's prior-corrected targets ``(N+ + 1)/(N+ + 2)`` and
    ``1/(N- + 2)``, fitted practically unpenalised (C = 1e10) by scikit-learn's
    LogisticRegression, on *out-of-sample* scores of the screened records: the score each record
    had before the model was trained on it (``scores_screened``; in a simulation, its score when
    it was picked). Without ``scores_screened`` the scores must already be probabilities in
    [0, 1] and are used as they are. Remaining relevant works: ``R = sum p_i`` over the
    unscreened, variance ``V = sum p_i (1 - p_i)`` (independent Bernoulli trials); the upper bound
    ``R + z sqrt(V)``, ``z`` the one-sided normal quantile of ``confidence``, gives a lower bound
    on recall ``r / (r + R + z sqrt(V))``, and the rule advises stopping when that bound reaches
    the target. This differs from Yang et al., who sum the model's probabilities over the reviewed
    documents too and use the delta method with two standard deviations: here the reviewed
    documents' labels are known, so they carry no variance.
``knee``
    Cormack & Grossman (2016), "Engineering quality and reliability in technology-assisted review",
    SIGIR '16, the knee method. On the gain curve (screened, relevant found) the knee is the point
    with the greatest distance above the straight line from the origin to the current point. The
    slope ratio is ``(r_knee / knee) / ((r - r_knee + 1) / (n - knee))`` (their +1 keeps it finite
    after a run of irrelevant records); the rule advises stopping when at least 150 records are
    screened and the ratio is at least ``156 - min(r, 150)`` (6 once 150 relevant are found, higher
    before: their adjustment for reviews with few relevant works).
``heuristic``
    ASReview's rule of thumb: stop after ``heuristic_n`` (default 50) irrelevant records in a row.

The recommended default (``RECOMMENDED``) is buscar at 95 % recall and 95 % confidence: the only one
of the four whose guarantee holds whatever the ranking did.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import beta, hypergeom, norm

# inputs: plain sequences or numpy arrays
Floats = Sequence[float] | np.ndarray
Flags = Sequence[bool] | Sequence[int] | np.ndarray

RULES = ("buscar", "quantci", "knee", "heuristic")
RECOMMENDED = "buscar"
KNEE_MIN_SCREENED = 150
HEURISTIC_N = 50


@dataclass(frozen=True)
class Verdict:
    """One rule's advice at one moment of screening."""

    rule: str  # one of RULES
    stop: bool  # the rule advises stopping now
    detail: str  # one line for people, English (the portal translates by rule + figures)
    p_value: float | None = None  # buscar: p for H0 "recall < target"
    remaining_estimate: float | None = None  # relevant works estimated still unscreened
    figures: dict[str, float] = field(default_factory=dict, compare=False, hash=False)


# --- buscar ---------------------------------------------------------------------------------


def missing_for_h0(found: int, recall_target: float) -> int:
    """The fewest relevant works still unscreened that would put recall below ``recall_target``.

    recall = found / (found + m) < τ  ⇔  m > found / τ - found; a small tolerance keeps
    19 / 0.95 = 20 (not 19.999…) so that exactly reaching the target is not "below" it.
    """
    return math.floor(found / recall_target - found + 1e-9) + 1


def _buscar_windows(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(k, s): per count k of relevant works, the longest trailing window holding exactly k."""
    n = len(labels)
    positions = np.flatnonzero(labels)
    found = len(positions)
    k = np.arange(found + 1)
    # the window with k relevant ends just after the (k+1)-th relevant counted from the end
    size = np.empty(found + 1, dtype=np.int64)
    size[:found] = n - 1 - positions[::-1]
    size[found] = n
    keep = size > 0
    return k[keep], size[keep]


def buscar_p_value(sequence: Flags, unscreened: int, recall_target: float) -> float:
    """buscar's p for H0 "recall < recall_target" (see the module docstring); 1.0 with no data."""
    labels = np.asarray(sequence, dtype=bool)
    if len(labels) == 0:
        return 1.0
    missing = missing_for_h0(int(labels.sum()), recall_target)
    return _buscar_p(labels, unscreened, missing)


def _buscar_p(labels: np.ndarray, unscreened: int, missing: int) -> float:
    if missing > unscreened:
        return 0.0  # not enough records left to hide that many relevant works
    k, size = _buscar_windows(labels)
    if len(k) == 0:
        return 1.0
    p = hypergeom.cdf(k, unscreened + size, missing + k, size)
    return float(min(1.0, p.min()))


def buscar_remaining_bound(labels: np.ndarray, unscreened: int, confidence: float) -> int:
    """The most relevant works still unscreened that buscar's test cannot reject."""
    alpha = 1 - confidence
    low, high = 0, unscreened  # p(0) = 1 >= alpha; p decreases as the number missing grows
    if len(labels) == 0 or _buscar_p(labels, unscreened, high) >= alpha:
        return high
    while high - low > 1:
        middle = (low + high) // 2
        if _buscar_p(labels, unscreened, middle) >= alpha:
            low = middle
        else:
            high = middle
    return low


def _buscar_verdict(
    labels: np.ndarray, unscreened: int, recall_target: float, confidence: float
) -> Verdict:
    if len(labels) == 0:
        return Verdict("buscar", False, "nothing screened yet")
    found = int(labels.sum())
    p = buscar_p_value(labels, unscreened, recall_target)
    bound = buscar_remaining_bound(labels, unscreened, confidence)
    alpha = 1 - confidence
    stop = p < alpha
    detail = (
        f"p = {p:.3f} for 'recall below {recall_target:.0%}' "
        f"({'below' if stop else 'not below'} {alpha:.2f}); at most {bound} relevant "
        f"works unscreened at {confidence:.0%} confidence"
    )
    return Verdict(
        "buscar", stop, detail, p_value=p, remaining_estimate=float(bound),
        figures={"p": p, "alpha": alpha, "bound": bound, "found": found},
    )  # fmt: skip


# --- QuantCI --------------------------------------------------------------------------------


def platt_probabilities(
    train_scores: Floats, train_labels: Flags, scores: Floats
) -> np.ndarray | None:
    """Platt scaling of ``scores``, fitted on (score, label) pairs; None without both classes."""
    from sklearn.linear_model import LogisticRegression

    x = np.asarray(train_scores, dtype=float)
    y = np.asarray(train_labels, dtype=bool)
    keep = np.isfinite(x)
    x, y = x[keep], y[keep]
    positives, negatives = int(y.sum()), int((~y).sum())
    if positives == 0 or negatives == 0:
        return None
    # Platt's targets: each point counts as relevant with weight t and irrelevant with 1 - t
    target = np.where(y, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    features = np.concatenate([x, x])[:, None]
    classes = np.concatenate([np.ones(len(x)), np.zeros(len(x))])
    weights = np.concatenate([target, 1 - target])
    values = np.asarray(scores, dtype=float)
    if values.size == 0:
        return values
    model = LogisticRegression(C=1e10, solver="newton-cholesky", max_iter=100)  # ~unpenalised
    model.fit(features, classes, sample_weight=weights)
    return model.predict_proba(values[:, None])[:, 1]


def _quantci_verdict(
    labels: np.ndarray,
    scores_unscreened: Floats | None,
    scores_screened: Floats | None,
    recall_target: float,
    confidence: float,
) -> Verdict:
    found = int(labels.sum())
    if scores_unscreened is None:
        return Verdict("quantci", False, "no model scores for the unscreened records yet")
    scores = np.asarray(scores_unscreened, dtype=float)
    if scores_screened is not None:
        if len(scores_screened) != len(labels):
            raise ValueError("scores_screened needs one score per screened record")
        probabilities = platt_probabilities(scores_screened, labels, scores)
        if probabilities is None:
            return Verdict(
                "quantci", False, "cannot calibrate yet: needs relevant and irrelevant records"
            )
    elif scores.size and (scores.min() < 0 or scores.max() > 1):
        return Verdict(
            "quantci", False, "scores are not probabilities and nothing to calibrate them on"
        )
    else:
        probabilities = scores
    remaining = float(probabilities.sum())
    spread = math.sqrt(float((probabilities * (1 - probabilities)).sum()))
    upper = remaining + float(norm.ppf(confidence)) * spread
    recall_low = found / (found + upper) if found + upper > 0 else 1.0
    stop = found > 0 and recall_low >= recall_target
    detail = (
        f"{remaining:.1f} relevant works estimated unscreened (at most {upper:.1f} at "
        f"{confidence:.0%} confidence): recall at least {recall_low:.1%}, "
        f"target {recall_target:.0%}"
    )
    return Verdict(
        "quantci", stop, detail, remaining_estimate=remaining,
        figures={"remaining": remaining, "upper": upper, "recall_low": recall_low},
    )  # fmt: skip


# --- knee -----------------------------------------------------------------------------------


def knee_threshold(found):
    """The slope ratio the knee rule needs after ``found`` relevant records (an int or an array):
    156 - r, and 6 from 150 relevant on."""
    return 156 - np.minimum(found, 150)


def _knee_figures(hits: np.ndarray, t: int) -> tuple[int, float]:
    """(knee position, slope ratio) on the gain curve's first ``t`` points; (0, 0.0) if none."""
    found = int(hits[t - 1])
    i = np.arange(1, t + 1)
    distance = t * hits[:t] - found * i  # proportional to the distance above the line
    knee = int(np.argmax(distance)) + 1
    if distance[knee - 1] <= 0 or knee >= t:
        return 0, 0.0
    ratio = (hits[knee - 1] / knee) / ((found - hits[knee - 1] + 1) / (t - knee))
    return knee, float(ratio)


def _knee_verdict(labels: np.ndarray) -> Verdict:
    t = len(labels)
    found = int(labels.sum())
    if t == 0:
        return Verdict("knee", False, "nothing screened yet")
    knee, ratio = _knee_figures(np.cumsum(labels), t)
    needed = float(knee_threshold(found))
    stop = t >= KNEE_MIN_SCREENED and knee > 0 and ratio >= needed
    where = f"knee at {knee} screened, slope ratio {ratio:.1f}" if knee else "no knee yet"
    detail = f"{where} (needs at least {needed:g} and {KNEE_MIN_SCREENED} screened)"
    return Verdict("knee", stop, detail, figures={"knee": knee, "ratio": ratio, "needed": needed})


# --- heuristic ------------------------------------------------------------------------------


def _trailing_irrelevant(labels: np.ndarray) -> int:
    positions = np.flatnonzero(labels)
    return len(labels) if len(positions) == 0 else len(labels) - 1 - int(positions[-1])


def _heuristic_verdict(labels: np.ndarray, heuristic_n: int) -> Verdict:
    if len(labels) == 0:
        return Verdict("heuristic", False, "nothing screened yet")
    run = _trailing_irrelevant(labels)
    stop = run >= heuristic_n
    detail = f"{run} irrelevant in a row (advises stopping at {heuristic_n})"
    return Verdict("heuristic", stop, detail, figures={"run": run, "n": heuristic_n})


# --- the API --------------------------------------------------------------------------------


def verdicts(
    screened: Flags,
    n_total: int,
    *,
    scores_unscreened: Floats | None = None,
    recall_target: float = 0.95,
    confidence: float = 0.95,
    heuristic_n: int = HEURISTIC_N,
    scores_screened: Floats | None = None,
) -> list[Verdict]:
    """Each rule's advice now, in the order of ``RULES``.

    screened: labels in the order screened (True = relevant); n_total: all records incl.
    unscreened; scores_unscreened: the model's scores for the unscreened records (QuantCI needs
    them; without them its verdict is stop=False with detail saying why); scores_screened: the
    out-of-sample score of each screened record (the score it had before the model learnt its
    label), which QuantCI calibrates the scores on; without it ``scores_unscreened`` must be
    probabilities already.
    """
    labels = np.asarray(screened, dtype=bool)
    unscreened = n_total - len(labels)
    if unscreened < 0:
        raise ValueError(f"{len(labels)} screened but only {n_total} records in all")
    return [
        _buscar_verdict(labels, unscreened, recall_target, confidence),
        _quantci_verdict(labels, scores_unscreened, scores_screened, recall_target, confidence),
        _knee_verdict(labels),
        _heuristic_verdict(labels, heuristic_n),
    ]


def _first(points: np.ndarray, stops: np.ndarray) -> int | None:
    hit = np.flatnonzero(stops)
    return int(points[hit[0]]) if len(hit) else None


def _buscar_stops(
    labels: np.ndarray, points: np.ndarray, recall_target: float, confidence: float
) -> np.ndarray:
    """buscar's p < 1 - confidence at every point, in one hypergeometric call."""
    n_total = len(labels)
    hits = np.concatenate([[0], np.cumsum(labels)])
    positions = np.flatnonzero(labels)
    found = hits[points]
    missing = np.floor(found / recall_target - found + 1e-9).astype(np.int64) + 1
    unscreened = n_total - points
    counts = found + 1  # candidate windows per point: k = 0..found
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    group = np.repeat(np.arange(len(points)), counts)
    k = np.arange(counts.sum()) - offsets[group]
    t = points[group]
    r = found[group]
    inner = k < r
    last = positions[np.where(inner, r - 1 - k, 0)] if len(positions) else np.zeros_like(k)
    size = np.where(inner, t - 1 - last, t)
    population = unscreened[group] + size
    successes = missing[group] + k
    valid = (size > 0) & (successes <= population)
    p = np.ones(len(k))
    p[valid] = hypergeom.cdf(k[valid], population[valid], successes[valid], size[valid])
    smallest = np.minimum.reduceat(p, offsets)
    smallest[missing > unscreened] = 0.0
    return smallest < 1 - confidence


def _buscar_first(
    labels: np.ndarray, points: np.ndarray, recall_target: float, confidence: float
) -> int | None:
    """The first point where buscar advises stopping: blocks of points, the first hit ends it."""
    block = 128
    for start in range(0, len(points), block):
        chosen = points[start : start + block]
        first = _first(chosen, _buscar_stops(labels, chosen, recall_target, confidence))
        if first is not None:
            return first
    return None


def _knee_stops(labels: np.ndarray, points: np.ndarray, block: int = 256) -> np.ndarray:
    """The knee rule at every point, a block of points at a time (numpy, no per-point loop)."""
    hits = np.cumsum(labels).astype(np.float64)
    stops = np.zeros(len(points), dtype=bool)
    candidates = np.flatnonzero(points >= KNEE_MIN_SCREENED)
    for start in range(0, len(candidates), block):
        chosen = candidates[start : start + block]
        t = points[chosen].astype(np.float64)
        width = int(t.max())
        i = np.arange(1, width + 1, dtype=np.float64)
        found = hits[(t - 1).astype(np.int64)]
        distance = t[:, None] * hits[None, :width] - found[:, None] * i[None, :]
        distance[i[None, :] > t[:, None]] = -np.inf
        knee_index = np.argmax(distance, axis=1)
        best = distance[np.arange(len(t)), knee_index]
        knee = knee_index + 1.0
        at_knee = hits[knee_index]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = (at_knee / knee) / ((found - at_knee + 1) / (t - knee))
        ok = (best > 0) & (knee < t)
        stops[chosen] = ok & (ratio >= knee_threshold(found))
    return stops


def _heuristic_stops(labels: np.ndarray, points: np.ndarray, heuristic_n: int) -> np.ndarray:
    index = np.arange(len(labels))
    last_relevant = np.maximum.accumulate(np.where(labels, index, -1))
    run = points - 1 - last_relevant[points - 1]
    return run >= heuristic_n


def stop_points(
    order_labels: Flags,
    *,
    scores_at: Callable[[int], Floats | None] | None = None,
    recall_target: float = 0.95,
    confidence: float = 0.95,
    heuristic_n: int = HEURISTIC_N,
    every: int = 1,
) -> dict[str, int | None]:
    """For a complete screening order, the number screened when each rule first advises stopping.

    None: the rule never advised stopping. Rules are checked after ``every``, ``2 * every``, …
    records and after the last one. ``scores_at(t)``: the model's scores, after ``t`` records are
    screened, for the records not yet screened, in the order they are screened next (aligned with
    ``order_labels[t:]``), or None when the model cannot score yet. QuantCI is then calibrated on
    each screened record's score from the last check before it was screened (``scores_at(0)``
    included), which is out-of-sample; without ``scores_at`` QuantCI is never evaluated (None).
    The result equals calling ``verdicts`` at each check point (see the tests).
    """
    labels = np.asarray(order_labels, dtype=bool)
    n = len(labels)
    if n == 0:
        return dict.fromkeys(RULES)
    if every < 1:
        raise ValueError("every must be at least 1")
    points = np.arange(every, n + 1, every)
    if points[-1] != n:
        points = np.append(points, n)
    result: dict[str, int | None] = {
        "buscar": _buscar_first(labels, points, recall_target, confidence),
        "quantci": None,
        "knee": _first(points, _knee_stops(labels, points)),
        "heuristic": _first(points, _heuristic_stops(labels, points, heuristic_n)),
    }
    if scores_at is not None:
        result["quantci"] = _quantci_first(labels, points, scores_at, recall_target, confidence)
    return result


def _quantci_first(
    labels: np.ndarray,
    points: np.ndarray,
    scores_at: Callable[[int], Floats | None],
    recall_target: float,
    confidence: float,
) -> int | None:
    n = len(labels)
    prequential = np.full(n, np.nan)  # each record's score before the model saw its label

    def remember(t: int, scores: Floats | None, until: int) -> None:
        if scores is not None:
            prequential[t:until] = np.asarray(scores, dtype=float)[: until - t]

    remember(0, scores_at(0), int(points[0]))
    for t in points.tolist():
        scores = scores_at(t)
        verdict = _quantci_verdict(
            labels[:t], scores, prequential[:t], recall_target, confidence
        ) if scores is not None else None  # fmt: skip
        if verdict is not None and verdict.stop:
            return t
        following = points[points > t]
        remember(t, scores, int(following[0]) if len(following) else n)
    return None


# --- the window estimate shown beside the rules ---------------------------------------------


@dataclass
class StoppingEstimate:
    """The aid's figures; ``p_value`` small means "recall target very likely reached"."""

    screened: int
    relevant_found: int
    unscreened: int
    window: int
    relevant_in_window: int
    remaining_estimate: float
    remaining_low: float
    remaining_high: float
    recall_target: float
    p_value: float | None
    confidence: float = 0.95

    def describe(self) -> str:
        if self.screened == 0:
            return f"Nothing screened yet; {self.unscreened} works in the queue."
        lines = [
            f"Screened {self.screened}, relevant {self.relevant_found}, "
            f"unscreened {self.unscreened}.",
            f"Relevant works estimated still unscreened: {self.remaining_estimate:.1f} "
            f"({self.confidence:.0%} interval {self.remaining_low:.1f}–"
            f"{self.remaining_high:.1f}), from "
            f"{self.relevant_in_window} relevant in the last {self.window} screened.",
        ]
        if self.p_value is not None:
            lines.append(
                f"Test of 'recall below {self.recall_target:.0%}': p = {self.p_value:.3f} "
                + (
                    "(below 0.05: stopping would be defensible; the decision is yours)."
                    if self.p_value < 0.05
                    else "(keep screening to be confident of the target)."
                )
            )
        return "\n".join(lines)


def estimate_remaining(
    sequence: Sequence[int],
    unscreened: int,
    recall_target: float = 0.95,
    window: int = 50,
    confidence: float = 0.95,
) -> StoppingEstimate:
    """From the 0/1 relevance of screened works in screening order and the number unscreened.

    The most recent window (at least ``window``, at least a tenth of those screened) is a sample
    whose share of relevant works bounds the rest from above (the ranking puts likelier works
    first); Jeffreys interval at ``confidence``. ``p_value`` is buscar's.
    """
    tail = (1 - confidence) / 2
    n = len(sequence)
    found = int(sum(sequence))
    k = min(n, max(window, n // 10))
    recent = int(sum(sequence[n - k :])) if k else 0
    if k == 0:
        return StoppingEstimate(
            0, 0, unscreened, 0, 0, 0.0, 0.0, 0.0, recall_target, None, confidence
        )
    low_rate = beta.ppf(tail, recent + 0.5, k - recent + 0.5) if recent > 0 else 0.0
    high_rate = beta.ppf(1 - tail, recent + 0.5, k - recent + 0.5)
    rate = (recent + 0.5) / (k + 1)
    return StoppingEstimate(
        screened=n,
        relevant_found=found,
        unscreened=unscreened,
        window=k,
        relevant_in_window=recent,
        remaining_estimate=rate * unscreened,
        remaining_low=float(low_rate) * unscreened,
        remaining_high=float(high_rate) * unscreened,
        recall_target=recall_target,
        p_value=buscar_p_value(sequence, unscreened, recall_target) if found else None,
        confidence=confidence,
    )


@dataclass
class StoppingAid:
    """What ``rank`` and the queue page show: the window estimate and each rule's verdict."""

    estimate: StoppingEstimate
    verdicts: list[Verdict]
    recall_target: float
    confidence: float

    @property
    def screened(self) -> int:
        return self.estimate.screened

    @property
    def relevant_found(self) -> int:
        return self.estimate.relevant_found

    @property
    def unscreened(self) -> int:
        return self.estimate.unscreened

    @property
    def recommended(self) -> Verdict:
        return next(v for v in self.verdicts if v.rule == RECOMMENDED)

    def recommendation(self) -> str:
        """One line: what the recommended rule (buscar) advises, and that it only advises."""
        buscar = self.recommended
        where = f"buscar at {self.recall_target:.0%} recall, {self.confidence:.0%} confidence"
        if self.screened == 0:
            return f"Recommendation ({where}): nothing screened yet."
        p = buscar.p_value if buscar.p_value is not None else 1.0
        if buscar.stop:
            return (
                f"Recommendation ({where}): stopping is defensible, p = {p:.3f} for "
                f"'recall below {self.recall_target:.0%}'; the decision to stop is yours."
            )
        return (
            f"Recommendation ({where}): keep screening, 'recall below "
            f"{self.recall_target:.0%}' cannot yet be rejected (p = {p:.3f})."
        )

    def describe(self) -> str:
        estimate = self.estimate
        lines = [estimate.describe().splitlines()[0]]  # what is screened, or nothing yet
        if estimate.screened:
            lines.append(
                f"Relevant works estimated still unscreened: {estimate.remaining_estimate:.1f} "
                f"({estimate.confidence:.0%} interval {estimate.remaining_low:.1f}–"
                f"{estimate.remaining_high:.1f}), from {estimate.relevant_in_window} relevant "
                f"in the last {estimate.window} screened."
            )
        lines.append("Stopping rules (advice only; screening goes on until you stop it):")
        for verdict in self.verdicts:
            name = verdict.rule + (" (recommended)" if verdict.rule == RECOMMENDED else "")
            advice = "advises stopping" if verdict.stop else "keep screening"
            lines.append(f"  {name}: {advice}: {verdict.detail}")
        lines.append(self.recommendation())
        return "\n".join(lines)


def stopping_aid_for(
    sequence: Flags,
    unscreened: int,
    *,
    recall_target: float = 0.95,
    confidence: float = 0.95,
    heuristic_n: int = HEURISTIC_N,
    scores_unscreened: Floats | None = None,
    scores_screened: Floats | None = None,
) -> StoppingAid:
    """The aid from the screened labels in order and the number of records still unscreened."""
    labels = [int(x) for x in np.asarray(sequence, dtype=bool)]
    return StoppingAid(
        estimate=estimate_remaining(labels, unscreened, recall_target, confidence=confidence),
        verdicts=verdicts(
            labels,
            len(labels) + unscreened,
            scores_unscreened=scores_unscreened,
            scores_screened=scores_screened,
            recall_target=recall_target,
            confidence=confidence,
            heuristic_n=heuristic_n,
        ),
        recall_target=recall_target,
        confidence=confidence,
    )


class StopTracker:
    """The rules checked as screening goes on, one record at a time (simulations use it).

    ``add`` one screened record with its out-of-sample score (NaN when the model could not score
    it), then ``check`` with the model's current scores for the unscreened records; the first
    number screened at which each rule advised stopping is kept in ``first``. Each check is what
    ``verdicts`` would say at that moment (QuantCI calibrated on the scores given to ``add``).
    """

    def __init__(
        self,
        n_total: int,
        *,
        recall_target: float = 0.95,
        confidence: float = 0.95,
        heuristic_n: int = HEURISTIC_N,
    ) -> None:
        self.n_total = n_total
        self.recall_target = recall_target
        self.confidence = confidence
        self.heuristic_n = heuristic_n
        self.labels: list[bool] = []
        self.scores: list[float] = []
        self.first: dict[str, int | None] = dict.fromkeys(RULES)

    def add(self, label: bool, score: float = math.nan) -> None:
        self.labels.append(bool(label))
        self.scores.append(float(score))

    @property
    def done(self) -> bool:
        return all(v is not None for v in self.first.values())

    def check(self, scores_unscreened: Floats | None = None) -> None:
        """Evaluate the rules that have not advised stopping yet, at the current count."""
        labels = np.asarray(self.labels, dtype=bool)
        t = len(labels)
        unscreened = self.n_total - t
        pending = [rule for rule, at in self.first.items() if at is None]
        for rule in pending:
            if rule == "buscar":
                stop = t > 0 and buscar_p_value(labels, unscreened, self.recall_target) < (
                    1 - self.confidence
                )
            elif rule == "quantci":
                stop = scores_unscreened is not None and _quantci_verdict(
                    labels, scores_unscreened, np.asarray(self.scores),
                    self.recall_target, self.confidence,
                ).stop  # fmt: skip
            elif rule == "knee":
                stop = _knee_verdict(labels).stop
            else:
                stop = _heuristic_verdict(labels, self.heuristic_n).stop
            if stop:
                self.first[rule] = t
