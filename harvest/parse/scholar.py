"""Google Scholar result pages (saved from a browser) as hits.

Reads the current layout (``div.gs_r.gs_or.gs_scl`` with ``data-cid``) and the older one (2016:
``div.gs_r`` without ``gs_or``). A CAPTCHA or "unusual traffic" page is reported as a block, never
parsed as an empty result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from hashlib import sha1
from typing import Any
from urllib.parse import parse_qs, urljoin, urlparse

from lxml import etree
from parsel import Selector
from parsel.csstranslator import css2xpath

from harvest.parse.names import csl_name, year_of

SCHOLAR_BASE = "https://scholar.google.com/"
_MARKER = re.compile(r"\[(CITATION|BOOK|PDF|HTML|B|C|DOC|PS)\]")
_TOTAL = re.compile(r"(?:about\s+)?([\d.,\u00a0\u202f ]+)\s+results?", re.IGNORECASE)


def _query(css: str | None = None, xpath: str | None = None) -> etree.XPath:
    """A query compiled once: a CSS selector (with parsel's ``::text``/``::attr()``) as parsel
    translates it, or an XPath. Run on lxml elements, it finds what ``Selector.css`` would."""
    return etree.XPath(css2xpath(css) if css else xpath, smart_strings=False)


# Page-level queries (compiled once; ``contains(@class, 'gs_r')`` first, a cheap test that any
# class list holding the token gs_r passes, before the exact token test).
_RESULTS = _query(
    xpath="//div[contains(@class, 'gs_r')]"
    "[contains(concat(' ', normalize-space(@class), ' '), ' gs_r ')][div[@class='gs_ri']]"
)
_TOTAL_TEXT = _query("#gs_ab_md ::text")
# '#gs_captcha_ccl, #gs_captcha_f, form#captcha-form, #recaptcha' in one pass over the page
_CAPTCHA = _query(
    xpath="//*[@id = 'gs_captcha_ccl' or @id = 'gs_captcha_f' or @id = 'recaptcha'"
    " or (self::form and @id = 'captcha-form')]"
)


@dataclass
class ScholarPage:
    """One page: the results total, its hits, why it is a block page (None if it is not), and
    why it is not a result page at all (empty, binary, another page: None if it is one)."""

    total: int | None
    hits: list[dict[str, Any]] = field(default_factory=list)
    blocked: str | None = None
    problem: str | None = None


# What marks a Scholar result page that has no results: its results column, its "About N
# results" bar, or the no-match message.
_RESULT_PAGE = _query(xpath="//*[@id = 'gs_res_ccl' or @id = 'gs_ab_md' or @id = 'gs_res_ccl_mid']")
_NO_MATCH = re.compile(r"did not match any (articles|documents)", re.IGNORECASE)


def page_problem(html: str) -> str | None:
    """Why a saved page is not a page to parse: empty, or not text (None if it can be parsed)."""
    if not html.strip():
        return "the saved page is empty: expected a Google Scholar result page"
    if "\x00" in html:
        return "the saved page is binary (NUL bytes): expected a Google Scholar result page"
    return None


def block_reason(sel: Selector, *, has_results: bool = False) -> str | None:
    """Why this page is a block page, or None."""
    if _CAPTCHA(sel.root):
        return "Google Scholar answered with a CAPTCHA ('Please show you're not a robot')"
    if has_results:
        return None  # the 'sorry' page has no results; reading all text of a results page is slow
    text = " ".join(sel.css("body ::text").getall()[:400]).lower()
    if "unusual traffic" in text or "our systems have detected" in text:
        return "Google Scholar answered 'unusual traffic from your computer network'"
    return None


def parse_results_total(text: str | None) -> int | None:
    """'About 30 results', 'Page 2 of about 79.800 results (0,05 sec)', '1 result' -> the number."""
    if not text:
        return None
    match = _TOTAL.search(text)
    if not match:
        return None
    digits = re.sub(r"\D", "", match.group(1))
    return int(digits) if digits else None


def parse_scholar_page(
    html: str, *, page_url: str = SCHOLAR_BASE, rank_offset: int = 0
) -> ScholarPage:
    """Parse one saved result page (an empty, binary or non-Scholar page gives ``problem``)."""
    problem = page_problem(html)
    if problem:
        return ScholarPage(total=None, problem=problem)
    try:
        # type="html": left to guess, parsel reads text that looks like JSON as JSON (a saved
        # page holding JSON then crashed the parser: RecursionError, TypeError)
        sel = Selector(text=html, type="html")
    except ValueError as exc:  # lxml refuses some text outright (e.g. a document too deep)
        return ScholarPage(total=None, problem=f"the saved page cannot be read as HTML: {exc}")
    total = parse_results_total(" ".join(_TOTAL_TEXT(sel.root)) or None)
    results = [Selector(root=node, type="html") for node in _RESULTS(sel.root)]
    reason = block_reason(sel, has_results=bool(results))
    if reason:
        return ScholarPage(total=None, blocked=reason)
    if not results and not _RESULT_PAGE(sel.root) and not _NO_MATCH.search(html):
        return ScholarPage(
            total=None,
            problem="no results and none of a result page's marks (#gs_res_ccl, #gs_ab_md, "
            "'did not match any articles'): not a saved Google Scholar result page",
        )
    hits = []
    for index, result in enumerate(results):
        hit = scholar_hit(result, base=page_url)
        hit["rank"] = rank_offset + index + 1
        hits.append(hit)
    return ScholarPage(total=total, hits=hits)


# The queries of one result, compiled once: per result they run on the lxml element directly
# (a parsel Selector per query and per node found cost most of the parse).
_RI = _query("div.gs_ri")
_TITLE = _query("h3.gs_rt")
_MARKER_TEXT = _query(".gs_ctu ::text, .gs_ctc ::text")
_TITLE_TEXT = _query(
    xpath="./node()[not(self::span[contains(@class,'gs_ct')])]//text()"
    " | ./node()[not(self::span[contains(@class,'gs_ct')])][self::text()]"
)
_HREF = _query("a::attr(href)")
_BYLINE = _query("div.gs_a")
_SNIPPET = _query("div.gs_rs")
_LINKS = _query("div.gs_fl a")
_FULL_TEXT = _query("div.gs_ggs a, div.gs_or_ggsm a")
_CITE = _query("a[onclick*=gs_ocit]::attr(onclick)")
_TEXT = _query("::text")


def _all(query: etree.XPath, nodes: list[Any]) -> list[Any]:
    """The query over each node, in order (what a parsel SelectorList's ``css`` gives)."""
    return [found for node in nodes for found in query(node)]


def _node_text(nodes: list[Any]) -> str:
    """All text under the nodes, whitespace collapsed (parsel's ``::text``, on lxml nodes)."""
    return " ".join("".join(_all(_TEXT, nodes)).split())


def scholar_hit(result: Selector, *, base: str = SCHOLAR_BASE) -> dict[str, Any]:
    """One result (``div.gs_r``) as a hit; Scholar-only fields go into ``raw``."""
    root = result.root
    ri = _RI(root)
    title_node = _all(_TITLE, ri)
    markers = sorted(set(_MARKER.findall(" ".join(_all(_MARKER_TEXT, title_node)))))
    markers = [m for m in markers if m in {"CITATION", "BOOK", "PDF", "HTML", "DOC", "PS"}]
    title_parts = _all(_TITLE_TEXT, title_node)
    title = " ".join("".join(title_parts).split()) or None
    url = next(iter(_all(_HREF, title_node)), None)
    byline = _node_text(_all(_BYLINE, ri))
    authors_text, venue_text, host = ([*byline.split(" - "), "", ""])[:3]
    venue, year = _venue_year(venue_text)
    cited_by = versions = None
    cluster_id = None
    for link in _all(_LINKS, ri):
        label = _node_text([link])
        if label.startswith("Cited by"):
            cited_by = int(re.sub(r"\D", "", label) or 0)
            cluster_id = cluster_id or _link_param(link, "cites")
        elif re.match(r"All \d+ versions", label):
            versions = int(re.sub(r"\D", "", label))
            cluster_id = _link_param(link, "cluster") or cluster_id
    full_text = [
        {"kind": (_MARKER.search(_node_text([a])) or [None, None])[1], "url": a.get("href")}
        for a in _FULL_TEXT(root)
    ]
    data_cid = root.get("data-cid")
    if not data_cid:
        # the 2016 layout keeps the id only in the Cite link: gs_ocit(event,'pYyS8T9g_kkJ','0')
        cite = next(iter(_all(_CITE, ri)), None) or ""
        found = re.search(r"gs_ocit\(event,'([^']+)'", cite)
        data_cid = found.group(1) if found else None
    hit_key = data_cid or "sha1:" + sha1(f"{title}|{byline}".encode()).hexdigest()
    authors = [
        name
        for part in authors_text.split(",")
        if (name := csl_name(part)) and not part.strip().startswith("…")
    ]
    return {
        "hit_key": hit_key,
        "title": title,
        "authors": authors,
        "year": year,
        "type": "book" if "BOOK" in markers else None,
        "language": None,
        "container": venue,
        "publisher": None,
        "doi": None,
        "isbn": None,
        "issn": None,
        "url": urljoin(base, url) if url else None,
        "abstract": _node_text(_all(_SNIPPET, ri)) or None,
        "peer_reviewed": None,
        "raw": {
            "html": result.get(),
            "byline": byline,
            "host": host.strip() or None,
            "cited_by": cited_by,
            "cluster_id": cluster_id,
            "versions": versions,
            "markers": markers,
            "full_text": full_text,
        },
    }


def _link_param(link: Any, name: str) -> str | None:
    """A query parameter of a link's href (read only for the links that carry one)."""
    return _first_param(parse_qs(urlparse(link.get("href", "")).query), name)


def _first_param(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _venue_year(text: str) -> tuple[str | None, int | None]:
    # 'Terra Antartica, 2002' / 'Antarctica. Institute of Geological and …, 1996' / '2009'
    year = year_of(text)
    venue = re.sub(r",?\s*\b(1[89]\d\d|20\d\d)\s*$", "", text).strip(" ,")
    return (venue or None), year
