"""Benchmark data for dedupe: the labelled duplicates of two real reviews, and generated variants.

Records are plain dicts with the columns of the hits table (engine, hit_key, title, authors as CSL
names, year, type, container, publisher, doi, abstract) plus ``truth``: records with the same truth
are the same publication. Generated records also carry ``work`` (the title, authors and year of
the work they are a copy of), which no tool reads: the bench prints it as evidence for a false
merge.

How the generator makes truth (``generate``; the same seed gives the same records):

1. Titles. ``title_pool`` reads the titles of ../shared/data/screening (Nagtegaal 2019, Kitchenham
   2010, Cohen 2006 ADHD; titles of 4+ words) and then title-like sentences of their abstracts
   (6-22 words, no digits), de-duplicated case-insensitively: 20,497 distinct strings, shuffled.
2. Works. Work k takes pool title k. Past the pool (from work 20,498 on, so only at 100k, where
   about 60k works are needed), work k takes pool title k mod 20,497 again, plus a series marker
   ". Part N" / ". Volume N" / ". Delrapport N" / ". Del N" / ". Report N" / ". Wave N" with
   N = 2 for the second use, 3 for the third, and so on: a later volume of a series by other
   people, which a catalogue would list as its own work. About 60% of the 100k works are
   such volumes. Each work gets its own random authors (1-8; half Nordic surnames, half common
   international ones, from small pools, so surnames repeat often), a year 1995-2023, a type
   (60% article, 25% report, 7% book, 8% chapter), a journal for articles, a publisher for
   reports, a DOI for 70% of articles, and 40% of reports a subtitle (': en evaluering', ...).
3. Hard negatives. 4% of works become a family: with probability 1/2 two or three numbered parts
   by the same authors in the same year ('. Part I/II/III' for articles, '. Delrapport 1/2/3',
   '. Del 1/2', '. Volume 1/2'; DOIs suffixed .0/.1/.2), otherwise the work plus the same title
   by other authors 2-10 years later. Every member of a family is a work of its own (own truth).
4. Copies. Each work gets 1-4 records (weights 55/28/12/5); all copies of a work share its truth.
   A copy is garbled as its engine would (``_variant``): Scholar (40%) adds [PDF]/[HTML]/...,
   drops everything after the first ':' (30% of titles with one; this also drops a series marker
   that follows a subtitle), or cuts titles over 70 letters at 50-65 letters with an ellipsis
   (30%), keeps three authors as 'R Lillevik' literals with '…' and 'm.fl.', adds a year to 40%
   of reports (the web version), keeps the DOI 30% of the time; Oria/RIS copies get initials for
   given names (30%), 'et al.' (15%), a DOI as a URL; all copies may change case, punctuation,
   add HTML, drop a letter, or transliterate Nordic letters (ø → o or oe, ...).

So a false merge is either a matcher error or two copies from which the garbling removed the only
difference: parts of one series whose part numbers Scholar cut or dropped with the subtitle. The
bench shows which (dedupe_compare.py, 'false merges after check').
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SCREENING = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "screening"
LABELLED = ("Nagtegaal_2019.csv", "Kitchenham_2010.csv")
SOURCES = ("Nagtegaal_2019.csv", "Kitchenham_2010.csv", "Cohen_2006_ADHD.csv")

Record = dict[str, Any]


def labelled(name: str) -> list[Record]:
    """A labelled dataset: title, abstract (Kitchenham: year); truth from duplicate_record_id."""
    with open(SCREENING / name, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    parent = {r["record_id"]: r["record_id"] for r in rows}

    def find(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    for row in rows:
        if row.get("duplicate_record_id"):
            parent[find(row["record_id"])] = find(row["duplicate_record_id"])
    records = []
    for row in rows:
        year = row.get("year") or None
        records.append(
            {
                "engine": "ris",
                "hit_key": row["record_id"],
                "title": row["title"],
                "authors": [],
                "year": int(float(year)) if year else None,
                "type": None,
                "abstract": row.get("abstract") or None,
                "truth": find(row["record_id"]),
            }
        )
    return records


# Surnames as they appear in Nordic, English-language and international author lists.
_NORDIC = [
    "Sørensen",
    "Ødegård",
    "Åsheim",
    "Kjærnes",
    "Bråten",
    "Hægeland",
    "Lillevik",
    "Weiss",
    "Hagen",
    "Djuve",
    "Tronstad",
    "Hernes",
    "Kavli",
    "Ørnes",
    "Løken",
    "Strøm",
    "Grønningsæter",
    "Næss",
    "Bjørnstad",
    "Håland",
    "Sæther",
    "Aarseth",
    "Østby",
    "Kåsa",
    "Bøe",
    "Lindqvist",
    "Söderström",
    "Åberg",
    "Öberg",
    "Järvinen",
    "Mäkelä",
    "Nyström",
    "Bäckman",
    "Lövgren",
    "Dahl",
    "Berg",
    "Lund",
    "Holm",
    "Nilsen",
    "Hansen",
    "Johansen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Kristiansen",
    "Jensen",
    "Karlsen",
    "Olsen",
    "Eriksen",
]
_OTHER = [
    "Smith",
    "Jones",
    "Brown",
    "Taylor",
    "Wilson",
    "Davies",
    "Evans",
    "Thomas",
    "Roberts",
    "Walker",
    "Wright",
    "Robinson",
    "Thompson",
    "White",
    "Hughes",
    "Edwards",
    "Green",
    "Hall",
    "Wood",
    "Harris",
    "Martin",
    "Jackson",
    "Clarke",
    "Lewis",
    "Wang",
    "Li",
    "Zhang",
    "Liu",
    "Chen",
    "Yang",
    "Huang",
    "Zhao",
    "Wu",
    "Zhou",
    "Kim",
    "Lee",
    "Park",
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "García",
    "Rodríguez",
    "Martínez",
    "López",
    "González",
    "Pérez",
    "Rossi",
    "Russo",
    "Ferrari",
    "Esposito",
    "Bianchi",
    "Kowalski",
    "Nowak",
    "Novak",
    "Dubois",
    "Moreau",
    "Laurent",
    "Bernard",
    "Petit",
    "Silva",
    "Santos",
    "Oliveira",
    "Costa",
    "Pereira",
]
_GIVEN = [
    "Anne",
    "Lise",
    "Rune",
    "Nerina",
    "Kari",
    "Ola",
    "Øystein",
    "Åse",
    "Bjørn",
    "Ingrid",
    "Sigrid",
    "Erik",
    "Lars",
    "Mette",
    "Hanne",
    "Per",
    "Maria",
    "John",
    "David",
    "Sarah",
    "Michael",
    "Emma",
    "James",
    "Laura",
    "Wei",
    "Min",
    "Jun",
    "Hans",
    "Anna",
    "Pierre",
    "Sofia",
    "Marco",
]
_JOURNALS = (
    "Journal of Vocational Behavior",
    "Nordic Journal of Migration Research",
    "British Journal of Guidance & Counselling",
    "International Journal for Educational and Vocational Guidance",
    "Journal of Refugee Studies",
    "BMC Health Services Research",
    "Information and Software Technology",
    "Journal of Behavioral Public Administration",
    "Tidsskrift for samfunnsforskning",
    "Søkelys på arbeidslivet",
)
_SUBTITLES = (
    "en evaluering",
    "sluttrapport",
    "an evaluation",
    "erfaringer fra kommunene",
    "a mixed-methods study",
)
_PUBLISHERS = ("Fafo", "NIBR, OsloMet", "Proba samfunnsanalyse", "Rambøll", "SINTEF", "NOVA")
_TRANSLIT = str.maketrans({"ø": "o", "Ø": "O", "å": "a", "Å": "A", "æ": "ae", "Æ": "Ae", "ö": "o",
                           "ä": "a", "é": "e", "í": "i", "ü": "u", "á": "a"})  # fmt: skip
_TRANSLIT_DIGRAPH = str.maketrans({"ø": "oe", "Ø": "Oe", "å": "aa", "Å": "Aa", "æ": "ae",
                                   "Æ": "Ae", "ö": "oe", "ä": "ae", "ü": "ue"})  # fmt: skip


def title_pool() -> list[str]:
    """Real titles, then title-like sentences of real abstracts (6-22 words), de-duplicated."""
    titles: dict[str, str] = {}
    sentences: dict[str, str] = {}
    for name in SOURCES:
        with open(SCREENING / name, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                title = " ".join(row["title"].split()).rstrip(".")
                if len(title.split()) >= 4:
                    titles.setdefault(title.lower(), title)
                for sentence in re.split(r"(?<=[.!?])\s+", row.get("abstract") or ""):
                    sentence = re.sub(r"^[A-Z ]{3,}:\s*", "", sentence.strip())
                    words = sentence.rstrip(".").split()
                    if 6 <= len(words) <= 22 and not re.search(r"\d|%|=|<|>", sentence):
                        text = " ".join(words)
                        sentences.setdefault(text.lower(), text[0].upper() + text[1:])
    pool = list(titles.values())
    pool += [s for k, s in sentences.items() if k not in titles]
    return pool


def _authors(rng: random.Random) -> list[dict[str, str]]:
    count = rng.choices([1, 2, 3, 4, 5, 6, 8], [15, 25, 22, 15, 10, 8, 5])[0]
    names = []
    for _ in range(count):
        pool = _NORDIC if rng.random() < 0.5 else _OTHER
        given = rng.choice(_GIVEN) + (" " + rng.choice(_GIVEN) if rng.random() < 0.2 else "")
        names.append({"family": rng.choice(pool), "given": given})
    return names


# The series marker a reused title gets (see _base_works); {} is the volume, 2, 3, ...
_SERIES = ("Part {}", "Volume {}", "Delrapport {}", "Del {}", "Report {}", "Wave {}")


def _base_works(n_works: int, rng: random.Random) -> Iterator[Record]:
    pool = title_pool()
    rng.shuffle(pool)
    for index in range(n_works):
        title = pool[index % len(pool)]
        kind = rng.choices(["journal_article", "report", "book", "book_chapter"], [60, 25, 7, 8])[0]
        if kind == "report" and rng.random() < 0.4 and ":" not in title:
            title += ": " + rng.choice(_SUBTITLES)
        volume = index // len(pool)
        if volume:
            # Past the pool: the title again, as a later volume of a series by other people.
            title += ". " + rng.choice(_SERIES).format(volume + 1)
        yield {
            "title": title,
            "authors": _authors(rng),
            "year": rng.randint(1995, 2023),
            "type": kind,
            "container": rng.choice(_JOURNALS) if kind == "journal_article" else None,
            "publisher": rng.choice(_PUBLISHERS) if kind == "report" else None,
            "doi": f"10.{rng.randint(1000, 9999)}/synthetic.{index}"
            if kind == "journal_article" and rng.random() < 0.7
            else None,
        }


def _variant(work: Record, rng: random.Random) -> Record:
    """One engine's copy of a work, garbled the way that engine garbles."""
    engine = rng.choices(["oria", "scholar", "ris"], [40, 40, 20])[0]
    title: str = work["title"]
    authors = [dict(a) for a in work["authors"]]
    year = work["year"]
    doi = work["doi"]
    if engine == "scholar":
        if rng.random() < 0.5:
            title = rng.choice(["[PDF] ", "[HTML] ", "[CITATION][C] ", "[BOOK][B] "]) + title
        if rng.random() < 0.3 and ":" in title:
            title = title.split(":")[0]
        elif rng.random() < 0.3 and len(title) > 70:
            title = title[: rng.randint(50, 65)].rsplit(" ", 1)[0] + " …"
        authors = [{"literal": f"{a['given'][0]} {a['family']}"} for a in authors[:3]]
        if len(work["authors"]) > 3:
            authors[-1]["literal"] += "…"
            if rng.random() < 0.5:
                authors.append({"literal": "m.fl."})
        if work["type"] == "report" and rng.random() < 0.4:
            year += 1  # the web version's year
        doi = None if rng.random() < 0.7 else doi
    else:
        if rng.random() < 0.3:
            authors = [{"family": a["family"], "given": ". ".join(w[0] for w in a["given"].split())
                        + "."} for a in authors]  # fmt: skip
        if rng.random() < 0.15 and len(authors) > 2:
            authors = [*authors[:1], {"family": "et al."}]
        doi = doi if rng.random() < 0.8 else None
        if doi and rng.random() < 0.3:
            doi = "https://doi.org/" + doi.upper()
        if work["type"] == "journal_article" and rng.random() < 0.05:
            year += 1  # online first
    roll = rng.random()
    if roll < 0.15:
        title = title.upper()
    elif roll < 0.3:
        title = title.lower()
    if rng.random() < 0.15:
        title = title.replace(":", " -").replace(",", "")
    if rng.random() < 0.08:
        words = title.split()
        i = rng.randrange(len(words))
        words[i] = f"<i>{words[i]}</i>"
        title = " ".join(words).replace("&", "&amp;")
    if rng.random() < 0.08 and len(title) > 20:
        i = rng.randrange(5, len(title) - 5)
        title = title[:i] + title[i + 1 :]  # a dropped letter (OCR, a typing slip)
    if rng.random() < 0.3:
        table = _TRANSLIT if rng.random() < 0.5 else _TRANSLIT_DIGRAPH
        title = title.translate(table)
        authors = [{k: v.translate(table) for k, v in a.items()} for a in authors]
    return {
        "engine": engine,
        "title": title,
        "authors": authors,
        "year": year,
        "type": work["type"],
        "container": work["container"],
        "publisher": work["publisher"],
        "doi": doi,
    }


