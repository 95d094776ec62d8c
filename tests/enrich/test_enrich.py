"""``evidensbase enrich`` against a local server replaying recorded Crossref and OpenAlex answers.

The works that match are synthetic (tests/enrich/data/synthetic_works.yaml), each derived from one
recorded record; the expected values below were read by hand from those recordings.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from db.enrich import EnrichError, enrich_works, undo_field
from db.enrich.cache import cache_path
from db.enrich.client import without_credentials
from db.enrich.replay import EnrichReplayConfig, EnrichReplayServer
from evidensbase.cli import main
from tests.enrich.conftest import RECORDINGS

Works = tuple[Path, dict[str, int]]


def run(db: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["enrich", "--db", str(db), "--delay", "0", *args])
    return result.exit_code, result.output


def work(db: Path, key: str, *fields: str) -> tuple:
    conn = sqlite3.connect(db)
    row = conn.execute(f"SELECT {', '.join(fields)} FROM works WHERE key = ?", [key]).fetchone()
    conn.close()
    return tuple(row)


def sources(db: Path, key: str) -> dict[str, tuple]:
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT s.field, s.hit_id, s.engine, s.query, s.score, s.value FROM work_sources s "
        "JOIN works w ON w.id = s.work_id WHERE w.key = ? ORDER BY s.field",
        [key],
    ).fetchall()
    conn.close()
    return {r[0]: r[1:] for r in rows}


def candidates(db: Path, key: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT c.source, c.candidate_key, c.status, c.actor FROM enrich_candidates c "
        "JOIN works w ON w.id = c.work_id WHERE w.key = ? ORDER BY c.candidate_key",
        [key],
    ).fetchall()
    conn.close()
    return rows


def dump(db: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db)
    tables = ("works", "work_sources", "enrich_candidates", "enrich_undone", "hits")
    out = {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}
    conn.close()
    return out


def test_crossref_fills_empty_fields_with_provenance(enrich_db: Works, replay) -> None:
    db, _ = enrich_db
    code, output = run(db, "--source", "crossref", "--stage", "all", "--base-url", replay.url)

    assert code == 0, output
    assert work(db, "qi2019widget", "doi", "container", "volume", "issue", "pages", "issn") == (
        "10.1117/1.jei.28.6.063006", "Journal of Electronic Imaging", "28", "06", "1", "1017-9909",
    )  # fmt: skip
    # A field the work already gives is never overwritten.
    assert work(db, "qi2019widget", "publisher") == ("Given publisher (synthetic)",)
    filled = sources(db, "qi2019widget")
    assert sorted(filled) == ["container", "doi", "issn", "issue", "pages", "volume"]
    hit_id, engine, query, score, value = filled["doi"]
    assert (hit_id, engine, score, value) == (None, "crossref", 100.0, "10.1117/1.jei.28.6.063006")
    assert query.startswith(replay.url + "/works?query.bibliographic=Widget+Detection+Network")
    assert "query.author=Qi" in query and "from-pub-date%3A2019" in query
    # Found by its DOI: the chapter's book, pages and publisher.
    assert work(db, "widgetmania", "container", "pages", "publisher") == (
        "Practical JavaScript™, DOM Scripting, and Ajax Projects", "305-349", "Apress",
    )  # fmt: skip
    assert sources(db, "widgetmania")["container"][2] == (
        replay.url + "/works/10.1007/978-1-4302-0197-7_9"
    )
    assert "qi2019widget: doi = 10.1117/1.jei.28.6.063006" in output


def test_doubtful_is_queued_and_ambiguous_refused(enrich_db: Works, replay) -> None:
    db, _ = enrich_db
    code, output = run(db, "--source", "crossref", "--stage", "all", "--base-url", replay.url)

    assert code == 0, output
    assert candidates(db, "mendes2009review") == [
        ("crossref", "10.1109/afrcon.2009.5308146", "pending", "rule")
    ]
    assert work(db, "mendes2009review", "doi", "container") == (None, None)
    # One candidate, good for two works: applied to neither.
    for key in ("radev2022a", "radev2022b"):
        assert candidates(db, key) == [
            ("crossref", "10.1007/978-1-4842-9080-4_2", "ambiguous", "rule")
        ]
        assert work(db, key, "doi", "container", "publisher") == (None, None, None)
        assert sources(db, key) == {}
    assert "1 doubtful and 2 ambiguous candidate(s) wait" in output


def test_openalex_work_with_two_good_candidates_is_refused(enrich_db: Works) -> None:
    db, _ = enrich_db
    config = EnrichReplayConfig("openalex", RECORDINGS["openalex"])
    with EnrichReplayServer(config) as server:
        code, output = run(db, "--source", "openalex", "--stage", "all", "--base-url", server.url)

    assert code == 0, output
    assert work(db, "ryu2018suicide", "doi", "container", "volume", "issue", "pages") == (
        "10.30773/pi.2018.08.27", "Psychiatry investigation", "15", "11", "1030-1036",
    )  # fmt: skip
    assert sources(db, "ryu2018suicide")["doi"][:2] == (None, "openalex")
    # The 2021 preprint and its '(Preprint)' copy are both good: neither is applied. The 2022
    # article (another year and type) is only doubtful.
    assert candidates(db, "abad2021crowd") == [
        ("openalex", "W3212676313", "pending", "rule"),
        ("openalex", "W4242624664", "ambiguous", "rule"),
        ("openalex", "W4243312951", "ambiguous", "rule"),
    ]
    assert work(db, "abad2021crowd", "doi", "container") == (None, None)


def test_twice_changes_nothing(enrich_db: Works, replay) -> None:
    db, _ = enrich_db
    run(db, "--source", "crossref", "--stage", "all", "--base-url", replay.url)
    first = dump(db)

    code, output = run(db, "--source", "crossref", "--stage", "all", "--base-url", replay.url)

    assert code == 0, output
    assert dump(db) == first
    assert "0 field(s) filled in 0 work(s); 0 doubtful and 0 ambiguous" in output
    # Every answer of the first run came from the answer cache (404s included); the one request
    # is qi2019widget's lookup by the DOI it got, which finds the candidate already applied.
    assert "(1 request(s))" in output
    # 32 works, 31 distinct queries in the first run (radev2022a and b ask the same).
    assert replay.config.requests[31:] == ["/works/10.1117/1.jei.28.6.063006"]


def test_corpus_works_keep_every_field(enrich_db: Works, replay) -> None:
    db, _ = enrich_db
    conn = sqlite3.connect(db)
    before = conn.execute("SELECT * FROM works WHERE origin = 'corpus' ORDER BY id").fetchall()
    conn.close()
    run(db, "--source", "crossref", "--stage", "all", "--base-url", replay.url)

    conn = sqlite3.connect(db)
    after = conn.execute("SELECT * FROM works WHERE origin = 'corpus' ORDER BY id").fetchall()
    found = conn.execute(
        "SELECT count(*) FROM enrich_candidates c JOIN works w ON w.id = c.work_id "
        "WHERE w.origin = 'corpus'"
    ).fetchone()
    conn.close()
    # The 24 corpus works find no candidate in these recordings (other topics).
    assert len(before) == 24 and after == before and found == (0,)


def test_review_applies_a_doubtful_candidate(enrich_db: Works, replay) -> None:
    db, _ = enrich_db
    run(db, "--source", "crossref", "--stage", "all", "--base-url", replay.url)

    # Three waiting: mendes (pending), then radev a and b (ambiguous): apply, reject, skip.
    result = CliRunner().invoke(
        main, ["enrich", "--db", str(db), "--review", "--person", "Kari"], input="a\nr\nk\n"
    )

    assert result.exit_code == 0, result.output
    assert "title similarity 93" in result.output
    assert work(db, "mendes2009review", "doi", "container", "pages") == (
        "10.1109/afrcon.2009.5308146", "AFRICON 2009", "1-6",
    )  # fmt: skip
    assert candidates(db, "mendes2009review")[0][2:] == ("applied", "person")
    assert candidates(db, "radev2022a")[0][2:] == ("rejected", "person")
    assert candidates(db, "radev2022b")[0][2:] == ("ambiguous", "rule")
    assert (
        "Recorded 1 applied, 1 rejected (by Kari); 1 candidate(s) still waiting." in result.output
    )


def test_undo_empties_the_field_and_a_rerun_leaves_it_empty(enrich_db: Works, replay) -> None:
    db, _ = enrich_db
    run(db, "--source", "crossref", "--stage", "all", "--base-url", replay.url)

    code, output = run(db, "--undo", "qi2019widget", "doi", "--person", "Kari")
    assert code == 0, output
    assert "Undid doi of work qi2019widget (was '10.1117/1.jei.28.6.063006', by Kari)" in output
    assert work(db, "qi2019widget", "doi", "container") == (None, "Journal of Electronic Imaging")
    assert "doi" not in sources(db, "qi2019widget")

    run(db, "--source", "crossref", "--stage", "all", "--base-url", replay.url)
    assert work(db, "qi2019widget", "doi") == (None,)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT field, value, source, undone_by FROM enrich_undone").fetchall() == [
        ("doi", "10.1117/1.jei.28.6.063006", "crossref", "Kari")
    ]
    conn.close()
    with pytest.raises(EnrichError, match="is not a field enrichment fills"):
        undo_field(db, "qi2019widget", "title", "Kari")
    code, output = run(db, "--undo", "radev2022a", "doi", "--person", "Kari")
    assert code == 1 and "doi of work radev2022a was not filled by enrichment" in output


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("truncate", "not valid JSON"),
        ("html", "not valid JSON: an HTML page"),
        ("shape", "no 'message' object"),
        ("block", "blocked"),
        ("too_many", "HTTP 429"),
    ],
)
def test_bad_answer_stops_clearly_and_loses_nothing(
    enrich_db: Works, replay, fault: str, message: str
) -> None:
    db, _ = enrich_db
    run(db, "--source", "crossref", "--stage", "all", "--base-url", replay.url)
    stored = dump(db)
    config = EnrichReplayConfig("crossref", RECORDINGS["crossref"], faults={26: fault})
    with EnrichReplayServer(config) as server:
        code, output = run(db, "--source", "crossref", "--stage", "all", "--base-url", server.url)
        bad_url = server.url + config.requests[26]
        bad = bad_url.split("?")[0]

    assert code == 1
    assert "Traceback" not in output and message in output and bad in output
    assert "nothing of this run was stored" in output
    assert dump(db) == stored
    cache = sqlite3.connect(cache_path(db, "crossref"))
    cached = {url for (url,) in cache.execute("SELECT url FROM answers")}
    cache.close()
    assert without_credentials(bad_url) not in cached
    assert len([u for u in cached if u.startswith(server.url)]) == 26  # the good ones before it


def test_first_run_with_a_bad_answer_stores_nothing_and_a_rerun_completes(
    enrich_db: Works, replay
) -> None:
    db, _ = enrich_db
    config = EnrichReplayConfig("crossref", RECORDINGS["crossref"], faults={25: "html"})
    with EnrichReplayServer(config) as server:
        code, _ = run(db, "--source", "crossref", "--stage", "all", "--base-url", server.url)
    assert code == 1
    assert work(db, "qi2019widget", "doi") == (None,)

    code, output = run(db, "--source", "crossref", "--stage", "all", "--base-url", replay.url)
    assert code == 0, output
    assert work(db, "qi2019widget", "doi") == ("10.1117/1.jei.28.6.063006",)


def test_included_stage_looks_up_only_the_included_works(enrich_db: Works, replay) -> None:
    db, _ = enrich_db
    report = enrich_works(db, "crossref", stage="included", base_url=replay.url, min_delay=0)
    # The 24 corpus works are included; the synthetic ones are unscreened.
    assert report.works == 24 and report.fields == 0
    assert work(db, "qi2019widget", "doi") == (None,)


def test_nva_fills_a_journal_article(enrich_db: Works) -> None:
    db, _ = enrich_db
    config = EnrichReplayConfig("nva", RECORDINGS["nva"])
    with EnrichReplayServer(config) as server:
        code, output = run(db, "--source", "nva", "--stage", "all", "--base-url", server.url)

    assert code == 0, output
    assert work(db, "rieker2021defence", "doi", "container", "issn") == (
        "10.54648/EERR2021029", "European Foreign Affairs Review", "1384-6299",
    )  # fmt: skip
    engine, query = sources(db, "rieker2021defence")["container"][1:3]
    assert engine == "nva"
    assert query.startswith(server.url + "/resources?title=Differentiated+Defence+Integration")
    assert candidates(db, "rieker2021defence") == [
        ("nva", "0198cc4beaac-4540aa56-5021-4251-aaa5-83492e8c071a", "applied", "rule")
    ]


def test_mailto_and_key_are_sent_but_never_stored(
    enrich_db: Works, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, _ = enrich_db
    monkeypatch.setenv("OPENALEX_MAILTO", "kari@example.org")
    monkeypatch.setenv("OPENALEX_API_KEY", "SECRET-KEY-1234")
    config = EnrichReplayConfig("openalex", RECORDINGS["openalex"])
    with EnrichReplayServer(config) as server:
        code, output = run(db, "--source", "openalex", "--stage", "all", "--base-url", server.url)

    assert code == 0, output
    assert all("mailto=kari%40example.org&api_key=SECRET-KEY-1234" in r for r in config.requests)
    conn = sqlite3.connect(db)
    stored = conn.execute(
        "SELECT query FROM work_sources WHERE hit_id IS NULL "
        "UNION ALL SELECT query FROM enrich_candidates"
    ).fetchall()
    conn.close()
    cache = sqlite3.connect(cache_path(db, "openalex"))
    stored += cache.execute("SELECT url FROM answers").fetchall()
    cache.close()
    assert len(stored) > 5
    assert not [q for (q,) in stored if "SECRET" in q or "kari" in q]


def test_a_robots_txt_that_forbids_the_lookups_stops_the_run_before_any_is_asked(
    enrich_db: Works,
) -> None:
    db, _ = enrich_db
    stored = dump(db)
    config = EnrichReplayConfig(
        "crossref", RECORDINGS["crossref"], robots="User-agent: *\nDisallow: /works\n"
    )
    with EnrichReplayServer(config) as server:
        code, output = run(db, "--source", "crossref", "--stage", "all", "--base-url", server.url)

    assert code == 1 and "Traceback" not in output
    assert "robots.txt does not allow" in output and f"{server.url}/works" in output
    assert config.requests == []  # not one lookup was sent
    assert dump(db) == stored
