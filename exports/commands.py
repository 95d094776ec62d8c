"""Subcommands of the exports package: ``evidensbase export``."""

from __future__ import annotations

from pathlib import Path

import click

from db.database import open_db
from evidensbase.clikit import db_option, write_atomically
from exports.records import ExportOptions
from exports.registry import FORMATS, export_works
from exports.selection import STAGES, Selection, SelectionError, parse_years

_FORMAT_HELP = "; ".join(f"{f.name}: {f.description}" for f in FORMATS.values())
_STAGE_HELP = "; ".join(f"{name}: {text}" for name, (_, text) in STAGES.items())


@click.command("export")
@db_option()
@click.option(
    "--format", "-f", "format_name", required=True, help=f"Output format. {_FORMAT_HELP}."
)
@click.option("--stage", default="all", show_default=True, help=f"Screening stage. {_STAGE_HELP}.")
@click.option("--theme", help="Only works coded with this theme (e.g. method_process).")
@click.option("--language", help="Only works in this language (nb, nn, sv, da, en).")
@click.option("--years", help="Only works published in these years: A-B, A, A- or -B.")
@click.option("--search", "search_id", help="Only works found by this protocol search (its id).")
@click.option(
    "--sql", help='Only works whose id this read-only query returns ("select id from …").'
)
@click.option("--latex", is_flag=True, help="BibTeX: ASCII with LaTeX letters ({\\o}, {\\aa}).")
@click.option("--excel", is_flag=True, help="CSV: UTF-8 with BOM and semicolons, for Excel.")
@click.option(
    "--screening",
    is_flag=True,
    help="RIS/BibTeX/CSL-JSON: screening stage and codes as keywords/note.",
)
@click.option(
    "--labels", type=click.Choice(["en", "nb"]), default="en", show_default=True,
    help="Language of code labels and the APA heading.",
)  # fmt: skip
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: stdout).",
)
def export(
    db_path: str,
    format_name: str,
    stage: str,
    theme: str | None,
    language: str | None,
    years: str | None,
    search_id: str | None,
    sql: str | None,
    latex: bool,
    excel: bool,
    screening: bool,
    labels: str,
    output: Path | None,
) -> None:
    """Export the selected works as BibTeX, RIS, CSV, CSL-JSON or an APA 7 reference list."""
    db = open_db(db_path)
    try:
        selection = Selection(
            stage=stage, theme=theme, language=language,
            years=parse_years(years) if years else None, search=search_id, sql=sql,
        )  # fmt: skip
        options = ExportOptions(latex=latex, excel=excel, screening=screening, labels=labels)
        result = export_works(db, format_name, selection, options)
    except SelectionError as exc:
        raise click.UsageError(str(exc)) from exc
    finally:
        db.close()
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if output is None:
        click.echo(result.text, nl=False)
        where = "stdout"
    else:
        write_atomically(output, result.text)
        where = str(output)
    click.echo(
        f"Wrote {result.count} works as {result.format.name} to {where}.", err=output is None
    )


def register(group: click.Group) -> None:
    """Add this package's subcommands to the ``evidensbase`` group."""
    group.add_command(export)
