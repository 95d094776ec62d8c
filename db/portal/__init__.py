"""The Datasette portal: metadata, templates and the server for the evidence database."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

PORTAL_DIR = Path(__file__).parent
METADATA_FILE = PORTAL_DIR / "metadata.yaml"
_PLACEHOLDER = "evidensbase"


def database_name(db_path: str | Path) -> str:
    """The name Datasette gives a database file: its file name without the suffix."""
    return Path(db_path).stem


def portal_metadata(db_path: str | Path) -> dict[str, Any]:
    """Datasette metadata with the database key and links renamed to this file's name."""
    with METADATA_FILE.open(encoding="utf-8") as handle:
        metadata: dict[str, Any] = yaml.safe_load(handle)
    name = database_name(db_path)
    metadata = copy.deepcopy(metadata)
    metadata["databases"] = {name: metadata["databases"][_PLACEHOLDER]}
    metadata["description_html"] = metadata["description_html"].replace(
        f"/{_PLACEHOLDER}/", f"/{name}/"
    )
    return metadata


def make_datasette(
    db_path: str | Path, review: bool = False, reviewers: str | Path | None = None
) -> Any:
    """A configured Datasette instance over the database file (also used by the tests)."""
    from datasette.app import Datasette

    datasette = Datasette(
        [str(db_path)],
        metadata=portal_metadata(db_path),
        template_dir=str(PORTAL_DIR / "templates"),
        plugins_dir=str(PORTAL_DIR / "plugins"),
        settings={
            "default_page_size": 50,
            "facet_time_limit_ms": 500,
            "sql_time_limit_ms": 3000,
            "allow_download": True,
        },
    )
    if review:  # serve --review: the team's login and screening pages (db/portal/review/)
        from db.portal.review import enable_review

        enable_review(datasette, db_path, reviewers)
    return datasette


def serve_portal(
    db_path: str | Path,
    host: str = "127.0.0.1",
    port: int = 8001,
    review: bool = False,
    reviewers: str | Path | None = None,
) -> None:
    """Run Datasette until Ctrl-C, printing where to open it."""
    import asyncio

    import click
    import uvicorn

    datasette = make_datasette(db_path, review=review, reviewers=reviewers)
    asyncio.run(datasette.invoke_startup())
    url = f"http://{host}:{port}/{database_name(db_path)}/corpus"
    click.echo(f"evidensbase portal: open {url}  (Ctrl-C stops it)")
    if review:
        click.echo(
            f"review site: http://{host}:{port}/-/review  (accounts: evidensbase reviewer add)"
        )
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning", lifespan="on")
    click.echo("evidensbase portal stopped.")
