"""PRISMA 2020 flow: the counts, as text and as a flow diagram in SVG.

Two sources of figures: ``reported`` (the original review's Table 3.1, the reported_yield table)
and ``database`` (the works and decisions in this database). ``auto`` uses the database once it
holds harvested works, else the report's figures (on the embedded corpus: 385 / 88 / 37 / 24).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import sqlite_utils

from db.status import WorkState, work_states
from db.works import harvested_work_ids, hit_counts, placed_hits, works_new_in_version


@dataclass
class FlowCounts:
    """The PRISMA 2020 boxes (for one database-search review, no other sources)."""

    source: str
    identified: dict[str, int]
    duplicates_removed: int | None  # None: the source did not report it
    removed_by_rules: dict[str, int]
    screened: int
    excluded_screening: dict[str, int]
    sought: int
    not_retrieved: int | None  # None: the source did not report it
    assessed: int
    excluded_full_text: dict[str, int]
    after_full_text: int
    excluded_thorough: dict[str, int]
    included: int
    earlier_review: int = 0  # records that found a work of the earlier review again
    notes: list[str] = field(default_factory=list)
    # An updated review (PRISMA 2020's diagram for updates): studies of the version before, and
    # all studies now. None in a flow of one review.
    previous_studies: int | None = None
    total_studies: int | None = None

    @property
    def identified_total(self) -> int:
        return sum(self.identified.values())


def reported_flow(db: sqlite_utils.Database) -> FlowCounts:
    """The original review's figures (Table 3.1), in PRISMA's boxes."""
    rows = db.execute(
        "SELECT language, engines, hits, after_stage1, after_stage2, included"
        " FROM reported_yield ORDER BY position"
    ).fetchall()
    if not rows:
        raise ValueError("the database has no reported yield: run `evidensbase build` first")
    hits = sum(r[2] for r in rows)
    stage1 = sum(r[3] for r in rows)
    stage2 = sum(r[4] for r in rows)
    included = sum(r[5] for r in rows)
    return FlowCounts(
        source="reported",
        identified={f"{r[1]} ({r[0]})": r[2] for r in rows},
        duplicates_removed=None,
        removed_by_rules={},
        screened=hits,
        excluded_screening={"reasons not reported": hits - stage1},
        sought=stage1,
        not_retrieved=None,
        assessed=stage1,
        excluded_full_text={
            "not relevant or quality not acceptable (not itemised)": stage1 - stage2
        },
        after_full_text=stage2,
        excluded_thorough={"not itemised": stage2 - included},
        included=included,
        notes=["Figures from the report's Table 3.1: unique hits; duplicates were not reported."],
    )


def _reasons(db: sqlite_utils.Database, stage: int, work_ids: set[int]) -> dict[str, int]:
    """Exclusion reasons: the criterion of the decision that settled each excluded work."""
    counts: Counter[str] = Counter()
    for work_id in work_ids:
        row = db.execute(
            "SELECT criterion FROM decisions"
            " WHERE work_id = ? AND stage = ? AND decision = 'exclude'"
            " ORDER BY role = 'resolve' DESC, actor = 'rule', decided_at DESC, id DESC LIMIT 1",
            [work_id, stage],
        ).fetchone()
        counts[(row[0] if row and row[0] else "no criterion given")] += 1
    return dict(counts.most_common())


def _ruled_only(db: sqlite_utils.Database) -> set[int]:
    """Works whose stage-1 trail holds rule decisions and nothing a person or source decided."""
    return {
        int(r[0])
        for r in db.execute(
            "SELECT work_id FROM decisions WHERE stage = 1 AND actor != 'model'"
            " GROUP BY work_id HAVING sum(actor != 'rule') = 0"
        ).fetchall()
    }


def database_flow(db: sqlite_utils.Database, version: int | None = None) -> FlowCounts:
    """The flow of the works harvested into this database, by their state (db.status).

    Every hit counts as a record identified; a hit that found a work of the earlier review again
    is removed before screening as already assessed (PRISMA 2020's updated-review box). With
    ``version``, only the search runs under that protocol version and the works they found first:
    the flow of one update of the review.
    """
    if version is None:
        screened_works = harvested_work_ids(db)
    else:
        screened_works = works_new_in_version(db, version)
    states: dict[int, WorkState] = {w: s for w, s in work_states(db).items() if w in screened_works}
    per_engine = hit_counts(db, version)
    placed, works_found, earlier = placed_hits(db, version)
    duplicates = placed - works_found  # hits that found a work another hit had found
    if not per_engine:
        per_engine = {"works (no hits recorded)": len(states)}

    def where(state: str, stage: int) -> set[int]:
        return {w for w, s in states.items() if s.state == state and s.stage == stage}

    excluded1 = where("excluded", 1)
    by_rules = excluded1 & _ruled_only(db)
    excluded2 = where("excluded", 2)
    not_retrieved = {w for w in excluded2 if _reasons(db, 2, {w}).get("full_text_unavailable")}
    passed1 = {w for w, s in states.items() if s.passed >= 1}
    waiting = {
        label: n
        for label, n in (
            ("await stage 1", len(where("unscreened", 1))),
            ("are in conflict at stage 1", len(where("conflict", 1))),
        )
        if n
    }
    notes = [f"{n} of {len(states)} works {label}." for label, n in waiting.items()]
    if earlier:
        notes.append(
            f"{earlier} work(s) of the earlier review found again: removed before screening."
        )
    return FlowCounts(
        source="database",
        identified=per_engine,
        duplicates_removed=duplicates,
        removed_by_rules=_reasons(db, 1, by_rules),
        screened=len(states) - len(by_rules),
        excluded_screening=_reasons(db, 1, excluded1 - by_rules),
        sought=len(passed1),
        not_retrieved=len(not_retrieved),
        assessed=len(passed1) - len(not_retrieved),
        excluded_full_text=_reasons(db, 2, excluded2 - not_retrieved),
        after_full_text=sum(1 for s in states.values() if s.passed >= 2),
        excluded_thorough=_reasons(db, 3, where("excluded", 3)),
        included=sum(1 for s in states.values() if s.state == "included"),
        earlier_review=earlier,
        notes=notes or [f"0 of {len(states)} works await stage 1."],
    )


def flow_counts(db: sqlite_utils.Database, source: str = "auto") -> FlowCounts:
    """The flow from ``reported``, ``database`` or ``auto`` (database once it has harvests)."""
    if source == "auto":
        source = "database" if harvested_work_ids(db) else "reported"
    if source == "reported":
        return reported_flow(db)
    if source == "database":
        return database_flow(db)
    raise ValueError(f"flow source must be auto, reported or database, not {source!r}")


def _reason_lines(reasons: dict[str, int]) -> list[str]:
    return [f"  {reason}: {n}" for reason, n in reasons.items()]


def _count(n: int | None) -> str:
    return "not reported" if n is None else str(n)


def _n(n: int | None) -> str:
    return "not reported" if n is None else f"n = {n}"


def format_flow(flow: FlowCounts) -> str:
    """The PRISMA 2020 counts as plain text."""
    lines = [f"PRISMA 2020 flow ({flow.source} figures)", "Identification"]
    lines.append(f"  Records identified: {flow.identified_total}")
    lines += [f"    {engine}: {n}" for engine, n in flow.identified.items()]
    lines.append(f"  Duplicate records removed: {_count(flow.duplicates_removed)}")
    if flow.earlier_review:
        lines.append(f"  Records of works in the earlier review: {flow.earlier_review}")
    rules_total = sum(flow.removed_by_rules.values())
    lines.append(f"  Records marked ineligible by rules: {rules_total}")
    lines += ["  " + line for line in _reason_lines(flow.removed_by_rules)]
    lines.append("Screening")
    lines.append(f"  Records screened (title and abstract): {flow.screened}")
    excluded = sum(flow.excluded_screening.values())
    lines.append(f"  Records excluded: {excluded}")
    lines += ["  " + line for line in _reason_lines(flow.excluded_screening)]
    lines.append(f"  Reports sought for retrieval: {flow.sought}")
    lines.append(f"  Reports not retrieved: {_count(flow.not_retrieved)}")
    lines.append(f"  Reports assessed for eligibility (full text, quality): {flow.assessed}")
    lines.append(f"  Reports excluded: {sum(flow.excluded_full_text.values())}")
    lines += ["  " + line for line in _reason_lines(flow.excluded_full_text)]
    lines.append(f"  Relevant and of acceptable quality: {flow.after_full_text}")
    lines.append(f"  Excluded after thorough review: {sum(flow.excluded_thorough.values())}")
    lines += ["  " + line for line in _reason_lines(flow.excluded_thorough)]
    lines.append("Included")
    lines.append(f"  Studies included in review: {flow.included}")
    lines += [f"Note: {note}" for note in flow.notes]
    return "\n".join(lines)


_WIDTH, _BOX_W, _SIDE_X, _SIDE_W, _LINE = 1040, 420, 470, 550, 18


def _box(x: int, y: int, lines: list[str], width: int = _BOX_W) -> tuple[str, int]:
    height = 16 + _LINE * len(lines)
    text = "".join(
        f'<text x="{x + 12}" y="{y + 22 + i * _LINE}">{escape(line)}</text>'
        for i, line in enumerate(lines)
    )
    rect = (
        f'<rect x="{x}" y="{y}" width="{width}" height="{height}" rx="4" '
        'fill="#fff" stroke="#333"/>'
    )
    return rect + text, height


def flow_svg(flow: FlowCounts) -> str:
    """A PRISMA 2020 flow diagram (identification, screening, included) as an SVG document."""
    parts: list[str] = []
    y = 20
    main_rows = [
        [f"Records identified (n = {flow.identified_total})"]
        + [f"  {engine} (n = {n})" for engine, n in flow.identified.items()],
        [f"Records screened (n = {flow.screened})"],
        [f"Reports sought for retrieval (n = {flow.sought})"],
        [f"Reports assessed for eligibility (n = {flow.assessed})"],
        [f"Relevant, acceptable quality (n = {flow.after_full_text})"],
        [f"Studies included in review (n = {flow.included})"],
    ]
    if flow.previous_studies is not None:
        main_rows[-1] = [f"New studies included in review (n = {flow.included})"]
        main_rows.append([f"Total studies included in review (n = {flow.total_studies})"])
    side_rows = [
        ["Records removed before screening:", f"  Duplicates ({_n(flow.duplicates_removed)})"]
        + ([f"  In the earlier review (n = {flow.earlier_review})"] if flow.earlier_review else [])
        + [f"  Ineligible by rules (n = {sum(flow.removed_by_rules.values())})"]
        + [f"    {r} (n = {n})" for r, n in flow.removed_by_rules.items()],
        [f"Records excluded (n = {sum(flow.excluded_screening.values())})"]
        + [f"  {r} (n = {n})" for r, n in flow.excluded_screening.items()],
        [f"Reports not retrieved ({_n(flow.not_retrieved)})"],
        ["Reports excluded (n = " + f"{sum(flow.excluded_full_text.values())})"]
        + [f"  {r} (n = {n})" for r, n in flow.excluded_full_text.items()],
        [f"Excluded after thorough review (n = {sum(flow.excluded_thorough.values())})"]
        + [f"  {r} (n = {n})" for r, n in flow.excluded_thorough.items()],
        [],
    ]  # fmt: skip
    if flow.previous_studies is not None:
        side_rows[-1] = [
            f"Studies included in previous version of review (n = {flow.previous_studies})"
        ]
        side_rows.append([])
    for number, (main, side) in enumerate(zip(main_rows, side_rows, strict=True)):
        box, height = _box(20, y, main)
        parts.append(box)
        row_height = height
        if side:
            side_box, side_height = _box(_SIDE_X, y, side, _SIDE_W)
            parts.append(side_box)
            parts.append(
                f'<line x1="{20 + _BOX_W}" y1="{y + 20}" x2="{_SIDE_X}" y2="{y + 20}" '
                'stroke="#333" marker-end="url(#arrow)"/>'
            )
            row_height = max(height, side_height)
        bottom = y + height
        y += row_height + 30
        if number < len(main_rows) - 1:
            parts.append(
                f'<line x1="{20 + _BOX_W // 2}" y1="{bottom}" x2="{20 + _BOX_W // 2}" y2="{y}" '
                'stroke="#333" marker-end="url(#arrow)"/>'
            )
    title = f"PRISMA 2020 flow diagram ({flow.source} figures)"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" xml:space="preserve" '
        f'width="{_WIDTH}" height="{y + 20}" '
        f'viewBox="0 0 {_WIDTH} {y + 20}" font-family="sans-serif" font-size="13">'
        f"<title>{escape(title)}</title>"
        '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" '
        'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#333"/></marker></defs>'
        + "".join(parts)
        + "</svg>\n"
    )
