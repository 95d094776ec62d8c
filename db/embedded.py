"""Reading and validating the embedded protocol and corpus files (``db/corpus/``).

Pure functions: files in, plain Python data out, or a :class:`CorpusError` listing every
problem with the file, the line, the record and the field.
Nothing here touches the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CORPUS_DIR = Path(__file__).parent / "corpus"
YEAR_RANGE = (1900, 2100)
REQUIRED_FIELDS = ("id", "group", "authors", "year", "title", "type", "language", "summary")
SUMMARY_PARTS = ("topic", "method", "findings")
# Optional bibliographic text fields of a work: null (the report does not give it) or text.
REFERENCE_TEXT_FIELDS = ("container", "publisher", "place", "pages", "series", "number")
SUMMARY_LANGUAGES = ("nb", "en")


class CorpusError(ValueError):
    """One or more problems in the corpus files; ``problems`` has one line each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class _Loader(yaml.SafeLoader):
    """YAML 1.2-style booleans (only true/false), and each mapping remembers its line."""


# YAML 1.1 turns NO (Norway), no, yes, on and off into booleans; data files here need them as text.
_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> dict[str, Any]:
    pairs = loader.construct_mapping(node, deep=True)
    mapping: dict[str, Any] = {str(k): v for k, v in pairs.items()}
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path) -> Any:
    """Parse one YAML file; a syntax error becomes a CorpusError naming file and line."""
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else "?"
        raise CorpusError([f"{path}:{line}: not valid YAML: {exc.problem}"]) from exc
    except UnicodeDecodeError as exc:
        raise CorpusError([f"{path}: not UTF-8 text ({exc.reason})"]) from exc


def strip_lines(value: Any) -> Any:
    """The data without the ``__line__`` bookkeeping keys."""
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value


@dataclass
class Corpus:
    """Everything ``build`` loads: the protocol, Table 3.1 and the coded works."""

    protocol: dict[str, Any]
    yield_table: dict[str, Any]
    works: list[dict[str, Any]] = field(default_factory=list)

    def vocabularies(self) -> dict[str, set[str]]:
        """The ids allowed in each codebook vocabulary (theme, method, group, ...)."""
        return {
            name: {entry["id"] for entry in entries}
            for name, entries in self.protocol["codebook"].items()
            if name != "fields"
        }


def load_corpus(directory: Path = CORPUS_DIR) -> Corpus:
    """Read and validate protocol.yaml, yield.yaml and works/*.yaml (CorpusError on problems)."""
    problems: list[str] = []
    protocol = _read_protocol(directory / "protocol.yaml", problems)
    yield_table = _read_required(directory / "yield.yaml", problems)
    works: list[dict[str, Any]] = []
    work_files = sorted((directory / "works").glob("*.yaml"))
    if not work_files:
        problems.append(f"{directory / 'works'}: no *.yaml files with works")
    for path in work_files:
        try:
            data = read_yaml(path)
        except CorpusError as exc:
            problems.extend(exc.problems)
            continue
        if not isinstance(data, list):
            problems.append(f"{path}: expected a YAML list of works, found {type(data).__name__}")
            continue
        for index, record in enumerate(data, start=1):
            if not isinstance(record, dict):
                problems.append(f"{path}: record #{index}: expected a mapping")
                continue
            record["__file__"] = path
            works.append(record)
    if problems:
        raise CorpusError(problems)
    corpus = Corpus(protocol=strip_lines(protocol), yield_table=yield_table, works=works)
    problems.extend(validate_yield(corpus, directory / "yield.yaml"))
    problems.extend(validate_yield_rows(corpus, directory / "protocol.yaml"))
    problems.extend(validate_works(corpus))
    if problems:
        raise CorpusError(problems)
    return corpus


def load_protocol_file(directory: Path = CORPUS_DIR) -> dict[str, Any]:
    """Read and validate protocol.yaml alone (CorpusError on problems)."""
    problems: list[str] = []
    protocol = _read_protocol(directory / "protocol.yaml", problems)
    if problems:
        raise CorpusError(problems)
    return dict(strip_lines(protocol))


def _read_protocol(path: Path, problems: list[str]) -> dict[str, Any]:
    protocol = _read_required(path, problems)
    if protocol:
        problems.extend(validate_concepts(protocol, path))
        problems.extend(validate_search_groups(protocol, path))
    return protocol


