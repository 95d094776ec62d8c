"""The record model: tables, migrations and views of the one SQLite file.

The schema version lives in ``PRAGMA user_version``. Each migration is applied once, in order, inside
the same transaction as the version bump, so a database is either at the old version or the new one.
Views are derived data: they are dropped and recreated on every open, which never touches a row.
"""

from __future__ import annotations

import sqlite3

from db.status import (
    INCLUSION_VERSION_SQL,
    STAGE_OUTCOME_SQL,
    STAGE_STATUS_TRIGGER,
    WORK_STATUS_SQL,
)

# Version 1: provenance (searches, runs, hits) and the works with their append-only decisions.
_V1 = """
CREATE TABLE searches (
    id TEXT PRIMARY KEY,              -- stable, e.g. 'oria-nb-innvandrere'
    engine TEXT NOT NULL,             -- oria | scholar | an importer's origin (ris, bibtex, pop-csv, ...)
    language TEXT NOT NULL,           -- nb, sv, da, en (the language of the search string)
    terms TEXT NOT NULL,              -- JSON list of the terms combined with AND
    query TEXT NOT NULL,              -- the string as sent to the engine
    yield_row TEXT,                   -- which row of the report's Table 3.1 this search belongs to
    year_from INTEGER,
    year_to INTEGER,
    filters TEXT NOT NULL DEFAULT '{}',   -- JSON: peer_reviewed_only, exclude_theses, ...
    origin TEXT NOT NULL DEFAULT 'protocol'  -- protocol | user
);

CREATE TABLE search_runs (
    id INTEGER PRIMARY KEY,
    search_id TEXT REFERENCES searches(id),
    engine TEXT NOT NULL,
    query TEXT,
    source TEXT,                      -- base URL, directory of saved pages, or imported file
    status TEXT NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'complete', 'partial', 'blocked', 'failed')),
    reported_total INTEGER,
    pages_fetched INTEGER NOT NULL DEFAULT 0,
    hits_fetched INTEGER NOT NULL DEFAULT 0,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    error TEXT,
    tool TEXT                         -- what made the run: 'evidensbase 0.1.0 (scrapy 2.x)', 'import'
);

CREATE TABLE works (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,         -- stable human-readable id, e.g. 'thomsen2016'
    title TEXT NOT NULL,
    authors TEXT NOT NULL DEFAULT '[]',   -- JSON list of CSL names: {family, given} or {literal}
    authors_display TEXT NOT NULL DEFAULT '',  -- 'Thomsen, M.; Hatlem, C.' for reading and search
    year INTEGER CHECK (year IS NULL OR year BETWEEN 1900 AND 2100),
    type TEXT,                        -- report | journal_article | book_chapter | book | thesis | other
    container TEXT,                   -- journal or book title
    publisher TEXT,
    place TEXT,
    pages TEXT,
    volume TEXT,
    issue TEXT,
    language TEXT,
    doi TEXT,
    isbn TEXT,
    issn TEXT,
    url TEXT,
    abstract TEXT,
    peer_reviewed INTEGER CHECK (peer_reviewed IS NULL OR peer_reviewed IN (0, 1)),
    origin TEXT NOT NULL DEFAULT 'harvest',   -- corpus (the report's coded works) | harvest
    report_lines TEXT,                -- for corpus works: where the report describes it
    notes TEXT
);

CREATE TABLE hits (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES search_runs(id),
    engine TEXT NOT NULL,
    hit_key TEXT NOT NULL,            -- engine record id, or a hash of the record when there is none
    rank INTEGER,
    title TEXT,
    authors TEXT NOT NULL DEFAULT '[]',
    year INTEGER,
    type TEXT,
    language TEXT,
    container TEXT,
    publisher TEXT,
    doi TEXT,
    isbn TEXT,
    issn TEXT,
    url TEXT,
    abstract TEXT,
    peer_reviewed INTEGER,
    raw TEXT NOT NULL,                -- the record exactly as the engine or file gave it
    fetched_at TEXT NOT NULL,
    work_id INTEGER REFERENCES works(id),
    UNIQUE (run_id, hit_key)
);
CREATE INDEX hits_work ON hits(work_id);

-- Append-only: the current status of a work is derived from its latest decisions, never stored.
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    work_id INTEGER NOT NULL REFERENCES works(id),
    stage INTEGER NOT NULL CHECK (stage IN (1, 2, 3)),
    decision TEXT NOT NULL CHECK (decision IN ('include', 'exclude', 'maybe')),
    criterion TEXT,                   -- protocol criterion id (why), required for rule exclusions
    reviewer TEXT NOT NULL,
    actor TEXT NOT NULL CHECK (actor IN ('person', 'rule', 'model', 'source')),
    note TEXT,
    decided_at TEXT NOT NULL,
    import_key TEXT UNIQUE            -- set when a decision comes from a file, so a reload adds nothing
);
CREATE INDEX decisions_work ON decisions(work_id, stage);
CREATE TRIGGER decisions_append_only_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only: record a new decision instead'); END;
CREATE TRIGGER decisions_append_only_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only: record a new decision instead'); END;
"""

