"""The ``evidensbase`` command: thin subcommands that hand off to library functions."""

from __future__ import annotations

import click

from evidensbase import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="evidensbase")
def main() -> None:
    """evidensbase: a living systematic review of career guidance for newly arrived refugees and
    immigrants, published as an evidence database."""


def _register_commands() -> None:
    # One module per package adds its own subcommands, so packages never edit each other's CLI.
    from db import commands as db_commands
    from exports import commands as export_commands
    from harvest import commands as harvest_commands
    from screening import commands as screening_commands

    for module in (db_commands, harvest_commands, screening_commands, export_commands):
        module.register(main)


_register_commands()
