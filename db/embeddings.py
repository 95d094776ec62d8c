"""Stored text embeddings: computed once per work and model, reused by every reader.

The ranking of the screening queue, `simulate --db`, the portal's related works and the theme
suggestion for stage-3 coding all read vectors through :func:`work_vectors`, which computes only
the works with no vector yet or whose text changed since (``text_key``), and stores them in the
one transaction: a crash mid-way keeps every vector stored before. On a read-only database (the
review site's ranking process) missing vectors are computed and not stored.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sqlite_utils

from db.timestamps import now_iso
from db.works import work_texts
from screening import embeddings


@dataclass
class Vectors:
    """Rows of ``matrix`` are the works in ``work_ids``, in that order."""

    work_ids: list[int]
    matrix: np.ndarray
    computed: int  # how many were embedded now (0: all were stored)

    def row(self, work_id: int) -> np.ndarray:
        return self.matrix[self.work_ids.index(work_id)]


def work_vectors(
    db: sqlite_utils.Database, work_ids: Sequence[int], texts: dict[int, str] | None = None
) -> Vectors:
    """The stored vector of each work, embedding (and storing) those missing or out of date.

    Raises screening.embeddings.EmbeddingsUnavailable when a vector is needed and the optional
    extra is not installed.
    """
    ids = list(work_ids)
    texts = work_texts(db) if texts is None else texts
    keys = {w: embeddings.text_key(texts.get(w, "")) for w in ids}
    stored: dict[int, np.ndarray] = {}
    for work_id, key, blob in db.execute(
        "SELECT work_id, text_key, vector FROM work_embeddings WHERE model = ?",
        [embeddings.MODEL],
    ).fetchall():
        if keys.get(work_id) == key:
            stored[work_id] = np.frombuffer(blob, dtype="<f4")
    missing = [w for w in ids if w not in stored]
    if missing:
        fresh = embeddings.embed([texts.get(w, "") for w in missing])
        now = now_iso()
        rows = [
            (w, embeddings.MODEL, keys[w], fresh.shape[1], v.astype("<f4").tobytes(), now)
            for w, v in zip(missing, fresh, strict=True)
        ]
        try:
            with db.atomic():  # a savepoint inside a caller's transaction (build), never its commit
                db.conn.executemany(
                    "INSERT OR REPLACE INTO work_embeddings"
                    " (work_id, model, text_key, dimensions, vector, computed_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
        except sqlite3.OperationalError as exc:
            if "readonly" not in str(exc):
                raise
            # opened read-only (the review site's ranking process): used, not stored
        stored.update(zip(missing, fresh, strict=True))
    return _vectors(ids, stored, len(missing))


def text_vectors(db: sqlite_utils.Database, texts: Sequence[str]) -> tuple[np.ndarray, int]:
    """(one stored vector per text, how many were embedded now): for records that are not works,
    such as a labelled review `simulate --model fusion` replays. Keyed by the text alone."""
    keys = [embeddings.text_key(t) for t in texts]
    stored: dict[str, np.ndarray] = {}
    wanted = set(keys)
    for key, blob in db.execute(
        "SELECT text_key, vector FROM text_embeddings WHERE model = ?", [embeddings.MODEL]
    ).fetchall():
        if key in wanted:
            stored[key] = np.frombuffer(blob, dtype="<f4")
    missing = sorted({k: i for i, k in enumerate(keys) if k not in stored}.items())
    if missing:
        fresh = embeddings.embed([texts[i] for _, i in missing])
        now = now_iso()
        with db.atomic():
            db.conn.executemany(
                "INSERT OR REPLACE INTO text_embeddings"
                " (model, text_key, dimensions, vector, computed_at) VALUES (?, ?, ?, ?, ?)",
                [
                    (embeddings.MODEL, key, fresh.shape[1], v.astype("<f4").tobytes(), now)
                    for (key, _), v in zip(missing, fresh, strict=True)
                ],
            )
        stored.update((key, v) for (key, _), v in zip(missing, fresh, strict=True))
    matrix = (
        np.vstack([stored[k] for k in keys]).astype(np.float32)
        if keys
        else np.zeros((0, embeddings.DIMENSIONS), dtype=np.float32)
    )
    return matrix, len(missing)


def _vectors(ids: list[int], stored: dict[int, np.ndarray], computed: int) -> Vectors:
    matrix = (
        np.vstack([stored[w] for w in ids]).astype(np.float32)
        if ids
        else np.zeros((0, embeddings.DIMENSIONS), dtype=np.float32)
    )
    return Vectors(work_ids=ids, matrix=matrix, computed=computed)


def nearest(vectors: Vectors, work_id: int, among: Sequence[int], n: int = 5) -> list[int]:
    """The ``n`` works of ``among`` (not ``work_id`` itself) closest to it, nearest first."""
    index = {w: i for i, w in enumerate(vectors.work_ids)}
    candidates = [w for w in among if w != work_id and w in index]
    if work_id not in index or not candidates:
        return []
    target = vectors.matrix[index[work_id]]
    similarity = vectors.matrix[[index[w] for w in candidates]] @ target
    order = np.lexsort((np.asarray(candidates), -similarity))
    return [candidates[i] for i in order[:n]]


def nearest_all(vectors: Vectors, among: Sequence[int], n: int = 5) -> dict[int, list[int]]:
    """:func:`nearest` for every work of ``among`` at once (the same order: most similar first,
    ties by lower work id), in blocks of rows so memory stays at a block × len(among) matrix."""
    index = {w: i for i, w in enumerate(vectors.work_ids)}
    ids = np.asarray([w for w in among if w in index], dtype=np.int64)
    if len(ids) < 2:
        return {int(w): [] for w in ids}
    matrix = vectors.matrix[[index[int(w)] for w in ids]].astype(np.float32)
    keep = min(n, len(ids) - 1)
    out: dict[int, list[int]] = {}
    block = 1024
    for start in range(0, len(ids), block):
        similarity = matrix[start : start + block] @ matrix.T
        rows = np.arange(similarity.shape[0])
        similarity[rows, start + rows] = -np.inf  # never a work itself
        # The keep-th largest value of each row; every candidate at least that large is sorted
        # exactly (ties at the boundary included), then cut to keep.
        threshold = -np.partition(-similarity, keep - 1, axis=1)[:, keep - 1]
        for row in rows:
            picked = np.flatnonzero(similarity[row] >= threshold[row])
            order = np.lexsort((ids[picked], -similarity[row, picked]))[:keep]
            out[int(ids[start + row])] = [int(w) for w in ids[picked[order]]]
    return out


@dataclass(frozen=True)
class ThemeSuggestion:
    """A theme whose coded works' centroid is near a work's vector (cosine ``similarity``)."""

    theme: str
    similarity: float
    works: int  # how many coded works (other than this one) the centroid is the mean of


def suggest_theme(db: sqlite_utils.Database, work_id: int, n: int = 2) -> list[ThemeSuggestion]:
    """The ``n`` themes whose centroids (mean vector of the works coded with the theme, this work
    left out) are nearest by cosine to this work's vector, nearest first.

    Advice only: reads codes, writes nothing but missing vectors (through :func:`work_vectors`).
    Empty when no other work is coded with a theme yet, or when a vector is missing and the
    optional extra that computes it is not installed.
    """
    coded: dict[str, list[int]] = {}
    for theme, other in db.execute(
        "SELECT DISTINCT value, work_id FROM codes WHERE field = 'theme' AND work_id != ?"
        " ORDER BY value, work_id",
        [work_id],
    ).fetchall():
        coded.setdefault(str(theme), []).append(int(other))
    if not coded:
        return []
    ids = sorted({work_id, *(w for works in coded.values() for w in works)})
    try:
        vectors = work_vectors(db, ids)
    except embeddings.EmbeddingsUnavailable:
        return []
    row = {w: i for i, w in enumerate(vectors.work_ids)}
    matrix = vectors.matrix.astype(np.float64)
    target = matrix[row[work_id]]
    if not target.any():
        return []  # a work with no text has no direction to compare
    target = target / np.linalg.norm(target)
    suggestions = []
    for theme, works in coded.items():
        rows = matrix[[row[w] for w in works]]
        rows = rows[rows.any(axis=1)]  # works with no text (zero vectors) say nothing
        centroid = rows.mean(axis=0) if len(rows) else np.zeros_like(target)
        norm = float(np.linalg.norm(centroid))
        if norm > 0:
            similarity = float(centroid @ target / norm)
            suggestions.append(ThemeSuggestion(theme, similarity, len(rows)))
    suggestions.sort(key=lambda s: (-s.similarity, s.theme))
    return suggestions[:n]
