"""Updating the review: amend the protocol, run its searches for the new window, place the new hits,
judge them by the rules of the new version, and queue only what is new.

An update is one protocol version. ``run_update`` makes it (or finds it again when the same update
is run a second time), harvests every engine that can be searched live, imports the export files
given, dedupes, and applies the rules: works already screened keep their decisions, a new hit for an
old work is attached to it, and a rule decision made under an older version is judged again as a
new decision. Everything is re-runnable: an interrupted update (a blocked engine, Ctrl-C, a kill)
is resumed by running the same command again, and a finished one changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from db.build import BuildReport, install_protocol
from db.database import open_db, resolve_db_path
from db.dedupe.store import dedupe_hits
from db.embedded import validate_concepts
from db.versions import current_version, record_version
from harvest.crawl import (
    HarvestError,
    HarvestOptions,
    PlannedRun,
    crawl_settings,
    plan_runs,
    run_crawls,
    state_dir_of,
)
from screening.rules import RuleReport, apply_rules

UPDATE_ACTOR = "evidensbase update"
REQUIRED_KEYS = ("review", "search_groups", "stages", "quality", "codebook", "languages")


class UpdateError(ValueError):
    """An update that cannot start (no database built, a bad protocol file, bad years)."""


@dataclass
class UpdateResult:
    """What one run of ``update`` did."""

    version: int
    new_version: bool
    runs: list[dict[str, Any]] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # engine: why it was not searched
    imports: list[str] = field(default_factory=list)
    new_hits: int = 0
    attached: int = 0
    works_created: int = 0
    rules: RuleReport | None = None

    @property
    def incomplete(self) -> list[dict[str, Any]]:
        """The update's search runs that did not complete."""
        return [run for run in self.runs if run["status"] != "complete"]


def amended_protocol(
    content: dict[str, Any], years: tuple[int, int] | None, protocol_file: Path | None
) -> dict[str, Any]:
    """The protocol the update runs under: a protocol file as given, and/or a new search window.

    A new window widens the review's period to cover it (``review.years``) and becomes the
    searches' window (``review.search_years``), so the searches ask only for what is new.
    """
    if protocol_file is not None:
        try:
            loaded = yaml.safe_load(protocol_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise UpdateError(f"{protocol_file}: not a readable YAML protocol ({exc})") from None
        if not isinstance(loaded, dict):
            raise UpdateError(
                f"{protocol_file}: expected a mapping with {', '.join(REQUIRED_KEYS)}"
            )
        missing = [key for key in REQUIRED_KEYS if key not in loaded]
        problems = [f"{protocol_file}: missing {key}" for key in missing]
        problems += validate_concepts(loaded, protocol_file)
        if problems:
            raise UpdateError("; ".join(problems))
        content = loaded
    if years is not None:
        first, last = years
        if first > last:
            raise UpdateError(f"--years {first}-{last}: {first} is after {last}")
        low, high = content["review"]["years"]
        review = dict(content["review"], years=[min(low, first), max(high, last)])
        review["search_years"] = [first, last]
        content = dict(content, review=review)
    return content


def run_update(
    db_path: str | Path,
    *,
    years: tuple[int, int] | None = None,
    protocol_file: Path | None = None,
    reason: str | None = None,
    engines: tuple[str, ...] = (),
    harvest: HarvestOptions | None = None,
    imports: tuple[tuple[Path, str], ...] = (),
) -> UpdateResult:
    """Make (or resume) the update, harvest, import, dedupe and judge by the rules."""
    from harvest.importers import import_file

    if years is None and protocol_file is None:
        raise UpdateError("say what the update is: --years A-B and/or --protocol FILE")
    db = open_db(db_path, create=False)
    try:
        in_force = current_version(db)
        if in_force is None:
            raise UpdateError(f"{resolve_db_path(db_path)}: not built yet; run `evidensbase build`")
        content = amended_protocol(in_force.content, years, protocol_file)
        default_reason = "update" + (f" --years {years[0]}-{years[1]}" if years else "")
        with db.atomic():
            made = record_version(
                db, content, reason=reason or default_reason, made_by=UPDATE_ACTOR
            )
            version = made or in_force
            install_protocol(db, version.content, BuildReport(path=resolve_db_path(db_path)))
        wanted = engines or tuple(
            dict.fromkeys(e for g in version.content["search_groups"] for e in g["engines"])
        )
    finally:
        db.close()
    result = UpdateResult(version.version, made is not None)
    base = harvest or HarvestOptions(engine=wanted[0] if wanted else "oria")
    plans: list[PlannedRun] = []
    for engine in wanted:
        try:
            plans += plan_runs(db_path, replace(base, engine=engine))
        except HarvestError as exc:
            result.skipped[engine] = str(exc)
    if plans:
        state_dir = state_dir_of(db_path, base)
        state_dir.mkdir(parents=True, exist_ok=True)
        run_crawls(plans, crawl_settings(db_path, base), state_dir)
    for path, file_format in imports:
        report = import_file(db_path, path, file_format=file_format)
        result.imports.append(f"{path}: {report.read} read, {report.new} new")
    db = open_db(db_path, create=False)
    try:
        from db.provenance import get_run

        result.runs = [get_run(db, plan.run_id) for plan in plans]
        placed = dedupe_hits(db, decided_by=UPDATE_ACTOR)
        result.new_hits, result.attached = placed.new_hits, placed.attached
        result.works_created = placed.works_created
        result.rules = apply_rules(db)
    finally:
        db.close()
    return result
