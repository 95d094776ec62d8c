"""NVA (Nasjonalt vitenarkiv, Sikt): ``GET https://api.nva.unit.no/search/resources``.

One request stream per search: the search's terms as ``query`` phrases (all must match), its
language as ``publicationLanguage`` (every code the protocol gives for it, any of them), the
group's ``instance_types`` filter as ``instanceType`` (ReportResearch, ReportPolicy, …), the
review's years; paged by ``from``/``size`` (100 a page; NVA answers no deeper than 10,000).
NVA publishes no rate limit: the project's polite default (one request at a time, 3 s apart,
AutoThrottle) is kept.
"""

from __future__ import annotations

from harvest.parse.answers import AnswerPage
from harvest.parse.nva import nva_params, parse_nva_page
from harvest.spiders.paged import OffsetPagedSpider

NVA_BASE_URL = "https://api.nva.unit.no/search"


class NvaSpider(OffsetPagedSpider):
    name = "nva"
    default_base_url = NVA_BASE_URL
    page_size = 100
    max_offset = 10_000  # the docs: from 0 to 10000-size

    def streams(self) -> list[str | None]:
        return [None]  # all of the language's codes in one request

    def page_url(self, stream: str | None, offset: int) -> str:
        filters = self.search.get("filters") or {}
        query = nva_params(
            terms=self.search["terms"],
            instance_types=list(filters.get("instance_types") or []),
            language_codes=[c for c in self.search.get("language_codes") or [] if c],
            year_from=self.search.get("year_from"),
            year_to=self.search.get("year_to"),
            offset=offset,
            size=self.page_size,
        )
        return f"{self.root}/resources?{query}"

    def parse_answer(self, body: bytes, offset: int) -> AnswerPage:
        return parse_nva_page(body, offset=offset)
