"""`evidensbase publish --out DIR` writes a folder that plain `datasette DIR` serves."""

from __future__ import annotations

import json
import os
import shutil
import sys
import urllib.error
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from evidensbase.cli import main
from tests.live import free_port, running_server


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_publish_writes_a_folder_plain_datasette_serves(built_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["publish", "--db", str(built_db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "datasette publish cloudrun evidensbase.db" in result.output
    assert "datasette publish fly evidensbase.db" in result.output
    names = {p.name for p in out.iterdir()}
    assert {
        "evidensbase.db", "metadata.json", "settings.json", "inspect-data.json", "templates",
        "plugins", "static", "lib", "requirements.txt", "README.md",
    } <= names  # fmt: skip
    assert (out / "plugins" / "renderers.py").exists() and (out / "plugins" / "public.py").exists()
    assert (out / "lib" / "exports" / "registry.py").exists()
    requirements = (out / "requirements.txt").read_text()
    assert "datasette" in requirements and "./lib" in requirements and "rispy" in requirements
    inspect = json.loads((out / "inspect-data.json").read_text())
    assert inspect["evidensbase"]["file"] == "evidensbase.db"
    assert inspect["evidensbase"]["tables"]["works"]["count"] == 24
    assert "behind a CDN" in (out / "README.md").read_text()

    # Plain Datasette from that folder only: its own executable, cwd and PYTHONPATH in the folder.
    port = free_port()
    datasette = shutil.which("datasette", path=str(Path(sys.executable).parent)) or "datasette"
    env = {**os.environ, "PYTHONPATH": str(out / "lib")}
    command = [datasette, str(out), "-p", str(port), "-h", "127.0.0.1"]
    with running_server(command, port, cwd=out, env=env) as (base, _process):
        status, body = get(f"{base}/evidensbase/corpus")
        assert status == 200 and "Korpus: inkluderte bidrag" in body.decode()
        status, ris = get(f"{base}/evidensbase/corpus.ris")
        assert status == 200 and ris.decode().count("ER  -") == 24
        status, databases = get(f"{base}/-/databases.json")
        assert json.loads(databases)[0]["is_mutable"] is False  # immutable, inspect counts
        assert get(f"{base}/evidensbase/decisions")[0] == 403
        assert get(f"{base}/evidensbase?sql=select+1")[0] == 403
        assert get(f"{base}/evidensbase.db")[0] == 403
        status, settings = get(f"{base}/-/settings.json")
        assert json.loads(settings)["sql_time_limit_ms"] == 1000
