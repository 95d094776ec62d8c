"""Enrichment: look each work up in Crossref, OpenAlex or NVA, fill only its empty fields.

A candidate is compared with the work by dedupe's rules (``db.dedupe.matching.compare``):
``same`` is a good candidate, ``maybe`` is doubtful and waits for a person (``enrich --review``),
``different`` is dropped. A good candidate is applied only when it is the work's only good one and
no other work has it as a good one; otherwise it is recorded ``ambiguous`` and never applied by a
rule. Applying fills each empty field of ``ENRICH_FIELDS`` and writes a ``work_sources`` row with
the source, the query, the score and the value; a field filled before, given by a hit, or undone
by a person (``enrich_undone``) is never touched. Each work is stored in its own transaction, so a
run that stops keeps what it stored and the next run continues.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from db.database import open_db
from db.dedupe.matching import Verdict, compare, prepare
from db.enrich.cache import AnswerCache
from db.enrich.client import EnrichError, PoliteClient, without_credentials
from db.enrich.sources import ENRICH_FIELDS, SOURCES, Source, credentials
from evidensbase import __version__
from harvest.parse.answers import PageError

TOOL = f"evidensbase enrich {__version__}"
STAGES = ("included", "all")


@dataclass
class EnrichReport:
    source: str
    works: int = 0  # looked up
    requests: int = 0
    candidates: int = 0  # new candidate rows
    applied: int = 0  # works that got at least one field
    fields: int = 0  # fields filled
    pending: int = 0  # new doubtful candidates
    ambiguous: int = 0  # new ambiguous candidates
    filled: list[tuple[str, str, str]] = field(default_factory=list)  # (work key, field, value)


@dataclass(frozen=True)
class Candidate:
    id: int
    work: dict[str, Any]
    source: str
    key: str
    score: float | None
    method: str
    fields: dict[str, Any]
    status: str
    reason: str | None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _open(db: sqlite_utils.Database | str | Path | None) -> tuple[sqlite_utils.Database, bool]:
    if isinstance(db, sqlite_utils.Database):
        return db, False
    return open_db(db), True


_WORK_COLUMNS = ("id", "key", "title", "authors", "year", "type", "origin", *ENRICH_FIELDS)


def _works(conn: sqlite3.Connection, stage: str) -> list[dict[str, Any]]:
    where = (
        "JOIN work_status s ON s.work_id = w.id AND s.state = 'included'"
        if stage == "included"
        else ""
    )
    cursor = conn.execute(
        f"SELECT {', '.join('w.' + c for c in _WORK_COLUMNS)} FROM works w {where} "
        "WHERE w.notes IS NULL OR w.notes NOT LIKE '%merged into%' ORDER BY w.id"
    )
    return [dict(zip(_WORK_COLUMNS, row, strict=True)) for row in cursor]


def _first_author(work: dict[str, Any]) -> str | None:
    names = json.loads(work["authors"] or "[]")
    if not names:
        return None
    return names[0].get("family") or names[0].get("literal")


def _query(source: Source, base: str, work: dict[str, Any]) -> tuple[str, bool]:
    if work["doi"]:
        return source.by_doi(base, work["doi"]), True
    return source.by_search(base, work["title"], _first_author(work), work["year"]), False


def _verdict(work: dict[str, Any], candidate: dict[str, Any]) -> Verdict:
    """dedupe's comparison of the work with a candidate (neither has an engine record id)."""
    a = prepare({**work, "id": 0, "engine": "work", "hit_key": None, "container": None})
    b = prepare({**candidate, "id": 1, "engine": "candidate", "hit_key": None, "container": None})
    return compare(a, b)


