"""Duplicate and Delete on a stored webhook's builder page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.web.conftest import Site
from tests.web.helpers import add_row, call_api, save, section, sign_in


def test_duplicate_opens_the_copy_and_delete_asks_then_returns_to_the_list(
    page: Page, site: Site
) -> None:
    sign_in(page, site, site.acme_user)
    page.get_by_role("link", name="Create from scratch").click()
    expect(page.get_by_role("button", name="Duplicate")).to_be_hidden()
    page.get_by_label("Name", exact=True).fill("Stock by product")
    page.get_by_label("API endpoint", exact=True).fill("https://api.example.com/stock/{{ sku }}")
    add_row(page, "Custom Variables", "+ Add custom variable", "stock", "response.stock")
    save(page)
    original = page.url

    page.get_by_role("button", name="Duplicate").click()
    expect(page).not_to_have_url(original)
    expect(page).to_have_url(re.compile(r"/webhooks/\d+$"))
    copy_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_label("Name", exact=True)).to_have_value("Stock by product (copy)")
    expect(page.get_by_label("API endpoint", exact=True)).to_have_value(
        "https://api.example.com/stock/{{ sku }}"
    )
    expect(section(page, "Custom Variables").get_by_label("Custom variable 1 name")).to_have_value(
        "stock"
    )

    # Delete asks first; Cancel keeps the webhook.
    page.get_by_role("button", name="Delete", exact=True).click()
    dialog = page.get_by_role("dialog", name="Delete this webhook?")
    expect(dialog).to_contain_text("Stock by product (copy)")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert call_api(page, "GET", f"/webhooks/{copy_id}")[0] == 200

    page.get_by_role("button", name="Delete", exact=True).click()
    dialog.get_by_role("button", name="Delete for good").click()
    expect(page).to_have_url(site.url("/webhooks"))
    listing = page.get_by_role("table", name="Webhooks")
    expect(listing.get_by_role("link", name="Stock by product", exact=True)).to_be_visible()
    expect(listing.get_by_role("link", name="Stock by product (copy)")).to_have_count(0)
    assert call_api(page, "GET", f"/webhooks/{copy_id}")[0] == 404


def test_duplicate_saves_unsaved_changes_first(page: Page, site: Site) -> None:
    sign_in(page, site, site.acme_user)
    page.get_by_role("link", name="Create from scratch").click()
    page.get_by_label("Name", exact=True).fill("Tracking link")
    page.get_by_label("API endpoint", exact=True).fill("https://api.example.com/track")
    save(page)
    page.get_by_label("Name", exact=True).fill("Tracking link v2")
    page.get_by_role("button", name="Duplicate").click()
    expect(page.get_by_label("Name", exact=True)).to_have_value("Tracking link v2 (copy)")


def test_duplicate_keeps_retries_and_the_success_condition(page: Page, site: Site) -> None:
    sign_in(page, site, site.acme_user)
    page.get_by_role("link", name="Create from scratch").click()
    page.get_by_label("Name", exact=True).fill("Retried lookup")
    page.get_by_label("API endpoint", exact=True).fill("https://api.example.com/lookup")
    reliability = section(page, "Reliability")
    reliability.get_by_label("Retry attempts (0 to 5)").fill("3")
    reliability.get_by_label("Success condition").fill("status == 200")
    save(page)
    page.get_by_role("button", name="Duplicate").click()
    expect(page.get_by_label("Name", exact=True)).to_have_value("Retried lookup (copy)")
    expect(reliability.get_by_label("Retry attempts (0 to 5)")).to_have_value("3", timeout=2_000)
    expect(reliability.get_by_label("Success condition")).to_have_value("status == 200")
