"""Dedupe against the database: place new hits, review maybe-pairs, split works.

Every change is recorded: ``hit_links`` says which work a hit joined, when, by which rule or person
and on the strength of which other hit; ``hit_pairs`` keeps each judged pair. Links are closed,
never deleted, and no hit is ever deleted. Each public function runs in one transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from db.database import open_db
from db.dedupe.clustering import Pair, plan_placements
from db.dedupe.matching import prepare
from db.dedupe.works import choose_fields, work_key
from db.provenance import RECORD_FIELDS
from db.search_index import refresh_search_index
from evidensbase import __version__

TOOL = f"evidensbase dedupe {__version__}"
_HIT_COLUMNS = (
    "id, run_id, engine, hit_key, rank, title, authors, year, type, language, container, "
    "publisher, doi, isbn, issn, url, abstract, peer_reviewed, work_id"
)


class DedupeError(Exception):
    """A request dedupe cannot carry out (unknown work, a hit not in that work, ...)."""


@dataclass
class DedupeReport:
    new_hits: int = 0
    attached: int = 0  # new hits that joined an existing work
    works_created: int = 0
    compared: int = 0
    maybe: int = 0  # pairs waiting for a person after this run
    changed_works: list[int] = field(default_factory=list)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _open(db: sqlite_utils.Database | str | Path | None) -> tuple[sqlite_utils.Database, bool]:
    if isinstance(db, sqlite_utils.Database):
        return db, False
    return open_db(db), True


def _hits(conn: sqlite3.Connection, where: str = "", params: Sequence[Any] = ()) -> list[dict]:
    cursor = conn.execute(f"SELECT {_HIT_COLUMNS} FROM hits {where} ORDER BY id", params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def _pairs(conn: sqlite3.Connection) -> tuple[dict[Pair, str], set[Pair]]:
    """A person's latest word on each pair, and every pair already recorded."""
    person: dict[Pair, str] = {}
    known: set[Pair] = set()
    for a, b, outcome, actor in conn.execute(
        "SELECT hit_a, hit_b, outcome, actor FROM hit_pairs ORDER BY id"
    ):
        known.add((a, b))
        if actor == "person":
            person[(a, b)] = outcome
    return person, known


def dedupe_hits(
    db: sqlite_utils.Database | str | Path | None = None, decided_by: str = TOOL
) -> DedupeReport:
    """Attach every hit without a work to a work, creating works as needed; return what changed."""
    database, close = _open(db)
    report = DedupeReport()
    try:
        conn = database.conn
        with conn:
            hits = _hits(conn)
            work_of = {h["id"]: h["work_id"] for h in hits if h["work_id"] is not None}
            report.new_hits = len(hits) - len(work_of)
            if report.new_hits:
                person, known = _pairs(conn)
                anchors = _curated_anchors(conn)
                work_of.update({a["id"]: a["work_id"] for a in anchors})
                records = [prepare(h) for h in [*anchors, *hits]]
                plan = plan_placements(records, work_of, person, known)
                report.compared = plan.compared
                by_id = {h["id"]: h for h in hits}
                now = _now()
                groups: dict[int, list[int]] = {}
                links: list[tuple[Any, ...]] = []
                touched: set[int] = set()
                for p in plan.placements:
                    if p.work_id is None:
                        groups.setdefault(p.group, []).append(p.hit_id)
                    else:
                        report.attached += 1
                        touched.add(p.work_id)
                        matched = p.matched_hit_id if (p.matched_hit_id or 0) > 0 else None
                        links.append((p.hit_id, p.work_id, p.method, matched, p.score))
                placed = {p.hit_id: p for p in plan.placements}
                created = _create_works(
                    conn, [[by_id[i] for i in m] for m in groups.values()], list(groups)
                )
                for work_id, members in zip(created, groups.values(), strict=True):
                    report.works_created += 1
                    report.changed_works.append(work_id)
                    for member in members:
                        p = placed[member]
                        links.append((member, work_id, p.method, p.matched_hit_id, p.score))
                _link(conn, links, "rule", decided_by, now)
                for work_id in sorted(touched):
                    _refresh_fields(conn, work_id)
                report.changed_works.extend(sorted(touched))
                conn.executemany(
                    "INSERT INTO hit_pairs (hit_a, hit_b, outcome, score, method, actor, "
                    "decided_by, decided_at) VALUES (?, ?, ?, ?, ?, 'rule', ?, ?)",
                    [
                        (a, b, v.outcome, round(v.score, 1), v.method, decided_by, now)
                        for (a, b), v in sorted(plan.verdicts.items())
                        if a > 0  # pairs with a curated work's anchor are not hits to record
                    ],
                )
                _refresh_index(database, report.changed_works)
            report.maybe = len(maybe_queue(database))
    finally:
        if close:
            database.close()
    return report


