"""Subcommands of the screening package: rules, rank, screen, conflicts, resolve, agreement,
decisions export/import, flow and simulate. Each hands off to a library function."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import click

from db.database import DatabaseError, open_db
from db.works import UnknownWorkError, key_and_title, work_id_for_key
from evidensbase.clikit import db_option, write_atomically

STAGE = click.option("--stage", type=click.IntRange(1, 3), required=True, help="Screening stage.")


def register(group: click.Group) -> None:
    """Add this package's subcommands to the ``evidensbase`` group."""
    for command in (
        rules, rank, screen, decide, conflicts, resolve, agreement_command,
        export_decisions_command, import_decisions_command, flow, simulate, update,
    ):  # fmt: skip
        group.add_command(command)


@click.command()
@db_option(writes=True)
def rules(db_path: str) -> None:
    """Apply the protocol's hard criteria to undecided works (decisions by a rule)."""
    from screening.rules import apply_rules

    report = apply_rules(open_db(db_path))
    click.echo(
        f"Checked {report.checked} works under protocol version {report.version}; "
        f"excluded {report.total} by rule, cleared {report.cleared} of an earlier rule's exclusion."
    )
    for criterion, n in sorted(report.excluded.items()):
        click.echo(f"  {criterion}: {n}")


@click.command()
@db_option()
@click.option(
    "--reviewer", default="", help="Rank this reviewer's queue (default: undecided works)."
)
@click.option("--top", type=int, default=10, show_default=True)
@click.option(
    "--recall-target",
    type=click.FloatRange(0.5, 1.0, max_open=True),
    default=0.95,
    show_default=True,
    help="Recall the stopping rules test for (a share, e.g. 0.95).",
)
@click.option(
    "--confidence",
    type=click.FloatRange(0.5, 1.0, max_open=True),
    default=0.95,
    show_default=True,
    help="Confidence the stopping rules ask for (buscar stops when p < 1 - confidence).",
)
def rank(db_path: str, reviewer: str, top: int, recall_target: float, confidence: float) -> None:
    """Show the top of the stage-1 queue, why each work ranks there, and the stopping rules.

    The rules (buscar, QuantCI, knee, 50 irrelevant in a row) only advise; the recommended one is
    buscar at 95 % recall and 95 % confidence. Nothing stops screening but you.
    """
    from screening import embeddings
    from screening.queue import queue_work_ids, ranked_queue, stopping_aid

    db = open_db(db_path)
    ranking = ranked_queue(db, queue_work_ids(db, 1, reviewer or "\x00"))
    items = ranking.items
    for number, item in enumerate(items[:top], start=1):
        key, title = key_and_title(db, item.work_id)
        click.echo(f"{number:3}. {item.score:6.2f}  {key}  {title}")
        click.echo(f"       why: {item.explain()}")
    click.echo(f"{len(items)} works in the queue.")
    if not embeddings.available():
        click.echo("Embeddings: the embed extra is not installed; the word model ranks alone.")
    elif ranking.embeddings_computed or ranking.embeddings_reused:
        joined = (
            "joined the word model (it ranked held-out decisions better)"
            if ranking.embeddings_joined
            else "not joined (the word model ranked held-out decisions as well or better)"
        )
        click.echo(
            f"Embeddings ({embeddings.MODEL}): {ranking.embeddings_computed} computed now, "
            f"{ranking.embeddings_reused} stored ones reused; {joined}."
        )
    aid = stopping_aid(db, 1, recall_target=recall_target, confidence=confidence)
    click.echo(aid.describe())


@click.command()
@db_option(writes=True)
@STAGE
@click.option("--reviewer", required=True, help="Your name, as it goes into the decision trail.")
@click.option("--double/--single", default=None, help="Override the protocol's double screening.")
@click.option("--limit", type=int, help="Stop after this many decisions.")
def screen(db_path: str, stage: int, reviewer: str, double: bool | None, limit: int | None) -> None:
    """Screen your queue at a stage in the terminal (resumes where you stopped)."""
    from screening.session import run_session

    run_session(open_db(db_path), stage, reviewer, double=double, limit=limit)


@click.command()
@db_option()
@STAGE
def conflicts(db_path: str, stage: int) -> None:
    """List works on which independent reviewers disagree and nobody has resolved it."""
    from screening.agreement import list_conflicts

    found = list_conflicts(open_db(db_path), stage)
    for conflict in found:
        decided = ", ".join(f"{r}: {d}" for r, d in conflict.decisions.items())
        click.echo(f"{conflict.key}  {conflict.title}  [{decided}]")
    click.echo(f"{len(found)} unresolved conflict(s) at stage {stage}.")