# Version 2: appraisal and coding of included works, and the report's published screening yield.
_V2 = """
CREATE TABLE quality (
    id INTEGER PRIMARY KEY,
    work_id INTEGER NOT NULL REFERENCES works(id),
    reviewer TEXT NOT NULL,
    criterion TEXT NOT NULL,          -- protocol quality criterion id
    rating TEXT NOT NULL CHECK (rating IN ('yes', 'partly', 'no', 'unclear')),
    note TEXT,
    rated_at TEXT NOT NULL
);
CREATE INDEX quality_work ON quality(work_id);

CREATE TABLE codes (
    id INTEGER PRIMARY KEY,
    work_id INTEGER NOT NULL REFERENCES works(id),
    reviewer TEXT NOT NULL,
    field TEXT NOT NULL,              -- codebook field: group, method, country, theme, theme_cited, ...
    value TEXT NOT NULL,
    coded_at TEXT NOT NULL,
    UNIQUE (work_id, reviewer, field, value)
);
CREATE INDEX codes_field ON codes(field, value);

CREATE TABLE summaries (
    work_id INTEGER NOT NULL REFERENCES works(id),
    language TEXT NOT NULL CHECK (language IN ('nb', 'en')),
    topic TEXT NOT NULL,
    method TEXT NOT NULL,
    findings TEXT NOT NULL,
    written_by TEXT NOT NULL,
    PRIMARY KEY (work_id, language)
);

CREATE TABLE labels (                 -- Norwegian and English labels of every coded value
    vocabulary TEXT NOT NULL,         -- theme, method, group, type, language, country, criterion, ...
    value TEXT NOT NULL,
    nb TEXT NOT NULL,
    en TEXT NOT NULL,
    sort INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (vocabulary, value)
);

CREATE TABLE reported_yield (         -- figures as the original review published them (Table 3.1)
    row_id TEXT PRIMARY KEY,
    review TEXT NOT NULL,             -- which review reported them
    position INTEGER NOT NULL,
    engines TEXT NOT NULL,
    search_terms TEXT NOT NULL,       -- the row's label, as printed
    language TEXT NOT NULL,
    hits INTEGER NOT NULL,
    after_stage1 INTEGER NOT NULL,
    after_stage2 INTEGER NOT NULL,
    included INTEGER NOT NULL,
    source TEXT NOT NULL              -- where in the report
);

CREATE TABLE report_notes (           -- the source report's own inconsistencies, kept visible
    id TEXT PRIMARY KEY,
    nb TEXT NOT NULL,
    en TEXT NOT NULL,
    source TEXT NOT NULL
);

CREATE TABLE protocol (               -- the protocol file as loaded, for reporting and the portal
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL               -- JSON
);

-- Full-text index over works (rowid = works.id). Trigrams match inside words, which suits Nordic
-- compounds ("veiledning" finds "karriereveiledning") and stems ("narrativ" finds "narrative").
CREATE VIRTUAL TABLE works_fts USING fts5(
    title, authors, abstract, summary_nb, summary_en, tokenize = 'trigram'
);
"""

