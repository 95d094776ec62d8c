"""Ranking: protocol concepts inside Nordic compounds, the model, explanations, the stopping aid."""

from __future__ import annotations

from db.decisions import record_decision
from db.protocol import embedded_protocol
from screening.queue import queue_work_ids, rank_queue, stopping_aid
from screening.ranking import match_concepts
from screening.stopping import buscar_p_value, estimate_remaining

CONCEPTS = embedded_protocol().concepts


def test_concepts_match_inside_compounds_in_four_languages():
    nb = match_concepts(
        "Karriereveiledningstjenester for flyktningkvinner i introduksjonsprogrammet", CONCEPTS
    )
    assert nb.terms == {
        "guidance": ["karriereveiledningstjenester"],
        "population": ["flyktningkvinner", "introduksjonsprogrammet"],
    }
    sv = match_concepts("Studie- och yrkesvägledning för nyanlända elever", CONCEPTS)
    assert sv.terms == {"guidance": ["yrkesvägledning"], "population": ["nyanlända"]}
    da = match_concepts("Uddannelsesvejledning af flygtninge", CONCEPTS)
    assert da.terms == {"guidance": ["uddannelsesvejledning"], "population": ["flygtninge"]}
    en = match_concepts("Career counselling with newly arrived refugees", CONCEPTS)
    assert en.terms["guidance"] == ["career", "counselling"]
    assert en.terms["population"] == ["newly arrived", "refugees"]  # a phrase stays whole
    # both concepts (the protocol's AND) outrank one concept, which outranks none
    one = match_concepts("Karriereveiledning i skolen", CONCEPTS)
    none = match_concepts("Fiskeoppdrett i Nord-Norge", CONCEPTS)
    assert nb.score > one.score > none.score == 0


def test_ranking_puts_protocol_works_first_and_explains(db, add_work):
    off = add_work("synthetic_fish", title="Fiskeoppdrett og havbruk i Nord-Norge")
    half = add_work("synthetic_half", title="Karriereveiledning i videregående skole")
    on = add_work(
        "synthetic_on", title="Karriereveiledning for nyankomne flyktninger", language="nb"
    )
    ranked = rank_queue(db, queue_work_ids(db, 1, "Anna"))
    assert [item.work_id for item in ranked] == [on, half, off]
    assert ranked[0].explain() == (
        "guidance: karriereveiledning; population: flyktninger, nyankomne"
    )


def test_model_learns_from_decisions(db, add_work):
    # Works without protocol terms: only the model can tell them apart.
    liked = [add_work(f"synthetic_like{n}", title=f"Mentoring newcomers in Bergen, part {n}")
             for n in range(3)]  # fmt: skip
    disliked = [add_work(f"synthetic_dis{n}", title=f"Salmon farming economics, part {n}")
                for n in range(3)]  # fmt: skip
    target_like = add_work("synthetic_tl", title="Mentoring schemes in Bergen")
    target_dis = add_work("synthetic_td", title="Salmon farming in Hardanger")
    for work in liked:
        record_decision(db, work, 1, "include", reviewer="Anna")
    for work in disliked:
        record_decision(db, work, 1, "exclude", reviewer="Anna", criterion="not_relevant")
    ranked = rank_queue(db, [target_dis, target_like])
    assert [item.work_id for item in ranked] == [target_like, target_dis]
    assert "mentoring" in ranked[0].model_terms
    assert "model: " in ranked[0].explain()


