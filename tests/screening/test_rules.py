"""Each hard criterion as a rule decision; a person overturns one and the trail keeps both."""

from __future__ import annotations

from db.decisions import decision_trail, record_decision
from db.status import stage_outcome
from screening.rules import apply_rules


def _rule_decisions(db):
    return {
        key: (criterion, actor, reviewer)
        for key, criterion, actor, reviewer in db.execute(
            "SELECT w.key, d.criterion, d.actor, d.reviewer FROM decisions d"
            " JOIN works w ON w.id = d.work_id WHERE d.actor = 'rule'"
        ).fetchall()
    }


def test_each_rule_excludes_with_its_criterion(db, add_work):
    add_work("synthetic_ok", title="Karriereveiledning for nyankomne", year=2018)
    add_work("synthetic_2014", year=2014)
    add_work("synthetic_2023", year=2023)
    add_work("synthetic_master", type="thesis", title="Veiledning av flyktninger: masteroppgave")
    add_work("synthetic_phd", type="thesis", title="Ph.d.-avhandling om karriereveiledning")
    add_work("synthetic_en_grey", language="en", peer_reviewed=0)
    add_work("synthetic_en_peer", language="en", peer_reviewed=1)
    add_work("synthetic_german", language="ger")
    add_work("synthetic_swe3", language="swe")
    add_work("synthetic_first", title="Same title here", doi="10.1/abc")
    add_work("synthetic_copy", title="Same Title, here!", doi="10.1/ABC")

    report = apply_rules(db)

    assert _rule_decisions(db) == {
        "synthetic_2014": ("outside_period", "rule", "rule"),
        "synthetic_2023": ("outside_period", "rule", "rule"),
        "synthetic_master": ("student_thesis", "rule", "rule"),
        "synthetic_en_grey": ("english_not_peer_reviewed", "rule", "rule"),
        "synthetic_german": ("language_outside_protocol", "rule", "rule"),
    }
    assert report.excluded == {
        "outside_period": 2,
        "student_thesis": 1,
        "english_not_peer_reviewed": 1,
        "language_outside_protocol": 1,
    }
    # Two records of one publication are dedupe's to merge (or a person's to keep apart with
    # `dedupe --review`): no rule excludes either of them as a duplicate.
    assert "synthetic_copy" not in _rule_decisions(db)
    # the 24 corpus works are never judged by rules
    assert report.checked == 11


def test_rules_rerun_adds_nothing(db, add_work):
    add_work("synthetic_2010", year=2010)
    apply_rules(db)
    again = apply_rules(db)
    assert again.total == 0
    assert db.execute("SELECT count(*) FROM decisions WHERE actor = 'rule'").fetchone()[0] == 1


def test_person_overturns_rule_and_trail_shows_both(db, add_work):
    work = add_work("synthetic_2015", year=2015, title="Karriereveiledning for flyktninger")
    apply_rules(db)
    assert stage_outcome(db, work, 1) == "exclude"

    record_decision(db, work, 1, "include", reviewer="Kari", note="published Dec 2015, online 2016")

    assert stage_outcome(db, work, 1) == "include"
    trail = [(d.actor, d.reviewer, d.decision, d.criterion) for d in decision_trail(db, work)]
    assert trail == [
        ("rule", "rule", "exclude", "outside_period"),
        ("person", "Kari", "include", None),
    ]
    # and a later run of the rules does not re-exclude what a person decided
    assert apply_rules(db).total == 0
    assert stage_outcome(db, work, 1) == "include"


def test_unknown_year_or_language_is_left_to_a_person(db, add_work):
    add_work("synthetic_noyear", year=None, language=None)
    assert apply_rules(db).total == 0