def _curated_anchors(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The curated works (the embedded corpus) as records a new hit can match, with negative ids.

    They have no hit of their own, so without these a search that finds a corpus work again would
    make a second work of it. A hit that joins one keeps the curated fields: only harvested works
    take their fields from hits.
    """
    rows = conn.execute(
        "SELECT id, key, title, authors, year, type, container, doi, isbn FROM works "
        "WHERE origin = 'corpus' ORDER BY id"
    ).fetchall()
    return [
        {"id": -work_id, "engine": "corpus", "hit_key": key, "title": title,
         "authors": authors, "year": year, "type": type_, "container": container,
         "doi": doi, "isbn": isbn, "work_id": work_id}
        for work_id, key, title, authors, year, type_, container, doi, isbn in rows
    ]  # fmt: skip


def _link(
    conn: sqlite3.Connection,
    links: Iterable[tuple[int, int, str, int | None, float | None]],
    actor: str,
    decided_by: str,
    now: str,
) -> None:
    rows = list(links)
    wanted = sorted({w for _, w, *_ in rows})
    keys: dict[int, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        keys.update(
            conn.execute(
                f"SELECT id, key FROM works WHERE id IN ({','.join('?' * len(chunk))})", chunk
            )
        )
    conn.executemany("UPDATE hits SET work_id = ? WHERE id = ?", [(w, h) for h, w, *_ in rows])
    conn.executemany(
        "INSERT INTO hit_links (hit_id, work_id, work_key, method, matched_hit_id, score, actor, "
        "decided_by, linked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (h, w, keys[w], m, mh, None if s is None else round(s, 1), actor, decided_by, now)
            for h, w, m, mh, s in rows
        ],
    )


def _unlink(conn: sqlite3.Connection, hit_ids: Iterable[int], by: str, now: str) -> None:
    conn.executemany(
        "UPDATE hit_links SET unlinked_at = ?, unlinked_by = ? "
        "WHERE hit_id = ? AND unlinked_at IS NULL",
        [(now, by, h) for h in hit_ids],
    )


def _create_works(
    conn: sqlite3.Connection, groups: Sequence[Sequence[dict]], anchors: Sequence[int]
) -> list[int]:
    """Insert one work per group of hits at once; return their ids, in order.

    The ids are the ones SQLite would give them one by one (the next after the largest).
    """
    first = (conn.execute("SELECT max(id) FROM works").fetchone()[0] or 0) + 1
    columns = ("id", "key", "origin", *RECORD_FIELDS, "authors_display")
    rows = []
    sources: list[tuple[int, str, int, str]] = []
    for offset, (hits, anchor) in enumerate(zip(groups, anchors, strict=True)):
        values, chosen = choose_fields(hits)
        values.update(id=first + offset, key=work_key(hits, anchor), origin="harvest")
        rows.append([values.get(c) for c in columns])
        engines = {h["id"]: h["engine"] for h in hits}
        sources.extend((first + offset, f, h, engines[h]) for f, h in chosen.items())
    conn.executemany(
        f"INSERT INTO works ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows
    )
    conn.executemany(
        "INSERT INTO work_sources (work_id, field, hit_id, engine) VALUES (?, ?, ?, ?)", sources
    )
    return [first + offset for offset in range(len(rows))]


def _create_work(conn: sqlite3.Connection, hits: Sequence[dict], anchor: int) -> int:
    values, sources = choose_fields(hits)
    values["key"] = work_key(hits, anchor)
    values["origin"] = "harvest"
    columns = list(values)
    cursor = conn.execute(
        f"INSERT INTO works ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        [values[c] for c in columns],
    )
    work_id = int(cursor.lastrowid or 0)
    _write_sources(conn, work_id, sources, hits)
    return work_id


def _write_sources(
    conn: sqlite3.Connection, work_id: int, sources: dict[str, int], hits: Sequence[dict]
) -> None:
    engines = {h["id"]: h["engine"] for h in hits}
    # Rows without a hit are enrichment's (db/enrich/): a field a hit now gives replaces one.
    conn.execute("DELETE FROM work_sources WHERE work_id = ? AND hit_id IS NOT NULL", [work_id])
    conn.executemany(
        "INSERT OR REPLACE INTO work_sources (work_id, field, hit_id, engine) VALUES (?, ?, ?, ?)",
        [(work_id, f, h, engines[h]) for f, h in sources.items()],
    )


def _refresh_fields(conn: sqlite3.Connection, work_id: int) -> None:
    """Re-choose a harvested work's fields from its hits (curated corpus works are left alone)."""
    origin = conn.execute("SELECT origin FROM works WHERE id = ?", [work_id]).fetchone()
    if origin is None or origin[0] != "harvest":
        return
    hits = _hits(conn, "WHERE work_id = ?", [work_id])
    if not hits:
        return
    values, sources = choose_fields(hits)
    for name in (*RECORD_FIELDS, "authors_display"):
        values.setdefault(name, None)
    # A field enrichment filled and no hit gives keeps its value (and its work_sources row).
    for name, value in conn.execute(
        "SELECT field, value FROM work_sources WHERE work_id = ? AND hit_id IS NULL", [work_id]
    ).fetchall():
        if name in values and values[name] is None and name not in sources:
            values[name] = value
    assignments = ", ".join(f"{c} = ?" for c in values)
    conn.execute(f"UPDATE works SET {assignments} WHERE id = ?", [*values.values(), work_id])
    _write_sources(conn, work_id, sources, hits)


def _refresh_index(database: sqlite_utils.Database, work_ids: Sequence[int]) -> None:
    ids = sorted(set(work_ids))
    for start in range(0, len(ids), 500):
        refresh_search_index(database, ids[start : start + 500])
    gone = [
        w
        for w in ids
        if database.conn.execute("SELECT 1 FROM works WHERE id = ?", [w]).fetchone() is None
    ]
    database.conn.executemany("DELETE FROM works_fts WHERE rowid = ?", [(w,) for w in gone])


@dataclass(frozen=True)
class MaybePair:
    """A pair waiting for a person: two hits in different works."""

    hit_a: dict
    hit_b: dict
    score: float | None
    method: str


def maybe_queue(db: sqlite_utils.Database | str | Path | None = None) -> list[MaybePair]:
    """Maybe-pairs no person has judged yet, whose hits are still in different works."""
    database, close = _open(db)
    try:
        conn = database.conn
        person, _ = _pairs(conn)
        rows = conn.execute(
            "SELECT p.hit_a, p.hit_b, max(p.score), min(p.method) FROM hit_pairs p "
            "JOIN hits a ON a.id = p.hit_a JOIN hits b ON b.id = p.hit_b "
            "WHERE p.outcome = 'maybe' AND p.actor = 'rule' "
            "AND a.work_id IS NOT b.work_id GROUP BY p.hit_a, p.hit_b ORDER BY p.hit_a, p.hit_b"
        ).fetchall()
        rows = [row for row in rows if (row[0], row[1]) not in person]
        wanted = sorted({h for a, b, *_ in rows for h in (a, b)})
        by_id: dict[int, dict] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            for hit in _hits(conn, f"WHERE id IN ({','.join('?' * len(chunk))})", chunk):
                by_id[hit["id"]] = hit
        return [MaybePair(by_id[a], by_id[b], score, method) for a, b, score, method in rows]
    finally:
        if close:
            database.close()


def _work_id(conn: sqlite3.Connection, ref: str | int) -> int:
    row = conn.execute(
        "SELECT id FROM works WHERE key = ? OR CAST(id AS TEXT) = ?", [str(ref), str(ref)]
    ).fetchone()
    if row is None:
        raise DedupeError(f"no work with id or key {ref!r}")
    return int(row[0])


def decide_pair(
    db: sqlite_utils.Database | str | Path | None,
    hit_a: int,
    hit_b: int,
    outcome: str,
    person: str,
) -> int | None:
    """Record a person's judgement of two hits; 'same' merges their works. Returns the kept work."""
    if outcome not in ("same", "different"):
        raise DedupeError(f"a person decides 'same' or 'different', not {outcome!r}")
    if not person.strip():
        raise DedupeError("a decision needs the name of the person who made it")
    a, b = sorted((hit_a, hit_b))
    database, close = _open(db)
    try:
        conn = database.conn
        with conn:
            found = {h["id"]: h for h in _hits(conn, "WHERE id IN (?, ?)", [a, b])}
            for h in (a, b):
                if h not in found:
                    raise DedupeError(f"no hit with id {h}")
            now = _now()
            conn.execute(
                "INSERT INTO hit_pairs (hit_a, hit_b, outcome, score, method, actor, decided_by, "
                "decided_at) VALUES (?, ?, ?, NULL, 'person', 'person', ?, ?)",
                [a, b, outcome, person, now],
            )
            wa, wb = found[a]["work_id"], found[b]["work_id"]
            if outcome != "same" or wa == wb or wa is None or wb is None:
                return wa
            keep, gone = _merge_works(conn, wa, wb, a, b, person, now)
            _refresh_index(database, [keep, gone])
            return keep
    finally:
        if close:
            database.close()


_REFERENCING = ("decisions", "quality", "codes", "summaries")


def _referenced(conn: sqlite3.Connection, work_id: int) -> bool:
    return any(
        conn.execute(f"SELECT 1 FROM {t} WHERE work_id = ? LIMIT 1", [work_id]).fetchone()
        for t in _REFERENCING
    )


def _merge_works(
    conn: sqlite3.Connection, wa: int, wb: int, hit_a: int, hit_b: int, person: str, now: str
) -> tuple[int, int]:
    """Move every hit of one work into the other; the older (or screened) work is kept."""
    keep, gone = sorted((wa, wb))
    if _referenced(conn, gone) and not _referenced(conn, keep):
        keep, gone = gone, keep
    moving = [h["id"] for h in _hits(conn, "WHERE work_id = ?", [gone])]
    matched = hit_a if hit_b in moving else hit_b
    _unlink(conn, moving, person, now)
    _link(conn, [(h, keep, "person", matched, None) for h in moving], "person", person, now)
    # What enrichment filled in the work merged away goes with its hits, where the kept lacks it.
    conn.execute(
        "UPDATE OR IGNORE work_sources SET work_id = ? WHERE work_id = ? AND hit_id IS NULL",
        [keep, gone],
    )
    _refresh_fields(conn, keep)
    if _referenced(conn, gone):
        # Screening already judged it: keep the row so those decisions still point somewhere.
        key = conn.execute("SELECT key FROM works WHERE id = ?", [keep]).fetchone()[0]
        conn.execute(
            "UPDATE works SET notes = trim(coalesce(notes, '') || ' merged into ' || ?) "
            "WHERE id = ?",
            [key, gone],
        )
    else:
        conn.execute("DELETE FROM works WHERE id = ?", [gone])
    return keep, gone


def split_work(
    db: sqlite_utils.Database | str | Path | None,
    work: str | int,
    person: str,
    hit_id: int | None = None,
) -> list[str]:
    """Undo a merge: give one hit (or every hit but the anchor) a work of its own.

    The anchor (the hit the work's key was made from, else its oldest hit) keeps the work. The
    person is recorded as judging the separated hits different, so no later run joins them again.
    Returns the keys of the new works.
    """
    if not person.strip():
        raise DedupeError("a split needs the name of the person who made it")
    database, close = _open(db)
    try:
        conn = database.conn
        with conn:
            work_id = _work_id(conn, work)
            hits = _hits(conn, "WHERE work_id = ?", [work_id])
            if len(hits) < 2:
                raise DedupeError(f"work {work} has {len(hits)} hit(s): nothing to split")
            key = conn.execute("SELECT key FROM works WHERE id = ?", [work_id]).fetchone()[0]
            ids = [h["id"] for h in hits]
            anchor = next((i for i in ids if key.endswith(f"-h{i}")), ids[0])
            if hit_id is not None:
                if hit_id not in ids:
                    raise DedupeError(f"hit {hit_id} is not in work {work}")
                if hit_id == anchor:
                    raise DedupeError(
                        f"hit {hit_id} is the work's anchor; split the others out instead"
                    )
                leaving = [hit_id]
            else:
                leaving = [i for i in ids if i != anchor]
            staying = [i for i in ids if i not in leaving]
            now = _now()
            pairs = {tuple(sorted((x, y))) for x in leaving for y in ids if x != y}
            if hit_id is not None:
                pairs = {p for p in pairs if hit_id in p}
            conn.executemany(
                "INSERT INTO hit_pairs (hit_a, hit_b, outcome, score, method, actor, decided_by, "
                "decided_at) VALUES (?, ?, 'different', NULL, 'split', 'person', ?, ?)",
                [(a, b, person, now) for a, b in sorted(pairs)],
            )
            _unlink(conn, leaving, person, now)
            by_id = {h["id"]: h for h in hits}
            created: list[str] = []
            new_ids = []
            for h in leaving:
                new_id = _create_work(conn, [by_id[h]], h)
                new_ids.append(new_id)
                _link(conn, [(h, new_id, "split", None, None)], "person", person, now)
                created.append(
                    conn.execute("SELECT key FROM works WHERE id = ?", [new_id]).fetchone()[0]
                )
            if staying:
                _refresh_fields(conn, work_id)
            _refresh_index(database, [work_id, *new_ids])
            return created
    finally:
        if close:
            database.close()
