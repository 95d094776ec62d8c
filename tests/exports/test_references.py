"""Complete references in every format: named fields of named works, APA 7 per type in en and nb.

The works are described in references.py (three real ones from recorded sources, two synthetic
chapters). The expected APA entries below were written by hand from the APA 7 rules (Publication
Manual, 7th ed., ch. 9-10; the Norwegian APA 7 manual for nb), not copied from the output:

- report (10.4): Author, A. A. (Year). *Title* (Series Number). Publisher.
- chapter in an edited book (10.3): Author. (Year). Chapter title. In A. Editor & B. Editor
  (Eds.), *Book title* (pp. x–y). Publisher. One editor: (Ed.).
- journal article (10.1): Author. (Year). Article title. *Journal*, *volume*(issue), pages.
  https://doi.org/… The article title is never italic.
- Norwegian APA: "I" for "In", "(Red.)" for one or more editors, "s." for "pp.", and no comma
  before "&" ("Qi, L. & Wang, T.").
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import rispy

from db.database import open_db
from db.embedded import CORPUS_DIR, CorpusError, load_corpus
from exports.records import ExportOptions
from exports.registry import export_works
from exports.selection import Selection
from tests.exports.references import REFERENCE_SQL, add_reference_works

COMPLETE_SQL = REFERENCE_SQL.replace("'onarmanumu2026', ", "")  # the one without authors


@pytest.fixture(scope="module")
def reference_db(corpus_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return add_reference_works(corpus_template, tmp_path_factory.mktemp("refs") / "refs.db")


def _export(path: Path, format_name: str, sql: str = REFERENCE_SQL, **options: object) -> str:
    db = open_db(path)
    try:
        return export_works(
            db,
            format_name,
            Selection(sql=sql),
            ExportOptions(**options),  # type: ignore[arg-type]
        ).text
    finally:
        db.close()


def _bib_entries(text: str) -> dict[str, str]:
    return {m.group(2): m.group(0) for m in re.finditer(r"@(\w+)\{([^,]+),\n.*?\n\}", text, re.S)}


def test_bibtex_uses_biblatex_fields_for_each_type(reference_db: Path) -> None:
    entries = _bib_entries(_export(reference_db, "bib"))
    flato = entries["flato2023"]
    assert flato.startswith("@techreport{flato2023,")
    for line in ("institution = {Fafo}", "type = {Fafo-rapport}", "number = {2023:08}"):
        assert f"  {line}" in flato
    # biblatex's @report has no isbn or issn field: they are kept as text in addendum.
    nibio = entries["onarmanumu2026"]
    assert "  type = {NIBIO Rapport},\n  number = {12/77}," in nibio
    assert "  addendum = {ISBN 9788217040064. ISSN 2464-1162}," in nibio
    assert "isbn =" not in nibio and "issn =" not in nibio
    chapter = entries["synthetic_chapter"]
    assert chapter.startswith("@incollection{synthetic_chapter,")
    for line in ("editor = {Syntheticeditor, O. and Secondeditor, S.}",
                 "booktitle = {Synthetic book of guidance}", "publisher = {Synthetic Press}",
                 "pages = {87--90}", "series = {Synthetic Series}", "number = {4}",
                 "isbn = {9780000000002}"):  # fmt: skip
        assert f"  {line}," in chapter, line
    article = entries["qi2019"]
    for line in ("journal = {Journal of Electronic Imaging}", "volume = {28}", "number = {06}",
                 "pages = {1}", "issn = {1017-9909}"):  # fmt: skip
        assert f"  {line}," in article, line
    assert "  doi = {10.1117/1.jei.28.6.063006}" in article


def test_ris_uses_the_tags_zotero_reads_for_each_type(reference_db: Path) -> None:
    records = {ref["id"]: ref for ref in rispy.loads(_export(reference_db, "ris"))}
    flato = records["flato2023"]
    assert (flato["type_of_reference"], flato["secondary_title"], flato["issn"]) == (
        "RPRT", "Fafo-rapport", "2023:08",  # T2 = series title, SN = report number (Zotero)
    )  # fmt: skip
    assert flato["publisher"] == "Fafo"
    assert records["onarmanumu2026"]["notes"] == ["ISBN: 9788217040064", "ISSN: 2464-1162"]
    chapter = records["synthetic_chapter"]
    assert chapter["secondary_authors"] == ["Syntheticeditor, O.", "Secondeditor, S."]  # A2
    assert chapter["secondary_title"] == "Synthetic book of guidance"  # T2 = book title
    assert chapter["tertiary_title"] == "Synthetic Series"  # T3 = series
    assert (chapter["start_page"], chapter["end_page"]) == ("87", "90")
    assert chapter["issn"] == "9780000000002"  # SN: the ISBN of a chapter's book
    assert chapter["notes"] == ["Number in series: 4"]
    article = records["qi2019"]
    assert (article["secondary_title"], article["volume"], article["number"]) == (
        "Journal of Electronic Imaging", "28", "06",
    )  # fmt: skip
    assert (article["start_page"], article["issn"], article["doi"]) == (
        "1", "1017-9909", "10.1117/1.jei.28.6.063006",
    )  # fmt: skip


def test_csljson_uses_csl_variables(reference_db: Path) -> None:
    items = {item["id"]: item for item in json.loads(_export(reference_db, "csljson"))}
    flato = items["flato2023"]
    assert (flato["type"], flato["collection-title"], flato["collection-number"]) == (
        "report", "Fafo-rapport", "2023:08",
    )  # fmt: skip
    assert flato["publisher"] == "Fafo" and "number" not in flato
    chapter = items["synthetic_chapter"]
    assert chapter["editor"] == [
        {"family": "Syntheticeditor", "given": "O."},
        {"family": "Secondeditor", "given": "S."},
    ]
    assert (chapter["container-title"], chapter["page"], chapter["ISBN"]) == (
        "Synthetic book of guidance", "87–90", "9780000000002",
    )  # fmt: skip
    article = items["qi2019"]
    assert [article[k] for k in ("container-title", "volume", "issue", "page", "DOI", "ISSN")] == [
        "Journal of Electronic Imaging", "28", "06", "1", "10.1117/1.jei.28.6.063006", "1017-9909",
    ]  # fmt: skip


def test_csv_has_series_number_and_editors_columns(reference_db: Path) -> None:
    rows = {row["key"]: row for row in csv.DictReader(io.StringIO(_export(reference_db, "csv")))}
    assert (rows["flato2023"]["series"], rows["flato2023"]["number"]) == ("Fafo-rapport", "2023:08")
    assert rows["synthetic_chapter"]["editors"] == "Syntheticeditor, O.; Secondeditor, S."
    assert rows["qi2019"]["container"] == "Journal of Electronic Imaging"


APA_EN = [
    "Flatø, H., Kavli, H. C., & Lysvik, R. R. (2023). Karriereveiledning for nyankomne "
    "flyktninger og innvandrere (Fafo-rapport 2023:08). Fafo.",
    "Qi, L., & Wang, T. (2019). Widget Detection Network: widget detection in mobile screenshot "
    "with region-based attention networks. Journal of Electronic Imaging, 28(06), 1. "
    "https://doi.org/10.1117/1.jei.28.6.063006",
    "Syntheticauthor, A. B. (2020). Synthetic chapter with one editor. In O. Syntheticeditor "
    "(Ed.), Synthetic handbook (pp. 1–20). Synthetic Press.",
    "Syntheticauthor, A. B. (2021). Synthetic chapter on guidance. In O. Syntheticeditor & "
    "S. Secondeditor (Eds.), Synthetic book of guidance (pp. 87–90). Synthetic Press.",
]
APA_NB = [
    "Flatø, H., Kavli, H. C. & Lysvik, R. R. (2023). Karriereveiledning for nyankomne "
    "flyktninger og innvandrere (Fafo-rapport 2023:08). Fafo.",
    "Qi, L. & Wang, T. (2019). Widget Detection Network: widget detection in mobile screenshot "
    "with region-based attention networks. Journal of Electronic Imaging, 28(06), 1. "
    "https://doi.org/10.1117/1.jei.28.6.063006",
    "Syntheticauthor, A. B. (2020). Synthetic chapter with one editor. I O. Syntheticeditor "
    "(Red.), Synthetic handbook (s. 1–20). Synthetic Press.",
    "Syntheticauthor, A. B. (2021). Synthetic chapter on guidance. I O. Syntheticeditor & "
    "S. Secondeditor (Red.), Synthetic book of guidance (s. 87–90). Synthetic Press.",
]


@pytest.mark.parametrize(("labels", "expected"), [("en", APA_EN), ("nb", APA_NB)])
def test_apa_text_follows_apa_7_for_report_chapter_and_article(
    reference_db: Path, labels: str, expected: list[str]
) -> None:
    assert _export(reference_db, "apa-txt", COMPLETE_SQL, labels=labels).splitlines() == expected


def test_apa_markdown_italicises_the_right_parts(reference_db: Path) -> None:
    entries = [e for e in _export(reference_db, "apa-md", COMPLETE_SQL).split("\n\n") if e]
    report, article, _, chapter = entries
    # A report's title is italic, its series and number not.
    assert "*Karriereveiledning for nyankomne flyktninger og innvandrere* (Fafo-rapport" in report
    # An article's title never; the journal and the volume are.
    assert "(2019). Widget Detection Network: widget detection" in article
    assert "*Journal of Electronic Imaging*, *28*(06), 1." in article
    # A chapter's title is not; the book's is.
    assert "(2021). Synthetic chapter on guidance. In" in chapter
    assert "(Eds.), *Synthetic book of guidance* (pp. 87–90)" in chapter


def test_nb_labels_leave_no_english_terms_in_the_corpus(reference_db: Path) -> None:
    html = _export(reference_db, "apa-html", "SELECT id FROM works", labels="nb")
    assert '<html lang="nb">' in html and "<h1>Referanser</h1>" in html
    # hansen2021 (Vedlegg 1, line 4791): "I En guide til … (s. 87–90)", as the report writes it.
    assert "karrierevejledningen. I <i>En guide til karrierevejledningens ukendte farvande" in html
    assert "(s. 87–90)" in html and "(s. 1–20)" in html and "(Red.)" in html
    for english in (" In ", "pp.", "(Ed.)", "(Eds.)", ", &amp; "):
        assert english not in html, english


def _check(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evidensbase", "export", "--db", str(path), "--check", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_export_check_lists_what_each_work_lacks_and_exits_1(export_db: Path) -> None:
    done = _check(export_db)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == (
        "24 works checked against APA 7 and biblatex: 5 complete, 19 lack a field a style needs "
        "(38 missing fields)."
    )
    # Counted by hand from db/corpus/works: 9 of 14 reports have no publisher, 7 of 8 articles
    # no journal (abkhezr2017 has one), no article has volume or pages; of the two chapters
    # neither has editors or a publisher, fredriksen2020 has no book title or pages.
    assert "  publisher    11  (report 9, book chapter 2)" in lines
    assert "  journal       7  (journal article 7)" in lines
    assert "  volume        8  (journal article 8)" in lines
    assert "  pages         9  (journal article 8, book chapter 1)" in lines
    assert "  editors       2  (book chapter 2)" in lines
    assert "  book title    1  (book chapter 1)" in lines
    assert "  hansen2021 (book chapter): editors (APA, biblatex); publisher (APA)" in lines
    assert "  thomsen2016" not in done.stdout  # Kompetanse Norge. Vox, Oslo: complete


def test_export_check_exits_0_when_every_selected_work_is_complete(reference_db: Path) -> None:
    done = _check(reference_db, "--sql", COMPLETE_SQL)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == (
        "4 works checked against APA 7 and biblatex: 4 complete, 0 lack a field a style needs "
        "(0 missing fields).\n"
    )


def test_corpus_gives_no_series_number_or_editor_the_report_does_not(export_db: Path) -> None:
    """Vedlegg 1 names no report series, report number or book editor for any of the 24."""
    with sqlite3.connect(export_db) as conn:
        rows = conn.execute(
            "SELECT series, number, editors FROM works WHERE origin = 'corpus'"
        ).fetchall()
    assert len(rows) == 24
    assert set(rows) == {(None, None, "[]")}


def test_corpus_series_number_and_editors_are_checked_with_file_and_line(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS_DIR, corpus)
    reports = corpus / "works" / "norwegian_reports.yaml"
    text = reports.read_text(encoding="utf-8")
    first = "  series: null\n  number: null\n  editors: []\n"
    # YAML reads an unquoted 2023:08 as a base-60 number; an editor needs a name.
    broken = "  series: Fafo-rapport\n  number: 2023:08\n  editors: [{given: A.}]\n"
    assert text.count(first) == 9
    reports.write_text(text.replace(first, broken, 1), encoding="utf-8")
    with pytest.raises(CorpusError) as caught:
        load_corpus(corpus)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "- id: thomsen2016" in row)
    where = f"{reports}:{line}: record 'thomsen2016'"
    assert caught.value.problems == [
        f"{where}: field 'number': 121388: expected text or null (quote a number: '2023:08')",
        f"{where}: field 'editors': editor #1 needs 'family' or 'literal'",
    ]


def test_export_without_format_or_check_is_a_usage_error(export_db: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "evidensbase", "export", "--db", str(export_db)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "Missing option '--format' / '-f' (or use --check)." in done.stderr


def test_no_article_or_chapter_title_is_italic_even_without_its_journal_or_book(
    export_db: Path,
) -> None:
    with sqlite3.connect(export_db) as conn:
        titles = dict(conn.execute("SELECT title, type FROM works WHERE origin = 'corpus'"))
    markdown = _export(export_db, "apa-md", "SELECT id FROM works")
    # 7 articles have no journal and fredriksen2020 no book (Vedlegg 1 names none).
    assert sorted(titles.values()).count("journal_article") == 8
    for title, kind in titles.items():
        italic = f"*{title}*" in markdown.replace("\\", "")
        assert italic == (kind not in ("journal_article", "book_chapter")), (title, kind)


def test_ris_of_a_report_imports_back_without_its_series_as_container(
    reference_db: Path, tmp_path: Path
) -> None:
    # In RPRT, T2 is the series and SN the report number (Zotero's reading, and ours when we
    # write): reading them back as a journal and an ISSN would make "Fafo-rapport" a container.
    from harvest.importers.ris import ris_hit

    records = {ref["id"]: ris_hit(ref) for ref in rispy.loads(_export(reference_db, "ris"))}
    report = records["flato2023"]
    assert report["type"] == "report"
    assert report["container"] is None and report["issn"] is None
    assert report["publisher"] == "Fafo"
    article = records["qi2019"]  # an article keeps its journal and ISSN
    assert article["container"] == "Journal of Electronic Imaging"
    assert article["issn"] == "1017-9909"
