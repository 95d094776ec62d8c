"""Abuse of the public portal and the review site (issue 15, part 7), the fast part: markup in
every text field a page shows comes out escaped, SQL in every parameter gets a 4xx or a plain
answer (never a 500, never data beyond the public corpus), writes without a login are refused,
and pathological requests get a bounded answer. The load run (8–32 clients, a real server
process) is in bench/reliability.py; tests/db/test_portal_public.py covers the rest."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from db.database import open_db
from db.portal import make_datasette
from db.portal.precompute import refresh_portal
from db.portal.review.accounts import add_reviewer
from db.search_index import refresh_search_index
from tests.review.conftest import PASSWORD, Client

KEY = "thomsen2016"  # an included work of the embedded corpus: on every public page
# One payload per field, each naming its field, so a page that lets one through says which.
PAYLOADS = {
    "title": '<script>alert("xss-title")</script>',
    "abstract": '"><img src=x onerror=alert("xss-abstract")>',
    "authors": "<svg onload=alert('xss-authors')>",
    "topic": "<iframe src=javascript:alert('xss-topic')>",
    "method": "</textarea><script>alert('xss-method')</script>",
    "findings": "<a href=\"javascript:alert('xss-findings')\">x</a>",
}
URL_PAYLOAD = "javascript:alert('xss-url')"
SECRET = "SECRET-ABUSE-5521"  # in the work's internal note and a quality note: never public
REVIEWER_NAME = "Kari Hemmeligsen"


def fetch(datasette: Any, *paths: str, method: str = "GET") -> list[Any]:
    async def go() -> list[Any]:
        await datasette.invoke_startup()
        out = []
        for path in paths:
            out.append(await datasette.client.request(method, path))
        return out

    return asyncio.run(go())


@pytest.fixture(scope="module")
def abuse_db(corpus_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built database with markup in every shown text field of one included work."""
    path = tmp_path_factory.mktemp("abuse") / "evidensbase.db"
    path.write_bytes(corpus_template.read_bytes())
    with sqlite3.connect(path) as conn:
        authors = json.dumps([{"literal": PAYLOADS["authors"]}])
        conn.execute(
            "UPDATE works SET title = ?, abstract = ?, authors = ?, authors_display = ?, url = ?"
            " WHERE key = ?",
            [PAYLOADS["title"], PAYLOADS["abstract"], authors, PAYLOADS["authors"], URL_PAYLOAD,
             KEY],
        )  # fmt: skip
        conn.execute(
            "UPDATE summaries SET topic = ?, method = ?, findings = ?"
            " WHERE work_id = (SELECT id FROM works WHERE key = ?)",
            [PAYLOADS["topic"], PAYLOADS["method"], PAYLOADS["findings"], KEY],
        )
        work_id = conn.execute("SELECT id FROM works WHERE key = ?", [KEY]).fetchone()[0]
        conn.execute("UPDATE works SET notes = ? WHERE id = ?", [SECRET, work_id])
        conn.execute(
            "INSERT INTO quality (work_id, reviewer, criterion, rating, note, rated_at)"
            " VALUES (?, ?, 'q1', 'yes', ?, '2022-01-01')",
            [work_id, REVIEWER_NAME, SECRET],
        )
    db = open_db(path)
    try:
        with db.atomic():
            refresh_search_index(db)
            refresh_portal(db)
    finally:
        db.close()
    return path


def public_pages(db: Path) -> list[str]:
    # the page's key is the citation key, made from the (now marked-up) authors and year
    with sqlite3.connect(db) as conn:
        (page_key,) = conn.execute(
            "SELECT key FROM portal_works WHERE id = (SELECT id FROM works WHERE key = ?)", [KEY]
        ).fetchone()
    return [
        "/", "/works", f"/works/{page_key}", "/works?q=xss", "/gap-map", "/evidensbase/corpus",
        f"/evidensbase/corpus?key={KEY}", "/evidensbase/corpus?_search=xss", "/feed.atom",
        "/works?lang=en", f"/works/{page_key}?lang=en",
    ]  # fmt: skip


