"""The review site through Datasette's own test client, on a copy of the built database.

Synthetic works (keys ``synthetic_…``) are inserted directly, as the screening tests do: they
stand for harvested records waiting for stage 1. Reviewers are added with the real accounts code.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from db.database import open_db
from db.portal import make_datasette
from db.portal.review.accounts import add_reviewer

PASSWORD = "correct horse battery"
REVIEWERS = ("Kari", "Ola", "Tredje")
TOKEN = re.compile(r'name="csrftoken" value="([^"]+)"')

# Ten synthetic records: some about career guidance for refugees, some clearly not.
SYNTHETIC = [
    ("Karriereveiledning for flyktninger i introduksjonsprogrammet", "Veiledning av nyankomne."),
    ("Career guidance for newly arrived refugees in Sweden", "Counselling for refugees."),
    ("Vägledning för nyanlända invandrare", "Studie- och yrkesvägledning för nyanlända."),
    ("Fotball i norske kommuner", "Om idrettslag og frivillighet."),
    ("Migrant workers and career counselling", "Guidance for immigrants in Denmark."),
    ("Skolebibliotekets historie", "Et historisk blikk på bibliotek."),
    ("Integrasjon og arbeid for innvandrere", "Arbeidsrettet veiledning for innvandrere."),
    ("Urban gardening in Oslo", "Allotments and their users."),
    ("Newcomer youth and vocational guidance", "Refugee youth in vocational programmes."),
    ("Bridges of Bergen", "Engineering history."),
]


def insert_synthetic(db_path: Path, count: int = 10) -> dict[str, int]:
    """{key: work id} of the synthetic records added to the database file."""
    db = open_db(db_path)
    ids = {}
    with db.atomic():
        for number, (title, abstract) in enumerate(SYNTHETIC[:count], start=1):
            key = f"synthetic_{number:02d}"
            row = {
                "key": key,
                "title": title,
                "abstract": abstract,
                "year": 2019,
                "type": "report",
                "language": "nb",
                "peer_reviewed": 0,
                "origin": "harvest",
                "authors_display": f"Forfatter {number}",
            }
            ids[key] = int(db.table("works").insert(row).last_pk)
    db.close()
    return ids


@pytest.fixture
def review_db(built_db: Path) -> tuple[Path, dict[str, int]]:
    return built_db, insert_synthetic(built_db)


@pytest.fixture
def reviewers_file(built_db: Path) -> Path:
    path = built_db.with_name("evidensbase-reviewers.json")
    for name in REVIEWERS:
        add_reviewer(path, name, PASSWORD)
    return path


@pytest.fixture
def review_app(review_db: tuple[Path, dict[str, int]], reviewers_file: Path) -> Any:
    return make_datasette(review_db[0], review=True)


class Client:
    """One browser's worth of cookies over Datasette's test client."""

    def __init__(self, datasette: Any):
        self.datasette = datasette
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        async def go() -> Any:
            await self.datasette.invoke_startup()
            call = getattr(self.datasette.client, method)
            return await call(path, cookies=dict(self.cookies), **kwargs)

        response = asyncio.run(go())
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0].strip('"')
            if value and "max-age=0" not in header.lower():
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        return response

    def get(self, path: str) -> Any:
        return self.request("get", path)

    def token(self, path: str = "/-/review/login") -> str:
        match = TOKEN.search(self.get(path).text)
        assert match, f"no csrftoken in {path}"
        return match.group(1)

    def post(self, path: str, data: dict[str, Any], token: str | None = None) -> Any:
        data = dict(data)
        if "csrftoken" not in data:
            data["csrftoken"] = token or self.token()
        return self.request("post", path, data=data)

    def login(self, name: str, password: str = PASSWORD) -> Any:
        response = self.post("/-/review/login", {"name": name, "password": password})
        return response


@pytest.fixture
def client(review_app: Any) -> Client:
    return Client(review_app)


@pytest.fixture
def signed_in(review_app: Any):
    def make(name: str) -> Client:
        c = Client(review_app)
        response = c.login(name)
        assert response.status_code == 302, response.text[:500]
        return c

    return make
