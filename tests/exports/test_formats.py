"""Format details a librarian checks, on the corpus and on synthetic works."""

from __future__ import annotations

from pathlib import Path

from db.database import open_db
from exports.records import ExportOptions, ExportWork, LoadedWorks
from exports.registry import FORMATS, export_works


def _text(path: Path, format_name: str, options: ExportOptions | None = None) -> str:
    db = open_db(path)
    try:
        return export_works(db, format_name, options=options).text
    finally:
        db.close()


def test_bibtex_types_institutions_and_braces(export_db: Path) -> None:
    text = _text(export_db, "bib")
    # lillevik2020: a report whose publisher is Fafo (YAML) -> techreport with institution
    assert "@techreport{lillevik2020,\n" in text
    assert "  institution = {Fafo},\n" in text
    # hansen2021: a book chapter with container and pages 87–90
    assert "@incollection{hansen2021," in text
    assert "  pages = {87--90}," in text
    assert "  author = {{Opinion}},\n" in text  # organisation as author
    assert "Kjærgård, R." in text  # UTF-8 by default
    assert "Karriereveiledning for {NAV-brukere.} {Hvordan} kan {NAV}" in text
    assert text.count("@article{") == 8  # type: journal_article, 8 times in the YAML files


def test_latex_bibtex_spells_nordic_letters_as_commands(export_db: Path) -> None:
    text = _text(export_db, "bib", ExportOptions(latex=True))
    assert text.isascii()
    assert "Kj{\\ae}rg{\\aa}rd, R." in text
    assert "Flatland, {\\O}." in text
    assert "Danielsen, {\\AA}. {\\O}." in text
    assert "Besk{\\ae}ftigelse" in text


def test_ris_types_and_zotero_tags(export_db: Path) -> None:
    text = _text(export_db, "ris")
    records = {
        line[6:]: record.strip()
        for record in text.split("ER  - ")
        for line in record.splitlines()
        if line.startswith("ID  - ")
    }
    lillevik = records["lillevik2020"]
    assert lillevik.startswith("TY  - RPRT\n") and "PB  - Fafo\n" in lillevik
    hansen = records["hansen2021"]
    assert hansen.startswith("TY  - CHAP\n")
    assert "SP  - 87\nEP  - 90\n" in hansen
    assert "T2  - En guide til karrierevejledningens ukendte farvande" in hansen
    abkhezr = records["abkhezr2017"]
    assert "T2  - International Journal for the Advancement of Counselling" in abkhezr
    assert "AU  - Opinion\n" in text  # no comma: an organisation in Zotero
    assert "1." not in text.splitlines()  # rispy's record counter is not RIS


def test_csv_has_one_row_per_work_and_excel_variant(export_db: Path) -> None:
    plain = _text(export_db, "csv")
    assert plain.splitlines()[0].startswith("citation_key,key,authors,year,title,type")
    assert len(plain.splitlines()) == 25
    assert not plain.startswith("\ufeff")
    excel = _text(export_db, "csv", ExportOptions(excel=True))
    assert excel.startswith("\ufeffcitation_key;key;authors;")
    assert '"Søholt, S.; Liodden, T.; Aasen, B.; Vilhjalmsdottir, S.; Staver, A. B."' in excel


def _synthetic(*works: ExportWork) -> LoadedWorks:
    return LoadedWorks(list(works), [], {})


def test_excel_csv_defuses_formulas() -> None:
    work = ExportWork(id=1, key="k", title="=HYPERLINK(1)", authors=[], year=2020, type="report")
    text = FORMATS["csv"].write(_synthetic(work), ExportOptions(excel=True))
    assert ";'=HYPERLINK(1);" in text


def test_apa_sorts_and_suffixes_same_author_same_year(export_db: Path) -> None:
    lines = _text(export_db, "apa-txt").splitlines()
    assert len(lines) == 24
    assert lines[0].startswith("Abkhezr, P., & McMahon, M. (2017). Narrative career counselling")
    assert (
        "Sundelin, Å. (2017a). Coalition of qualitative questionnaires/interviews from experts."
        in lines
    )
    assert (
        "Sundelin, Å. (2017b). Om konsten att stödja nyanlända elevers lärande om karriärfrågor."
        in lines
    )
    md = _text(export_db, "apa-md")
    assert "*Kompetansekartlegging og karriereveiledning for nyankomne flyktninger*. Fafo." in md
    html = _text(export_db, "apa-html")
    assert (
        '<p class="csl-entry">Thomsen, M., &amp; Hatlem, C. (2016). <i>Karriereveiledning' in html
    )