TAGS = (
    "<script>alert",
    "<img src=x",
    "<svg onload",
    "<iframe src=javascript",
    "</textarea><script",
)


JAVASCRIPT_LINK = re.compile(r"<a\s[^>]*href\s*=\s*[\"']?\s*javascript:", re.IGNORECASE)


def assert_escaped(path: str, text: str) -> None:
    for field, payload in PAYLOADS.items():
        assert payload not in text, (path, field)
    for tag in TAGS:  # no payload's markup reached the page as markup
        assert tag not in text, (path, tag)
    assert not JAVASCRIPT_LINK.search(text), path


def test_markup_in_every_shown_field_is_escaped_on_every_public_page(abuse_db: Path) -> None:
    pages = public_pages(abuse_db)
    responses = fetch(make_datasette(abuse_db, immutable=True), *pages)
    shown: set[str] = set()
    for path, response in zip(pages, responses, strict=True):
        assert response.status_code == 200, (path, response.status_code)
        assert_escaped(path, response.text)
        shown |= {f for f in PAYLOADS if f"xss-{f}" in response.text}
    # every payload was on some page, escaped: the checks above looked at the right thing (the
    # public pages show the three-part summary, not the abstract; the review site shows it)
    assert shown == set(PAYLOADS) - {"abstract"}
    assert "&lt;script&gt;alert(" in responses[2].text  # the work's title as text, escaped