# Dedupe: how hits became works. Every attachment of a hit to a work is a row of hit_links (closed by
# a split, never deleted); every judged pair of hits is a row of hit_pairs (a person's judgement is
# final); every field of a harvested work names the hit it was taken from.
_V3_DEDUPE = """
CREATE TABLE hit_links (
    id INTEGER PRIMARY KEY,
    hit_id INTEGER NOT NULL REFERENCES hits(id),
    work_id INTEGER NOT NULL,         -- no foreign key: the record outlives a work merged away
    work_key TEXT NOT NULL,           -- the work's stable key at the time
    method TEXT NOT NULL,             -- new | engine_id | doi | isbn | fuzzy_title_authors | ... | person | split
    matched_hit_id INTEGER REFERENCES hits(id),  -- the hit it was found to be the same as
    score REAL,                       -- title similarity 0-100 (100 for identifiers)
    actor TEXT NOT NULL CHECK (actor IN ('rule', 'person')),
    decided_by TEXT NOT NULL,         -- 'evidensbase dedupe <version>' or the person's name
    linked_at TEXT NOT NULL,
    unlinked_at TEXT,                 -- set when a split or a merge moved the hit elsewhere
    unlinked_by TEXT
);
CREATE INDEX hit_links_hit ON hit_links(hit_id);
CREATE INDEX hit_links_work ON hit_links(work_id);

CREATE TABLE hit_pairs (
    id INTEGER PRIMARY KEY,
    hit_a INTEGER NOT NULL REFERENCES hits(id),   -- the smaller hit id
    hit_b INTEGER NOT NULL REFERENCES hits(id),
    outcome TEXT NOT NULL CHECK (outcome IN ('same', 'different', 'maybe')),
    score REAL,
    method TEXT NOT NULL,
    actor TEXT NOT NULL CHECK (actor IN ('rule', 'person')),
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    CHECK (hit_a < hit_b)
);
CREATE INDEX hit_pairs_pair ON hit_pairs(hit_a, hit_b);
CREATE INDEX hit_pairs_open ON hit_pairs(outcome, actor);

CREATE TABLE work_sources (
    work_id INTEGER NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    field TEXT NOT NULL,              -- a column of works
    hit_id INTEGER NOT NULL REFERENCES hits(id),
    engine TEXT NOT NULL,
    PRIMARY KEY (work_id, field)
);
"""

# Harvest: which pages of a run are stored, so an interrupted run resumes where it stopped and a
# page is stored together with its hits or not at all.
_V4_HARVEST = """
CREATE TABLE run_pages (
    run_id INTEGER NOT NULL REFERENCES search_runs(id),
    page_key TEXT NOT NULL,           -- 'nor:50' (language code and offset), or a saved page's file name
    url TEXT NOT NULL,
    hits INTEGER NOT NULL,            -- results on the page (before de-duplication within the run)
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (run_id, page_key)
);
CREATE INDEX hits_run ON hits(run_id, rank);
"""

# Screening: a decision either screens a work or resolves a conflict between reviewers (a third
# decision). Old rows are screening decisions.
_V5_SCREENING = """
ALTER TABLE decisions ADD COLUMN role TEXT NOT NULL DEFAULT 'screen'
    CHECK (role IN ('screen', 'resolve'));
"""

# The review's state: each stage's outcome per work, kept by a trigger from the trail (db/status.py),
# so reading a status is an index probe. Rebuilt from the decisions when the version is applied.
_V6_STATUS = """
CREATE TABLE stage_status (
    work_id INTEGER NOT NULL,
    stage INTEGER NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('include', 'exclude', 'maybe', 'conflict')),
    PRIMARY KEY (work_id, stage)
) WITHOUT ROWID;
CREATE INDEX stage_status_outcome ON stage_status(stage, outcome);
"""  # filled by ensure_triggers, which derives it from the trail when it adds its trigger

# Protocol versions (db/versions.py): every amendment with its date, changes and reason; each
# decision and search run names the version it was made under (NULL: before versions, i.e. 1).
_V7_VERSIONS = """
CREATE TABLE protocol_versions (
    version INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    changes TEXT NOT NULL,            -- JSON list of lines: 'review.years: [2016, 2022] → [2016, 2026]'
    reason TEXT NOT NULL,
    made_by TEXT NOT NULL,            -- 'evidensbase build', 'evidensbase update', a person
    content TEXT NOT NULL,            -- the whole protocol, JSON
    digest TEXT NOT NULL,
    file_digest TEXT NOT NULL         -- the protocol file it grew from (see db/versions.py)
);
ALTER TABLE decisions ADD COLUMN protocol_version INTEGER;
ALTER TABLE search_runs ADD COLUMN protocol_version INTEGER;
"""

# Complete references (issue 13): a report's series and number ('Fafo-rapport', '2023:08') and the
# editors of the book a chapter appears in, which APA, BibTeX and CSL need and works lacked.
_V8_REFERENCES = """
ALTER TABLE works ADD COLUMN series TEXT;          -- report or book series: 'Fafo-rapport'
ALTER TABLE works ADD COLUMN number TEXT;          -- number in the series: '2023:08'
ALTER TABLE works ADD COLUMN editors TEXT NOT NULL DEFAULT '[]';  -- JSON CSL names (of the book)
"""

