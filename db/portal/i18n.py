"""The portal's own words in Norwegian bokmål and English (code labels come from ``labels``)."""

from __future__ import annotations

from typing import Any

LANGUAGES = ("nb", "en")
DEFAULT_LANGUAGE = "nb"
COOKIE = "evidensbase_lang"

# key → (nb, en). Written for this portal; bibliographic facts come from the database.
TEXT: dict[str, tuple[str, str]] = {
    "site_name": ("evidensbase", "evidensbase"),
    "site_tagline": (
        "Karriereveiledning for nyankomne flyktninger og innvandrere",
        "Career guidance for newly arrived refugees and immigrants",
    ),
    "skip": ("Hopp til innholdet", "Skip to content"),
    "nav_label": ("Hovedmeny", "Main menu"),
    "nav_home": ("Forside", "Home"),
    "nav_works": ("Alle bidrag", "All works"),
    "nav_gap": ("Kunnskapskart", "Evidence gap map"),
    "nav_data": ("Åpne data", "Open data"),
    "switch_to": ("English", "Norsk"),
    "switch_label": ("Read this page in English", "Les siden på norsk"),
    "lead_question": (
        "Hva vet nordisk forskning om karriereveiledning for nyankomne flyktninger og "
        "innvandrere? Denne oversikten samler forskning og utredninger og viser hva de handler om, "
        "hvordan de er gjort og hva de fant.",
        "What does Nordic research know about career guidance for newly arrived refugees and "
        "immigrants? This overview gathers research and reports and shows what they are about, "
        "how they were done and what they found.",
    ),
    "how_made": ("Slik er oversikten laget", "How the review was made"),
    "how_made_text": (
        "Grunnlaget er en kunnskapsstatus fra {first}–{last}: søk i Oria og Google Scholar på "
        "norsk, svensk, dansk og engelsk, så en vurdering i tre trinn (tittel og sammendrag, "
        "fulltekst, grundig gjennomgang). Bidrag som ikke er fagfellevurdert, ble i tillegg "
        "vurdert for kvalitet. Hvert inkludert bidrag er kodet etter tema, metode, land og "
        "gruppe og har en kort oppsummering i tre deler. Oversikten holdes levende: nye søk "
        "vurderes etter de samme reglene.",
        "It starts from a state-of-knowledge review covering {first}–{last}: searches in Oria and "
        "Google Scholar in Norwegian, Swedish, Danish and English, then assessment in three steps "
        "(title and abstract, full text, thorough review). Works that were not peer-reviewed were "
        "also rated for quality. Each included work is coded by theme, method, country and group "
        "and has a short three-part summary. The review is kept living: new searches are judged "
        "by the same rules.",
    ),
    "included_works": ("inkluderte bidrag", "included works"),
    "search_label": ("Søk i bidragene", "Search the works"),
    "search_button": ("Søk", "Search"),
    "search_hint": (
        "Du kan skrive uten æ, ø, å, ä og ö: «Soholt» finner Søholt.",
        "You may leave out Nordic letters: “Soholt” finds Søholt.",
    ),
    "browse_by": ("Utforsk etter", "Browse by"),
    "flow_title": (
        "Utvelgelsen steg for steg (PRISMA 2020)",
        "Selection step by step (PRISMA 2020)",
    ),
    "flow_reported": ("Rapporten", "The report"),
    "flow_evidensbase": ("Nye søk i evidensbase", "New searches in evidensbase"),
    "yield_title": ("Treff per søk (tabell 3.1)", "Hits per search (Table 3.1)"),
    "yield_engines": ("Søkemotor", "Search engine"),
    "yield_terms": ("Søkeord", "Search terms"),
    "yield_language": ("Språk", "Language"),
    "yield_hits": ("Treff", "Hits"),
    "yield_stage1": ("Etter første vurdering", "After first assessment"),
    "yield_stage2": ("Etter andre vurdering", "After second assessment"),
    "yield_included": ("Inkludert", "Included"),
    "charts_title": ("Bidragene i tall", "The works in figures"),
    "chart_year": ("Bidrag per år", "Works per year"),
    "chart_language": ("Bidrag etter språk", "Works by language"),
    "chart_group": ("Bidrag etter gruppe i rapporten", "Works by the report's group"),
    "chart_method": ("Bidrag etter metode", "Works by method"),
    "chart_alt": ("{title}: {items}.", "{title}: {items}."),
    "cite_title": ("Slik siterer du databasen", "How to cite the database"),
    "cite_text": (
        "evidensbase. ({year}). Karriereveiledning for nyankomne flyktninger og innvandrere: "
        "en levende kunnskapsoversikt [database]. Bygget på Fafo-rapport 2023:08.",
        "evidensbase. ({year}). Career guidance for newly arrived refugees and immigrants: "
        "a living review [database]. Based on Fafo report 2023:08.",
    ),
    "licence_title": ("Lisens og kilde", "Licence and source"),
    "licence_text": (
        "Kodingen og oppsummeringene kan brukes fritt etter CC BY 4.0 når kilden oppgis. De "
        "bibliografiske opplysningene er hentet fra rapporten og fra bibliotekenes kataloger.",
        "The coding and summaries may be reused under CC BY 4.0 with attribution. Bibliographic "
        "facts come from the report and from library catalogues.",
    ),
    "source": ("Kilde", "Source"),
    "data_title": ("Åpne data", "Open data"),
    "data_text": (
        "Alt her finnes også som data: JSON for hver side, og referanser som RIS, BibTeX, "
        "CSL-JSON og CSV.",
        "Everything here is also data: JSON for every page, and references as RIS, BibTeX, "
        "CSL-JSON and CSV.",
    ),
    "list_title": ("Bidragene", "The works"),
    "results": ("{n} bidrag", "{n} works"),
    "results_for": ("{n} bidrag for «{q}»", "{n} works for “{q}”"),
    "no_results": (
        "Ingen bidrag passer. Prøv færre ord eller fjern et filter.",
        "No works match. Try fewer words or remove a filter.",
    ),
    "search_error_empty": (
        "Søket ditt inneholdt bare tegn det ikke kan søkes på (som et anførselstegn alene). "
        "Skriv ett eller flere ord, for eksempel gruppe.",
        "Your search held only characters that cannot be searched for (such as a lone quotation "
        "mark). Type one or more words, for example group.",
    ),
    "search_error_short": (
        "Hvert søkeord må ha minst tre tegn; «{words}» ble ikke brukt.",
        "Each search word needs at least three characters; “{words}” was left out.",
    ),
    "search_note_quote": (
        "Et anførselstegn uten partner ble oversett.",
        "A quotation mark without a partner was ignored.",
    ),
    "search_match": ("Treff i teksten", "Match in the text"),
    "filters": ("Avgrens", "Filter"),
    "active_filters": ("Valgte filtre", "Active filters"),
    "remove_filter": ("Fjern filteret {label}", "Remove the filter {label}"),
    "clear_all": ("Fjern alle filtre", "Clear all filters"),
    "download": ("Last ned listen", "Download this list"),
    "download_ref": ("Last ned referansen", "Download this reference"),
    "previous": ("Forrige side", "Previous page"),
    "next": ("Neste side", "Next page"),
    "page_of": ("Side {page} av {pages}", "Page {page} of {pages}"),
    "themes": ("Temaer", "Themes"),
    "no_summary": ("Ingen oppsummering ennå.", "No summary yet."),
    "summary_other_language": (
        "Oppsummeringen finnes bare på engelsk.",
        "The summary is only available in Norwegian.",
    ),
    "reference": ("Referanse", "Reference"),
    "summary": ("Oppsummering", "Summary"),
    "summary_topic": ("Tema og formål", "Topic and aim"),
    "summary_method": ("Metode", "Method"),
    "summary_findings": ("Funn", "Findings"),
    "coding": ("Koding", "Coding"),
    "quality": ("Hvor solid er bidraget?", "How solid is the work?"),
    "peer_reviewed_yes": (
        "Fagfellevurdert: bidraget er vurdert av andre forskere før det ble publisert, og ble "
        "derfor ikke kvalitetsvurdert på nytt.",
        "Peer-reviewed: other researchers assessed the work before it was published, so it was "
        "not rated for quality again.",
    ),
    "peer_reviewed_no_ratings": (
        "Ikke fagfellevurdert. Kvalitetsvurderingen av bidraget er ikke registrert i databasen.",
        "Not peer-reviewed. The work's quality rating is not recorded in the database.",
    ),
    "quality_passed_stage2": (
        "Bidraget ble vurdert som relevant og av akseptabel kvalitet i trinn 2 (av {who}), men "
        "de enkelte kvalitetsvurderingene er ikke registrert.",
        "It was judged relevant and of acceptable quality at stage 2 (by {who}), but the single "
        "quality ratings are not recorded.",
    ),
    "quality_met": (
        "Oppfyller regelen for akseptabel kvalitet",
        "Meets the rule for acceptable quality",
    ),
    "quality_not_met": (
        "Oppfyller ikke regelen for akseptabel kvalitet",
        "Does not meet the rule for acceptable quality",
    ),
    "quality_rule": ("Regelen", "The rule"),
    "criterion": ("Kriterium", "Criterion"),
    "rating": ("Vurdering", "Rating"),
    "rater": ("Vurdert av", "Rated by"),
    "trail": ("Vurderingene underveis", "How it was screened"),
    "stage": ("Trinn", "Stage"),
    "stage_1": ("1: tittel og sammendrag", "1: title and abstract"),
    "stage_2": ("2: fulltekst og kvalitet", "2: full text and quality"),
    "stage_3": ("3: grundig gjennomgang", "3: thorough review"),
    "decision": ("Beslutning", "Decision"),
    "reason": ("Begrunnelse", "Reason"),
    "who": ("Hvem", "Who"),
    "when": ("Dato", "Date"),
    "actor_source": ("rapportens forfattere", "report authors"),
    "actor_rule": ("regel", "rule"),
    "actor_person": ("vurderer", "reviewer"),
    "actor_model": ("modellforslag", "model suggestion"),
    "role_resolve": (" (avgjorde uenighet)", " (resolved a disagreement)"),
    "decision_include": ("inkludert", "included"),
    "decision_exclude": ("ekskludert", "excluded"),
    "decision_maybe": ("kanskje", "maybe"),
    "links_out": ("Finn bidraget", "Find the work"),
    "doi": ("DOI", "DOI"),
    "url": ("Nettside", "Web page"),
    "oria": ("Søk i Oria (norske bibliotek)", "Search Oria (Norwegian libraries)"),
    "related": ("Beslektede bidrag (felles temaer)", "Related works (shared themes)"),
    "related_similar": ("Beslektede bidrag (lignende innhold)", "Related works (similar content)"),
    "no_related": ("Ingen andre bidrag med de samme temaene.", "No other works share its themes."),
    "not_found": ("Fant ikke bidraget", "Work not found"),
    "not_found_text": (
        "Det finnes ikke noe inkludert bidrag med nøkkelen «{key}».",
        "There is no included work with the key “{key}”.",
    ),
    "gap_title": (
        "Kunnskapskart: hvor finnes forskningen?",
        "Evidence gap map: where is the research?",
    ),
    "gap_intro": (
        "Hver celle viser hvor mange inkluderte bidrag som har både temaet i raden og verdien i "
        "kolonnen. Trykk på et tall for å se bidragene. Tomme celler er kunnskapshull.",
        "Each cell shows how many included works have both the row's theme and the column's "
        "value. Select a number to see the works. Empty cells are gaps in the evidence.",
    ),
    "gap_axis": ("Temaer mot", "Themes against"),
    "gap_show": ("Vis", "Show"),
    "gap_cell": ("{n} bidrag: {row} og {col}", "{n} works: {row} and {col}"),
    "gap_empty": ("hull", "gap"),
    "gap_empty_label": ("Ingen bidrag: {row} og {col}", "No works: {row} and {col}"),
    "theme": ("Tema", "Theme"),
    "facet_theme": ("Tema", "Theme"),
    "facet_method": ("Metode", "Method"),
    "facet_country": ("Land", "Country"),
    "facet_language": ("Språk", "Language"),
    "facet_group": ("Gruppe i rapporten", "Group in the report"),
    "facet_type": ("Type", "Type"),
    "facet_year": ("År", "Year"),
    "facet_refugees_interviewed": (
        "Flyktninger eller innvandrere intervjuet",
        "Refugees or immigrants interviewed",
    ),
    "peer_reviewed": ("Fagfellevurdert", "Peer-reviewed"),
    "yes": ("ja", "yes"),
    "no": ("nei", "no"),
    "participants": ("Deltakere", "Participants"),
    "published_in": ("Publisert i", "Published in"),
    "by": ("av", "by"),
    "footer_made": (
        "Laget med Datasette",
        "Made with Datasette",
    ),
    "footer_licence": ("Datalisens", "Data licence"),
    "footer_source": ("Datakilde", "Data source"),
    "footer_queries": ("Spørringene tok {ms} ms", "Queries took {ms} ms"),
    "not_built": (
        "Portalens tabeller mangler: kjør «evidensbase build» først.",
        "The portal's tables are missing: run “evidensbase build” first.",
    ),
}


def text(lang: str) -> dict[str, str]:
    """Every text of the portal in one language."""
    index = LANGUAGES.index(lang) if lang in LANGUAGES else 0
    return {key: pair[index] for key, pair in TEXT.items()}


TEXTS = {lang: text(lang) for lang in LANGUAGES}


def language_of(request: Any) -> str:
    """The page's language: ``?lang=`` first, then the cookie, then Norwegian."""
    if request is None:
        return DEFAULT_LANGUAGE
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return str(asked)
    stored = request.cookies.get(COOKIE)
    return str(stored) if stored in LANGUAGES else DEFAULT_LANGUAGE


def other(lang: str) -> str:
    return "en" if lang == "nb" else "nb"
