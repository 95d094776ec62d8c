"""``evidensbase dedupe``: place new hits in works, review maybe-pairs, split a work."""

from __future__ import annotations

import json
import os
import textwrap

import click

from db.dedupe.store import (
    DedupeError,
    MaybePair,
    decide_pair,
    dedupe_hits,
    maybe_queue,
    split_work,
)
from evidensbase.clikit import db_option

_SIDE = 38
_FIELDS = ("engine", "title", "authors", "year", "type", "container", "publisher", "doi", "isbn")


def _value(hit: dict, name: str) -> str:
    value = hit.get(name)
    if name == "authors":
        names = json.loads(value or "[]")
        value = "; ".join(n.get("family") or n.get("literal") or "" for n in names)
    return "" if value is None else str(value)


def _side_by_side(pair: MaybePair) -> str:
    a, b = pair.hit_a, pair.hit_b
    lines = [
        f"{'':10} {'hit ' + str(a['id']) + ' (work ' + str(a['work_id']) + ')':<{_SIDE}} | "
        f"hit {b['id']} (work {b['work_id']})"
    ]
    for name in _FIELDS:
        left = textwrap.wrap(_value(a, name), _SIDE) or [""]
        right = textwrap.wrap(_value(b, name), _SIDE) or [""]
        for i in range(max(len(left), len(right))):
            label = name if i == 0 else ""
            lines.append(
                f"{label:10} {(left[i] if i < len(left) else ''):<{_SIDE}} | "
                f"{right[i] if i < len(right) else ''}"
            )
    score = "" if pair.score is None else f", title similarity {pair.score:.0f}"
    lines.append(f"(rule: {pair.method}{score})")
    return "\n".join(lines)


def _review(db_path: str, person: str) -> None:
    queue = maybe_queue(db_path)
    if not queue:
        click.echo("No maybe-pairs are waiting.")
        return
    click.echo(f"{len(queue)} maybe-pair(s) to review. s = same, d = different, k = skip, q = quit")
    counts = {"same": 0, "different": 0, "skipped": 0}
    for number, pair in enumerate(queue, 1):
        click.echo(f"\n[{number}/{len(queue)}]")
        click.echo(_side_by_side(pair))
        answer = click.prompt(
            "Same publication?", type=click.Choice(["s", "d", "k", "q"]), show_choices=True
        )
        if answer == "q":
            break
        if answer == "k":
            counts["skipped"] += 1
            continue
        outcome = "same" if answer == "s" else "different"
        kept = decide_pair(db_path, pair.hit_a["id"], pair.hit_b["id"], outcome, person)
        counts[outcome] += 1
        if outcome == "same":
            click.echo(f"Merged into work {kept}.")
    left = len(maybe_queue(db_path))
    click.echo(
        f"Recorded {counts['same']} same, {counts['different']} different "
        f"(by {person}); {left} pair(s) still waiting."
    )


@click.command()
@db_option(writes=True)
@click.option("--review", is_flag=True, help="Judge the maybe-pairs, side by side, one by one.")
@click.option("--split", "split", metavar="WORK", help="Undo a merge: id or key of the work.")
@click.option("--hit", "hit_id", type=int, help="With --split: separate only this hit.")
@click.option(
    "--person",
    default=lambda: os.environ.get("EVIDENSBASE_REVIEWER") or os.environ.get("USER") or "",
    help="Who decides in --review and --split (default $EVIDENSBASE_REVIEWER, then $USER).",
)
def dedupe(db_path: str, review: bool, split: str | None, hit_id: int | None, person: str) -> None:
    """Turn hits into works: one work per publication, every merge recorded and reversible."""
    try:
        if split:
            keys = split_work(db_path, split, person, hit_id)
            click.echo(f"Split work {split}: new work(s) {', '.join(keys)} (by {person}).")
            return
        if hit_id is not None:
            raise click.UsageError("--hit only goes with --split WORK")
        if review:
            if not person.strip():
                raise click.UsageError("--review needs --person NAME (or $EVIDENSBASE_REVIEWER)")
            _review(db_path, person)
            return
        report = dedupe_hits(db_path)
    except DedupeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{report.new_hits} new hit(s): {report.attached} joined existing works, "
        f"{report.new_hits - report.attached} went into {report.works_created} new work(s); "
        f"{report.compared} pair(s) compared; {report.maybe} maybe-pair(s) wait for "
        f"`evidensbase dedupe --review`."
    )


def register(group: click.Group) -> None:
    group.add_command(dedupe)
