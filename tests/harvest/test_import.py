"""``evidensbase import``: RIS, BibTeX, Publish or Perish CSV and Primo JSON into hits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from evidensbase.cli import main

DATA = Path(__file__).resolve().parents[1] / "data" / "harvest"
PRIMO = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "primo"


def run_import(db: Path, *args: str):
    return CliRunner().invoke(main, ["import", "--db", str(db), *args])


def test_ris_with_nordic_letters_and_a_bad_record_reported_by_line(
    built_db: Path, sql, get_hit
) -> None:
    path = DATA / "synthetic_oria_export.ris"
    result = run_import(built_db, str(path), "--format", "ris", "--search", "oria-nb-innvandrere")
    assert result.exit_code == 2  # something was rejected
    assert f"rejected: {path}:25: not a RIS tag line" in result.output
    assert "4 read, 3 imported (3 new), 1 rejected" in result.output
    (run,) = sql(built_db, "SELECT * FROM search_runs")
    assert (run["engine"], run["search_id"], run["status"]) == (
        "ris",
        "oria-nb-innvandrere",
        "partial",
    )
    assert run["query"] == "karriereveiledning AND innvandrere"  # the search's own string
    assert run["source"] == str(path.resolve())
    assert run["hits_fetched"] == 3
    (ostby,) = sql(built_db, "SELECT hit_key FROM hits WHERE title LIKE 'Karriereveiledning%'")
    hit = get_hit(built_db, ostby["hit_key"])
    assert hit["authors"] == [
        {"family": "Østby", "given": "Åse"},
        {"family": "Lindqvist", "given": "Märta"},
    ]
    assert (hit["container"], hit["year"], hit["language"]) == (
        "Søkelys på arbeidslivet",
        2019,
        "nb",
    )
    assert (hit["doi"], hit["issn"], hit["type"]) == (
        "10.18261/synthetic.2019.01",
        "1504-7989",
        "journal_article",
    )
    (report,) = sql(built_db, "SELECT * FROM hits WHERE type = 'report'")
    assert report["title"] == "Vägledning för nyanlända – en översikt"
    assert (report["isbn"], report["issn"], report["language"]) == ("9788232400001", None, "sv")
    assert sql(
        built_db, "SELECT count(*) AS n FROM hits WHERE title LIKE 'Karrierevejledning%'"
    ) == [{"n": 0}]

    again = run_import(built_db, str(path), "--format", "ris", "--search", "oria-nb-innvandrere")
    assert "3 imported (0 new)" in again.output
    assert sql(built_db, "SELECT count(*) AS n FROM hits") == [{"n": 3}]
    assert sql(built_db, "SELECT count(*) AS n FROM search_runs") == [{"n": 1}]


def test_bibtex_decodes_latex_accents_and_reports_the_broken_entry(
    built_db: Path, sql, get_hit
) -> None:
    path = DATA / "synthetic_scholar_export.bib"
    result = run_import(built_db, str(path), "--format", "bibtex", "--query", "karriereveiledning")
    assert f"rejected: {path}:16: BibTeX entry skipped" in result.output
    assert "4 read, 3 imported (3 new), 1 rejected" in result.output
    braten = get_hit(built_db, "bibtex:braten2021vagledning")
    assert braten["authors"] == [{"family": "Bråten", "given": "Kåre"}]  # from Br{\aa}ten
    assert braten["title"] == "Vägledning för nyanlända – en översikt"  # '--' is an en dash
    assert (braten["type"], braten["publisher"]) == ("report", "Fafo")
    odegard = get_hit(built_db, "bibtex:odegard2018ankomst")
    assert odegard["authors"] == [{"family": "Ødegård", "given": "Ærlig"}]
    assert odegard["title"] == "Ankomst og arbeid: æ, ø og å i integreringen"
    ostby = get_hit(built_db, "bibtex:ostby2019karriere")
    assert ostby["title"] == "Karriereveiledning for nyankomne flyktninger i Norge"
    assert ostby["container"] == "Søkelys på arbeidslivet"
    (run,) = sql(built_db, "SELECT * FROM search_runs")
    assert (run["engine"], run["query"], run["search_id"]) == ("bibtex", "karriereveiledning", None)


def test_publish_or_perish_csv(built_db: Path, sql) -> None:
    path = DATA / "synthetic_pop_export.csv"
    result = run_import(
        built_db, str(path), "--format", "pop-csv", "--search", "scholar-sv-nyanländ"
    )
    assert f"rejected: {path}:4: 5 fields where the header has 26" in result.output
    assert f"rejected: {path}:5: Year 'tjueatten' is not a year" in result.output
    assert "5 read, 3 imported (3 new), 2 rejected" in result.output
    hits = {h["rank"]: h for h in sql(built_db, "SELECT * FROM hits")}
    assert sorted(hits) == [1, 2, 5]  # GSRank
    first = hits[1]
    assert json.loads(first["authors"]) == [
        {"family": "Østby", "given": "Å"},
        {"family": "Lindqvist", "given": "M"},
    ]
    assert (first["container"], first["publisher"], first["year"]) == (
        "Søkelys på arbeidslivet", "Universitetsforlaget", 2019
    )  # fmt: skip
    assert first["abstract"] == "Studien undersøker karriereveiledning."
    assert json.loads(first["raw"])["Cites"] == "12"
    assert json.loads(hits[5]["authors"]) == [
        {"family": "Åkesson", "given": "L"},
        {"family": "Ängström", "given": "B"},
    ]
    assert hits[5]["container"] == "Arbetsmarknad & Arbetsliv"


def test_primo_json_file(built_db: Path, sql, get_hit) -> None:
    path = PRIMO / "tulibraries_tul_cob__articles_search_response.json"
    result = run_import(built_db, str(path), "--format", "primo-json", "--query", "otter")
    assert result.exit_code == 0, result.output
    assert "10 read, 10 imported (10 new), 0 rejected" in result.output
    hit = get_hit(built_db, "cdi_swepub_primary_oai_DiVA_org_uu_401536")
    assert hit["doi"] == "10.1093/molbev/msz101"
    assert hit["authors"][0] == {"family": "Beichman", "given": "Annabel C"}
    assert len(hit["authors"]) == 13
    (run,) = sql(built_db, "SELECT * FROM search_runs")
    assert (run["status"], run["engine"], run["reported_total"]) == ("complete", "primo-json", 10)


def test_a_broken_file_is_named_with_its_line_and_nothing_stored_is_lost(
    tmp_path: Path, built_db: Path, sql
) -> None:
    good = PRIMO / "davzavada_dawmain__search-cdi-article.json"
    assert run_import(built_db, str(good), "--format", "primo-json").exit_code == 0
    broken = tmp_path / "synthetic_truncated.json"
    broken.write_text('{"info": {"total": 3},\n "docs": [\n {"pnx": ', encoding="utf-8")
    result = run_import(built_db, str(broken), "--format", "primo-json")
    assert result.exit_code == 1
    assert f"{broken}:3: not valid JSON" in result.output
    assert sql(built_db, "SELECT count(*) AS n FROM hits") == [{"n": 1}]
    assert [r["engine"] for r in sql(built_db, "SELECT engine FROM search_runs")] == ["primo-json"]


def test_runs_lists_each_run_with_status_counts_and_the_rejection(built_db: Path) -> None:
    empty = CliRunner().invoke(main, ["runs", "--db", str(built_db)])
    assert empty.output.strip() == "no search runs yet"
    run_import(
        built_db,
        str(PRIMO / "davzavada_dawmain__search-cdi-article.json"),
        "--format",
        "primo-json",
    )
    run_import(built_db, str(DATA / "synthetic_oria_export.ris"), "--format", "ris")
    listed = CliRunner().invoke(main, ["runs", "--db", str(built_db)]).output.splitlines()
    assert listed[0].split()[:6] == ["id", "status", "engine", "pages", "hits", "total"]
    assert listed[1].split()[:6] == ["2", "partial", "ris", "1", "3", "4"]  # newest first
    assert "1 record(s) rejected" in listed[2] and "synthetic_oria_export.ris:25" in listed[2]
    assert listed[3].split()[:6] == ["1", "complete", "primo-json", "1", "1", "1"]


def synthetic_rispy_export(path: Path, n: int) -> None:
    """A RIS file written by rispy, as ASReview's RIS export writes it ("1." before each record)."""
    import rispy

    records = [
        {
            "type_of_reference": "JOUR",
            "title": f"Karriereveiledning for nyankomne, studie {i}",
            "authors": [f"Østby, Åse {i}"],
            "year": str(2016 + i % 7),
            "notes": ["ASReview_relevant"] if i % 2 else ["ASReview_irrelevant"],
        }
        for i in range(n)
    ]
    path.write_text(rispy.dumps(records), encoding="utf-8")


