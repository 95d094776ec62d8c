"""Two reviewers screen the same ten records blind in two browsers; a third resolves the
conflicts; stage 2 and 3 are filled in and the coded work is then in the corpus and its search.

`evidensbase serve --review` as a team runs it, driven by Playwright in Debian's chromium.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live import (
    chromium_browser,
    evidensbase_command,
    free_port,
    processes_holding,
    running_server,
)

pytestmark = pytest.mark.browser

PASSWORD = "a long enough password"

# What each reviewer decides on the ten synthetic records (i include, e exclude, m maybe).
KARI = {1: "i", 2: "i", 3: "i", 4: "e", 5: "m", 6: "e", 7: "i", 8: "e", 9: "i", 10: "e"}
OLA = {1: "i", 2: "i", 3: "e", 4: "i", 5: "m", 6: "e", 7: "i", 8: "e", 9: "i", 10: "e"}
# By hand: they agree on 8 of 10, so p_o = 0.8. Kari: 5 include, 1 maybe, 4 exclude; Ola the
# same counts. Chance agreement p_e = 0.5·0.5 + 0.1·0.1 + 0.4·0.4 = 0.42.
# kappa = (0.8 − 0.42) / (1 − 0.42) = 0.38 / 0.58 = 0.655
KAPPA_BY_HAND = "0.655"


def evidensbase(*args: str, stdin: str | None = None, cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "evidensbase", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        check=True,
        timeout=120,
    )
    return result.stdout


@pytest.fixture
def review_server(review_db: Any, tmp_path: Path) -> Iterator[tuple[str, Path, dict[str, int]]]:
    db_path, ids = review_db
    for name in ("Kari", "Ola", "Tredje"):
        out = evidensbase(
            "reviewer", "add", name, "--db", str(db_path), "--password-stdin",
            stdin=PASSWORD + "\n", cwd=tmp_path,
        )  # fmt: skip
        assert f"Added reviewer {name}" in out
    port = free_port()
    command = evidensbase_command("serve", "--review", "--db", str(db_path), "--port", str(port))
    with running_server(command, port, cwd=tmp_path, ready_path="/-/review/login", timeout=90) as (
        base,
        _process,
    ):
        yield base, db_path, ids
    # Stopped as a service manager stops it (SIGTERM): its ranking process goes with it.
    assert processes_holding(db_path, within=5) == []


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium_browser() as launched:
        yield launched


def login(browser: Any, base: str, name: str) -> Any:
    page = browser.new_context().new_page()
    page.goto(f"{base}/-/review")
    assert "/-/review/login" in page.url  # anonymous: sent to the login
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("#login")
    page.wait_for_url(f"{base}/-/review")
    return page


def screen_all(page: Any, base: str, plan: dict[int, str], other: str) -> list[str]:
    """Decide every record of the stage-1 queue by keyboard; returns the keys in the order seen."""
    seen: list[str] = []
    page.goto(f"{base}/-/review/stage/1/next")
    while "/work/" in page.url:
        key = page.get_attribute("#work-title", "data-key")
        assert key and key not in seen
        seen.append(key)
        # blind: the record page never says what the other reviewer decided
        assert other not in page.inner_text(".record")
        letter = plan[int(key.rsplit("_", 1)[1])]
        with page.expect_navigation():
            page.keyboard.press(letter)
            if letter == "e":
                page.keyboard.press("6")  # criterion 6: not relevant on title and abstract
        if "/work/" in page.url:
            assert page.get_attribute("#work-title", "data-key") != key  # the next one at once
    assert "Nothing left" in page.inner_text("body")
    return seen


def test_two_reviewers_screen_blind_a_third_resolves_and_the_work_is_coded(
    review_server: tuple[str, Path, dict[str, int]], browser: Any
) -> None:
    base, db_path, ids = review_server
    kari, ola = login(browser, base, "Kari"), login(browser, base, "Ola")

    # Kari skips her first record once (nothing recorded), then screens; Ola screens all ten
    kari.goto(f"{base}/-/review/stage/1/next")
    skipped = kari.get_attribute("#work-title", "data-key")
    with kari.expect_navigation():
        kari.keyboard.press("s")
    assert kari.get_attribute("#work-title", "data-key") != skipped
    assert len(screen_all(ola, base, OLA, "Kari")) == 10
    assert len(screen_all(kari, base, KARI, "Ola")) == 10  # the skipped one came round again

    # the queue page says so, with progress
    kari.goto(f"{base}/-/review/stage/1")
    assert "Your queue at this stage is empty" in kari.inner_text("#empty")
    assert "10" in kari.inner_text("#progress")

    # the disagreements are the conflicts
    third = login(browser, base, "Tredje")
    third.goto(f"{base}/-/review/conflicts/1")
    rows = third.locator("#conflicts tr[data-key]")
    assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.key)")) == [
        "synthetic_03",
        "synthetic_04",
    ]
    assert "Kari: include; Ola: exclude" in third.inner_text("tr[data-key=synthetic_03]")
    for key in ("synthetic_03", "synthetic_04"):
        third.goto(f"{base}/-/review/conflicts/1")
        third.click(f"tr[data-key={key}] a")
        third.check("input[name=decision][value=include]")
        with third.expect_navigation():
            third.click("#btn-resolve")
    third.goto(f"{base}/-/review/conflicts/1")
    assert third.locator("#no-conflicts").count() == 1

    # agreement: the kappa worked out by hand above
    third.goto(f"{base}/-/review/agreement")
    row = third.locator("tr.pair[data-stage='1'][data-first=Kari][data-second=Ola]")
    assert row.locator(".kappa").inner_text() == KAPPA_BY_HAND
    assert row.locator(".plain").inner_text() == "0.800"

    # stage 2: the six ratings, the rule's verdict as they are entered, then include
    kari.goto(f"{base}/-/review/stage/2/work/{ids['synthetic_01']}")
    criteria = ["validity", "reliability", "generalisation_evidence", "clear_question",
                "specified_method", "findings_answer_question"]  # fmt: skip
    for criterion in criteria:
        kari.select_option(f"#q_{criterion}", "yes")
    assert "acceptable quality" in kari.inner_text("#verdict")
    kari.select_option("#q_specified_method", "no")
    assert "not acceptable" in kari.inner_text("#verdict")
    kari.select_option("#q_specified_method", "partly")
    assert "5.5 points: acceptable" in kari.inner_text("#verdict")
    with kari.expect_navigation():
        kari.click("#btn-include")
    assert "quality 5.5 points" in kari.inner_text("body")

    # stage 3: the coding form, through db.appraisal.record_coding
    kari.goto(f"{base}/-/review/stage/3/work/{ids['synthetic_01']}")
    kari.check("input[name=theme][value=method_process]")
    kari.check("input[name=theme][value=power_relations]")
    kari.select_option("#method", "qualitative")
    kari.check("input[name=country][value=NO]")
    kari.fill("#participants_nb", "Tolv deltakere i introduksjonsprogrammet")
    kari.select_option("#refugees_interviewed", "true")
    kari.select_option("#summary_language", "nb")
    kari.fill("#summary_topic", "Karriereveiledning i introduksjonsprogrammet")
    kari.fill("#summary_method", "Intervjuer med veiledere og deltakere")
    kari.fill("#summary_findings", "Kvasirfunn om veiledning <b>ikke fet</b>")
    with kari.expect_navigation():
        kari.click("#btn-include")
    assert "Coded and included at stage 3" in kari.inner_text("body")

    # the coded work is in the corpus JSON and its full-text search
    def corpus(query: str) -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{base}/{db_path.stem}/corpus.json?{query}") as response:
            return list(json.load(response)["rows"])

    keys = [r["key"] for r in corpus("_shape=objects&_size=max")]
    assert "synthetic_01" in keys and len(keys) == 25
    found = corpus("_search=Kvasirfunn&_shape=objects")
    assert [r["key"] for r in found] == ["synthetic_01"]
    assert found[0]["findings_nb"] == "Kvasirfunn om veiledning <b>ikke fet</b>"  # stored as data
    kari.goto(f"{base}/{db_path.stem}/corpus?_search=Kvasirfunn")
    assert "Karriereveiledning i introduksjonsprogrammet" in kari.inner_text("body")
    assert kari.locator("b", has_text="ikke fet").count() == 0  # shown escaped
