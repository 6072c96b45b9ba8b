"""Webhook templates in the browser: from the library to a saved webhook (Context values and the
secret asked first), Save as template, and a newer version's notice with its changes and Apply."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.web.conftest import Site
from tests.web.helpers import builder_ready, call_api, sign_in


def test_from_a_built_in_template_to_a_saved_webhook(
    page: Page, site: Site, artifacts: Path
) -> None:
    sign_in(page, site, site.acme_user)
    page.get_by_text("Create from a template").click()
    page.get_by_role("link", name="Template library").click()
    expect(page.get_by_role("heading", name="Webhook templates")).to_be_visible()
    page.get_by_role("link", name="Use Help-desk ticket").click()
    expect(
        page.get_by_role("heading", name="Create a webhook from “Help-desk ticket”")
    ).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Acme help desk")
    page.get_by_label("{{ subdomain }}").fill("acme")
    page.get_by_label("Token").fill("tok-acme-helpdesk")
    page.screenshot(path=str(artifacts / "template-use.png"), full_page=True)
    page.get_by_role("button", name="Create and open in the builder").click()

    builder_ready(page)
    expect(page.get_by_label("Name", exact=True)).to_have_value("Acme help desk")
    expect(page.get_by_label("API endpoint", exact=True)).to_have_value(
        "https://{{ subdomain }}.example-helpdesk.com/api/v2/tickets"
    )
    expect(page.locator("#template-origin")).to_contain_text("Help-desk ticket (v2)")
    webhook_id = int(page.url.split("?")[0].rsplit("/", 1)[1])
    status, webhook = call_api(page, "GET", f"/webhooks/{webhook_id}")
    assert status == 200
    assert webhook["context"] == {"subdomain": "acme"}
    assert webhook["auth"] == {"type": "bearer", "token_set": True}
    assert webhook["custom_variables"][0]["name"] == "ticketId"


def test_save_as_template_then_a_newer_version_is_shown_and_applied(
    page: Page, site: Site, artifacts: Path
) -> None:
    sign_in(page, site, site.acme_user)
    status, source = call_api(
        page,
        "POST",
        "/webhooks",
        {
            "name": "Stock by shop",
            "url": "https://api.example.com/{{ shop }}/stock",
            "context": {"shop": "acme"},
        },
    )
    assert status == 201, source
    page.goto(site.url(f"/webhooks/{source['id']}"))
    builder_ready(page)
    page.get_by_text("Save as template", exact=True).first.click()
    page.get_by_label("Template name").fill("Shop stock (web test)")
    page.get_by_role("button", name="Save as template").click()
    expect(page.locator("#template-saved")).to_be_visible()
    key = page.url.split("saved=", 1)[1]
    expect(page.locator(f'tr[data-template="{key}"]')).to_contain_text("Company acme")

    status, made = call_api(
        page,
        "POST",
        f"/templates/{key}/webhooks",
        {"name": "Bolt-ish stock", "context": {"shop": "north-1"}},
    )
    assert status == 201, made
    status, template = call_api(page, "GET", f"/templates/{key}")
    newer = template["definition"] | {"url": "https://api.example.com/v2/{{ shop }}/stock"}
    status, updated = call_api(
        page, "PUT", f"/templates/{key}", {"version": 1, "definition": newer}
    )
    assert status == 200, updated

    page.goto(site.url(f"/webhooks/{made['id']}"))
    notice = page.locator("#template-notice")
    expect(notice.get_by_role("heading")).to_have_text(
        "Template Shop stock (web test) has a newer version (v2, this webhook has v1)"
    )
    changes = page.get_by_role("table", name="What the newer version changes").locator("tbody tr")
    expect(changes).to_have_count(1)
    expect(changes.first).to_contain_text("/v2/")
    page.screenshot(path=str(artifacts / "template-newer-version.png"), full_page=True)
    # Not applied yet: the webhook is as it was.
    assert call_api(page, "GET", f"/webhooks/{made['id']}")[1]["revision"] == 1

    page.get_by_role("button", name="Apply v2").click()
    builder_ready(page)
    expect(page.locator("#template-notice")).to_have_count(0)
    expect(page.locator("#template-origin")).to_contain_text("(v2)")
    status, webhook = call_api(page, "GET", f"/webhooks/{made['id']}")
    assert webhook["revision"] == 2
    assert webhook["url"] == "https://api.example.com/v2/{{ shop }}/stock"
    assert webhook["context"] == {"shop": "north-1"}
    assert webhook["name"] == "Bolt-ish stock"


def test_an_agency_user_is_asked_the_company_and_keeps_what_was_typed(
    page: Page, site: Site
) -> None:
    sign_in(page, site, site.agency_admin)
    page.goto(site.url("/templates"))
    page.get_by_role("link", name="Use Order status lookup").click()
    page.get_by_label("Name", exact=True).fill("North orders")
    page.get_by_label("{{ store }}").fill("north-shop")
    page.get_by_label("Token").fill("tok-north")
    page.get_by_role("button", name="Create and open in the builder").click()
    expect(page.get_by_role("alert")).to_contain_text("company")
    expect(page.get_by_label("{{ store }}")).to_have_value("north-shop")
    expect(page.get_by_label("Name", exact=True)).to_have_value("North orders")
    expect(page.get_by_label("Token")).to_have_value("")  # a secret is never sent back
    page.get_by_label("Assign to").select_option("bolt")
    page.get_by_label("Token").fill("tok-north")
    page.get_by_role("button", name="Create and open in the builder").click()
    builder_ready(page)
    expect(page.get_by_label("Assign to")).to_have_value("bolt")
    expect(page.locator("#template-origin")).to_contain_text("Order status lookup (v1)")
