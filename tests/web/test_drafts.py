"""Drafts in the builder: a host change that clears the token is said and confirmed, problems
show while typing, and Run tries the form as it is without saving it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.upstream import Upstream
from tests.web.conftest import Site
from tests.web.helpers import add_row, builder_ready, call_api, section, sign_in
from tests.web.shop import SHOP_TOKEN


def _other_host(url: str) -> str:
    return url.replace("127.0.0.1", "127.0.0.2", 1)


def _bearer_webhook(page: Page, shop: Upstream, name: str) -> dict[str, Any]:
    status, view = call_api(
        page,
        "POST",
        "/webhooks",
        {
            "name": name,
            "url": shop.url("/shop/live/orders/7"),
            "auth": {"type": "bearer", "token": SHOP_TOKEN},
        },
    )
    assert status == 201, view
    return dict(view)


def _stored(page: Page, webhook_id: int) -> dict[str, Any]:
    status, view = call_api(page, "GET", f"/webhooks/{webhook_id}")
    assert status == 200, view
    return dict(view)


def test_changing_the_host_warns_and_asks_before_the_token_is_cleared(
    page: Page, site: Site, shop: Upstream, artifacts: Path
) -> None:
    sign_in(page, site, site.acme_user)
    hook = _bearer_webhook(page, shop, "Order status with a token")
    page.goto(site.url(f"/webhooks/{hook['id']}"))
    builder_ready(page)
    url = page.get_by_label("API endpoint", exact=True)
    warning = page.locator("#secret-warning")

    url.fill(shop.url("/shop/live/orders/8"))  # the same host keeps the token: no warning
    page.get_by_label("Name", exact=True).fill("Order status, renamed")
    expect(warning).to_be_hidden()

    url.fill(_other_host(shop.url("/shop/live/orders/7")))
    expect(warning).to_be_visible()
    expect(warning).to_have_text(
        "Changing the host clears the saved token: enter it again or keep the old host."
    )
    page.get_by_role("button", name="Save", exact=True).click()
    dialog = page.get_by_role("dialog", name="Save and clear the saved token?")
    expect(dialog).to_be_visible()
    page.screenshot(path=str(artifacts / "drafts-host-change-confirm.png"))
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.locator("#save-state")).to_have_text("Not saved")
    stored = _stored(page, hook["id"])
    assert stored["revision"] == 1
    assert stored["auth"] == {"type": "bearer", "token_set": True}

    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="Save and clear it").click()
    expect(page.locator("#save-state")).to_contain_text("Saved (revision 2)")
    expect(page.locator("#needs-secret")).to_contain_text("This webhook needs its token")
    assert _stored(page, hook["id"])["needs_secret"] == "token"

    page.reload()
    expect(page.locator("#needs-secret")).to_contain_text("needs its token")
    page.goto(site.url("/webhooks"))
    row = page.locator(f'tr[data-webhook-id="{hook["id"]}"]')
    expect(row.get_by_text("needs its token")).to_be_visible()


def test_problems_show_while_typing_and_a_broken_webhook_is_not_saved(
    page: Page, site: Site, shop: Upstream
) -> None:
    sign_in(page, site, site.acme_user)
    page.get_by_role("link", name="Create from scratch").click()
    builder_ready(page)
    page.get_by_label("Name", exact=True).fill("Broken on purpose")
    page.get_by_label("HTTP request method", exact=True).select_option("POST")
    page.get_by_label("API endpoint", exact=True).fill(shop.url("/shop/live/orders/7"))
    add_row(page, "Custom Variables", "+ Add custom variable", "order", "response.body.[")
    mapper = section(page, "Custom Variables").get_by_label("Custom variable 1 Response Mapper")
    expect(mapper).to_have_attribute("aria-invalid", "true")
    expect(page.locator('.field-error[data-problem="custom_variables[0].mapper"]')).to_contain_text(
        "the mapper does not compile"
    )
    body = page.get_by_label("Request body", exact=False)
    body.fill('{"order": {% if orderNumber %}"{{ orderNumber }}"}')
    expect(page.locator("#body-error")).to_contain_text("endif")

    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#save-state")).to_have_text("Not saved")
    form_error = page.locator("#form-error")
    expect(form_error).to_contain_text("Body line 1: Unexpected end of template")
    expect(form_error).to_contain_text("Custom variable 1 Response Mapper")
    _, listed = call_api(page, "GET", "/webhooks?search=Broken")
    assert listed["total"] == 0

    mapper.fill("response.order.id")
    expect(page.locator('.field-error[data-problem="custom_variables[0].mapper"]')).to_have_count(0)
    body.fill('{"order": "{{ orderNumber }}"}')
    expect(page.locator("#body-error")).to_be_hidden()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#save-state")).to_contain_text("Saved (revision 1)")


def test_run_tries_the_form_as_it_is_without_saving_it(
    page: Page, site: Site, shop: Upstream
) -> None:
    sign_in(page, site, site.acme_user)
    hook = _bearer_webhook(page, shop, "Tried before saving")
    page.goto(site.url(f"/webhooks/{hook['id']}"))
    builder_ready(page)
    url = page.get_by_label("API endpoint", exact=True)
    url.fill(shop.url("/shop/draft/orders/9"))
    shop.received.clear()

    url.press("Enter")  # no longer runs: only the Run button or Ctrl+Enter
    url.press("Control+Enter")
    expect(page.get_by_test_id("run-status")).to_have_text("HTTP 200")
    (request,) = shop.received
    assert request["path"] == "/shop/draft/orders/9"
    assert dict(request["headers"])["Authorization"] == f"Bearer {SHOP_TOKEN}"
    expect(page.get_by_test_id("request-as-sent")).not_to_contain_text(SHOP_TOKEN)
    expect(page.locator("#save-state")).to_have_text("Unsaved changes")
    stored = _stored(page, hook["id"])
    assert stored["revision"] == 1
    assert stored["url"].endswith("/shop/live/orders/7")

    # Another host never gets the saved token: the run asks for it and sends nothing.
    url.fill(_other_host(shop.url("/shop/draft/orders/9")))
    page.get_by_role("button", name="Run webhook").click()
    token = section(page, "Authentication").get_by_label("Token")
    expect(token).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#form-error")).to_contain_text("enter the token to run this draft")
    assert len(shop.received) == 1
    assert _stored(page, hook["id"])["revision"] == 1


def test_a_new_user_can_try_the_echo_endpoint_without_saving(page: Page, site: Site) -> None:
    sign_in(page, site, site.acme_user)
    page.get_by_role("link", name="Create from scratch").click()
    builder_ready(page)
    page.get_by_role("button", name="Try it on the echo endpoint").click()
    expect(page.get_by_test_id("run-status")).to_have_text("HTTP 200")
    expect(page.get_by_label("API endpoint", exact=True)).to_have_value(site.url("/echo"))
    expect(page.get_by_test_id("request-as-sent")).to_contain_text(re.compile(r"GET .*/echo"))
    expect(page.locator("#save-state")).to_have_text("Unsaved changes")
    status, listed = call_api(page, "GET", "/webhooks?search=echo")
    assert status == 200
    assert listed["total"] == 0
