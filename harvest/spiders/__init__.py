"""One spider per engine, registered here: the CLI's ``--engine`` choices, the planner and the
README's list of engines all come from ``ENGINES``."""

from __future__ import annotations

from harvest.spiders.base import HarvestSpider
from harvest.spiders.nva import NvaSpider
from harvest.spiders.openalex import OpenAlexSpider
from harvest.spiders.oria import OriaSpider
from harvest.spiders.scholar import ScholarSpider
from harvest.spiders.swepub import SwepubSpider

# A new engine: a HarvestSpider subclass with a ``name``, added here (a test checks that every
# spider class in this package is registered under its name).
ENGINES: dict[str, type[HarvestSpider]] = {
    spider.name: spider
    for spider in (OriaSpider, ScholarSpider, NvaSpider, OpenAlexSpider, SwepubSpider)
}

__all__ = ["ENGINES", "HarvestSpider"]
