"""What the JSON search answers of the open sources (NVA, OpenAlex, SwePub) share: one page's
total, hits and where the next page is, and one error for a page that cannot be used."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from harvest.parse.primo import PageError

__all__ = ["AnswerPage", "PageError", "load_object", "number", "text"]


@dataclass
class AnswerPage:
    """One answer: the engine's total, the hits on this page and the next page's cursor."""

    total: int
    hits: list[dict[str, Any]] = field(default_factory=list)
    next_cursor: str | None = None  # OpenAlex: the cursor of the next page (None: last page)


def load_object(body: str | bytes, what: str) -> dict[str, Any]:
    """``json.loads(body)`` as an object, or PageError naming what was expected (``what``)."""
    head = _bytes(body[:200]).lstrip().lower()
    if head.startswith(b"<"):
        kind = "an HTML page" if b"html" in head else "XML or HTML"
        raise PageError(f"not valid JSON: {kind}, not {what}")
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = (
            f" (line {exc.lineno}, column {exc.colno}): {exc.msg}"
            if isinstance(exc, json.JSONDecodeError)
            else f": {exc.reason}"
        )
        raise PageError(f"not valid JSON{where}") from exc
    except RecursionError as exc:
        raise PageError("not usable JSON: nested too deeply") from exc
    if not isinstance(data, dict):
        raise PageError(f"not {what}: the answer is a JSON {type(data).__name__}, not an object")
    return data


def _bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "replace")


def number(value: Any, name: str) -> int:
    """A whole, non-negative count from an answer (PageError when it is missing or not one)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PageError(f"{name} is not a whole number: {value!r}")
    try:
        count = int(value)
    except ValueError:
        raise PageError(f"{name} is not a whole number: {value!r}") from None
    if count < 0:
        raise PageError(f"{name} is negative: {value!r}")
    return count


def text(value: Any) -> str | None:
    """A stripped string, the first string of a list, or None."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    return " ".join(value.split()) or None
