"""The Datasette portal: metadata, templates and the server for the evidence database."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

PORTAL_DIR = Path(__file__).parent
METADATA_FILE = PORTAL_DIR / "metadata.yaml"
_PLACEHOLDER = "evidensbase"


def http_url(url: str | None) -> str | None:
    """``url`` when it is an http(s) address, else None: a record's URL comes from outside (a
    RIS ``UR`` field, an engine's answer), and a ``javascript:`` link would run in the page."""
    text = (url or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else None


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


# The site's Datasette settings (also written as settings.json by `evidensbase publish`).
# Every query has a time limit; no SQL box; no download of the whole file (it holds the raw
# tables); no facet suggestions (each costs a query per column); caching for a CDN in front.
PUBLIC_SETTINGS: dict[str, Any] = {
    "default_page_size": 50,
    "max_returned_rows": 1000,
    "sql_time_limit_ms": 1000,
    "facet_time_limit_ms": 200,
    "facet_suggest_time_limit_ms": 50,
    "suggest_facets": False,
    "default_allow_sql": False,
    "allow_download": False,
    "allow_csv_stream": False,
    "default_cache_ttl": 300,
}
# The reviewers' local site (public=False): every table, the SQL box and the file download.
PRIVATE_SETTINGS: dict[str, Any] = {
    **PUBLIC_SETTINGS,
    "sql_time_limit_ms": 3000,
    "facet_time_limit_ms": 500,
    "default_allow_sql": True,
    "allow_download": True,
    "default_cache_ttl": 5,
}
PLUGIN_NAME = "evidensbase-portal"


def site_metadata(db_path: str | Path, public: bool = True) -> dict[str, Any]:
    """The portal's metadata with the plugin's ``public`` switch set."""
    metadata = portal_metadata(db_path)
    plugins = metadata.setdefault("plugins", {})
    plugins[PLUGIN_NAME] = {**plugins.get(PLUGIN_NAME, {}), "public": public}
    if public:
        metadata["allow_sql"] = (
            False  # Datasette's own switch for the SQL box, besides the plugin's
        )
    return metadata


def inspect_data(db_path: str | Path) -> dict[str, Any]:
    """Datasette's ``inspect`` data (hash, size, table counts) for the file, computed once."""
    import asyncio

    from datasette.cli import inspect_

    data: dict[str, Any] = asyncio.run(inspect_([str(db_path)], None))
    return data


def static_mounts() -> list[tuple[str, str]]:
    """``/static/`` serves db/portal/static (as a config directory's static/ does)."""
    static = PORTAL_DIR / "static"
    return [("static", str(static))] if static.is_dir() else []


def make_datasette(
    db_path: str | Path,
    public: bool = True,
    immutable: bool = False,
    inspect: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
    review: bool = False,
    reviewers: str | Path | None = None,
) -> Any:
    """A configured Datasette instance over the database file (also used by the tests).

    ``public`` is the public site (curated views only, see plugins/public.py); ``immutable``
    opens the file read-only without locking, with ``inspect`` data for the table counts;
    ``settings`` override single Datasette settings; ``review`` adds the review team's login
    and screening pages (db/portal/review/), which write, so the file is not opened immutable.
    """
    from datasette.app import Datasette

    if review and immutable:
        raise ValueError("the review pages write decisions: the file cannot be immutable")
    files = [] if immutable else [str(db_path)]
    datasette = Datasette(
        files,
        immutables=[str(db_path)] if immutable else None,
        inspect_data=inspect,
        metadata=site_metadata(db_path, public),
        template_dir=str(PORTAL_DIR / "templates"),
        plugins_dir=str(PORTAL_DIR / "plugins"),
        static_mounts=static_mounts(),
        settings={**(PUBLIC_SETTINGS if public else PRIVATE_SETTINGS), **(settings or {})},
    )
    if review:
        from db.portal.review import enable_review

        enable_review(datasette, db_path, reviewers)
    return datasette


def make_served_datasette(
    db_path: str | Path,
    public: bool = True,
    review: bool = False,
    reviewers: str | Path | None = None,
) -> Any:
    """What ``evidensbase serve`` runs: the file immutable with table counts computed once; with
    the review pages (``serve --review``) writable, since reviewers record decisions."""
    if review:
        return make_datasette(db_path, public=public, review=True, reviewers=reviewers)
    return make_datasette(db_path, public=public, immutable=True, inspect=inspect_data(db_path))


def serve_portal(
    db_path: str | Path,
    host: str = "127.0.0.1",
    port: int = 8001,
    public: bool = True,
    review: bool = False,
    reviewers: str | Path | None = None,
) -> None:
    """Run Datasette until Ctrl-C, printing where to open it."""
    import asyncio

    import click
    import uvicorn

    datasette = make_served_datasette(db_path, public=public, review=review, reviewers=reviewers)
    asyncio.run(datasette.invoke_startup())
    url = f"http://{host}:{port}/{database_name(db_path)}/corpus"
    click.echo(f"evidensbase portal: open {url}  (Ctrl-C stops it)")
    if review:
        click.echo(
            f"review site: http://{host}:{port}/-/review  (accounts: evidensbase reviewer add)"
        )
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning", lifespan="on")
    click.echo("evidensbase portal stopped.")
