"""Grouping records into works: the pure core of dedupe, with no database in sight.

Hits already attached to a work stay where they are; only new hits are placed. A new hit
either joins the work of a hit it is the same as, joins other new hits in a new work, or starts
a work alone.
Two existing works are never merged here: that takes a person (the maybe queue). A cluster never
grows over a pair judged 'different' or 'maybe', so a chain A≈B≈C cannot drag Part I into Part II.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from db.dedupe.blocking import candidate_pairs
from db.dedupe.matching import BOTH_PARTIAL, Record, Verdict, compare

Pair = tuple[int, int]  # hit ids, smaller first


@dataclass
class Placement:
    """Where one new hit goes: an existing work, or a new group (numbered) that becomes a work."""

    hit_id: int
    work_id: int | None  # existing work, or None for a new work
    group: int  # the lowest hit id of its group, for new works
    method: str
    score: float | None
    matched_hit_id: int | None


@dataclass
class Plan:
    placements: list[Placement] = field(default_factory=list)
    verdicts: dict[Pair, Verdict] = field(default_factory=dict)  # pairs worth recording
    compared: int = 0


class _Clusters:
    """Union-find over records, with cannot-link sets, and at most one existing work per cluster."""

    def __init__(self, works: Sequence[int | None]) -> None:
        self.parent = list(range(len(works)))
        self.work: dict[int, int] = {}  # root → existing work id
        self.enemies: dict[int, set[int]] = {}
        root_of_work: dict[int, int] = {}
        for i, w in enumerate(works):
            if w is None:
                continue
            if w in root_of_work:
                self.parent[i] = root_of_work[w]  # old hits of one work are one cluster
            else:
                root_of_work[w] = i
                self.work[i] = w

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def forbid(self, i: int, j: int) -> None:
        self.enemies.setdefault(self.find(i), set()).add(j)
        self.enemies.setdefault(self.find(j), set()).add(i)

    def can_join(self, ri: int, rj: int) -> bool:
        if ri in self.work and rj in self.work:
            return False
        small, other = sorted((ri, rj), key=lambda r: len(self.enemies.get(r, ())))
        return all(self.find(e) != other for e in self.enemies.get(small, ()))

    def join(self, ri: int, rj: int) -> None:
        if len(self.enemies.get(ri, ())) < len(self.enemies.get(rj, ())):
            ri, rj = rj, ri
        self.parent[rj] = ri
        if rj in self.work:
            self.work[ri] = self.work.pop(rj)
        if rj in self.enemies:
            self.enemies.setdefault(ri, set()).update(self.enemies.pop(rj))


_RECORD_SCORE = 85.0  # 'different' verdicts this close are kept as an audit trail (Part I/II)


def plan_placements(
    records: Sequence[Record],
    work_of: Mapping[int, int],
    person: Mapping[Pair, str] | None = None,
    known: set[Pair] | None = None,
) -> Plan:
    """Place every record whose hit id is not in ``work_of``.

    :param work_of: hit id → work id for hits already attached.
    :param person: pair → 'same'/'different' decided by a person: final, never second-guessed.
    :param known: pairs already recorded, so a re-run records nothing twice.
    """
    person = person or {}
    known = known or set()
    plan = Plan()
    new = [i for i, r in enumerate(records) if r.id not in work_of]
    if not new:
        return plan
    clusters = _Clusters([work_of.get(r.id) for r in records])
    is_new = np.zeros(len(records), dtype=bool)
    is_new[new] = True
    edges: list[tuple[float, int, int, Verdict]] = []
    apart: list[tuple[int, int]] = []  # pairs a cluster must never join
    candidates = candidate_pairs(records)
    distant = candidates.distant
    distant = distant[is_new[distant[:, 0]] | is_new[distant[:, 1]]]
    if person:
        # A person's word on a pair counts even when its titles are far apart.
        index = {r.id: k for k, r in enumerate(records)}
        decided_pairs = [
            sorted((index[a], index[b])) for a, b in person if a in index and b in index
        ]
        n = len(records)
        codes = np.array([x * n + y for x, y in decided_pairs], dtype=np.int64)
        by_person = np.isin(distant[:, 0] * n + distant[:, 1], codes)
        candidates.close.extend(map(tuple, distant[by_person].tolist()))
        distant = distant[~by_person]
    # Distant pairs are 'different' by a bound on their title score (db.dedupe.blocking).
    plan.compared += len(distant)
    for i, j in candidates.close:
        if not is_new[i] and not is_new[j]:
            continue
        a, b = records[i], records[j]
        pair = (a.id, b.id) if a.id < b.id else (b.id, a.id)
        decided = person.get(pair)
        if decided is not None:
            verdict = Verdict(decided, 100.0 if decided == "same" else 0.0, "person")  # type: ignore[arg-type]
        else:
            verdict = compare(a, b)
            plan.compared += 1
        if verdict.outcome == "same":
            strength = 200.0 if verdict.method in ("engine_id", "doi", "isbn", "person") else 0.0
            edges.append((strength + verdict.score, i, j, verdict))
        else:
            if verdict.method != BOTH_PARTIAL:
                apart.append((i, j))
            if (
                pair not in known
                and decided is None
                and (verdict.outcome == "maybe" or verdict.score >= _RECORD_SCORE)
            ):
                plan.verdicts[pair] = verdict
    # Only clusters an edge touches can ever be joined: a pair outside them needs no cannot-link
    # (most compared pairs, so this keeps the enemy sets small without changing any outcome).
    touched = {clusters.find(k) for _, i, j, _ in edges for k in (i, j)}
    in_edge = np.zeros(len(records), dtype=bool)
    in_edge[[k for k in range(len(records)) if clusters.find(k) in touched]] = True
    both = in_edge[distant[:, 0]] & in_edge[distant[:, 1]]
    apart.extend(map(tuple, distant[both].tolist()))
    for i, j in apart:
        if clusters.find(i) in touched and clusters.find(j) in touched:
            clusters.forbid(i, j)
    edges.sort(key=lambda e: (-e[0], records[e[1]].id, records[e[2]].id))
    joined_by: dict[int, tuple[int, Verdict]] = {}
    for _, i, j, verdict in edges:
        ri, rj = clusters.find(i), clusters.find(j)
        pair = (records[i].id, records[j].id)
        pair = pair if pair[0] < pair[1] else (pair[1], pair[0])
        if ri == rj:
            if pair not in known and verdict.method != "person":
                plan.verdicts[pair] = verdict
            continue
        if not clusters.can_join(ri, rj):
            if pair not in known and verdict.method != "person":
                plan.verdicts[pair] = Verdict(
                    "maybe", verdict.score, "would_join_" + verdict.method
                )
            continue
        clusters.join(ri, rj)
        for k, other in ((i, j), (j, i)):
            if is_new[k] and k not in joined_by:
                joined_by[k] = (other, verdict)
        if pair not in known and verdict.method != "person":
            plan.verdicts[pair] = verdict
    groups: dict[int, int] = {}
    for i in new:
        root = clusters.find(i)
        groups[root] = min(groups.get(root, records[i].id), records[i].id)
    for i in new:
        root = clusters.find(i)
        joined = joined_by.get(i)
        plan.placements.append(
            Placement(
                hit_id=records[i].id,
                work_id=clusters.work.get(root),
                group=groups[root],
                method=joined[1].method if joined else "new",
                score=joined[1].score if joined else None,
                matched_hit_id=records[joined[0]].id if joined else None,
            )
        )
    return plan