def test_a_rispy_written_ris_file_imports_every_record_with_exit_0(
    tmp_path: Path, built_db: Path, sql
) -> None:
    path = tmp_path / "synthetic_asreview_export.ris"
    synthetic_rispy_export(path, 540)
    assert path.read_text(encoding="utf-8").startswith("1.\nTY  - JOUR\n")
    result = run_import(built_db, str(path), "--format", "ris")
    assert result.exit_code == 0, result.output
    assert f"{path}: run 1: 540 read, 540 imported (540 new), 0 rejected" in result.output
    assert "rejected:" not in result.output
    (run,) = sql(built_db, "SELECT status, hits_fetched, error FROM search_runs")
    assert run == {"status": "complete", "hits_fetched": 540, "error": None}
    assert sql(built_db, "SELECT count(*) AS n FROM hits") == [{"n": 540}]


@pytest.mark.parametrize(
    ("data_file", "declared", "expected", "hint"),
    [
        ("synthetic_oria_export.ris", "bibtex", "no BibTeX entries", "it looks like RIS"),
        ("synthetic_scholar_export.bib", "ris", "no RIS records", "it looks like BibTeX"),
    ],
)
def test_a_file_in_another_format_than_declared_is_refused_and_no_run_is_left(
    data_file: str, declared: str, expected: str, hint: str, built_db: Path, sql
) -> None:
    path = DATA / data_file
    result = run_import(built_db, str(path), "--format", declared)
    assert result.exit_code != 0
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"Error: {path}: {expected}")
    assert hint in line
    assert sql(built_db, "SELECT count(*) AS n FROM search_runs") == [{"n": 0}]
    assert sql(built_db, "SELECT count(*) AS n FROM hits") == [{"n": 0}]


