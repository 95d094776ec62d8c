"""The reader's pages in Debian's headless Chromium, driven by Playwright, checked by axe-core.

Screenshots are written to tests/artifacts/portal/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live import chromium_browser, evidensbase_command, free_port, running_server

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "portal"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, corpus_template: Path) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("portal-browser")
    db_path = folder / "evidensbase.db"
    db_path.write_bytes(corpus_template.read_bytes())
    port = free_port()
    command = evidensbase_command("serve", "--db", str(db_path), "--port", str(port))
    with running_server(command, port, cwd=folder) as (base, _process):
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_browser() as launched:
        yield launched


@pytest.fixture
def page(browser: Any, tmp_path: Path) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    tab = context.new_page()
    yield tab
    context.close()


def check_accessibility(page: Any, name: str) -> list[dict[str, Any]]:
    """axe-core (bundled with axe-playwright-python, no network) on the page: no serious or
    critical violations. Writes a full-page screenshot too."""
    from axe_playwright_python.sync_playwright import Axe

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    results = Axe().run(page)
    violations: list[dict[str, Any]] = results.response["violations"]
    (ARTIFACTS / f"{name}.axe.txt").write_text(
        "\n".join(f"{v['impact']}: {v['id']} ({len(v['nodes'])})" for v in violations) or "none\n",
        encoding="utf-8",
    )
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, (name, bad)
    return violations


def no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"the page is {width}px wide at 320px"


def test_landing_page_in_both_languages(site: str, page: Any) -> None:
    page.goto(site + "/")
    assert page.locator("html").get_attribute("lang") == "nb"
    assert page.get_by_role("heading", level=1).inner_text().startswith("Karriereveiledning")
    assert "24 inkluderte bidrag" in page.locator("main").inner_text()
    check_accessibility(page, "landing-nb")
    with page.expect_navigation():
        page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "What does Nordic research know" in page.locator("main").inner_text()
    check_accessibility(page, "landing-en")
    # Remembered: the next page is in English too.
    page.goto(site + "/works")
    assert page.get_by_role("heading", level=1).inner_text() == "The works"
    with page.expect_navigation():
        page.get_by_role("link", name="Norsk").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Bidragene"


def test_search_without_nordic_letters_and_a_facet(site: str, page: Any) -> None:
    page.goto(site + "/")
    page.get_by_label("Søk i bidragene").fill("vagledning")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "1 bidrag for «vagledning»" in page.locator("main").inner_text()
    assert page.locator("mark").first.inner_text() == "vägledning"
    check_accessibility(page, "search-vagledning")
    page.get_by_label("Søk i bidragene").fill("gruppe")
    with page.expect_navigation():
        page.get_by_role("button", name="Søk").click()
    heading = page.locator("#results-h").inner_text()
    assert heading.startswith("11 bidrag"), heading
    assert page.locator("mark").count() >= 5
    check_accessibility(page, "search-gruppe")
    facet = page.locator("details.facet", has_text="Gruppe i rapporten")
    facet.locator("summary").click()  # a closed facet opens like any disclosure
    with page.expect_navigation():
        facet.get_by_role("link", name="Norske rapporter").click()
    heading = page.locator("#results-h").inner_text()
    count = int(heading.split()[0])
    assert 0 < count < 11
    assert page.locator("li.card").count() == count
    assert "Gruppe i rapporten: Norske rapporter" in page.locator(".active-filters").inner_text()
    check_accessibility(page, "search-gruppe-facet")


def test_work_page(site: str, page: Any) -> None:
    page.goto(site + "/works?q=Soholt")
    with page.expect_navigation():
        page.locator("li.card h3 a").first.click()
    assert page.url.startswith(site + "/works/soholt2020")
    main = page.locator("main").inner_text()
    for words in ("Referanse", "Tema og formål", "Koding", "Vurderingene underveis"):
        assert words in main, words
    assert "rapportens forfattere" in main
    check_accessibility(page, "work-page")


def test_gap_map_and_a_cell(site: str, page: Any) -> None:
    page.goto(site + "/gap-map")
    assert page.locator("td.cell.gap").count() > 0
    check_accessibility(page, "gap-map")
    cell = page.locator("td.cell.filled a").first
    expected = int(cell.inner_text())
    with page.expect_navigation():
        cell.click()
    assert page.locator("li.card").count() == expected
    page.goto(site + "/gap-map?axis=country")
    assert page.locator("caption").inner_text() == "Tema × Land"
    check_accessibility(page, "gap-map-country")


def test_ris_download_from_a_filtered_list(site: str, page: Any) -> None:
    page.goto(site + "/works?group=norwegian_report")
    with page.expect_download() as info:
        page.get_by_role("link", name="RIS", exact=True).click()
    path = info.value.path()
    text = Path(path).read_text(encoding="utf-8")
    assert text.count("TY  - ") == 9
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "norwegian-reports.ris").write_text(text, encoding="utf-8")


@pytest.mark.parametrize("path", ["/", "/works", "/works/thomsen2016", "/gap-map"])
def test_readable_on_a_phone_and_by_keyboard(site: str, browser: Any, path: str) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 640})
    phone = context.new_page()
    phone.goto(site + path)
    no_horizontal_scroll(phone)
    name = "phone" + (path.replace("/", "-") if path != "/" else "-landing")
    phone.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    # The first Tab reaches the skip link, which moves focus to the main content.
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.className") == "skip-link"
    phone.keyboard.press("Enter")
    assert phone.evaluate("document.activeElement.id") == "main"
    context.close()
