"""The revision history page: who saved what when, a diff of two revisions, and Restore."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.web.conftest import Site
from tests.web.helpers import call_api, save, sign_in


def test_history_lists_saves_compares_two_and_restores_one(
    page: Page, site: Site, artifacts: Path
) -> None:
    sign_in(page, site, site.acme_user)
    page.get_by_role("link", name="Create from scratch").click()
    page.get_by_label("Name", exact=True).fill("Parcel lookup")
    page.get_by_label("API endpoint", exact=True).fill("https://api.example.com/parcels")
    save(page)
    page.get_by_label("Name", exact=True).fill("Parcel lookup v2")
    save(page)
    page.get_by_label("API endpoint", exact=True).fill("https://api.example.com/v2/parcels")
    save(page)
    webhook_id = int(page.url.rsplit("/", 1)[1])

    page.get_by_role("link", name="Revisions", exact=True).click()
    expect(page.get_by_role("heading", name="Revision history")).to_be_visible()
    rows = page.get_by_role("table", name="Revisions").locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("3 (current)")
    for index in range(3):
        expect(rows.nth(index)).to_contain_text(site.acme_user)
    expect(rows.nth(2)).to_contain_text("Parcel lookup")

    page.get_by_label("From revision").select_option("1")
    page.get_by_label("to revision").select_option("3")
    page.get_by_role("button", name="Compare").click()
    changed = page.get_by_role("table", name="Changed fields").locator("tbody tr")
    expect(changed).to_have_count(2)
    expect(page.locator('#diff tr[data-field="name"]')).to_contain_text("Parcel lookup v2")
    expect(page.locator('#diff tr[data-field="url"]')).to_contain_text("/v2/parcels")
    page.screenshot(path=str(artifacts / "revisions-diff.png"), full_page=True)

    page.get_by_role("button", name="Restore revision 1").click()
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text("4 (current)")
    expect(rows.nth(0)).to_contain_text("Parcel lookup")
    status, webhook = call_api(page, "GET", f"/webhooks/{webhook_id}")
    assert status == 200
    assert webhook["revision"] == 4
    assert webhook["name"] == "Parcel lookup"
    assert webhook["url"] == "https://api.example.com/parcels"


def test_a_restore_from_a_stale_page_is_refused_and_changes_nothing(page: Page, site: Site) -> None:
    sign_in(page, site, site.acme_user)
    status, created = call_api(
        page, "POST", "/webhooks", {"name": "Stock", "url": "https://api.example.com/stock"}
    )
    assert status == 201, created
    webhook_id = created["id"]
    renamed = {"name": "Stock v2", "url": "https://api.example.com/stock", "revision": 1}
    assert call_api(page, "PUT", f"/webhooks/{webhook_id}", renamed)[0] == 200
    page.goto(site.url(f"/webhooks/{webhook_id}/revisions"))
    expect(page.get_by_role("table", name="Revisions").locator("tbody tr")).to_have_count(2)

    # Someone else saves while this page is open.
    newer = renamed | {"name": "Stock v3", "revision": 2}
    assert call_api(page, "PUT", f"/webhooks/{webhook_id}", newer)[0] == 200
    page.get_by_role("button", name="Restore revision 1").click()
    expect(page.get_by_text("the webhook changed since it was read")).to_be_visible()
    page.goto(site.url(f"/webhooks/{webhook_id}/revisions"))
    rows = page.get_by_role("table", name="Revisions").locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("3 (current)")
    status, webhook = call_api(page, "GET", f"/webhooks/{webhook_id}")
    assert (webhook["revision"], webhook["name"]) == (3, "Stock v3")
