"""Which pairs to compare: those sharing a blocking key, screened in bulk before the rules run.

At 100k hits the blocks hold about two million pairs (common surnames in one year, common opening
words), and nearly all of them are plainly different works. For a large block the title
similarities of all its pairs are computed at once (rapidfuzz's cdist, in C); a pair whose best
title score is under 75, with no shared identifier and nothing else the rules could act on, is
certain to be judged 'different' by ``compare`` (every other outcome needs a score of 75 or an
identifier), so it is set apart without running the rules. The outcome is the same as comparing
every pair, only faster.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from db.dedupe.matching import Record, blocking_keys

_MIN_SCORE = 75.0  # below this title score, compare() says 'different' (see module docstring)
_BULK = 12  # blocks from this size are screened in bulk; smaller ones are cheaper pair by pair
_BAND = 20  # in an oversized block, each record is paired with its 20 predecessors only


@dataclass
class Candidates:
    """Index pairs (i < j) sharing a blocking key."""

    close: list[tuple[int, int]]  # to compare with the rules
    distant: np.ndarray  # shape (n, 2): certainly 'different', title score under 75


@functools.lru_cache(maxsize=512)
def _pairs_in_block(size: int, max_block: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions (p < q) of the pairs a block of this size yields: all, or a band of neighbours."""
    if size <= max_block:
        p, q = np.triu_indices(size, k=1)
        return p, q
    q = np.repeat(np.arange(size), _BAND)
    p = q - np.tile(np.arange(_BAND, 0, -1), size)
    keep = p >= 0
    return p[keep], q[keep]


def _codes(values: Sequence[object]) -> np.ndarray:
    """Equal non-empty values get equal codes; empty ones get distinct negative codes."""
    seen: dict[object, int] = {}
    return np.array(
        [seen.setdefault(v, len(seen)) if v else -1 - i for i, v in enumerate(values)],
        dtype=np.int64,
    )


def candidate_pairs(records: Sequence[Record], max_block: int = 400) -> Candidates:
    """Pairs sharing a blocking key; oversized blocks only by neighbourhood."""
    blocks: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        for key in blocking_keys(record):
            blocks.setdefault(key, []).append(index)
    titles = [r.title for r in records]
    mains = [r.main for r in records]
    # A pair the rules may call 'same' or 'maybe' whatever its title score: a shared identifier,
    # or one report series in one year.
    cut = [r.truncated and len(r.title) >= 30 for r in records]
    doi = _codes([r.doi for r in records])
    exact = _codes([r.exact_id for r in records])
    isbn = np.array([bool(r.isbns) for r in records])
    series = _codes(
        [(r.venue, r.year) if r.venue and r.type == "report" else None for r in records]
    )
    seen: set[tuple[int, int]] = set()
    close: list[tuple[int, int]] = []
    distant: list[np.ndarray] = []
    for members in blocks.values():
        size = len(members)
        if size < 2:
            continue
        if size < _BULK:
            for x, y in _small_pairs(size):
                pair = (members[x], members[y])
                if pair not in seen:
                    seen.add(pair)
                    close.append(pair)
            continue
        p, q = _pairs_in_block(size, max_block)
        m = np.array(members)
        i, j = m[p], m[q]
        score = _title_scores(
            [titles[k] for k in members], [mains[k] for k in members], [cut[k] for k in members]
        )[p, q]
        must = (
            (score >= _MIN_SCORE)
            | (doi[i] == doi[j])
            | (exact[i] == exact[j])
            | (isbn[i] & isbn[j])
            | (series[i] == series[j])
        )
        for pair in zip(i[must].tolist(), j[must].tolist(), strict=True):
            if pair not in seen:
                seen.add(pair)
                close.append(pair)
        distant.append(np.stack([i[~must], j[~must]], axis=1))
    if not distant:
        return Candidates(close, np.empty((0, 2), dtype=np.int64))
    n = len(records)
    codes = np.sort(np.concatenate([d[:, 0] * n + d[:, 1] for d in distant]))
    if codes.size == 0:  # every pair of the large blocks was close (one record found many times)
        return Candidates(close, np.empty((0, 2), dtype=np.int64))
    codes = codes[np.concatenate(([True], codes[1:] != codes[:-1]))]  # each pair once
    if close:
        compared = np.sort(np.array([x * n + y for x, y in close], dtype=np.int64))
        at = np.minimum(np.searchsorted(compared, codes), len(compared) - 1)
        codes = codes[compared[at] != codes]  # a pair compared in a small block stays there
    return Candidates(close, np.stack([codes // n, codes % n], axis=1))


@functools.lru_cache(maxsize=_BULK)
def _small_pairs(size: int) -> list[tuple[int, int]]:
    return [(x, y) for y in range(size) for x in range(y)]


def _title_scores(titles: list[str], mains: list[str], cut: list[bool]) -> np.ndarray:
    """An upper bound of title_similarity for every pair of a block, as a matrix.

    The best of the full titles' ratio, the main titles' ratio and, for a title cut by an
    ellipsis, its ratio against the other title's opening of the same length.
    """
    score = np.maximum(
        cdist(titles, titles, scorer=fuzz.ratio, dtype=np.float64),
        cdist(mains, mains, scorer=fuzz.ratio, dtype=np.float64),
    )
    for x, is_cut in enumerate(cut):
        if is_cut:
            size = len(titles[x])
            opening = cdist(
                [titles[x]], [t[:size] for t in titles], scorer=fuzz.ratio, dtype=np.float64
            )[0]
            score[x, :] = np.maximum(score[x, :], opening)
            score[:, x] = np.maximum(score[:, x], opening)
    return score