def test_stopping_aid_estimates_with_uncertainty():
    # 10 relevant early, then 90 irrelevant in a row, 400 unscreened
    sequence = [1] * 10 + [0] * 90
    estimate = estimate_remaining(sequence, 400)
    # last window = max(50, 100 // 10) = 50 records with 0 relevant:
    # rate (0 + 0.5) / 51, times 400 = 3.92; Jeffreys upper bound Beta(0.5, 50.5) 97.5 % ~ 0.0491
    assert round(estimate.remaining_estimate, 2) == 3.92
    assert estimate.remaining_low == 0
    assert 19 < estimate.remaining_high < 20.5
    assert "Relevant works estimated still unscreened: 3.9" in estimate.describe()
    # buscar by hand: 10 found, so recall < 95 % needs at least floor(10/0.95 - 10) + 1 = 1 more.
    # The widest window (90 zeros) drawn from 90 + 400 records holding that 1: P(miss it) =
    # 1 - 90/490 = 0.8163. Far from rejecting: keep screening.
    assert round(estimate.p_value or 0, 4) == 0.8163
    # 100 found needs >= 6 more; 300 zeros out of 300 + 100 records miss all 6 with
    # P = C(100, 6) / C(400, 6) ~ 0.00023: recall of 95 % is then very likely reached.
    assert buscar_p_value([1] * 100 + [0] * 300, 100, 0.95) < 0.001


def test_stopping_aid_from_the_database(db, add_work):
    works = [add_work(f"synthetic_s{n}", title=f"Record {n}") for n in range(5)]
    record_decision(db, works[0], 1, "include", reviewer="Anna")
    record_decision(db, works[1], 1, "exclude", reviewer="Anna", criterion="not_relevant")
    aid = stopping_aid(db, 1)
    assert (aid.screened, aid.relevant_found, aid.unscreened) == (2, 1, 3)


def test_rules_and_rank_commands(built_db, db, add_work):
    from click.testing import CliRunner

    from evidensbase.cli import main

    add_work("synthetic_r_old", year=1999, title="Karriereveiledning 1999")
    add_work("synthetic_r_on", title="Karrierevejledning af nyankomne flygtninge", language="da")
    add_work("synthetic_r_off", title="Lakseoppdrett")
    db.close()
    runner = CliRunner()
    ruled = runner.invoke(main, ["rules", "--db", str(built_db)])
    assert ruled.exit_code == 0, ruled.output
    assert "Checked 3 works under protocol version 1; excluded 1 by rule, cleared 0" in ruled.output
    assert "  outside_period: 1" in ruled.output
    ranked = runner.invoke(main, ["rank", "--db", str(built_db), "--top", "5"])
    assert ranked.exit_code == 0, ranked.output
    lines = ranked.output.splitlines()
    # the rule-excluded work is gone; the Danish work on both concepts comes first
    assert "synthetic_r_on" in lines[0] and "synthetic_r_off" in lines[2]
    assert (
        lines[1].strip() == "why: guidance: karrierevejledning; population: flygtninge, nyankomne"
    )
    assert "2 works in the queue." in ranked.output
    assert "Nothing screened yet; 2 works in the queue." in ranked.output


def test_the_queue_ranks_by_the_concepts_of_the_stored_protocol(tmp_path):
    """A second review is data: other concepts in protocol.yaml, no change to the code."""
    import shutil

    from db.build import build_database
    from db.database import open_db
    from db.embedded import CORPUS_DIR

    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS_DIR, corpus)
    protocol = corpus / "protocol.yaml"
    text = protocol.read_text(encoding="utf-8")
    start, end = text.index("concepts:\n"), text.index("\nstages:")
    protocol.write_text(
        text[:start]
        + "concepts:\n"
        + "  - {id: fish, nb: Fisk, en: Fish, terms: [fisk, laks]}\n"
        + "  - {id: north, nb: Nord, en: North, terms: [nord]}\n"
        + text[end:],
        encoding="utf-8",
    )
    path = tmp_path / "second.db"
    build_database(path, corpus)
    db = open_db(path)
    try:
        with db.atomic():
            works = db.table("works")
            guidance = works.insert(
                {"key": "synthetic_g", "title": "Karriereveiledning for flyktninger"}
            ).last_pk
            fish = works.insert(
                {"key": "synthetic_f", "title": "Fiskeoppdrett og laksehelse i Nord-Norge"}
            ).last_pk
        ranked = rank_queue(db, [guidance, fish])
    finally:
        db.close()
    assert [item.work_id for item in ranked] == [fish, guidance]
    assert ranked[0].explain() == "fish: fiskeoppdrett, laksehelse; north: nord-norge"
    assert ranked[1].explain() == "no protocol terms; model has nothing to go on yet"
