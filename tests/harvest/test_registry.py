"""An engine is a spider class: the registry is what the command line, the planner and the README
offer, and a spider class registered there is planned like the others."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from db.build import build_database
from db.embedded import CORPUS_DIR
from db.protocol import embedded_protocol
from harvest.commands import harvest as harvest_command
from harvest.crawl import HarvestError, HarvestOptions, plan_runs
from harvest.spiders import ENGINES, HarvestSpider

ROOT = Path(__file__).resolve().parents[2]


def engine_choices() -> tuple[str, ...]:
    (option,) = [p for p in harvest_command.params if p.name == "engine"]
    return tuple(option.type.choices)  # type: ignore[attr-defined]


def test_the_command_offers_exactly_the_registered_engines() -> None:
    assert engine_choices() == tuple(ENGINES) == ("oria", "scholar", "nva", "openalex", "swepub")


def test_every_spider_class_of_the_project_is_registered_under_its_name() -> None:
    # Scrapy's own loader walks SPIDER_MODULES: a spider module nobody registered shows up here.
    settings = Settings()
    settings.setmodule("harvest.settings")
    assert sorted(SpiderLoader.from_settings(settings).list()) == sorted(ENGINES)
    assert all(spider.name == name for name, spider in ENGINES.items())


def test_every_engine_the_protocol_names_is_registered() -> None:
    protocol = embedded_protocol().data
    named = {engine for group in protocol["search_groups"] for engine in group["engines"]}
    assert named <= set(protocol["engines"]) == set(ENGINES)


def test_the_readme_lists_the_registered_engines() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("Engines, one spider class each")
    paragraph = readme[start : readme.index("\n\n", start)]
    assert re.findall(r"^`([a-z0-9_-]+)` —", paragraph, re.MULTILINE) == list(ENGINES)


class MirrorSpider(HarvestSpider):
    """A new engine: nothing but a name, planned by the base class from the protocol."""

    name = "mirror"


@pytest.fixture
def mirror_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database whose protocol runs the Swedish searches in the 'mirror' engine too."""
    monkeypatch.setitem(ENGINES, "mirror", MirrorSpider)
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS_DIR, corpus)
    protocol = corpus / "protocol.yaml"
    text = protocol.read_text(encoding="utf-8")
    old = "    combined_terms: [flyktning, nyanländ, invandrare]\n    engines: [oria, scholar]\n"
    assert old in text
    protocol.write_text(text.replace(old, old.replace("scholar]", "scholar, mirror]")), "utf-8")
    path = tmp_path / "mirror.db"
    build_database(path, corpus)
    return path


def test_a_registered_spider_class_is_offered_and_planned(mirror_db: Path, tmp_path: Path) -> None:
    assert "mirror" in engine_choices()
    options = HarvestOptions(engine="mirror", max_pages=2, state_dir=tmp_path / "state")
    plans = plan_runs(mirror_db, options)
    assert [plan.search_id for plan in plans] == [
        "mirror-sv-flyktning",
        "mirror-sv-invandrare",
        "mirror-sv-nyanländ",
    ]
    first = plans[0]
    assert (first.engine, first.mode, first.source, first.query) == (
        "mirror",
        "new",
        "mirror",
        "karriärvägledning AND flyktning",
    )
    assert first.spider_kwargs["search"] == {
        "terms": ["karriärvägledning", "flyktning"],
        "year_from": 2016,
        "year_to": 2022,
        "filters": {},
        "language_codes": [None],  # the protocol gives no language codes for this engine
    }
    assert first.spider_kwargs["max_pages"] == 2
    # Planning again continues the same runs (each recorded as running), it adds none.
    again = plan_runs(mirror_db, options)
    assert [plan.run_id for plan in again] == [plan.run_id for plan in plans]


def test_an_unknown_engine_and_contradicting_options_are_refused(built_db: Path) -> None:
    with pytest.raises(
        HarvestError, match="unknown engine 'gopher'; choose from oria, scholar, nva,"
    ):
        plan_runs(built_db, HarvestOptions(engine="gopher"))
    with pytest.raises(HarvestError, match="--offline and --refresh contradict"):
        HarvestOptions(engine="oria", offline=True, refresh=True)