def one_decision(command: Callable[..., None]) -> Callable[..., None]:
    """The arguments of a person's decision on one work (``decide`` and ``resolve``)."""
    for option in reversed((
        db_option(writes=True),
        STAGE,
        click.argument("work_key"),
        click.argument("decision", type=click.Choice(["include", "exclude", "maybe"])),
        click.option("--reviewer", required=True, help="Who decides (a person; never 'rule')."),
        click.option("--criterion", help="Protocol criterion id (needed to exclude)."),
    )):  # fmt: skip
        command = option(command)
    return command


@click.command()
@one_decision
@click.option(
    "--rating",
    "ratings",
    multiple=True,
    metavar="CRITERION=RATING",
    help="Stage 2: a quality rating (yes, partly, no, unclear); give all six to include a work "
    "that is not peer-reviewed.",
)
@click.option("--note")
def decide(
    db_path: str,
    stage: int,
    work_key: str,
    decision: str,
    reviewer: str,
    criterion: str | None,
    ratings: tuple[str, ...],
    note: str | None,
) -> None:
    """Record a person's decision on one work, e.g. to overturn a rule."""
    from db.appraisal import record_full_text_decision
    from db.decisions import RULE_REVIEWER, DecisionError, record_decision
    from db.status import work_state

    if reviewer.strip().lower() == RULE_REVIEWER:
        raise click.BadParameter("a person decides here; rules decide through `evidensbase rules`")
    parsed: dict[str, str] = {}
    for text in ratings:
        name, sep, value = text.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise click.BadParameter(f"{text!r}: expected CRITERION=RATING", param_hint="--rating")
        parsed[name.strip()] = value.strip().lower()
    if parsed and stage != 2:
        raise click.BadParameter("quality ratings belong to stage 2", param_hint="--rating")
    db = open_db(db_path)
    try:
        work_id = work_id_for_key(db, work_key)
        if stage == 2:
            outcome = record_full_text_decision(
                db, work_id, decision, reviewer=reviewer, ratings=parsed or None,
                criterion=criterion, note=note,
            )  # fmt: skip
            decision, criterion = outcome.decision, outcome.criterion
        else:
            with db.atomic():
                record_decision(
                    db, work_id, stage, decision, reviewer=reviewer, criterion=criterion, note=note
                )
    except (DecisionError, UnknownWorkError) as exc:
        raise click.ClickException(str(exc)) from exc
    reason = f" ({criterion})" if criterion else ""
    click.echo(f"Recorded {work_key} at stage {stage}: {decision}{reason} by {reviewer.strip()}.")
    click.echo(f"{work_key} is now {work_state(db, work_id).label()}.")


