"""Datasette plugin: show the JSON lists of the corpus (countries, themes) as readable lists."""

from __future__ import annotations

import json
from typing import Any

from datasette import hookimpl
from markupsafe import Markup, escape

LIST_COLUMNS = {"countries", "themes"}


@hookimpl
def render_cell(value: Any, column: str) -> Markup | None:
    if column not in LIST_COLUMNS or not isinstance(value, str) or not value.startswith("["):
        return None
    try:
        items = json.loads(value)
    except json.JSONDecodeError:
        return None
    return Markup("; ".join(str(escape(item)) for item in items))
