"""Normalisation: each case the issue lists, on strings as Oria and Scholar print them."""

from __future__ import annotations

from db.dedupe import normalise as n
from db.dedupe.matching import prepare, title_similarity


def test_nordic_letters_fold_to_the_same_ascii_as_their_transliterations() -> None:
    assert n.fold("Kjærlighet") == n.fold("Kjaerlighet") == "kjarlighet"
    assert n.fold("Sørheim") == n.fold("Sorheim") == n.fold("Soerheim") == "sorheim"
    assert n.fold("Ålesund") == n.fold("Aalesund") == n.fold("Alesund") == "alesund"
    assert n.fold("Ämnen för Örebro") == "amnen for orebro"


def test_case_punctuation_and_html_are_ignored() -> None:
    html_title = "Karriereveiledning for <i>nyankomne</i> flyktninger &amp; innvandrere"
    assert n.title_key(html_title) == "karriereveiledning for nyankomne flyktninger innvandrere"
    assert n.title_key("KARRIEREVEILEDNING, for nyankomne-flyktninger!") == (
        "karriereveiledning for nyankomne flyktninger"
    )


def test_scholar_markers_are_removed_from_titles() -> None:
    for marked in (
        "[PDF] Veiledning av flyktninger",
        "[HTML][HTML] Veiledning av flyktninger",
        "[CITATION][C] Veiledning av flyktninger",
        "[BOOK][B] Veiledning av flyktninger",
    ):
        assert n.clean_title(marked) == "Veiledning av flyktninger", marked


def test_subtitle_is_separated_from_the_main_title() -> None:
    assert n.main_title_key("Flere i arbeid : en evaluering av introduksjonsprogrammet") == (
        "flere i arbeid"
    )
    assert n.main_title_key("Flere i arbeid - en evaluering") == "flere i arbeid"
    assert n.main_title_key("Flere i arbeid") == "flere i arbeid"


def test_mfl_and_et_al_are_not_authors() -> None:
    names = [{"literal": "R Lillevik"}, {"literal": "N Weiss…"}, {"literal": "m.fl."}]
    assert n.surnames(names) == ("lillevik", "weiss")
    assert n.surnames([{"family": "Haug", "given": "S."}, {"family": "et al."}]) == ("haug",)


def test_initials_and_full_first_names_give_the_same_person() -> None:
    assert n.initials("Anne Lise") == n.initials("A. L.") == "al"
    assert n.split_literal_name("Lillevik, R.") == {"family": "Lillevik", "given": "R."}
    assert n.split_literal_name("Lillevik R") == {"family": "Lillevik", "given": "R"}
    assert n.split_literal_name("Rune Lillevik") == {"family": "Lillevik", "given": "Rune"}


def test_identifiers_are_normalised() -> None:
    assert n.normalise_doi("https://doi.org/10.1080/13639080.2019.1665160.") == (
        "10.1080/13639080.2019.1665160"
    )
    assert n.normalise_doi("doi: 10.1080/ABC") == "10.1080/abc"
    assert n.normalise_doi("not a doi") is None
    # ISBN-10 0-306-40615-2 is ISBN-13 978-0-306-40615-7 (the standard's worked example)
    assert n.normalise_isbn("0-306-40615-2") == ("9780306406157",)
    assert n.normalise_isbn("978-82-324-0499-3 (trykt) 978-82-324-0500-6 (pdf)") == (
        "9788232404993",
        "9788232405006",
    )


def test_numbers_in_titles_tell_parts_apart() -> None:
    assert n.title_numbers(n.title_key("Evaluering av Jobbsjansen. Delrapport 1")) == ("1",)
    assert n.title_numbers(n.title_key("Evaluation. Part II: outcomes")) == ("2",)
    assert n.title_numbers(n.title_key("Evaluation. Part 2: outcomes")) == ("2",)
    assert n.title_numbers(n.title_key("Årsrapport 2019")) == ("2019",)
    assert n.title_numbers(n.title_key("Rheumatism: (Thirteenth Rheumatism Review)")) == ("13",)


def test_truncated_scholar_title_matches_the_full_one() -> None:
    full = prepare(
        {
            "id": 1,
            "engine": "oria",
            "title": "Introduksjonsprogrammet og veien til arbeid for nyankomne flyktninger",
        }
    )
    cut = prepare(
        {"id": 2, "engine": "scholar", "title": "Introduksjonsprogrammet og veien til arbeid for …"}
    )
    score, whole = title_similarity(full, cut)
    assert score >= 95 and not whole