# Enrichment (issue 13, db/enrich/): a field filled from Crossref, OpenAlex or NVA has no hit, so
# work_sources.hit_id becomes nullable (SQLite rebuilds the table to drop NOT NULL; every row is
# copied) and such a row keeps the lookup that gave it (source in engine, query, score, value).
# Candidates wait in enrich_candidates for a rule or a person; an undone field is remembered in
# enrich_undone so a rerun does not fill it again.
_V9_ENRICH = """
CREATE TABLE enrich_candidates (
    id INTEGER PRIMARY KEY,
    work_id INTEGER NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    source TEXT NOT NULL,             -- crossref | openalex | nva
    candidate_key TEXT NOT NULL,      -- the source's id of the record (DOI, W..., NVA identifier)
    query TEXT NOT NULL,              -- the URL asked (without credentials)
    score REAL,                       -- title similarity 0-100 from dedupe's rules (100: identifier)
    method TEXT NOT NULL,             -- dedupe's rule that decided (doi, fuzzy_title_authors, ...)
    fields TEXT NOT NULL,             -- JSON {field: value} the candidate gives
    status TEXT NOT NULL CHECK (status IN ('pending', 'applied', 'rejected', 'ambiguous')),
    reason TEXT,                      -- why it waits or was refused
    actor TEXT NOT NULL CHECK (actor IN ('rule', 'person')),
    decided_by TEXT NOT NULL,
    found_at TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    UNIQUE (work_id, source, candidate_key)
);
CREATE INDEX enrich_candidates_status ON enrich_candidates(status);

CREATE TABLE enrich_undone (
    work_id INTEGER NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    value TEXT,                       -- what had been filled
    source TEXT NOT NULL,
    undone_by TEXT NOT NULL,
    undone_at TEXT NOT NULL,
    PRIMARY KEY (work_id, field)
);

CREATE TABLE work_sources_v9 (
    work_id INTEGER NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    field TEXT NOT NULL,              -- a column of works
    hit_id INTEGER REFERENCES hits(id),   -- NULL: filled by enrichment
    engine TEXT NOT NULL,             -- the hit's engine, or the enrichment source
    query TEXT,                       -- enrichment: the URL asked
    score REAL,                       -- enrichment: the candidate's score
    value TEXT,                       -- enrichment: the value filled (kept across a merge)
    candidate_id INTEGER REFERENCES enrich_candidates(id),
    recorded_at TEXT,
    PRIMARY KEY (work_id, field),
    CHECK (hit_id IS NOT NULL OR query IS NOT NULL)
);
INSERT INTO work_sources_v9 (work_id, field, hit_id, engine)
    SELECT work_id, field, hit_id, engine FROM work_sources;
DROP TABLE work_sources;
ALTER TABLE work_sources_v9 RENAME TO work_sources;
"""

# Text embeddings (issue 14, db/embeddings.py): one vector per work and model, computed once from
# the work's title and abstract; text_key says from which text, so an edited work is recomputed.
_V10_EMBEDDINGS = """
CREATE TABLE work_embeddings (
    work_id INTEGER NOT NULL REFERENCES works(id) ON DELETE CASCADE,
    model TEXT NOT NULL,              -- screening.embeddings.MODEL
    text_key TEXT NOT NULL,           -- screening.embeddings.text_key of the text embedded
    dimensions INTEGER NOT NULL,
    vector BLOB NOT NULL,             -- little-endian float32 x dimensions, l2-normalised
    computed_at TEXT NOT NULL,
    PRIMARY KEY (work_id, model)
);
-- vectors of texts that are not works (the records of a labelled review `simulate` replays)
CREATE TABLE text_embeddings (
    model TEXT NOT NULL,
    text_key TEXT NOT NULL,
    dimensions INTEGER NOT NULL,
    vector BLOB NOT NULL,
    computed_at TEXT NOT NULL,
    PRIMARY KEY (model, text_key)
);
"""

MIGRATIONS: list[str] = [
    _V1, _V2, _V3_DEDUPE, _V4_HARVEST, _V5_SCREENING, _V6_STATUS, _V7_VERSIONS, _V8_REFERENCES,
    _V9_ENRICH, _V10_EMBEDDINGS,
]  # fmt: skip
SCHEMA_VERSION = len(MIGRATIONS)