def _siblings(work: Record, rng: random.Random) -> list[Record]:
    """Hard negatives: numbered parts of one series, and a reused title by other people."""
    roll = rng.random()
    if roll < 0.5:
        label = rng.choice(["Part {}", "Delrapport {}", "Del {}", "Volume {}"])
        roman = work["type"] == "journal_article" and label == "Part {}"
        numbers = ["I", "II", "III"] if roman else ["1", "2", "3"]
        count = rng.choice([2, 3])
        return [
            dict(work, title=f"{work['title']}. {label.format(numbers[k])}",
                 doi=f"{work['doi']}.{k}" if work["doi"] else None)
            for k in range(count)
        ]  # fmt: skip
    other = dict(work, authors=_authors(rng), year=work["year"] + rng.randint(2, 10))
    other["doi"] = work["doi"] + "x" if work["doi"] else None
    return [work, other]


def generate(n_records: int, seed: int = 2023) -> list[Record]:
    """About ``n_records`` records with known truth; the same seed gives the same records."""
    rng = random.Random(seed)
    records: list[Record] = []
    works = _base_works(n_records, rng)
    truth = 0
    while len(records) < n_records:
        base = next(works)
        family = _siblings(base, rng) if rng.random() < 0.04 else [base]
        for work in family:
            truth += 1
            copies = rng.choices([1, 2, 3, 4], [55, 28, 12, 5])[0]
            for _ in range(copies):
                record = _variant(work, rng)
                record["truth"] = truth
                record["work"] = {k: work[k] for k in ("title", "authors", "year")}
                record["hit_key"] = f"g{len(records)}"
                records.append(record)
    return records[:n_records]
