"""Login, sessions and CSRF: no review page or post works without a reviewer signed in."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from db.portal import make_datasette
from db.portal.review import COOKIE
from db.portal.review.accounts import check_password, hash_password, load_accounts
from evidensbase.cli import main as cli

PAGES = [
    "/-/review",
    "/-/review/logout",
    "/-/review/stage/1",
    "/-/review/stage/2",
    "/-/review/stage/3",
    "/-/review/stage/1/next",
    "/-/review/stage/1/work/{id}",
    "/-/review/stage/2/work/{id}",
    "/-/review/conflicts/1",
    "/-/review/conflicts/1/{id}",
    "/-/review/waiting/1",
    "/-/review/agreement",
    "/-/review/dedupe",
]
POSTS = [
    "/-/review/logout",
    "/-/review/stage/1/work/{id}",
    "/-/review/stage/2/work/{id}",
    "/-/review/stage/3/work/{id}",
    "/-/review/conflicts/1/{id}",
    "/-/review/dedupe",
]


def paths(template: list[str], work_id: int) -> list[str]:
    return [p.format(id=work_id) for p in template]


def test_every_page_sends_an_anonymous_visitor_to_the_login(client: Any, review_db: Any) -> None:
    work_id = review_db[1]["synthetic_01"]
    for path in paths(PAGES, work_id):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["location"].startswith("/-/review/login?next="), path
        assert "synthetic" not in response.text


def test_every_post_refuses_an_anonymous_request(client: Any, review_db: Any) -> None:
    work_id = review_db[1]["synthetic_01"]
    for path in paths(POSTS, work_id):
        response = client.post(path, {"decision": "include"})  # a valid CSRF token, no login
        assert response.status_code == 403, path
    assert decisions_by(review_db[0], "Kari") == []


def test_every_post_refuses_a_missing_or_wrong_csrf_token(signed_in: Any, review_db: Any) -> None:
    kari = signed_in("Kari")
    work_id = review_db[1]["synthetic_01"]
    for path in [*paths(POSTS, work_id), "/-/review/login"]:
        missing = kari.request("post", path, data={"decision": "include"})
        assert missing.status_code == 403, path
        assert "did not match cookie" in missing.text  # asgi-csrf refused it
        wrong = kari.request("post", path, data={"decision": "include", "csrftoken": "forged"})
        assert wrong.status_code == 403, path
    assert decisions_by(review_db[0], "Kari") == []
    assert kari.get("/-/review").status_code == 200  # still signed in: only the posts failed


def test_login_with_a_wrong_password_or_unknown_name_fails(client: Any) -> None:
    assert client.login("Kari", "wrong password").status_code == 403
    assert client.login("Nobody").status_code == 403
    assert COOKIE not in client.cookies
    assert client.get("/-/review").status_code == 302


def test_login_logout_and_the_session_cookie(client: Any) -> None:
    response = client.login("Kari")
    assert response.status_code == 302
    header = response.headers["set-cookie"].lower()
    assert "httponly" in header and "max-age=28800" in header and "samesite=lax" in header
    page = client.get("/-/review")
    assert page.status_code == 200 and "Kari" in page.text
    token = client.token("/-/review/logout")
    assert client.post("/-/review/logout", {}, token=token).status_code == 302
    assert client.get("/-/review").status_code == 302


def test_login_never_redirects_off_the_site(client: Any) -> None:
    token = client.token()
    for target in ("https://evil.example/", "//evil.example/-/review", "/evidensbase"):
        response = client.post(
            "/-/review/login", {"name": "Kari", "password": "correct horse battery",
                                "next": target, "csrftoken": token},
        )  # fmt: skip
        assert response.headers["location"] == "/-/review", target


def test_an_expired_forged_or_revoked_session_is_refused(
    review_app: Any, client: Any, reviewers_file: Path
) -> None:
    site = review_app.evidensbase_review_site
    expired = review_app.sign({"a": "Kari", "e": int(time.time()) - 1}, COOKIE)
    for value in (expired, "Kari", review_app.sign({"a": "Kari"}, COOKIE)):
        client.cookies[COOKIE] = value
        assert client.get("/-/review").status_code == 302
    client.cookies[COOKIE] = site.sign_in(review_app, "Kari")
    assert client.get("/-/review").status_code == 200
    data = load_accounts(reviewers_file)
    del data["reviewers"]["Kari"]
    reviewers_file.write_text(json.dumps(data))
    assert client.get("/-/review").status_code == 302  # removed from the file: signed out


def test_the_public_portal_has_none_of_the_review_routes(
    public_app: Any, review_app: Any, review_db: Any
) -> None:
    from asyncio import run

    work_id = review_db[1]["synthetic_01"]
    site = review_app.evidensbase_review_site
    cookie = {COOKIE: site.sign_in(review_app, "Kari")}  # even a valid review cookie

    async def status(method: str, path: str) -> int:
        await public_app.invoke_startup()
        call = getattr(public_app.client, method)
        kwargs: dict[str, Any] = {"cookies": cookie}
        response = await call(path, **kwargs)
        return int(response.status_code)

    for path in ["/-/review/login", *paths(PAGES, work_id)]:
        assert run(status("get", path)) == 404, path
    for path in ["/-/review/login", *paths(POSTS, work_id)]:
        assert run(status("post", path)) in (403, 404, 405), path  # refused: never written
    assert decisions_by(review_db[0], "Kari") == []
    assert run(status("get", "/evidensbase/corpus.json")) == 200  # the public portal as before


def test_passwords_are_salted_scrypt_hashes(reviewers_file: Path) -> None:
    data = load_accounts(reviewers_file)
    stored = [entry["password"] for entry in data["reviewers"].values()]
    assert all(s.startswith("scrypt$") for s in stored)
    assert len(set(stored)) == len(stored)  # same password, different salts
    assert "correct horse" not in reviewers_file.read_text()
    assert check_password("correct horse battery", stored[0])
    assert not check_password("correct horse batterx", stored[0])
    assert hash_password("x") != hash_password("x")
    assert oct(reviewers_file.stat().st_mode & 0o777) == "0o600"


def test_reviewer_add_from_stdin_and_its_checks(built_db: Path) -> None:
    runner = CliRunner()
    args = ["reviewer", "add", "Anna", "--db", str(built_db), "--password-stdin"]
    result = runner.invoke(cli, args, input="a long password\n")
    assert result.exit_code == 0, result.output
    path = built_db.with_name("evidensbase-reviewers.json")
    assert "Added reviewer Anna" in result.output and str(path) in result.output
    assert "Anna" in load_accounts(path)["reviewers"]
    again = runner.invoke(cli, args, input="another long password\n")
    assert "New password for reviewer Anna" in again.output
    short = runner.invoke(cli, args, input="short\n")
    assert short.exit_code == 1 and "at least 8 characters" in short.output
    rule = runner.invoke(cli, [*args[:2], "rule", *args[3:]], input="a long password\n")
    assert rule.exit_code == 1 and "reserved" in rule.output
    other = built_db.with_name("team.json")
    elsewhere = runner.invoke(cli, [*args, "--reviewers", str(other)], input="a long password\n")
    assert elsewhere.exit_code == 0 and other.exists()


def decisions_by(db_path: Path, reviewer: str) -> list[Any]:
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT * FROM decisions WHERE reviewer = ?", [reviewer]).fetchall()


@pytest.fixture
def public_app(review_db: Any, reviewers_file: Any) -> Any:
    return make_datasette(review_db[0])
