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

from parsel import Selector

from harvest.parse.names import csl_name, year_of

SCHOLAR_BASE = "https://scholar.google.com/"
_MARKER = re.compile(r"\[(CITATION|BOOK|PDF|HTML|B|C|DOC|PS)\]")
_TOTAL = re.compile(r"(?:about\s+)?([\d.,\u00a0\u202f ]+)\s+results?", re.IGNORECASE)


@dataclass
class ScholarPage:
    """One page: the results total, its hits, and why it is a block page (None if it is not)."""

    total: int | None
    hits: list[dict[str, Any]] = field(default_factory=list)
    blocked: str | None = None


def block_reason(sel: Selector, *, has_results: bool = False) -> str | None:
    """Why this page is a block page, or None."""
    if sel.css("#gs_captcha_ccl, #gs_captcha_f, form#captcha-form, #recaptcha"):
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
    """Parse one saved result page."""
    sel = Selector(text=html)
    total = parse_results_total(" ".join(sel.css("#gs_ab_md ::text").getall()) or None)
    results = sel.xpath(
        "//div[contains(concat(' ', normalize-space(@class), ' '), ' gs_r ')][div[@class='gs_ri']]"
    )
    reason = block_reason(sel, has_results=bool(results))
    if reason:
        return ScholarPage(total=None, blocked=reason)
    hits = []
    for index, result in enumerate(results):
        hit = scholar_hit(result, base=page_url)
        hit["rank"] = rank_offset + index + 1
        hits.append(hit)
    return ScholarPage(total=total, hits=hits)


def _text(sel: Any) -> str:
    if sel is None:
        return ""
    return " ".join("".join(sel.css("::text").getall()).split())


def scholar_hit(result: Selector, *, base: str = SCHOLAR_BASE) -> dict[str, Any]:
    """One result (``div.gs_r``) as a hit; Scholar-only fields go into ``raw``."""
    ri = result.css("div.gs_ri")
    title_node = ri.css("h3.gs_rt")
    markers = sorted(
        set(_MARKER.findall(" ".join(title_node.css(".gs_ctu ::text, .gs_ctc ::text").getall())))
    )
    markers = [m for m in markers if m in {"CITATION", "BOOK", "PDF", "HTML", "DOC", "PS"}]
    title_parts = title_node.xpath(
        "./node()[not(self::span[contains(@class,'gs_ct')])]//text()"
        " | ./node()[not(self::span[contains(@class,'gs_ct')])][self::text()]"
    ).getall()
    title = " ".join("".join(title_parts).split()) or None
    url = title_node.css("a::attr(href)").get()
    byline = _text(ri.css("div.gs_a"))
    authors_text, venue_text, host = ([*byline.split(" - "), "", ""])[:3]
    venue, year = _venue_year(venue_text)
    links = ri.css("div.gs_fl a")
    cited_by = versions = None
    cluster_id = None
    for link in links:
        label = _text(link)
        href = link.attrib.get("href", "")
        query = parse_qs(urlparse(href).query)
        if label.startswith("Cited by"):
            cited_by = int(re.sub(r"\D", "", label) or 0)
            cluster_id = cluster_id or _first_param(query, "cites")
        elif re.match(r"All \d+ versions", label):
            versions = int(re.sub(r"\D", "", label))
            cluster_id = _first_param(query, "cluster") or cluster_id
    full_text = [
        {"kind": (_MARKER.search(_text(a)) or [None, None])[1], "url": a.attrib.get("href")}
        for a in result.css("div.gs_ggs a, div.gs_or_ggsm a")
    ]
    data_cid = result.attrib.get("data-cid")
    if not data_cid:
        # the 2016 layout keeps the id only in the Cite link: gs_ocit(event,'pYyS8T9g_kkJ','0')
        cite = ri.css("a[onclick*=gs_ocit]::attr(onclick)").get() or ""
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
        "abstract": _text(ri.css("div.gs_rs")) or None,
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


def _first_param(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _venue_year(text: str) -> tuple[str | None, int | None]:
    # 'Terra Antartica, 2002' / 'Antarctica. Institute of Geological and …, 1996' / '2009'
    year = year_of(text)
    venue = re.sub(r",?\s*\b(1[89]\d\d|20\d\d)\s*$", "", text).strip(" ,")
    return (venue or None), year
