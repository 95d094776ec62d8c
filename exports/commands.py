"""Subcommands of this package (none yet)."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Add this package's subcommands to the ``evidensbase`` group."""