def _read_required(path: Path, problems: list[str]) -> dict[str, Any]:
    if not path.exists():
        problems.append(f"{path}: missing")
        return {}
    try:
        data = read_yaml(path)
    except CorpusError as exc:
        problems.extend(exc.problems)
        return {}
    if not isinstance(data, dict):
        problems.append(f"{path}: expected a mapping at the top")
        return {}
    return data


def validate_concepts(protocol: dict[str, Any], path: Path) -> list[str]:
    """Check the ranking's concepts: a list of {id, nb, en, terms}, unique ids, terms as text."""
    concepts = protocol.get("concepts")
    if not isinstance(concepts, list) or not concepts:
        return [f"{path}: field 'concepts': expected a list of concepts with id, nb, en and terms"]
    problems: list[str] = []
    seen: set[str] = set()
    for index, entry in enumerate(concepts, start=1):
        if not isinstance(entry, dict):
            problems.append(f"{path}: field 'concepts': concept #{index}: expected a mapping")
            continue
        concept_id = entry.get("id")
        where = f"{path}:{entry['__line__']}: concept {concept_id!r}"
        if not isinstance(concept_id, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", concept_id):
            problems.append(f"{where}: field 'id': must be lower-case letters, digits and _")
        elif concept_id in seen:
            problems.append(f"{where}: field 'id': duplicate concept id")
        seen.add(str(concept_id))
        for label in ("nb", "en"):
            if not isinstance(entry.get(label), str) or not entry[label].strip():
                problems.append(f"{where}: field {label!r}: missing")
        terms = entry.get("terms")
        if not isinstance(terms, list) or not terms:
            problems.append(f"{where}: field 'terms': expected a non-empty list of word stems")
            continue
        folded: set[str] = set()
        for number, term in enumerate(terms, start=1):
            if not isinstance(term, str) or not term.strip():
                problems.append(f"{where}: field 'terms': term #{number} {term!r} is not a word")
            elif term != term.strip():
                problems.append(f"{where}: field 'terms': {term!r} has spaces at an end")
            elif term.strip().lower() in folded:
                problems.append(f"{where}: field 'terms': {term!r} is listed twice")
            else:
                folded.add(term.strip().lower())
    return problems


def validate_search_groups(protocol: dict[str, Any], path: Path) -> list[str]:
    """Each search group is one row of Table 3.1 (``yield_row``) or is marked
    ``beyond_report: true`` with no row: the report's figures never count a search it did not
    run."""
    groups = protocol.get("search_groups")
    if not isinstance(groups, list) or not groups:
        return [f"{path}: field 'search_groups': expected a list of search groups"]
    problems: list[str] = []
    for index, group in enumerate(groups, start=1):
        if not isinstance(group, dict):
            problems.append(f"{path}: field 'search_groups': group #{index}: expected a mapping")
            continue
        where = f"{path}:{group.get('__line__', '?')}: search group {group.get('id')!r}"
        beyond = group.get("beyond_report", False)
        row = group.get("yield_row")
        if not isinstance(beyond, bool):
            problems.append(f"{where}: field 'beyond_report': must be true or false")
        elif beyond and row is not None:
            problems.append(
                f"{where}: field 'yield_row': a search beyond the report has no row of Table 3.1"
            )
        elif not beyond and row is None:
            problems.append(
                f"{where}: field 'yield_row': missing (or mark the group beyond_report: true)"
            )
    return problems


def validate_yield_rows(corpus: Corpus, path: Path) -> list[str]:
    """Every ``yield_row`` a search group names is a row of Table 3.1 (yield.yaml)."""
    rows = {row.get("id") for row in corpus.yield_table.get("rows") or []}
    return [
        f"{path}: search group {group.get('id')!r}: field 'yield_row': {group['yield_row']!r} "
        f"is not a row of Table 3.1 ({', '.join(sorted(map(str, rows)))})"
        for group in corpus.protocol.get("search_groups") or []
        if isinstance(group, dict)
        and group.get("yield_row") is not None
        and group["yield_row"] not in rows
    ]


def validate_yield(corpus: Corpus, path: Path) -> list[str]:
    """Check that Table 3.1's rows are complete and add up to the totals the report prints."""
    problems = []
    rows = corpus.yield_table.get("rows") or []
    columns = ("hits", "after_stage1", "after_stage2", "included")
    for row in rows:
        for column in columns:
            if not isinstance(row.get(column), int):
                problems.append(
                    f"{path}:{row['__line__']}: row {row.get('id')!r}: "
                    f"field {column!r} must be a whole number"
                )
    totals = corpus.yield_table.get("reported_totals") or {}
    if not problems:
        for column in columns:
            summed = sum(row[column] for row in rows)
            if summed != totals.get(column):
                problems.append(
                    f"{path}: column {column!r}: rows add up to {summed}, "
                    f"reported total is {totals.get(column)}"
                )
    return problems


def validate_works(corpus: Corpus) -> list[str]:
    """One line per problem in the works: required fields, ranges, vocabularies, unique ids."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    vocab = corpus.vocabularies()
    for record in corpus.works:
        where = f"{record['__file__']}:{record['__line__']}: record {record.get('id')!r}"

        def problem(field_name: str, message: str, where: str = where) -> None:
            problems.append(f"{where}: field {field_name!r}: {message}")

        for name in REQUIRED_FIELDS:
            value = record.get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                problem(name, "missing")
        work_id = record.get("id")
        if isinstance(work_id, str):
            if not re.fullmatch(r"[a-z][a-z0-9]*", work_id):
                problem("id", f"{work_id!r} must be lower-case letters and digits")
            if work_id in seen:
                problem("id", f"duplicate id {work_id!r} (first at {seen[work_id]})")
            else:
                seen[work_id] = f"{record['__file__']}:{record['__line__']}"
        year = record.get("year")
        if year is not None and (
            not isinstance(year, int)
            or isinstance(year, bool)
            or not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]
        ):
            problem("year", f"{year!r} is not a year between {YEAR_RANGE[0]} and {YEAR_RANGE[1]}")
        for name in ("group", "type", "language", "method"):
            value = record.get(name)
            if value is not None and value not in vocab[name]:
                problem(name, f"unknown value {value!r}; expected one of {sorted(vocab[name])}")
        for name, vocabulary in (
            ("themes", "theme"),
            ("themes_cited", "theme"),
            ("countries", "country"),
        ):
            values = record.get(name) or []
            if not isinstance(values, list):
                problem(name, "expected a list")
                continue
            for value in values:
                if value not in vocab[vocabulary]:
                    problem(
                        name,
                        f"unknown {vocabulary} {value!r}; "
                        f"expected one of {sorted(vocab[vocabulary])}",
                    )
        if not set(record.get("themes_cited") or []) <= set(record.get("themes") or []):
            problem("themes_cited", "every cited theme must also be in 'themes'")
        if record.get("themes") == []:
            problem("themes", "empty; use [other] for a work that speaks to none of the themes")
        problems.extend(f"{where}: {p}" for p in _author_problems(record.get("authors")))
        for name in REFERENCE_TEXT_FIELDS:
            value = record.get(name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                # YAML reads an unquoted 2023:08 as the base-60 number 121388: say so.
                problem(name, f"{value!r}: expected text or null (quote a number: '2023:08')")
        problems.extend(f"{where}: {p}" for p in _editor_problems(record.get("editors")))
        if not isinstance(record.get("peer_reviewed"), bool):
            problem("peer_reviewed", "must be true or false")
        if record.get("refugees_interviewed") not in (True, False, None):
            problem("refugees_interviewed", "must be true, false or null")
        problems.extend(f"{where}: {p}" for p in _summary_problems(record.get("summary")))
    return problems


def _author_problems(authors: Any) -> list[str]:
    if authors is None:
        return []
    if not isinstance(authors, list) or not authors:
        return ["field 'authors': expected a non-empty list"]
    problems = []
    for index, name in enumerate(authors, start=1):
        if not isinstance(name, dict) or not (name.get("family") or name.get("literal")):
            problems.append(f"field 'authors': author #{index} needs 'family' or 'literal'")
    return problems


def _editor_problems(editors: Any) -> list[str]:
    """The editors of the book a chapter is in: absent, null or a list of names like authors."""
    if editors is None or editors == []:
        return []
    if not isinstance(editors, list):
        return ["field 'editors': expected a list of names (or [] when the report names none)"]
    return [
        f"field 'editors': editor #{index} needs 'family' or 'literal'"
        for index, name in enumerate(editors, start=1)
        if not isinstance(name, dict) or not (name.get("family") or name.get("literal"))
    ]


def _summary_problems(summary: Any) -> list[str]:
    if summary is None:
        return []
    if not isinstance(summary, dict):
        return ["field 'summary': expected nb and en"]
    problems = []
    for language in SUMMARY_LANGUAGES:
        parts = summary.get(language)
        for part in SUMMARY_PARTS:
            text = parts.get(part) if isinstance(parts, dict) else None
            if not isinstance(text, str) or not text.strip():
                problems.append(f"field 'summary.{language}.{part}': missing")
    return problems
