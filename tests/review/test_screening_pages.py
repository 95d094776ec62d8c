"""Screening through the review pages: the queue, the record page, blind mode, stale forms,
stages 2 and 3, conflicts and agreement — Datasette's test client on a real database."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from db.database import open_db
from db.status import work_state


def trail(db_path: Path, work_id: int) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(
            "SELECT stage, reviewer, decision, criterion, note, role FROM decisions"
            " WHERE work_id = ? AND actor = 'person' ORDER BY id",
            [work_id],
        ).fetchall()


def record_path(stage: int, work_id: int) -> str:
    return f"/-/review/stage/{stage}/work/{work_id}"


def decide(client: Any, stage: int, work_id: int, **fields: Any) -> Any:
    path = record_path(stage, work_id)
    return client.post(path, fields, token=client.token(path))


def test_the_queue_is_ranked_with_reasons_progress_and_the_stopping_aid(
    signed_in: Any, review_db: Any
) -> None:
    kari = signed_in("Kari")
    page = kari.get("/-/review/stage/1")
    assert page.status_code == 200
    rows = re.findall(r"/-/review/stage/1/work/(\d+)", page.text)
    ids = review_db[1]
    assert set(map(int, rows)) == set(ids.values())  # the ten synthetic records, nothing else
    # concept terms rank a record on guidance for refugees above one about bridges
    assert rows.index(str(ids["synthetic_01"])) < rows.index(str(ids["synthetic_10"]))
    assert "guidance: karriereveiledning" in page.text
    assert "Remaining in my queue" in page.text and "<strong>10</strong>" in page.text
    assert "When to stop" in page.text and 'lang="nb">/ Når kan jeg stoppe?' in page.text
    assert "Nothing screened yet." in page.text  # no decision by a person yet


def _rule_cell(page: str, rule: str) -> str:
    row = re.search(rf'<tr id="rule-{rule}">(.*?)</tr>', page, re.S)
    assert row, f"no row for {rule}"
    return row.group(1)


def test_the_queue_page_shows_each_stopping_rule_in_both_languages(
    signed_in: Any, review_db: Any
) -> None:
    kari = signed_in("Kari")
    ids = review_db[1]
    for key in ("synthetic_01", "synthetic_02"):
        assert decide(kari, 1, ids[key], decision="include").status_code == 302
    for key in ("synthetic_04", "synthetic_06", "synthetic_08", "synthetic_10"):
        done = decide(kari, 1, ids[key], decision="exclude", criterion="not_relevant")
        assert done.status_code == 302
    page = kari.get("/-/review/stage/1").text
    # screened in order: 1, 1, 0, 0, 0, 0; four of the ten records not yet screened by anyone.
    # buscar, target 95 %: 2 found, so H0 needs 1 more (2 / 0.95 = 2.1). The last 4 screened
    # miss it among 4 + 4 = 8 records with P = C(7, 4) / C(8, 4) = 35 / 70 = 0.5. Inverted:
    # 3 missing give C(5, 4) / C(8, 4) = 5 / 70 = 0.071, 4 give 1 / 70 = 0.014 < 0.05: at most 3.
    buscar = _rule_cell(page, "buscar")
    assert '<th scope="row"><span lang="en">buscar (hypergeometric test)</span>' in buscar
    assert "(recommended)" in buscar and "(anbefalt)" in buscar
    assert "keep screening" in buscar and "fortsett å vurdere" in buscar
    assert "p = 0.500 for “recall below 95 %”; at most 3 relevant works unscreened" in buscar
    assert "p = 0,500 for «under 95 % av de relevante er funnet»; høyst 3 relevante" in buscar
    heuristic = _rule_cell(page, "heuristic")
    assert "4 irrelevant in a row (advises stopping at 50)" in heuristic
    assert "4 ikke-relevante på rad (råder til å stoppe ved 50)" in heuristic
    knee = _rule_cell(page, "knee")  # 6 screened: under the knee method's minimum of 150
    assert "needs at least 154 and 150 screened" in knee and "krever minst 154 og 150" in knee
    assert "QuantCI (calibrated scores)" in _rule_cell(page, "quantci")
    assert '<caption><span lang="en">Stopping rules: each one only advises</span>' in page
    assert "buscar at 95 % recall and 95 % confidence: keep screening." in page
    assert "Screened by the team</span>" in page and "</span>: 6 ·" in page
    assert "Advice only: screening never stops by itself." in page


def test_record_page_highlights_terms_shows_criteria_and_goes_on_at_once(
    signed_in: Any, review_db: Any
) -> None:
    kari = signed_in("Kari")
    ids = review_db[1]
    first = kari.get("/-/review/stage/1/next")
    assert first.status_code == 302
    work_id = int(first.headers["location"].rsplit("/", 1)[1])
    page = kari.get(first.headers["location"])
    assert "<mark>" in page.text
    assert "Not relevant on title and abstract" in page.text  # the stage's criteria
    assert "Ikke relevant ut fra tittel og sammendrag" in page.text
    # a form field naming another reviewer changes nothing: the decision is Kari's
    response = decide(kari, 1, work_id, decision="include", reviewer="Ola", note="ok")
    assert response.status_code == 302 and response.headers["location"] == "/-/review/stage/1/next"
    assert trail(review_db[0], work_id) == [(1, "Kari", "include", None, "ok", "screen")]
    following = kari.get("/-/review/stage/1/next")
    assert following.headers["location"] != first.headers["location"]
    assert len(ids) == 10


def test_exclude_needs_a_criterion_and_skip_records_nothing(signed_in: Any, review_db: Any) -> None:
    kari = signed_in("Kari")
    work_id = review_db[1]["synthetic_10"]
    refused = decide(kari, 1, work_id, decision="exclude")
    assert refused.status_code == 400 and "needs the criterion" in refused.text
    skipped = decide(kari, 1, work_id, decision="skip")
    assert skipped.status_code == 302 and f"skipped={work_id}" in skipped.headers["location"]
    after_skip = kari.get(skipped.headers["location"])
    assert after_skip.headers["location"] != record_path(1, work_id) + f"?skipped={work_id}"
    assert trail(review_db[0], work_id) == []
    ok = decide(kari, 1, work_id, decision="exclude", criterion="not_relevant")
    assert ok.status_code == 302
    assert trail(review_db[0], work_id) == [(1, "Kari", "exclude", "not_relevant", None, "screen")]


def test_a_stale_or_replayed_form_is_refused_and_nothing_is_overwritten(
    signed_in: Any, review_db: Any
) -> None:
    kari = signed_in("Kari")
    work_id = review_db[1]["synthetic_02"]
    path = record_path(1, work_id)
    token = kari.token(path)  # the form as loaded, before deciding
    assert kari.post(path, {"decision": "include"}, token=token).status_code == 302
    replay = kari.post(path, {"decision": "exclude", "criterion": "not_relevant"}, token=token)
    assert replay.status_code == 409
    assert "already decided this record" in replay.text and "nothing was recorded" in replay.text
    assert trail(review_db[0], work_id) == [(1, "Kari", "include", None, None, "screen")]
    again = kari.get(path)
    assert "already decided this record" in again.text and 'id="decide"' not in again.text


def test_blind_mode_hides_the_other_reviewers_decision_and_the_trail(
    signed_in: Any, review_db: Any
) -> None:
    ola, kari = signed_in("Ola"), signed_in("Kari")
    work_id = review_db[1]["synthetic_03"]
    decide(ola, 1, work_id, decision="exclude", criterion="not_relevant", note="OLA-NOTE-42")
    page = kari.get(record_path(1, work_id))
    assert page.status_code == 200 and 'id="decide"' in page.text  # still Kari's to decide
    assert "OLA-NOTE-42" not in page.text and "Ola" not in page.text
    assert work_id in map(int, re.findall(r"/work/(\d+)", kari.get("/-/review/stage/1").text))
    waiting = kari.get("/-/review/waiting/1")
    assert "synthetic_03" in waiting.text and "Ola" in waiting.text  # who, never what
    assert "exclude" not in waiting.text and "OLA-NOTE-42" not in waiting.text
    # nor through Datasette's own tables and SQL on the review site
    assert kari.get("/evidensbase/decisions").status_code == 403
    assert kari.get("/evidensbase/stage_status.json").status_code == 403
    assert kari.get("/evidensbase.json?sql=select+*+from+decisions").status_code == 403


def test_disagreements_become_conflicts_a_third_resolves_and_kappa_is_shown(
    signed_in: Any, review_db: Any
) -> None:
    kari, ola, third = signed_in("Kari"), signed_in("Ola"), signed_in("Tredje")
    ids = review_db[1]
    plan = {
        "synthetic_01": ("include", "include"),
        "synthetic_04": ("exclude", "include"),
        "synthetic_05": ("include", "include"),
        "synthetic_06": ("exclude", "exclude"),
    }
    for key, (k, o) in plan.items():
        for client, decision in ((kari, k), (ola, o)):
            fields = {"decision": decision, "note": "<script>alert('x')</script>"}
            if decision == "exclude":
                fields["criterion"] = "not_relevant"
            assert decide(client, 1, ids[key], **fields).status_code == 302
    page = third.get("/-/review/conflicts/1")
    assert "synthetic_04" in page.text and "synthetic_01" not in page.text
    own = kari.post(f"/-/review/conflicts/1/{ids['synthetic_04']}", {"decision": "include"},
                    token=kari.token(f"/-/review/conflicts/1/{ids['synthetic_04']}"))  # fmt: skip
    assert own.status_code == 403 and "third reviewer" in own.text
    resolve_page = third.get(f"/-/review/conflicts/1/{ids['synthetic_04']}")
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in resolve_page.text
    assert "<script>alert" not in resolve_page.text
    path = f"/-/review/conflicts/1/{ids['synthetic_04']}"
    token = third.token(path)
    assert third.post(path, {"decision": "include"}, token=token).status_code == 302
    assert third.post(path, {"decision": "exclude"}, token=token).status_code == 409  # replayed
    db = open_db(review_db[0])
    assert work_state(db, ids["synthetic_04"]).state == "awaiting"  # passed stage 1
    # 4 shared: agreement 3/4; Kari include 2/4, Ola include 3/4: pe = .5*.75 + .5*.25 = .5
    # kappa = (.75 - .5) / (1 - .5) = .5
    agreement = third.get("/-/review/agreement").text
    row = re.search(r'data-first="Kari" data-second="Ola">(.*?)</tr>', agreement, re.S)
    assert row and "0.750" in row.group(1) and "0.500" in row.group(1)


def test_stage_2_with_the_quality_rule_and_stage_3_coding(
    signed_in: Any, review_db: Any, review_app: Any
) -> None:
    kari, ola = signed_in("Kari"), signed_in("Ola")
    ids = review_db[1]
    for key in ("synthetic_07", "synthetic_09"):
        decide(kari, 1, ids[key], decision="include")
        decide(ola, 1, ids[key], decision="include")
    page = kari.get(record_path(2, ids["synthetic_07"]))
    assert 'id="quality"' in page.text and "A specified method and design" in page.text
    missing = decide(kari, 2, ids["synthetic_07"], decision="include")
    assert missing.status_code == 400 and "quality ratings" in missing.text
    poor = {f"q_{c}": "yes" for c in ("validity", "reliability", "generalisation_evidence",
                                       "clear_question", "findings_answer_question")}  # fmt: skip
    response = decide(kari, 2, ids["synthetic_07"], decision="include", q_specified_method="no",
                      **poor)  # fmt: skip
    assert response.status_code == 302
    assert trail(review_db[0], ids["synthetic_07"])[-1][2:4] == (
        "exclude",
        "quality_not_acceptable",
    )
    good = {**poor, "q_specified_method": "partly"}
    assert decide(kari, 2, ids["synthetic_09"], decision="include", **good).status_code == 302
    bad_codes = decide(kari, 3, ids["synthetic_09"], decision="include", theme="nonsense")
    assert bad_codes.status_code == 400 and "not in the codebook" in bad_codes.text
    coded = kari.post(
        record_path(3, ids["synthetic_09"]),
        {"decision": "include", "theme": ["power_relations", "other"], "method": "qualitative",
         "country": ["NO", "SE"], "participants_en": "12 newcomer youths",
         "refugees_interviewed": "true", "summary_language": "en",
         "summary_topic": "Vocational guidance for newcomer youth",
         "summary_method": "Interviews", "summary_findings": "Zanzibarquux findings"},
        token=kari.token(record_path(3, ids["synthetic_09"])),
    )  # fmt: skip
    assert coded.status_code == 302, coded.text[:300]
    search = kari.get("/evidensbase/corpus.json?_search=Zanzibarquux&_shape=objects").json()
    assert [r["key"] for r in search["rows"]] == ["synthetic_09"]


def test_highlighting_escapes_first_then_marks_the_protocol_terms() -> None:
    from db.portal.review.pages import highlight
    from db.protocol import embedded_protocol

    concepts = embedded_protocol().concepts
    marked = str(
        highlight('<img src=x onerror="alert(1)"> Karriereveiledning & flyktninger', concepts)
    )
    assert marked.startswith("&lt;img src=x onerror=&#34;alert(1)&#34;&gt; ")
    assert "<mark>" in marked and "Karriere" in marked and "&amp;" in marked
    assert "<img" not in marked
    assert str(highlight(None, concepts)) == ""


def test_a_title_with_markup_is_shown_escaped_on_every_page(signed_in: Any, review_db: Any) -> None:
    db = open_db(review_db[0])
    with db.atomic():
        work_id = int(
            db.table("works")
            .insert({"key": "synthetic_xss", "title": "<script>alert(1)</script> veiledning",
                     "year": 2019, "type": "report", "language": "nb", "origin": "harvest"})
            .last_pk
        )  # fmt: skip
    db.close()
    kari = signed_in("Kari")
    for path in ("/-/review/stage/1", record_path(1, work_id)):
        text = kari.get(path).text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, path
        assert "<script>alert(1)" not in text, path


def test_the_ranking_is_retrained_in_the_background_and_never_shows_a_decided_record(
    review_app: Any, review_db: Any
) -> None:
    import asyncio

    from db.decisions import record_decision

    site = review_app.evidensbase_review_site
    ids = review_db[1]

    async def queue() -> list[int]:
        return [item.work_id for item in await site.queue(1, "Kari")]

    first = asyncio.run(queue())
    assert sorted(first) == sorted(ids.values())
    db = open_db(review_db[0])
    record_decision(db, first[0], 1, "include", reviewer="Kari")
    record_decision(db, first[-1], 1, "exclude", reviewer="Kari", criterion="not_relevant")
    db.close()
    second = asyncio.run(queue())  # at once, from the last ranking; a retrain has started
    assert second == [w for w in first if w not in (first[0], first[-1])]
    site.ranker.wait()
    assert site.ranker.rankings["Kari"].trained_on == 8  # the retrained ranking is kept
    assert sorted(asyncio.run(queue())) == sorted(second)