def test_markup_is_escaped_on_the_review_site_too(abuse_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "evidensbase.db"
    db.write_bytes(abuse_db.read_bytes())
    add_reviewer(db.with_name("evidensbase-reviewers.json"), "Ola", PASSWORD)
    client = Client(make_datasette(db, review=True))
    assert client.login("Ola").status_code == 302
    with sqlite3.connect(db) as conn:
        work_id = conn.execute("SELECT id FROM works WHERE key = ?", [KEY]).fetchone()[0]
    for path in (f"/-/review/stage/1/work/{work_id}", f"/-/review/stage/2/work/{work_id}"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        for field in ("title", "abstract", "authors"):  # the record is on the page, escaped
            assert f"xss-{field}" in response.text, (path, field)
        assert_escaped(path, response.text)


INJECTIONS = (
    "' OR 1=1 --",
    "1; DROP TABLE works; --",
    "x' UNION SELECT reviewer, note, 1, 1 FROM decisions --",
    '") OR 1=1 --',
    "1 AND (SELECT count(*) FROM decisions) > 0",
    "randomblob(100000000)",
    "%' AND note LIKE '%SECRET",
)
PARAMETERS = (
    "/evidensbase/corpus.json?_search={}",
    "/evidensbase/corpus.json?_sort={}",
    "/evidensbase/corpus.json?_sort_desc={}",
    "/evidensbase/corpus.json?_facet={}",
    "/evidensbase/corpus.json?id__in={}",
    "/evidensbase/corpus.json?_where={}",
    "/evidensbase/corpus.json?year__gt={}",
    "/evidensbase/corpus.json?title__contains={}",
    "/evidensbase/corpus.json?_col={}",
    "/evidensbase/corpus.json?_next={}",
    "/evidensbase/corpus.json?_size={}",
    "/evidensbase/corpus.json?key={}",
    "/evidensbase/corpus.ris?_labels_lang={}",
    "/evidensbase.json?sql={}",
    "/works?q={}",
    "/works?theme={}",
    "/works?page={}",
    "/works/{}",
    "/gap-map?axis={}",
    "/?lang={}",
)


def test_sql_in_every_parameter_gets_a_4xx_or_a_plain_answer_never_a_500_or_secrets(
    abuse_db: Path,
) -> None:
    paths = [p.format(quote(i, safe="")) for p in PARAMETERS for i in INJECTIONS]
    responses = fetch(make_datasette(abuse_db, immutable=True), *paths)
    statuses = {}
    for path, response in zip(paths, responses, strict=True):
        assert response.status_code < 500, (path, response.status_code, response.text[:300])
        assert "Traceback" not in response.text, path
        assert SECRET not in response.text and REVIEWER_NAME not in response.text, path
        statuses[path] = response.status_code
    # the SQL box stays shut, and what does answer 200 is the corpus: at most its 24 works
    assert {s for p, s in statuses.items() if "sql=" in p} <= {400, 403}
    (ok,) = fetch(make_datasette(abuse_db, immutable=True), "/evidensbase/corpus.json?_size=max")
    assert len(ok.json()["rows"]) == 24
    with sqlite3.connect(abuse_db) as conn:  # and the injections changed nothing
        assert conn.execute("SELECT count(*) FROM works").fetchone()[0] == 24


WRITE_PATHS = (
    "/", "/works", f"/works/{KEY}", "/gap-map", "/evidensbase", "/evidensbase/corpus",
    "/evidensbase/corpus.json", "/evidensbase/corpus/-/insert", "/evidensbase/corpus/1/-/update",
    "/evidensbase/corpus/1/-/delete", "/evidensbase/-/create", "/evidensbase/works/-/insert",
    "/-/messages", "/-/permissions", "/lang/en", "/-/review/login",
)  # fmt: skip


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_writes_without_a_login_are_refused_never_a_500(abuse_db: Path, method: str) -> None:
    public = fetch(make_datasette(abuse_db, immutable=True), *WRITE_PATHS, method=method)
    for path, response in zip(WRITE_PATHS, public, strict=True):
        assert response.status_code in (403, 404, 405), (method, path, response.status_code)
    with sqlite3.connect(abuse_db) as conn:
        assert conn.execute("SELECT count(*) FROM works").fetchone()[0] == 24


def test_posts_to_the_review_site_without_a_login_or_token_are_refused(
    abuse_db: Path, tmp_path: Path
) -> None:
    db = tmp_path / "evidensbase.db"
    db.write_bytes(abuse_db.read_bytes())
    add_reviewer(db.with_name("evidensbase-reviewers.json"), "Ola", PASSWORD)
    datasette = make_datasette(db, review=True)
    with sqlite3.connect(db) as conn:
        before = conn.execute("SELECT count(*) FROM decisions").fetchone()[0]
    anonymous = Client(datasette)
    for path in ("/-/review/stage/1/work/1", "/-/review/dedupe", "/-/review/conflicts/1/1"):
        no_token = anonymous.request("post", path, data={"decision": "include"})
        assert no_token.status_code == 403, path  # CSRF without a token
        token = anonymous.post(path, {"decision": "include"})  # a token, no login
        assert token.status_code == 403, path
    for path in WRITE_PATHS:  # the public pages beside the review site refuse writes too
        response = anonymous.request("post", path, data={"a": "b"})
        assert response.status_code in (403, 404, 405), (path, response.status_code)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM decisions").fetchone()[0] == before


LONG = ",".join(str(i) for i in range(1, 2600))  # about 10 KB
PATHOLOGICAL = (
    f"/evidensbase/corpus.json?id__in={LONG}",
    f"/evidensbase/corpus.json?_search={'a' * 10_000}",
    f"/works?q={'veiledning ' * 1000}",
    "/evidensbase/corpus.json?_size=max&_facet=year&_facet=type&_facet=language" * 20,
    "/evidensbase/corpus.json?_next=99999999",
    "/works?page=99999999",
    "/evidensbase/corpus.json?_size=1001",
    "/evidensbase.json?sql=select+length(randomblob(100000000))",
    "/evidensbase/corpus.json?_search=" + quote('"' * 500 + "*" * 500),
    "/evidensbase/corpus.json?title__glob=" + quote("*" * 5000),
)


def test_pathological_requests_get_a_bounded_answer(abuse_db: Path) -> None:
    responses = fetch(make_datasette(abuse_db, immutable=True), *PATHOLOGICAL)
    for path, response in zip(PATHOLOGICAL, responses, strict=True):
        assert response.status_code < 500, (path[:80], response.status_code, response.text[:300])
        assert len(response.content) < 2_000_000, path[:80]
    statuses = [r.status_code for r in responses]
    assert statuses[0] == 414  # the 10 KB id__in is refused before any query
    assert statuses[7] in (400, 403)  # no SQL box: randomblob is out of reach
