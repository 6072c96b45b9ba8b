"""The Webhook Builder web UI: server-rendered pages and hand-written static assets.

`install(app)` adds the pages, the static files and the HTML error pages to an app that already
serves the API; the pages share its session cookie and talk to it from the browser.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from hooksmith.web import builder, company_values, errors, pages, revisions, webhook_templates
from hooksmith.web.errors import Describe
from hooksmith.web.templating import STATIC_DIR, make_templates

__all__ = ["install"]


def install(app: FastAPI, describe: Describe) -> None:
    """Serve the pages and `/static` on `app` (built by `hooksmith.api.create_app`); errors on
    pages show what `describe` (the API's error table) says of them."""
    templates = make_templates()
    app.state.templates = templates
    app.include_router(pages.router)
    app.include_router(builder.router)
    app.include_router(revisions.router)
    app.include_router(company_values.router)
    app.include_router(webhook_templates.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    errors.install(app, templates, describe)