# The triggers that keep the trail append-only and stage_status in step with it. Opening a
# writable database re-creates any that are missing or altered (see ensure_triggers). A REPLACE
# would delete the old row without firing a DELETE trigger, so inserting over an existing id or
# import key is refused before it can happen.
TRIGGERS: dict[str, str] = {
    "decisions_append_only_update": "CREATE TRIGGER decisions_append_only_update BEFORE UPDATE ON decisions BEGIN SELECT RAISE(ABORT, 'decisions are append-only: record a new decision instead'); END",
    "decisions_append_only_delete": "CREATE TRIGGER decisions_append_only_delete BEFORE DELETE ON decisions BEGIN SELECT RAISE(ABORT, 'decisions are append-only: record a new decision instead'); END",
    "decisions_append_only_replace": "CREATE TRIGGER decisions_append_only_replace BEFORE INSERT ON decisions WHEN EXISTS (SELECT 1 FROM decisions WHERE id = NEW.id OR import_key = NEW.import_key) BEGIN SELECT RAISE(ABORT, 'decisions are append-only: a decision with this id or import key exists'); END",
    "decisions_stage_status": STAGE_STATUS_TRIGGER,
}

# Recreated on every open; a view holds no rows, so this never changes the database's content.
VIEWS: dict[str, str] = {
    "work_status": WORK_STATUS_SQL,
    "corpus": f"""
        SELECT w.id AS id,
               w.key AS key,
               w.authors_display AS authors,
               coalesce(json_extract(w.authors, '$[0].family'),
                        json_extract(w.authors, '$[0].literal')) AS first_author,
               w.year AS year,
               w.title AS title,
               coalesce(w.container, w.publisher) AS published_in,
               w.publisher AS publisher,
               (SELECT l.nb || ' / ' || l.en FROM labels l
                 WHERE l.vocabulary = 'type' AND l.value = w.type) AS type,
               (SELECT l.nb || ' / ' || l.en FROM labels l
                 WHERE l.vocabulary = 'language' AND l.value = w.language) AS language,
               (SELECT json_group_array(l.nb || ' / ' || l.en) FROM
                  (SELECT l2.* FROM codes c JOIN labels l2
                      ON l2.vocabulary = 'country' AND l2.value = c.value
                    WHERE c.work_id = w.id AND c.field = 'country' ORDER BY l2.sort) AS l)
                 AS countries,
               (SELECT l.nb || ' / ' || l.en FROM codes c
                  JOIN labels l ON l.vocabulary = 'group' AND l.value = c.value
                 WHERE c.work_id = w.id AND c.field = 'group') AS report_group,
               CASE w.peer_reviewed WHEN 1 THEN 'ja / yes' WHEN 0 THEN 'nei / no' END
                 AS peer_reviewed,
               (SELECT l.nb || ' / ' || l.en FROM codes c
                  JOIN labels l ON l.vocabulary = 'method' AND l.value = c.value
                 WHERE c.work_id = w.id AND c.field = 'method') AS method,
               (SELECT json_group_array(l.nb || ' / ' || l.en) FROM
                  (SELECT l2.* FROM codes c JOIN labels l2
                      ON l2.vocabulary = 'theme' AND l2.value = c.value
                    WHERE c.work_id = w.id AND c.field = 'theme' ORDER BY l2.sort) AS l) AS themes,
               (SELECT c.value FROM codes c
                 WHERE c.work_id = w.id AND c.field = 'participants_nb') AS participants_nb,
               (SELECT c.value FROM codes c
                 WHERE c.work_id = w.id AND c.field = 'participants_en') AS participants_en,
               (SELECT CASE c.value WHEN 'true' THEN 'ja / yes' WHEN 'false' THEN 'nei / no'
                       ELSE 'ikke oppgitt / not stated' END FROM codes c
                 WHERE c.work_id = w.id AND c.field = 'refugees_interviewed')
                 AS refugees_interviewed,
               snb.topic AS topic_nb, snb.method AS method_nb, snb.findings AS findings_nb,
               sen.topic AS topic_en, sen.method AS method_en, sen.findings AS findings_en,
               {INCLUSION_VERSION_SQL} AS review_version
        FROM works w
        JOIN work_status s ON s.work_id = w.id AND s.state = 'included'
        LEFT JOIN summaries snb ON snb.work_id = w.id AND snb.language = 'nb'
        LEFT JOIN summaries sen ON sen.work_id = w.id AND sen.language = 'en'
        ORDER BY w.year, w.authors_display
    """,
    "search_yield": """
        SELECT r.position AS position,
               r.engines AS engines,
               r.search_terms AS search_terms,
               r.language AS language,
               r.hits AS hits,
               r.after_stage1 AS after_stage1,
               r.after_stage2 AS after_stage2,
               r.included AS included,
               r.review AS review,
               r.source AS source
        FROM reported_yield r
        UNION ALL
        SELECT 99, 'Oria/Google Scholar', 'Totalt / Total', '',
               sum(hits), sum(after_stage1), sum(after_stage2), sum(included),
               min(review), 'sum of the rows above'
        FROM reported_yield
        ORDER BY 1
    """,
    # The evidensbase column counts harvested works by their state (db/status.py): passed >= N.
    "flow": """
        WITH harvested AS (SELECT s.* FROM work_status s JOIN works w ON w.id = s.work_id
                           WHERE w.origin != 'corpus')
        SELECT 1 AS step, 'identified' AS stage,
               'Unike treff / Unique records identified' AS label,
               (SELECT sum(hits) FROM reported_yield) AS reported,
               (SELECT count(*) FROM harvested) AS evidensbase
        UNION ALL
        SELECT 2, 'stage1', 'Relevante etter tittel og sammendrag / Relevant on title and abstract',
               (SELECT sum(after_stage1) FROM reported_yield),
               (SELECT count(*) FROM harvested WHERE passed >= 1)
        UNION ALL
        SELECT 3, 'stage2', 'Relevante og av akseptabel kvalitet i fulltekst / Relevant and of acceptable quality in full text',
               (SELECT sum(after_stage2) FROM reported_yield),
               (SELECT count(*) FROM harvested WHERE passed >= 2)
        UNION ALL
        SELECT 4, 'included', 'Inkludert etter grundig gjennomgang / Included after thorough review',
               (SELECT sum(included) FROM reported_yield),
               (SELECT count(*) FROM harvested WHERE state = 'included')
    """,
}