def enrich_works(
    db: sqlite_utils.Database | str | Path | None,
    source_name: str,
    *,
    stage: str = "included",
    base_url: str | None = None,
    min_delay: float | None = None,
    cache_file: Path | None = None,
    refresh: bool = False,
    progress: Callable[[str], None] | None = None,
) -> EnrichReport:
    """Look every work of ``stage`` up in one source; fill, queue or refuse; return what changed.

    Raises EnrichError (Blocked for a refusal) naming the URL when an answer cannot be used;
    what earlier runs stored is kept. ``cache_file``: good answers are kept there and reused
    (``refresh`` asks again); None asks the source every time.
    """
    if source_name not in SOURCES:
        raise EnrichError(f"unknown source {source_name!r}: one of {', '.join(SOURCES)}")
    if stage not in STAGES:
        raise EnrichError(f"unknown stage {stage!r}: one of {', '.join(STAGES)}")
    source = SOURCES[source_name]
    base = (base_url or source.base_url).rstrip("/")
    client = PoliteClient(
        source.min_delay if min_delay is None else min_delay, credentials(source_name)
    )
    report = EnrichReport(source=source_name)
    cache = None if cache_file is None else AnswerCache(cache_file)
    database, close = _open(db)
    try:
        conn = database.conn
        works = _works(conn, stage)
        # Every good candidate of every work first: one found good for two works is ambiguous.
        found: list[tuple[dict[str, Any], str, list[tuple[dict[str, Any], Verdict]]]] = []
        try:
            for work in works:
                url, _single = _query(source, base, work)
                shown = without_credentials(url)
                cached = None if cache is None or refresh else cache.get(shown)
                body = cached if cached is not None else client.get(url)
                if body is None and cache is not None:
                    cache.put(shown, b"")  # 404: the source knows no such record
                candidates = []
                if body:
                    try:
                        candidates = source.parse(body, _single)
                    except PageError as exc:
                        raise EnrichError(f"{shown}: {exc}") from exc
                    if cache is not None and cached is None:
                        cache.put(shown, body)  # only an answer that parsed
                scored = [(c, _verdict(work, c)) for c in candidates]
                kept = [(c, v) for c, v in scored if v.outcome != "different"]
                found.append((work, without_credentials(url), kept))
                report.works += 1
                if progress:
                    progress(f"{work['key']}: {len(kept)} candidate(s)")
        finally:
            report.requests = client.requests
            if cache is not None:
                cache.close()
        good_for: dict[str, set[int]] = {}
        for work, _url, kept in found:
            for c, v in kept:
                if v.outcome == "same":
                    good_for.setdefault(c["key"], set()).add(work["id"])
        for key, work_ids in _applied_elsewhere(conn, source_name, good_for).items():
            good_for[key] |= work_ids
        for work, url, kept in found:
            with conn:
                _store_work(conn, source_name, work, url, kept, good_for, report)
    finally:
        if close:
            database.close()
    return report


def _applied_elsewhere(
    conn: sqlite3.Connection, source: str, good_for: dict[str, set[int]]
) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for key in good_for:
        rows = conn.execute(
            "SELECT work_id FROM enrich_candidates WHERE source = ? AND candidate_key = ? "
            "AND status = 'applied'",
            [source, key],
        ).fetchall()
        if rows:
            out[key] = {r[0] for r in rows}
    return out


def _store_work(
    conn: sqlite3.Connection,
    source: str,
    work: dict[str, Any],
    url: str,
    kept: list[tuple[dict[str, Any], Verdict]],
    good_for: dict[str, set[int]],
    report: EnrichReport,
) -> None:
    known = {
        row[0]
        for row in conn.execute(
            "SELECT candidate_key FROM enrich_candidates WHERE work_id = ? AND source = ?",
            [work["id"], source],
        )
    }
    good = [c["key"] for c, v in kept if v.outcome == "same"]
    now = _now()
    for candidate, verdict in kept:
        if candidate["key"] in known:
            continue  # decided before (by a rule or a person): a rerun changes nothing
        others = good_for.get(candidate["key"], set()) - {work["id"]}
        if verdict.outcome == "maybe":
            status, reason = "pending", f"doubtful match ({verdict.method})"
        elif len(good) > 1:
            status, reason = "ambiguous", f"the work has {len(good)} good candidates"
        elif others:
            status, reason = "ambiguous", f"also matches work(s) {sorted(others)}"
        else:
            status, reason = "applied", None
        fields = {f: candidate.get(f) for f in ENRICH_FIELDS if candidate.get(f)}
        score = round(verdict.score, 1)
        cursor = conn.execute(
            "INSERT INTO enrich_candidates (work_id, source, candidate_key, query, score, "
            "method, fields, status, reason, actor, decided_by, found_at, decided_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'rule', ?, ?, ?)",
            [work["id"], source, candidate["key"], url, score, verdict.method,
             json.dumps(fields, ensure_ascii=False), status, reason, TOOL, now, now],
        )  # fmt: skip
        report.candidates += 1
        if status == "pending":
            report.pending += 1
        elif status == "ambiguous":
            report.ambiguous += 1
        else:
            filled = _fill(conn, work["id"], source, url, score, int(cursor.lastrowid or 0), fields)
            report.applied += 1 if filled else 0
            report.fields += len(filled)
            report.filled.extend((work["key"], f, str(v)) for f, v in filled)


def _fill(
    conn: sqlite3.Connection,
    work_id: int,
    source: str,
    url: str,
    score: float | None,
    candidate_id: int,
    fields: dict[str, Any],
) -> list[tuple[str, Any]]:
    """Fill the work's empty fields from a candidate; return the (field, value) filled."""
    row = conn.execute(
        f"SELECT {', '.join(ENRICH_FIELDS)} FROM works WHERE id = ?", [work_id]
    ).fetchone()
    current = dict(zip(ENRICH_FIELDS, row, strict=True))
    blocked = {
        r[0]
        for r in conn.execute(
            "SELECT field FROM work_sources WHERE work_id = ? UNION "
            "SELECT field FROM enrich_undone WHERE work_id = ?",
            [work_id, work_id],
        )
    }
    now = _now()
    filled = []
    for name, value in fields.items():
        if name in blocked or current.get(name) not in (None, ""):
            continue
        conn.execute(f"UPDATE works SET {name} = ? WHERE id = ?", [value, work_id])
        conn.execute(
            "INSERT INTO work_sources (work_id, field, hit_id, engine, query, score, value, "
            "candidate_id, recorded_at) VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?)",
            [work_id, name, source, url, score, value, candidate_id, now],
        )
        filled.append((name, value))
    return filled


