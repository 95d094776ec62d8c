"""Stage 2's quality rule and stage 3's codebook, in the library and in the terminal session."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from db.database import open_db
from db.decisions import record_decision
from db.protocol import CodingError, load_protocol, quality_acceptable, validate_codes
from db.status import stage_outcome
from evidensbase.cli import main

ALL_YES = {
    "validity": "yes",
    "reliability": "yes",
    "generalisation_evidence": "yes",
    "clear_question": "yes",
    "specified_method": "yes",
    "findings_answer_question": "yes",
}


def test_quality_rule_default(db):
    protocol = load_protocol(db)
    assert quality_acceptable(protocol, ALL_YES)
    # exactly 4 points: three yes (3) + two partly (2 x 0.5) + one no (0)
    four = {**ALL_YES, "clear_question": "partly", "reliability": "partly", "validity": "no"}
    assert quality_acceptable(protocol, four)
    # one more partly instead of a yes: 3.5 points, below the threshold
    three_and_a_half = {**four, "generalisation_evidence": "partly"}
    assert not quality_acceptable(protocol, three_and_a_half)
    # method and design rated "no" fails whatever the points (5 of 6 here)
    assert not quality_acceptable(protocol, {**ALL_YES, "specified_method": "no"})
    # "unclear" counts nothing: 4 yes + 2 unclear = 4 points, acceptable
    assert quality_acceptable(
        protocol, {**ALL_YES, "validity": "unclear", "reliability": "unclear"}
    )
    with pytest.raises(ValueError, match="missing for: findings_answer_question"):
        quality_acceptable(protocol, {k: v for k, v in ALL_YES.items() if "findings" not in k})


def test_codebook_validation(db):
    protocol = load_protocol(db)
    clean = validate_codes(
        protocol,
        {"theme": "power_relations, other", "method": "qualitative", "country": ["NO", "SE"]},
    )
    assert clean == {
        "theme": ["power_relations", "other"],
        "country": ["NO", "SE"],
        "method": "qualitative",
        "refugees_interviewed": "unknown",
    }
    with pytest.raises(CodingError) as problem:
        validate_codes(protocol, {"theme": "", "method": "survey", "country": "XX"})
    assert problem.value.problems == [
        "theme: at least one theme is needed (use 'other' if none fits)",
        "country: XX not in the codebook (NO, SE, DK, FI, IS, AU, CH, GR, US, CA, GB, DE)",
        "method: 'survey' not in the codebook "
        "(qualitative, quantitative, mixed, literature_review, theoretical)",
    ]


def _through_stage(db, work_id, stage):
    for n in range(1, stage):
        record_decision(db, work_id, n, "include", reviewer="Anna")


def test_stage2_session_asks_quality_and_applies_the_rule(built_db, db, add_work):
    weak = add_work("synthetic_weak", title="Untitled A", peer_reviewed=0)
    peer = add_work("synthetic_peer", title="Untitled B", peer_reviewed=1)
    for work in (weak, peer):
        _through_stage(db, work, 2)
    db.close()
    # weak report: yes, partly, no, no, yes, unclear = 2.5 points -> not acceptable
    keys = (
        "i\ny\np\nn\nn\ny\nu\n\n" + "i\n\n"
    )  # the peer-reviewed article gets no quality questions
    result = CliRunner().invoke(
        main,
        ["screen", "--db", str(built_db), "--stage", "2", "--reviewer", "Anna"],
        input=keys,
    )
    assert result.exit_code == 0, result.output
    assert "Quality not acceptable by the protocol's rule (2.5 points)" in result.output
    assert result.output.count("Quality – Validity") == 1
    reopened = open_db(built_db)
    assert stage_outcome(reopened, weak, 2) == "exclude"
    assert reopened.execute(
        "SELECT criterion FROM decisions WHERE work_id = ? AND stage = 2", [weak]
    ).fetchone() == ("quality_not_acceptable",)
    assert stage_outcome(reopened, peer, 2) == "include"
    ratings = dict(
        reopened.execute("SELECT criterion, rating FROM quality WHERE work_id = ?", [weak])
    )
    assert ratings == {
        "validity": "yes",
        "reliability": "partly",
        "generalisation_evidence": "no",
        "clear_question": "no",
        "specified_method": "yes",
        "findings_answer_question": "unclear",
    }


def test_stage3_session_codes_and_summarises(built_db, db, add_work):
    work = add_work("synthetic_code", title="Untitled C")
    _through_stage(db, work, 3)
    db.close()
    keys = (
        "i\n"
        "power_relations\nsurvey\n\n\nunknown\n"  # a method outside the codebook: asked again
        "power_relations,individual_group\nqualitative\nNO\n12 counsellors\ntrue\n"
        "en\nAim of the study\nInterviews\nWhat was found\n"
        "\n"
    )
    result = CliRunner().invoke(
        main,
        ["screen", "--db", str(built_db), "--stage", "3", "--reviewer", "Anna"],
        input=keys,
    )
    assert result.exit_code == 0, result.output
    assert "method: 'survey' not in the codebook" in result.output
    reopened = open_db(built_db)
    codes = sorted(
        reopened.execute("SELECT field, value FROM codes WHERE work_id = ?", [work]).fetchall()
    )
    assert codes == [
        ("country", "NO"),
        ("method", "qualitative"),
        ("participants_en", "12 counsellors"),
        ("refugees_interviewed", "true"),
        ("theme", "individual_group"),
        ("theme", "power_relations"),
    ]
    assert reopened.execute(
        "SELECT topic, method, findings, written_by FROM summaries WHERE work_id = ?", [work]
    ).fetchone() == ("Aim of the study", "Interviews", "What was found", "Anna")
    assert stage_outcome(reopened, work, 3) == "include"
    # the coded work is now part of the published corpus view
    assert (
        reopened.execute("SELECT count(*) FROM corpus WHERE key = 'synthetic_code'").fetchone()[0]
        == 1
    )
