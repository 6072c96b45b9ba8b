"""cURL in and out in the builder: a pasted command fills the form, runs, and copies back out."""

from __future__ import annotations

import json

from playwright.sync_api import Page, expect

from tests.upstream import Upstream
from tests.web.conftest import Site
from tests.web.helpers import PASTE, builder_ready, row_values, save, section, sign_in
from tests.web.shop import SHOP_TOKEN


def test_a_pasted_curl_command_fills_the_form_runs_and_copies_back(
    page: Page, site: Site, shop: Upstream
) -> None:
    sign_in(page, site, site.agency_admin)
    page.get_by_role("link", name="Create from scratch").click()
    builder_ready(page)
    page.get_by_label("Name", exact=True).fill("Order from the shop docs")
    page.get_by_label("Assign to").select_option("acme")
    endpoint = page.get_by_label("API endpoint", exact=True)

    # A broken command is refused with the reason, and the endpoint keeps what it held.
    endpoint.fill("https://api.example.com/keep")
    endpoint.fill("curl 'https://api.example.com/unbalanced")
    expect(page.locator("#form-error")).to_contain_text("Not imported")
    expect(page.locator("#form-error")).to_contain_text("quote")
    expect(endpoint).to_have_value("https://api.example.com/keep")

    command = f"""curl -X POST '{shop.url("/shop/staging/orders/1042")}?lang=en' \\
  -H "Authorization: Bearer {SHOP_TOKEN}" \\
  -H 'X-Trace: {{{{ certainly.sessionId }}}}' \\
  --data-raw '{{"customer": "{{{{ fb.firstName }}}}"}}'"""
    page.evaluate(PASTE, command)
    status = page.locator("#curl-status")
    expect(status).to_contain_text("Imported from cURL: POST")
    expect(status).to_contain_text("1 header, 1 param, bearer authentication, a body")
    expect(endpoint).to_have_value(shop.url("/shop/staging/orders/1042") + "?lang=en")
    expect(page.get_by_label("HTTP request method", exact=True)).to_have_value("POST")
    assert row_values(page, "Headers") == [("X-Trace", "{{ certainly.sessionId }}")]
    assert row_values(page, "Params") == [("lang", "en")]
    auth = section(page, "Authentication")
    expect(auth.get_by_label("Type of authentication")).to_have_value("bearer")
    expect(auth.get_by_label("Token")).to_have_value(SHOP_TOKEN)
    expect(page.get_by_label("Request body", exact=False)).to_have_value(
        '{"customer": "{{ fb.firstName }}"}'
    )
    expect(page.get_by_label("Name", exact=True)).to_have_value("Order from the shop docs")
    save(page)

    shop.received.clear()
    page.get_by_role("button", name="Run webhook").click()
    page.get_by_role("dialog").get_by_role("button", name="Run it for real").click()
    expect(page.get_by_test_id("run-status")).to_have_text("HTTP 200")
    (request,) = shop.received
    assert request["method"] == "POST"
    assert request["query"] == [("lang", "en")]
    headers = dict(request["headers"])
    assert headers["Authorization"] == f"Bearer {SHOP_TOKEN}"
    assert headers["X-Trace"] == "c0ffee00-1234-4abc-9def-000000000001"
    assert json.loads(request["body"]) == {"customer": "Ana"}

    page.get_by_role("button", name="Copy as cURL").click()
    output = page.get_by_label("cURL command")
    expect(output).to_contain_text("curl -X POST")
    expect(output).to_contain_text('"$HOOKSMITH_TOKEN"')
    expect(output).not_to_contain_text(SHOP_TOKEN)
    expect(page.locator("#curl-export-status")).to_contain_text("Secrets are never shown")

    # The run's page offers the request as sent, its token as a placeholder.
    page.goto(page.url + "/runs")
    page.get_by_role("table", name="Runs").locator("tbody tr").first.get_by_role("link").click()
    page.get_by_role("button", name="Copy as cURL").click()
    sent = page.get_by_label("cURL command")
    expect(sent).to_contain_text("--data-raw")
    expect(sent).to_contain_text('"$HOOKSMITH_AUTHORIZATION"')
    expect(sent).not_to_contain_text(SHOP_TOKEN)
