"""Each defect the reliability work found in the parsers and importers, pinned: bad input is
reported as file:line (or URL) with what was expected, never a traceback, and a multi-file import
names what was and was not imported."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from evidensbase.cli import main
from harvest.importers import import_files
from harvest.importers.popcsv import read_pop_csv
from harvest.importers.primojson import read_primo_json
from harvest.parse.primo import PageError, parse_primo_page
from harvest.parse.scholar import parse_scholar_page
from harvest.politeness import retry_after_seconds

DATA = Path(__file__).resolve().parents[1] / "data" / "reliability"
HARVEST_DATA = Path(__file__).resolve().parents[1] / "data" / "harvest"


def test_pop_csv_field_over_128_kib_is_a_rejected_row_and_the_rows_around_it_are_read() -> None:
    path = DATA / "synthetic_import_pop-csv_field_over_128k.csv"
    records, problems = read_pop_csv(path)
    assert [r["title"] for r in records] == ["Good first", "Good last"]
    assert problems == [f"{path}:3: not a readable CSV row (a field over 128 KiB)"]


def test_pop_csv_header_field_over_128_kib_is_one_clear_error() -> None:
    from harvest.importers import ImportFileError

    path = DATA / "synthetic_import_pop-csv_header_field_over_128k.csv"
    with pytest.raises(ImportFileError, match=r":1: not a Publish or Perish CSV header \(a field"):
        read_pop_csv(path)


def test_pop_csv_superscript_digits_in_year_and_gsrank() -> None:
    path = DATA / "synthetic_import_pop-csv_superscript_digits.csv"
    records, problems = read_pop_csv(path)
    assert problems[0] == (
        f"{path}:2: Year '²⁰¹⁹' is not a year (expected 1800-2100 in digits 0-9)"
    )
    assert problems[1].startswith(f"{path}:4: Year '٢٠١٩' is not a year")
    (rank,) = records
    assert (rank["title"], rank["rank"], rank["year"]) == ("Superscript rank", None, 2019)


def test_primo_json_wrong_field_types_are_rejected_docs_named_by_line_and_place() -> None:
    path = DATA / "synthetic_import_primo-json_wrong_field_types.json"
    records, problems = read_primo_json(path)
    assert len(records) == 1  # the good doc
    text = path.read_text()
    assert len(problems) == 3
    titles, pnx, creator = problems
    assert titles.startswith(f"{path}:")
    assert "docs[1].pnx.display.title[0]: expected a string, got int" in titles
    assert "docs[2].pnx: expected an object, got list" in pnx
    assert "docs[3].pnx.display.creator: expected a list, got str" in creator
    # the line named is where that doc starts in the file
    line = int(titles.split(":")[1])
    assert text.splitlines()[line - 1].strip().startswith("{")


def test_primo_json_nested_too_deeply_is_one_clear_error() -> None:
    from harvest.importers import ImportFileError

    path = DATA / "synthetic_import_primo-json_deep_nesting.json"
    with pytest.raises(ImportFileError, match="nested too deeply"):
        read_primo_json(path)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ((DATA / "synthetic_parse_primo-json_invalid_utf8.json").read_bytes(), r"not valid UTF-8"),
        ((DATA / "synthetic_parse_primo-json_total_not_a_number.json").read_bytes(),
         r"info\.total: expected a whole number, got str"),
        (b"", "empty answer"),
        (b"  \n", "empty answer"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'[{"pnx": {}}]', r"no 'docs' list \(a JSON array\)"),
        (b'{"docs": {"pnx": {}}}', r"no 'docs' list \(a JSON object\)"),
        (b'{"info": {"total": -1}, "docs": []}', "info.total: expected a number of 0 or more"),
        (b'{"docs": [{"pnx": {"control": {"recordid": "r1"}}}]}',
         r"docs\[0\]\.pnx\.control\.recordid: expected a list, got str"),
    ],
)  # fmt: skip
def test_primo_page_faults_are_page_errors_saying_what_was_expected(
    body: bytes, expected: str
) -> None:
    with pytest.raises(PageError, match=expected):
        parse_primo_page(body)


def test_empty_binary_and_foreign_saved_scholar_pages_are_problems_not_empty_result_pages() -> None:
    assert "empty" in (parse_scholar_page("").problem or "")
    binary = (DATA / "synthetic_parse_scholar-html_binary.html").read_bytes().decode("latin-1")
    assert "binary" in (parse_scholar_page(binary).problem or "")
    foreign = parse_scholar_page("<html><body><p>Saved the wrong tab</p></body></html>")
    assert "not a saved Google Scholar result page" in (foreign.problem or "")
    no_match = parse_scholar_page(
        "<html><body><div id='gs_res_ccl'>Your search - xyzzy - did not match any articles."
        "</div></body></html>"
    )
    assert (no_match.problem, no_match.hits) == (None, [])


def test_empty_saved_scholar_page_ends_the_harvest_partial_naming_the_file(
    tmp_path: Path, built_db: Path
) -> None:
    import subprocess
    import sys

    fixture = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "scholar"
    pages = tmp_path / "saved"
    pages.mkdir()
    shutil.copyfile(fixture / "selkind_GeoMap__scholar_search_results.html", pages / "page1.html")
    (pages / "page2.html").write_bytes(b"")
    result = subprocess.run(
        [sys.executable, "-m", "evidensbase", "harvest", "--db", str(built_db), "--engine",
         "scholar", "--pages", str(pages)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 3, result.stderr  # partial
    assert "partial" in result.stdout
    assert "page2.html: the saved page is empty" in result.stderr


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert retry_after_seconds(b"120") == 120.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds(b"soon") is None
    assert retry_after_seconds(b"\xb2") is None  # a superscript two in Latin-1
    assert retry_after_seconds("Wed, 02 Dec 2026 15:00:30 GMT", now=1796223600.0) == 30.0


def test_multi_file_import_is_one_transaction_per_file_and_names_what_was_not_imported(
    tmp_path: Path, built_db: Path
) -> None:
    good = HARVEST_DATA / "synthetic_oria_export.ris"
    broken = tmp_path / "synthetic_broken.ris"
    broken.write_text("this is not RIS\n", encoding="utf-8")
    other = tmp_path / "synthetic_second.ris"
    other.write_bytes(good.read_bytes())
    summary = import_files(built_db, [good, broken, other], file_format="ris")
    assert [r.path for r in summary.reports] == [good, other]
    assert [p for p, _ in summary.refused] == [broken]
    assert summary.describe() == f"2 of 3 file(s) imported; not imported: {broken}"

    result = CliRunner().invoke(
        main, ["import", "--db", str(tmp_path / "cli.db"), str(good), str(broken), str(other),
               "--format", "ris"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert f"Error: {broken}: no RIS records" in result.output
    assert f"2 of 3 file(s) imported; not imported: {broken}" in result.output
    assert f"{other}: run " in result.output  # the file after the refused one was imported
    assert "Traceback" not in result.output


def test_an_exception_a_callback_lets_escape_is_a_fault_of_its_page_and_not_cached(
    built_db: Path,
) -> None:
    import json
    import subprocess
    import sys

    from tests.reliability.faultserver import FaultConfig, FaultServer
    from tests.reliability.trials import OTTER, ROOT

    with FaultServer(FaultConfig(OTTER, total=15)) as server:
        result = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("parser_bug.py")), str(built_db),
             server.url],
            capture_output=True, text=True, timeout=120, cwd=ROOT,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    got = json.loads(result.stdout.splitlines()[-1])
    assert got["status"] == "partial"
    assert "RuntimeError while reading the answer: a bug in the parser" in got["error"]
    assert "offset=5&" in got["error"]
    pages = [u for u in got["cached"] if "offset=" in u]  # not robots.txt
    offsets = sorted(int(u.split("offset=")[1].split("&")[0]) for u in pages)
    assert offsets == [0, 10]  # the page the callback failed on is not kept


def test_a_bad_answer_an_older_version_kept_in_the_cache_is_asked_again_in_the_same_run(
    built_db: Path,
) -> None:
    import sqlite3
    import subprocess
    import sys

    from tests.reliability.faultserver import FaultConfig, FaultServer
    from tests.reliability.trials import EN_SEARCH, OTTER, ROOT

    def harvest(url: str) -> subprocess.CompletedProcess[str]:
        args = ["harvest", "--db", str(built_db), "--engine", "oria", "--search", EN_SEARCH,
                "--base-url", url, "--delay", "0"]  # fmt: skip
        return subprocess.run(
            [sys.executable, "-m", "evidensbase", *args],
            capture_output=True, text=True, timeout=120, cwd=ROOT,
        )  # fmt: skip

    with FaultServer(FaultConfig(OTTER, total=150)) as server:
        assert harvest(server.url).returncode == 0
        # what an older evidensbase left behind: a truncated answer kept in the cache as good
        cache = sqlite3.connect(
            built_db.parent / "evidensbase-harvest" / "httpcache" / "oria.sqlite"
        )
        with cache:
            changed = cache.execute(
                "UPDATE responses SET body = substr(body, 1, 1000) WHERE request_url LIKE ?",
                ("%offset=50&%",),
            ).rowcount
        cache.close()
        assert changed == 1
        server.config.requests.clear()
        replay = harvest(server.url)
        assert replay.returncode == 0, replay.stdout + replay.stderr
        assert "(replay)" in replay.stdout and "complete" in replay.stdout
        asked = [p for p in server.config.requests if "offset=" in p]
        assert len(asked) == 1 and "offset=50&" in asked[0]  # only the bad page, once