@click.command()
@one_decision
@click.option("--note")
def resolve(
    db_path: str,
    stage: int,
    work_key: str,
    decision: str,
    reviewer: str,
    criterion: str | None,
    note: str | None,
) -> None:
    """Resolve a conflict with a third decision."""
    from db.decisions import DecisionError
    from screening.agreement import resolve_conflict

    db = open_db(db_path)
    try:
        resolve_conflict(
            db,
            work_id_for_key(db, work_key),
            stage,
            decision,
            reviewer=reviewer,
            criterion=criterion,
            note=note,
        )
    except (DecisionError, ValueError, UnknownWorkError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Resolved {work_key} at stage {stage}: {decision}.")


@click.command("agreement")
@db_option()
@click.option("--stage", type=click.IntRange(1, 3), multiple=True, help="Default: all stages.")
def agreement_command(db_path: str, stage: tuple[int, ...]) -> None:
    """Cohen's kappa and plain agreement per stage and reviewer pair."""
    from screening.agreement import agreement

    db = open_db(db_path)
    for number in stage or (1, 2, 3):
        for pair in agreement(db, number):
            kappa = "undefined" if pair.kappa is None else f"{pair.kappa:.3f}"
            click.echo(
                f"stage {pair.stage}  {pair.first} × {pair.second}: {pair.works} works, "
                f"agreement {pair.agreement:.1%}, kappa {kappa}"
            )


@click.command("export-decisions")
@db_option()
@click.option("--stage", type=click.IntRange(1, 3))
@click.option("--queue-for", help="Write this reviewer's empty queue instead, to fill in.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Default: stdout.")
def export_decisions_command(
    db_path: str, stage: int | None, queue_for: str | None, output: str | None
) -> None:
    """Export decisions (or a reviewer's queue) as CSV."""
    from screening.decisions_csv import export_decisions

    db = open_db(db_path)
    if output:
        buffer = io.StringIO()
        rows = export_decisions(db, buffer, stage, queue_for)
        write_atomically(output, buffer.getvalue())
        click.echo(f"Wrote {rows} rows to {output}.", err=True)
    else:
        export_decisions(db, sys.stdout, stage, queue_for)


@click.command("import-decisions")
@db_option(writes=True)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_decisions_command(db_path: str, path: Path) -> None:
    """Append the decisions in a CSV file (all or nothing; re-importing adds nothing)."""
    from screening.decisions_csv import DecisionsCsvError, import_decisions

    try:
        added = import_decisions(open_db(db_path), path)
    except DecisionsCsvError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Imported {added} new decision(s) from {path}.")


@click.command()
@db_option()
@click.option(
    "--source",
    type=click.Choice(["auto", "reported", "database"]),
    default="auto",
    show_default=True,
    help="The report's Table 3.1 or this database's decisions.",
)
@click.option(
    "--svg",
    "svg_path",
    type=click.Path(dir_okay=False),
    help="Also write the PRISMA 2020 flow diagram as SVG to this file (default: none).",
)
def flow(db_path: str, source: str, svg_path: str | None) -> None:
    """Print PRISMA 2020 counts; with --svg, write the flow diagram too."""
    from screening.flow import flow_counts, flow_svg, format_flow

    counts = flow_counts(open_db(db_path), source)
    click.echo(format_flow(counts))
    if svg_path is not None:
        write_atomically(svg_path, flow_svg(counts))
        click.echo(f"Flow diagram written to {svg_path}.")


@click.command()
@click.argument("data", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--seeds", default="1,2,3", show_default=True, help="Comma-separated seeds.")
@click.option(
    "--label-column",
    default="label_included",
    show_default=True,
    help="label_included, or label_abstract_screening for title/abstract labels.",
)
@click.option(
    "--stopping/--no-stopping",
    default=True,
    show_default=True,
    help="Screen on until every stopping rule has advised stopping, and report where each did.",
)
@click.option(
    "--recall-target",
    type=click.FloatRange(0.5, 1.0, max_open=True),
    default=0.95,
    show_default=True,
    help="Recall the stopping rules test for.",
)
@click.option(
    "--confidence",
    type=click.FloatRange(0.5, 1.0, max_open=True),
    default=0.95,
    show_default=True,
    help="Confidence the stopping rules ask for.",
)
@click.option(
    "--model",
    type=click.Choice(["elas-u4", "fusion"]),
    default="elas-u4",
    show_default=True,
    help="elas-u4: the word model (ASReview's default; simulate's default). fusion: the live "
    "queue's word model joined by embeddings when CV on the labels favours them (needs the "
    "embed extra; vectors are stored in --db and reused).",
)
@click.option(
    "--db",
    "db_path",
    default=None,
    help="With --model fusion: the evidensbase database the vectors are stored in "
    "(default $EVIDENSBASE_DB or ./evidensbase.db; it must exist).",
)
def simulate(
    data: tuple[Path, ...],
    seeds: str,
    label_column: str,
    stopping: bool,
    recall_target: float,
    confidence: float,
    model: str,
    db_path: str | None,
) -> None:
    """Replay labelled reviews through the ranking: 1+1 random priors, retrain per label.

    Per seed: WSS@95, share screened at 95 % recall, recall at 10 % screened; and, with
    --stopping, where each stopping rule would have stopped, the recall there and the work saved
    (the two priors count as screened), and over the seeds how often the recall target was met.
    """
    from screening import embeddings
    from screening.simulate import (
        LabelledData,
        Scorer,
        SimulationDataError,
        StoppingSettings,
        evidensbase_scorer,
        format_summary,
        fusion_scorer_factory,
        read_labelled_csv,
        simulate_dataset,
    )

    factory: Callable[[LabelledData], Scorer] = evidensbase_scorer
    if model == "fusion":
        if not embeddings.available():
            raise click.ClickException(
                "--model fusion needs the embed extra: pip install 'evidensbase[embed]'"
            )
        try:
            factory = fusion_scorer_factory(open_db(db_path, create=False, readonly=False))
        except DatabaseError as exc:
            raise click.ClickException(
                f"{exc} (--model fusion stores the vectors in an evidensbase database: "
                "`evidensbase build` makes one, or pass --db)"
            ) from exc

    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        raise click.BadParameter(f"seeds must be whole numbers, not {seeds!r}") from None
    for path in data:
        try:
            labelled = read_labelled_csv(path, label_column)
        except SimulationDataError as exc:
            raise click.ClickException(str(exc)) from exc
        settings = StoppingSettings(recall_target, confidence) if stopping else None
        summary, _ = simulate_dataset(labelled, seed_list, factory, stopping=settings)
        click.echo(format_summary(summary))


_IMPORT_FORMATS = {".ris": "ris", ".bib": "bibtex", ".csv": "pop-csv", ".json": "primo-json"}


def _years(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    first, sep, last = text.partition("-")
    if not (first.strip().isdigit() and len(first.strip()) == 4) or (
        sep and not (last.strip().isdigit() and len(last.strip()) == 4)
    ):
        raise click.BadParameter(
            f"{text!r}: expected A-B with four-digit years", param_hint="--years"
        )
    return int(first), int(last or first)


@click.command()
@db_option(writes=True)
@click.option("--years", help="The update's window, e.g. 2023-2026 (widens the review's period).")
@click.option(
    "--protocol",
    "protocol_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="An amended protocol file (YAML, the shape of db/corpus/protocol.yaml).",
)
@click.option("--reason", help="Why the protocol is amended (stored with the version).")
@click.option(
    "--engine", "engines", multiple=True, help="Engines to search (default: all live ones)."
)
@click.option("--base-url", help="A server of the engine's kind to ask instead (a local replay).")
@click.option("--max-pages", type=click.IntRange(min=1), help="Stop each search after N pages.")
@click.option("--offline", is_flag=True, help="Use the HTTP cache only.")
@click.option("--delay", type=click.FloatRange(min=0), help="Seconds between requests.")
@click.option("--contact", envvar="EVIDENSBASE_CONTACT", help="E-mail sent in the User-Agent.")
@click.option(
    "--import",
    "import_paths",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="An export file to take in too (.ris, .bib, Publish or Perish .csv, Primo .json).",
)
@click.option(
    "--svg", "svg_path", type=click.Path(dir_okay=False), help="Write the PRISMA diagram."
)
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Write PRISMA2020's CSV.")
@click.option("--report", "report_only", is_flag=True, help="Only report the update in force.")
def update(
    db_path: str,
    years: str | None,
    protocol_file: Path | None,
    reason: str | None,
    engines: tuple[str, ...],
    base_url: str | None,
    max_pages: int | None,
    offline: bool,
    delay: float | None,
    contact: str | None,
    import_paths: tuple[Path, ...],
    svg_path: str | None,
    csv_path: str | None,
    report_only: bool,
) -> None:
    """Update the review: amend the protocol, search the new window, screen only what is new."""
    from harvest.crawl import HarvestError, HarvestOptions, exit_status
    from harvest.importers import ImportFileError
    from screening.flow import flow_svg
    from screening.update import UpdateError, run_update
    from screening.update_report import format_update_report, prisma_csv, update_report

    incomplete = []
    if not report_only:
        imports = []
        for path in import_paths:
            file_format = _IMPORT_FORMATS.get(path.suffix.lower())
            if file_format is None:
                raise click.BadParameter(
                    f"{path}: cannot tell the format from {path.suffix!r}; use "
                    f"{', '.join(_IMPORT_FORMATS)} or `evidensbase import --format`",
                    param_hint="--import",
                )
            imports.append((path, file_format))
        try:
            options = HarvestOptions(
                engine=engines[0] if engines else "oria", base_url=base_url, max_pages=max_pages,
                offline=offline, delay=delay, contact=contact,
            )  # fmt: skip
            result = run_update(
                db_path, years=_years(years), protocol_file=protocol_file, reason=reason,
                engines=engines, harvest=options, imports=tuple(imports),
            )  # fmt: skip
        except (UpdateError, HarvestError, ImportFileError) as exc:
            raise click.ClickException(str(exc)) from exc
        state = "new" if result.new_version else "resumed"
        click.echo(f"Update under protocol version {result.version} ({state}).")
        for run in result.runs:
            click.echo(
                f"  run {run['id']} {run['search_id'] or run['source']}: {run['status']}, "
                f"{run['hits_fetched']} hits"
            )
        for engine, why in result.skipped.items():
            click.echo(f"  {engine}: not searched: {why}")
        for line in result.imports:
            click.echo(f"  imported {line}")
        rules = result.rules
        click.echo(
            f"Dedupe: {result.new_hits} new hits, {result.attached} joined existing works, "
            f"{result.works_created} new works. Rules (version {result.version}): "
            f"{rules.total if rules else 0} excluded, {rules.cleared if rules else 0} cleared."
        )
        incomplete = result.incomplete
    db = open_db(db_path)
    report = update_report(db)
    click.echo(format_update_report(report))
    if svg_path:
        write_atomically(svg_path, flow_svg(report.flow))
        click.echo(f"PRISMA 2020 diagram of the updated review written to {svg_path}.")
    if csv_path:
        write_atomically(csv_path, prisma_csv(report))
        click.echo(f"PRISMA2020 template CSV written to {csv_path}.")
    if incomplete:
        missing = ", ".join(f"run {r['id']} ({r['status']})" for r in incomplete)
        click.echo(
            f"Update in progress: {len(incomplete)} run(s) not complete: {missing}. "
            "Run the same command again to resume.",
            err=True,
        )
        raise SystemExit(exit_status(incomplete))  # harvest's codes: partial 3, blocked 4, …
