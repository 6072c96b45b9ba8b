from __future__ import annotations

import hooksmith
import hooksmith.engine


def test_engine_exports_what_we_mean() -> None:
    exported = {name for name in dir(hooksmith.engine) if not name.startswith("_")}
    modules = {
        "body",
        "bodyplan",
        "breaker",
        "capacity",
        "caps",
        "checks",
        "company",
        "condition",
        "curl",
        "decoding",
        "definition",
        "egress",
        "environment",
        "errors",
        "jsondata",
        "executor",
        "lookup",
        "mapping",
        "oauth",
        "openapi",
        "samples",
        "schemas",
        "parsing",
        "phases",
        "placeholders",
        "redaction",
        "renderer",
        "renderers",
        "request",
        "result",
        "retry",
        "sandbox",
        "signing",
        "budget",
        "tracecontext",
        "transport",
        "triage",
        "url",
        "annotations",
    }
    assert exported - modules == set(hooksmith.engine.__all__)


def test_package_offers_the_library_api() -> None:
    assert {"Webhook", "render", "execute", "Engine", "load_webhook"} <= set(hooksmith.__all__)