@pytest.mark.parametrize("file_format", ["ris", "bibtex", "pop-csv", "primo-json"])
@pytest.mark.parametrize("content", [b"", b"\n  \r\n"], ids=["empty", "blank"])
def test_an_empty_file_is_an_error_and_stores_nothing(
    file_format: str, content: bytes, tmp_path: Path, built_db: Path, sql
) -> None:
    path = tmp_path / "synthetic_empty.txt"
    path.write_bytes(content)
    result = run_import(built_db, str(path), "--format", file_format)
    assert result.exit_code != 0
    assert f"{path}: the file is empty: no records to import" in result.output
    assert sql(built_db, "SELECT count(*) AS n FROM search_runs") == [{"n": 0}]


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_a_ris_file_in_utf16_with_a_byte_order_mark_is_decoded(
    codec: str, tmp_path: Path, built_db: Path, sql, get_hit
) -> None:
    import codecs

    boms = {"utf-16-be": codecs.BOM_UTF16_BE}
    text = (DATA / "synthetic_oria_export.ris").read_text(encoding="utf-8").replace("\n", "\r\n")
    path = tmp_path / f"synthetic_{codec}.ris"
    path.write_bytes(boms.get(codec, b"") + text.encode(codec))
    result = run_import(built_db, str(path), "--format", "ris")
    assert "4 read, 3 imported (3 new), 1 rejected" in result.output  # as in UTF-8
    (title,) = sql(built_db, "SELECT title FROM hits WHERE type = 'report'")
    assert title == {"title": "Vägledning för nyanlända – en översikt"}


def test_utf16_without_a_byte_order_mark_is_refused_naming_it(
    tmp_path: Path, built_db: Path, sql
) -> None:
    path = tmp_path / "synthetic_utf16le_no_bom.ris"
    path.write_bytes((DATA / "synthetic_oria_export.ris").read_text().encode("utf-16-le"))
    result = run_import(built_db, str(path), "--format", "ris")
    assert result.exit_code != 0
    assert f"{path}: contains NUL bytes: UTF-16 text without a byte-order mark" in result.output
    assert sql(built_db, "SELECT count(*) AS n FROM search_runs") == [{"n": 0}]


def test_ris_records_that_share_an_accession_number_are_all_kept(
    tmp_path: Path, built_db: Path, sql
) -> None:
    path = tmp_path / "synthetic_shared_an.ris"
    path.write_text(
        "TY  - RPRT\nAN  - 42\nTI  - Karriereveiledning i Norge\nPY  - 2019\nER  - \n\n"
        "TY  - JOUR\nAN  - 42\nTI  - Vägledning för nyanlända\nPY  - 2020\nER  - \n\n"
        "TY  - JOUR\nAN  - 42\nTI  - Karrierevejledning af flygtninge\nPY  - 2021\nER  - \n\n"
        "TY  - BOOK\nAN  - 43\nTI  - Integrering og arbeid\nPY  - 2018\nER  - \n",
        encoding="utf-8",
    )
    result = run_import(built_db, str(path), "--format", "ris")
    assert result.exit_code == 0, result.output
    assert "4 read, 4 imported (4 new), 0 rejected" in result.output
    assert sql(built_db, "SELECT hit_key, title FROM hits ORDER BY id") == [
        {"hit_key": "ris:42", "title": "Karriereveiledning i Norge"},
        {"hit_key": "ris:42#2", "title": "Vägledning för nyanlända"},
        {"hit_key": "ris:42#3", "title": "Karrierevejledning af flygtninge"},
        {"hit_key": "ris:43", "title": "Integrering og arbeid"},
    ]
    again = run_import(built_db, str(path), "--format", "ris")
    assert "4 read, 4 imported (0 new), 0 rejected" in again.output
    assert sql(built_db, "SELECT count(*) AS n FROM hits") == [{"n": 4}]
