"""Subcommands of the exports package: ``evidensbase export``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from db.database import open_db
from evidensbase.clikit import db_option, write_atomically
from exports.completeness import check_works
from exports.records import ExportOptions, load_works
from exports.registry import FORMATS, export_works
from exports.selection import STAGES, Selection, SelectionError, parse_years

_FORMAT_HELP = "; ".join(f"{f.name}: {f.description}" for f in FORMATS.values())
_STAGE_HELP = "; ".join(f"{name}: {text}" for name, (_, text) in STAGES.items())


@click.command("export")
@db_option()
@click.option("--format", "-f", "format_name", help=f"Output format. {_FORMAT_HELP}.")
@click.option(
    "--check",
    is_flag=True,
    help="Write no export: print which selected works lack a field APA 7 or biblatex needs "
    "(counts per field, then each work). Exit code 0 when every work is complete, 1 when any "
    "field is missing (the list says which), 2 on a usage error.",
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
    format_name: str | None,
    check: bool,
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
    """Export the selected works as BibTeX, RIS, CSV, CSL-JSON or an APA 7 reference list.

    Each export warns, on stderr, once per work and missing field that a style needs
    ("opinion2017: report has no publisher (APA, biblatex)"); --check prints the summary alone.
    """
    if not check and not format_name:
        raise click.UsageError("Missing option '--format' / '-f' (or use --check).")
    db = open_db(db_path)
    try:
        selection = Selection(
            stage=stage, theme=theme, language=language,
            years=parse_years(years) if years else None, search=search_id, sql=sql,
        )  # fmt: skip
        if check:
            completeness = check_works(load_works(db, selection, with_codes=False).works)
        else:
            options = ExportOptions(latex=latex, excel=excel, screening=screening, labels=labels)
            result = export_works(db, str(format_name), selection, options)
    except SelectionError as exc:
        raise click.UsageError(str(exc)) from exc
    finally:
        db.close()
    if check:
        click.echo(completeness.report(), nl=False)
        sys.exit(1 if completeness.gaps else 0)
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