def apply_migrations(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Upgrade the database in place to ``target``; return the version it was at."""
    found = conn.execute("PRAGMA user_version").fetchone()[0]
    if found > SCHEMA_VERSION:
        raise RuntimeError(
            f"database schema version {found} is newer than this evidensbase "
            f"(knows up to {SCHEMA_VERSION}): upgrade evidensbase instead"
        )
    for version in range(found + 1, target + 1):
        with conn:
            conn.executescript(
                "BEGIN;" + MIGRATIONS[version - 1] + f"PRAGMA user_version = {version};"
            )
    return found


def recreate_views(conn: sqlite3.Connection, temporary: bool = False) -> None:
    """Drop and recreate every view in dependency order (views hold no data).

    ``temporary`` makes them TEMP views, for a read-only file: they shadow the stored ones.
    """
    schema_name, kind = ("temp", "TEMP VIEW") if temporary else ("main", "VIEW")
    with conn:
        for name in reversed(VIEWS):
            conn.execute(f"DROP VIEW IF EXISTS {schema_name}.{name}")
        for name, sql in VIEWS.items():
            conn.execute(f"CREATE {kind} {name} AS {sql}")


def ensure_triggers(conn: sqlite3.Connection) -> list[str]:
    """Re-create any trigger that is missing or altered; return their names.

    When the stage_status trigger was missing, the table is rebuilt from the trail, since
    decisions may have been added without it.
    """
    stored = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))
    repaired = [name for name, sql in TRIGGERS.items() if stored.get(name) != sql]
    if not repaired:
        return []
    with conn:
        for name in repaired:
            conn.execute(f"DROP TRIGGER IF EXISTS {name}")
            conn.execute(TRIGGERS[name])
        if "decisions_stage_status" in repaired:
            conn.execute("DELETE FROM stage_status")
            conn.execute(
                "INSERT INTO stage_status (work_id, stage, outcome) "
                f"SELECT work_id, stage, outcome FROM ({STAGE_OUTCOME_SQL})"
            )
    return repaired


def missing_triggers(conn: sqlite3.Connection) -> list[str]:
    """Triggers that are missing or altered (for a database that cannot be written)."""
    stored = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))
    return [name for name, sql in TRIGGERS.items() if stored.get(name) != sql]