def review_queue(db: sqlite_utils.Database | str | Path | None = None) -> list[Candidate]:
    """Candidates waiting for a person: doubtful (pending) and ambiguous ones, work by work."""
    database, close = _open(db)
    try:
        rows = database.conn.execute(
            "SELECT c.id, c.source, c.candidate_key, c.score, c.method, c.fields, c.status, "
            f"c.reason, {', '.join('w.' + c for c in _WORK_COLUMNS)} FROM enrich_candidates c "
            "JOIN works w ON w.id = c.work_id WHERE c.status IN ('pending', 'ambiguous') "
            "ORDER BY c.work_id, c.id"
        ).fetchall()
        return [
            Candidate(
                id=r[0], source=r[1], key=r[2], score=r[3], method=r[4],
                fields=json.loads(r[5]), status=r[6], reason=r[7],
                work=dict(zip(_WORK_COLUMNS, r[8:], strict=True)),
            )
            for r in rows
        ]  # fmt: skip
    finally:
        if close:
            database.close()


def decide_candidate(
    db: sqlite_utils.Database | str | Path | None, candidate_id: int, apply: bool, person: str
) -> list[tuple[str, Any]]:
    """A person applies or rejects a waiting candidate; return the fields filled."""
    if not person.strip():
        raise EnrichError("a decision needs the name of the person who made it")
    database, close = _open(db)
    try:
        conn = database.conn
        with conn:
            row = conn.execute(
                "SELECT work_id, source, query, score, fields, status FROM enrich_candidates "
                "WHERE id = ?",
                [candidate_id],
            ).fetchone()
            if row is None:
                raise EnrichError(f"no enrichment candidate with id {candidate_id}")
            work_id, source, url, score, fields, status = row
            if status not in ("pending", "ambiguous"):
                raise EnrichError(f"candidate {candidate_id} was already {status}")
            conn.execute(
                "UPDATE enrich_candidates SET status = ?, actor = 'person', decided_by = ?, "
                "decided_at = ? WHERE id = ?",
                ["applied" if apply else "rejected", person, _now(), candidate_id],
            )
            if not apply:
                return []
            return _fill(conn, work_id, source, url, score, candidate_id, json.loads(fields))
    finally:
        if close:
            database.close()


def undo_field(
    db: sqlite_utils.Database | str | Path | None, work: str, field_name: str, person: str
) -> str:
    """Empty a field enrichment filled and remember it, so no rerun fills it again; return the
    value it had."""
    if not person.strip():
        raise EnrichError("an undo needs the name of the person who made it")
    if field_name not in ENRICH_FIELDS:
        raise EnrichError(
            f"{field_name!r} is not a field enrichment fills ({', '.join(ENRICH_FIELDS)})"
        )
    database, close = _open(db)
    try:
        conn = database.conn
        with conn:
            found = conn.execute(
                "SELECT id, key FROM works WHERE key = ? OR CAST(id AS TEXT) = ?", [work, work]
            ).fetchone()
            if found is None:
                raise EnrichError(f"no work with id or key {work!r}")
            work_id, key = found
            row = conn.execute(
                "SELECT engine, value FROM work_sources WHERE work_id = ? AND field = ? "
                "AND hit_id IS NULL",
                [work_id, field_name],
            ).fetchone()
            if row is None:
                raise EnrichError(
                    f"{field_name} of work {key} was not filled by enrichment: nothing to undo"
                )
            source, value = row
            conn.execute(f"UPDATE works SET {field_name} = NULL WHERE id = ?", [work_id])
            conn.execute(
                "DELETE FROM work_sources WHERE work_id = ? AND field = ?", [work_id, field_name]
            )
            conn.execute(
                "INSERT OR REPLACE INTO enrich_undone (work_id, field, value, source, undone_by, "
                "undone_at) VALUES (?, ?, ?, ?, ?, ?)",
                [work_id, field_name, value, source, person, _now()],
            )
            return str(value)
    finally:
        if close:
            database.close()


def pending_count(db: sqlite_utils.Database) -> int:
    return int(
        db.conn.execute(
            "SELECT count(*) FROM enrich_candidates WHERE status IN ('pending', 'ambiguous')"
        ).fetchone()[0]
    )
