"""The Jinja2 environment of the pages, built once per app (never at import time)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from hooksmith.web import charts

HERE = Path(__file__).parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"


def _when(value: datetime | None) -> str:
    """A timestamp as people read it, in UTC."""
    if value is None:
        return "never"
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")


def _as_json(value: Any) -> Markup:
    """JSON for a `<script type="application/json">` block: `<`, `>` and `&` are escaped as
    JSON escapes, so no value can end the script element, and HTML escaping is not needed."""
    text = json.dumps(value, default=str)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def _pretty(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, default=str, ensure_ascii=False)


def make_templates() -> Jinja2Templates:
    """The page templates with hooksmith's filters (`when`, `as_json`, `pretty`,
    `percent`) and the SVG `charts`."""
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    templates.env.filters["when"] = _when
    templates.env.filters["as_json"] = _as_json
    templates.env.filters["pretty"] = _pretty
    templates.env.filters["percent"] = charts.percent
    templates.env.globals["charts"] = charts
    return templates
