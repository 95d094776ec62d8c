"""The README's example of an NVA search added to the protocol builds, and plans an NVA crawl."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import yaml

from db.build import build_database
from db.embedded import CORPUS_DIR
from harvest.crawl import plan_runs
from harvest.options import HarvestOptions

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("#### Adding an NVA search to the protocol", 1)[1]
    match = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert match is not None, "the section has no yaml example"
    return match.group(1)


def test_readme_nva_search_builds_and_plans_a_crawl(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS_DIR, corpus)
    protocol = corpus / "protocol.yaml"
    text = protocol.read_text(encoding="utf-8")
    # The example is a list item of search_groups: put it after the last group.
    text = text.replace("\nlanguages:", "\n" + readme_example() + "\nlanguages:", 1)
    protocol.write_text(text, encoding="utf-8")
    group = yaml.safe_load(readme_example())[0]
    assert group["id"] == "nb-policy" and group["engines"] == ["nva"]

    path = tmp_path / "evidensbase.db"
    build_database(path, corpus)
    runs = plan_runs(path, HarvestOptions("nva", ("nva-nb-policy-introduksjonsprogram",)))

    assert [(r.search_id, r.query, r.mode) for r in runs] == [
        ("nva-nb-policy-introduksjonsprogram", "karriereveiledning AND introduksjonsprogram", "new")
    ]
    assert runs[0].spider_kwargs["search"] == {
        "terms": ["karriereveiledning", "introduksjonsprogram"],
        "year_from": 2016,
        "year_to": 2022,
        "filters": {"instance_types": ["ReportPolicy"]},
        "language_codes": ["nob", "nno"],
    }
    # Beyond the report: in no row of Table 3.1.
    conn = sqlite3.connect(path)
    row = conn.execute(
        "SELECT engine, yield_row FROM searches WHERE id = 'nva-nb-policy-introduksjonsprogram'"
    ).fetchone()
    conn.close()
    assert row == ("nva", None)
