"""SwePub (Kungliga biblioteket) through LIBRIS Xsearch JSON: ``GET /xsearch?database=swepub``.

Why this interface, and what is not verified: see ``harvest/parse/swepub.py`` (no recorded answer
exists here; the parser follows the documented shape). One request stream per language code
(``SPR:swe``), paged by ``start``/``n`` (200 a page, Xsearch's maximum). SwePub publishes no rate
limit: the project's polite default (one request at a time, 3 s apart, AutoThrottle) is kept.
The years are not sent (no documented range syntax): the rules' period criterion judges them.
"""

from __future__ import annotations

from harvest.parse.answers import AnswerPage
from harvest.parse.swepub import parse_swepub_page, swepub_params
from harvest.spiders.paged import OffsetPagedSpider

SWEPUB_BASE_URL = "http://libris.kb.se"


class SwepubSpider(OffsetPagedSpider):
    name = "swepub"
    default_base_url = SWEPUB_BASE_URL
    page_size = 200

    def page_url(self, stream: str | None, offset: int) -> str:
        query = swepub_params(
            terms=self.search["terms"], language_code=stream, start=offset + 1, n=self.page_size
        )
        return f"{self.root}/xsearch?{query}"

    def parse_answer(self, body: bytes, offset: int) -> AnswerPage:
        return parse_swepub_page(body, offset=offset)
