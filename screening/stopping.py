"""A stopping aid for ranked screening: how many relevant works may still be unscreened.

Never stops anything: it gives the reviewer an estimate with its uncertainty, and a buscar-style
test (Callaghan & Müller-Hansen 2020) of the hypothesis "recall is still below the target".
The estimate treats the most recent screened window as a sample whose share of relevant works is
an upper bound for the rest (the ranking puts likelier works first), with a Jeffreys interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy.stats import beta, hypergeom


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

    def describe(self) -> str:
        if self.screened == 0:
            return f"Nothing screened yet; {self.unscreened} works in the queue."
        lines = [
            f"Screened {self.screened}, relevant {self.relevant_found}, "
            f"unscreened {self.unscreened}.",
            f"Relevant works estimated still unscreened: {self.remaining_estimate:.1f} "
            f"(95 % interval {self.remaining_low:.1f}–{self.remaining_high:.1f}), from "
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
    sequence: Sequence[int], unscreened: int, recall_target: float = 0.95, window: int = 50
) -> StoppingEstimate:
    """From the 0/1 relevance of screened works in screening order and the number unscreened."""
    n = len(sequence)
    found = int(sum(sequence))
    k = min(n, max(window, n // 10))
    recent = int(sum(sequence[n - k :])) if k else 0
    if k == 0:
        return StoppingEstimate(0, 0, unscreened, 0, 0, 0.0, 0.0, 0.0, recall_target, None)
    low_rate = beta.ppf(0.025, recent + 0.5, k - recent + 0.5) if recent > 0 else 0.0
    high_rate = beta.ppf(0.975, recent + 0.5, k - recent + 0.5)
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
    )


def buscar_p_value(sequence: Sequence[int], unscreened: int, recall_target: float) -> float:
    """Smallest p over the trailing windows of H0: recall < target (hypergeometric)."""
    n = len(sequence)
    found = int(sum(sequence))
    # the fewest relevant works in total that would make the current recall fall below target
    missing_needed = math.floor(found / recall_target - found) + 1
    best = 1.0
    relevant_in_window = 0
    for size in range(1, n + 1):
        relevant_in_window += sequence[n - size]
        population = unscreened + size
        successes = relevant_in_window + missing_needed
        if successes > population:
            continue
        p = float(hypergeom.cdf(relevant_in_window, population, successes, size))
        best = min(best, p)
    return best
