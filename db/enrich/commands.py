"""``evidensbase enrich``: fill the empty fields of works from Crossref, OpenAlex or NVA."""

from __future__ import annotations

import json
import os
import textwrap
from typing import Any

import click

from db.enrich.cache import cache_path
from db.enrich.client import Blocked, EnrichError
from db.enrich.sources import ENRICH_FIELDS, SOURCES
from db.enrich.store import (
    STAGES,
    Candidate,
    decide_candidate,
    enrich_works,
    review_queue,
    undo_field,
)
from evidensbase.clikit import db_option

_SIDE = 38


def _authors(value: str | None) -> str:
    names = json.loads(value or "[]")
    return "; ".join(n.get("family") or n.get("literal") or "" for n in names)


def _side_by_side(candidate: Candidate) -> str:
    work = candidate.work
    lines = [f"{'':10} {'work ' + str(work['key']):<{_SIDE}} | {candidate.source} {candidate.key}"]
    rows: list[tuple[str, Any, Any]] = [
        ("title", work["title"], ""),
        ("authors", _authors(work["authors"]), ""),
        ("year", work["year"], ""),
    ]
    rows += [(f, work.get(f), candidate.fields.get(f)) for f in ENRICH_FIELDS]
    for name, left_value, right_value in rows:
        if left_value in (None, "") and right_value in (None, ""):
            continue
        left = textwrap.wrap("" if left_value is None else str(left_value), _SIDE) or [""]
        right = textwrap.wrap("" if right_value is None else str(right_value), _SIDE) or [""]
        for i in range(max(len(left), len(right))):
            label = name if i == 0 else ""
            lines.append(
                f"{label:10} {(left[i] if i < len(left) else ''):<{_SIDE}} | "
                f"{right[i] if i < len(right) else ''}"
            )
    score = "" if candidate.score is None else f", title similarity {candidate.score:.0f}"
    lines.append(f"({candidate.status}: {candidate.reason}; rule {candidate.method}{score})")
    return "\n".join(lines)


def _review(db_path: str, person: str) -> None:
    queue = review_queue(db_path)
    if not queue:
        click.echo("No enrichment candidates are waiting.")
        return
    click.echo(
        f"{len(queue)} candidate(s) to review. a = apply (fills only empty fields), "
        "r = reject, k = skip, q = quit"
    )
    counts = {"applied": 0, "rejected": 0, "skipped": 0}
    for number, candidate in enumerate(queue, 1):
        click.echo(f"\n[{number}/{len(queue)}]")
        click.echo(_side_by_side(candidate))
        answer = click.prompt(
            "Same publication? Apply it?", type=click.Choice(["a", "r", "k", "q"]),
            show_choices=True,
        )  # fmt: skip
        if answer == "q":
            break
        if answer == "k":
            counts["skipped"] += 1
            continue
        filled = decide_candidate(db_path, candidate.id, answer == "a", person)
        counts["applied" if answer == "a" else "rejected"] += 1
        if answer == "a":
            names = ", ".join(f for f, _ in filled) or "nothing (every field was already given)"
            click.echo(f"Filled {names} of {candidate.work['key']}.")
    left = len(review_queue(db_path))
    click.echo(
        f"Recorded {counts['applied']} applied, {counts['rejected']} rejected "
        f"(by {person}); {left} candidate(s) still waiting."
    )


@click.command()
@db_option(writes=True)
@click.option(
    "--source", type=click.Choice(sorted(SOURCES)), default="crossref", show_default=True,
    help="Where to look the works up.",
)  # fmt: skip
@click.option(
    "--stage", type=click.Choice(STAGES), default="included", show_default=True,
    help="Which works: those included in the review, or all.",
)  # fmt: skip
@click.option("--review", is_flag=True, help="Judge the doubtful and ambiguous candidates.")
@click.option("--undo", nargs=2, metavar="WORK FIELD", help="Empty a field enrichment filled.")
@click.option("--base-url", help="Another server for the source's API (a local replay).")
@click.option(
    "--delay", type=float,
    help="Seconds between requests (default: the source's own, or its announced rate limit).",
)  # fmt: skip
@click.option("--refresh", is_flag=True, help="Ask the source again, not the answer cache.")
@click.option(
    "--person",
    default=lambda: os.environ.get("EVIDENSBASE_REVIEWER") or os.environ.get("USER") or "",
    help="Who decides in --review and --undo (default $EVIDENSBASE_REVIEWER, then $USER).",
)
def enrich(
    db_path: str,
    source: str,
    stage: str,
    review: bool,
    undo: tuple[str, str] | None,
    base_url: str | None,
    delay: float | None,
    refresh: bool,
    person: str,
) -> None:
    """Complete references: fill only empty fields of works from Crossref, OpenAlex or NVA, each
    with its source, query and score; doubtful matches wait for --review."""
    try:
        if undo:
            if not person.strip():
                raise click.UsageError("--undo needs --person NAME (or $EVIDENSBASE_REVIEWER)")
            work, name = undo
            value = undo_field(db_path, work, name, person)
            click.echo(
                f"Undid {name} of work {work} (was {value!r}, by {person}); "
                "enrich will not fill it again."
            )
            return
        if review:
            if not person.strip():
                raise click.UsageError("--review needs --person NAME (or $EVIDENSBASE_REVIEWER)")
            _review(db_path, person)
            return
        report = enrich_works(
            db_path, source, stage=stage, base_url=base_url, min_delay=delay,
            cache_file=cache_path(db_path, source), refresh=refresh,
        )  # fmt: skip
    except Blocked as exc:
        raise click.ClickException(
            f"enrich stopped, blocked: {exc}; nothing of this run was stored"
        ) from exc
    except EnrichError as exc:
        raise click.ClickException(
            f"enrich stopped: {exc}; nothing of this run was stored"
        ) from exc
    for key, name, value in report.filled:
        click.echo(f"  {key}: {name} = {value}")
    click.echo(
        f"Looked up {report.works} work(s) in {source} ({report.requests} request(s)): "
        f"{report.fields} field(s) filled in {report.applied} work(s); {report.pending} doubtful "
        f"and {report.ambiguous} ambiguous candidate(s) wait for `evidensbase enrich --review`."
    )


def register(group: click.Group) -> None:
    group.add_command(enrich)
