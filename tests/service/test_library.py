"""The built-in template library: every version of every built-in passes the save checks, holds
no secret, keeps its tenant's parts as Context placeholders and uses the conversation's data."""

from __future__ import annotations

import re

from hooksmith.engine import SECRET_FIELDS, WITHHELD_SECRET, parse_webhook, template_problems
from hooksmith.service.library import built_in, built_ins


def test_the_library_has_the_four_kinds_of_built_ins() -> None:
    slugs = {item.slug for item in built_ins()}
    assert slugs == {
        "helpdesk-ticket",
        "order-status",
        "crm-contact-upsert",
        "calendar-availability",
    }
    assert built_in("helpdesk-ticket") is not None
    assert built_in("nothing") is None


def test_every_version_of_every_built_in_passes_the_save_checks() -> None:
    for item in built_ins():
        assert item.versions, item.slug
        for number, definition in item.versions.items():
            auth = dict(definition["auth"])
            field = SECRET_FIELDS.get(auth["type"])
            assert field is None or field not in auth, (item.slug, "holds a secret")
            if field is not None:
                auth[field] = WITHHELD_SECRET
            context = {name: "tenant" for name in definition["context"]}
            webhook = parse_webhook(
                definition | {"name": item.name, "auth": auth, "context": context}
            )
            assert template_problems(webhook) == [], (item.slug, number)
            # The tenant's part of the host is a Context placeholder.
            host = re.match(r"https://([^/]+)/", definition["url"])
            assert host is not None, item.slug
            assert any(f"{{{{ {name} }}}}" in host.group(1) for name in definition["context"])
            text = str(definition.get("body")) + str(definition.get("params")) + definition["url"]
            assert "certainly." in text, item.slug
            assert webhook.custom_variables, item.slug
