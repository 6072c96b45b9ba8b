"""The builder as a bot builder uses it: create from scratch, run, map, edit and reload."""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.upstream import Upstream
from tests.web.conftest import Site
from tests.web.helpers import add_row, call_api, row_values, save, section, sign_in
from tests.web.shop import SHOP_TOKEN

BODY = (
    '{"customer": "{{ fb.firstName }}", //Only available in FB channel\n'
    '"reply": "{{ certainly.reply }}", "moduleId": {{ certainly.moduleId }},\n'
    '"extractedData": {% if certainly.extractedData is defined %}'
    "{{ certainly.extractedData|tojson }}{% else %}{}{% endif %}}"
)


RETRY_REASONS = (
    "Connection error",
    "Time-out",
    "429 Too Many Requests",
    "502 Bad Gateway",
    "503 Service Unavailable",
    "504 Gateway Timeout",
)


def create_shop_webhook(page: Page, site: Site, shop: Upstream, name: str) -> int:
    """Fill every section of a new webhook (assigned to acme) and save it; returns its id."""
    page.get_by_role("link", name="Create from scratch").click()
    expect(page.get_by_role("heading", name="Create a webhook from scratch")).to_be_visible()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Assign to").select_option("acme")
    page.get_by_label("HTTP request method", exact=True).select_option("POST")
    page.get_by_label("API endpoint", exact=True).fill(
        shop.url("/shop/{{ env }}/orders/{{ order }}") + "?lang=en"
    )
    context = section(page, "Context")
    expect(context.get_by_label("env", exact=True)).to_be_visible()
    expect(context.get_by_label("order", exact=True)).to_be_visible()
    assert row_values(page, "Params") == [("lang", "en")]
    context.get_by_label("env", exact=True).fill("staging")
    context.get_by_label("order", exact=True).fill("1042")
    page.get_by_label("Response type").select_option("json")
    page.get_by_label("Conversation execution").select_option("sync")
    expect(page.get_by_label("Time-out (seconds)")).to_have_value("5")
    page.get_by_label("Time-out (seconds)").fill("7")

    auth = section(page, "Authentication")
    expect(auth.get_by_label("Username")).to_be_hidden()
    auth.get_by_label("Type of authentication").select_option("basic")
    expect(auth.get_by_label("Username")).to_be_visible()
    expect(auth.get_by_label("Token")).to_be_hidden()
    auth.get_by_label("Type of authentication").select_option("bearer")
    expect(auth.get_by_label("Username")).to_be_hidden()
    auth.get_by_label("Token").fill(SHOP_TOKEN)

    add_row(page, "Headers", "+ Add header", "X-Trace", "{{ certainly.sessionId }}")
    add_row(page, "Params", "+ Add param", "source", "bot")
    expect(page.get_by_label("API endpoint", exact=True)).to_have_value(
        re.compile(r"\?lang=en&source=bot$")
    )

    body = page.get_by_label("Request body", exact=False)
    body.fill(BODY)
    page.get_by_role("button", name="Format").click()
    expect(body).to_have_value(re.compile(r'^\{\n  "customer": "\{\{ fb.firstName \}\}",'))
    expect(page.locator("#body-gutter")).to_contain_text("6")

    add_row(
        page, "Custom Variables", "+ Add custom variable", "order_status", "response.order.status"
    )
    save(page)
    expect(page).to_have_url(re.compile(r"/webhooks/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def test_create_from_scratch_run_and_map(
    page: Page, site: Site, shop: Upstream, artifacts: Path
) -> None:
    sign_in(page, site, site.agency_admin)
    webhook_id = create_shop_webhook(page, site, shop, "Order status for the shop")
    shop.received.clear()

    # A POST changes the target's data: first a warning, with a render-only preview one click away.
    page.get_by_role("button", name="Run webhook").click()
    dialog = page.get_by_role("dialog", name="This will really change data")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Preview the request only").click()
    result = page.locator("#run-result")
    expect(result).to_contain_text("Preview: nothing was sent")
    expect(result).to_contain_text("/shop/staging/orders/1042?lang=en&source=bot")
    assert shop.received == []

    page.get_by_label("API endpoint", exact=True).press(
        "Control+Enter"
    )  # Ctrl+Enter runs, after the same warning
    page.get_by_role("dialog").get_by_role("button", name="Run it for real").click()
    expect(page.get_by_test_id("run-status")).to_have_text("HTTP 200")
    expect(page.get_by_test_id("run-time")).to_have_text(re.compile(r"^\d+ ms$"))
    sent = page.get_by_test_id("request-as-sent")
    expect(sent).to_contain_text("POST")
    expect(sent).to_contain_text("/shop/staging/orders/1042?lang=en&source=bot")
    expect(sent).to_contain_text("c0ffee00-1234-4abc-9def-000000000001")  # X-Trace
    expect(sent).not_to_contain_text(SHOP_TOKEN)
    tree = page.locator("#response-tree")
    expect(tree.get_by_role("button", name=re.compile(r'^"shipped"'))).to_be_visible()
    variables = section(page, "Custom Variables")
    expect(variables.locator("tbody tr").nth(0).locator("[data-outcome]")).to_have_text("shipped")

    (request,) = shop.received
    headers = dict(request["headers"])
    assert headers["Authorization"] == f"Bearer {SHOP_TOKEN}"
    assert request["query"] == [("lang", "en"), ("source", "bot")]
    assert json.loads(request["body"])["customer"] == "Ana"

    # Clicking a value in the response tree adds a custom variable with that mapper.
    tree.locator('[data-path="response.order.items[0].name"]').click()
    new_row = variables.locator("tbody tr").nth(1)
    expect(new_row.locator('[data-part="mapper"]')).to_have_value("response.order.items[0].name")
    expect(new_row.locator('[data-part="name"]')).to_have_value("name")
    expect(new_row.locator('[data-part="name"]')).to_be_focused()
    page.screenshot(path=str(artifacts / "builder-after-run.png"), full_page=True)

    # Unsaved changes run as they are, as a draft: nothing is saved, no run is kept.
    page.get_by_role("button", name="Run webhook").click()
    with page.expect_response(lambda response: response.url.endswith("/drafts/run")):
        page.get_by_role("dialog").get_by_role("button", name="Run it for real").click()
    expect(new_row.locator("[data-outcome]")).to_have_text("tea")
    assert len(shop.received) == 2
    assert call_api(page, "GET", f"/webhooks/{webhook_id}")[1]["revision"] == 1
    save(page)
    expect(page.locator("#save-state")).to_contain_text("revision 2")
    page.get_by_role("button", name="Run webhook").click()  # saved: a test run, kept
    with page.expect_response(lambda response: response.url.endswith("/test")):
        page.get_by_role("dialog").get_by_role("button", name="Run it for real").click()
    expect(new_row.locator("[data-outcome]")).to_have_text("tea")
    assert len(shop.received) == 3

    page.goto(site.url(f"/webhooks/{webhook_id}/runs"))
    runs = page.get_by_role("table", name="Runs")
    expect(runs.locator("tbody tr")).to_have_count(2)
    runs.locator("tbody tr").first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Request as sent")).to_be_visible()
    expect(page.get_by_role("table", name="Custom variables")).to_contain_text("tea")
    expect(page.locator("#response-tree")).to_contain_text("shipped")


def test_reload_keeps_every_field_and_secrets_stay_hidden(
    page: Page, site: Site, shop: Upstream
) -> None:
    sign_in(page, site, site.agency_admin)
    create_shop_webhook(page, site, shop, "Kept after reload")
    page.reload()

    expect(page.get_by_label("Name", exact=True)).to_have_value("Kept after reload")
    expect(page.get_by_label("Assign to")).to_have_value("acme")
    expect(page.get_by_label("HTTP request method", exact=True)).to_have_value("POST")
    expect(page.get_by_label("API endpoint", exact=True)).to_have_value(
        shop.url("/shop/{{ env }}/orders/{{ order }}") + "?lang=en&source=bot"
    )
    expect(page.get_by_label("Response type")).to_have_value("json")
    expect(page.get_by_label("Conversation execution")).to_have_value("sync")
    expect(page.get_by_label("Time-out (seconds)")).to_have_value("7")
    auth = section(page, "Authentication")
    expect(auth.get_by_label("Type of authentication")).to_have_value("bearer")
    expect(auth.get_by_label("Token")).to_have_value("")
    expect(auth.get_by_text("A token is set.")).to_be_visible()
    assert SHOP_TOKEN not in page.content()
    assert row_values(page, "Headers") == [("X-Trace", "{{ certainly.sessionId }}")]
    assert row_values(page, "Params") == [("lang", "en"), ("source", "bot")]
    context = section(page, "Context")
    expect(context.get_by_label("env", exact=True)).to_have_value("staging")
    expect(context.get_by_label("order", exact=True)).to_have_value("1042")
    expect(page.get_by_label("Request body", exact=False)).to_have_value(
        re.compile(r"//Only available in FB channel")
    )
    assert row_values(page, "Custom Variables") == [("order_status", "response.order.status")]

    # Edit: rename, drop the header, switch to basic auth; reload and find the edit kept.
    page.get_by_label("Name", exact=True).fill("Kept after an edit")
    section(page, "Headers").get_by_role("button", name="Remove header 1").click()
    auth.get_by_label("Type of authentication").select_option("basic")
    auth.get_by_label("Username").fill("shop-user")
    auth.get_by_label("Password").fill("pa55word")
    save(page)
    page.reload()
    expect(page.get_by_label("Name", exact=True)).to_have_value("Kept after an edit")
    assert row_values(page, "Headers") == []
    expect(auth.get_by_label("Username")).to_have_value("shop-user")
    expect(auth.get_by_label("Password")).to_have_value("")
    expect(auth.get_by_text("A password is set.")).to_be_visible()
    assert "pa55word" not in page.content()


def test_context_fields_follow_the_url_and_params_follow_the_query(page: Page, site: Site) -> None:
    sign_in(page, site, site.agency_admin)
    page.goto(site.url("/webhooks/new"))
    url = page.get_by_label("API endpoint", exact=True)
    context = section(page, "Context")
    expect(context.get_by_text("Context values appear here")).to_be_visible()

    url.press_sequentially("https://{{ tenant }}.example.com/{{ env }}/orders")
    expect(context.get_by_label("tenant", exact=True)).to_be_visible()
    expect(context.get_by_label("env", exact=True)).to_be_visible()
    expect(context.get_by_text("Context values appear here")).to_be_hidden()
    context.get_by_label("tenant", exact=True).fill("acme-eu")

    url.fill("https://{{ tenant }}.example.com/orders")
    expect(context.get_by_label("env", exact=True)).to_have_count(0)
    expect(context.get_by_label("tenant", exact=True)).to_have_value("acme-eu")
    url.fill("https://api.example.com/orders")
    expect(context.locator("input")).to_have_count(0)
    expect(context.get_by_text("Context values appear here")).to_be_visible()

    url.press_sequentially("?status=open&page=2")
    assert row_values(page, "Params") == [("status", "open"), ("page", "2")]
    params = section(page, "Params")
    params.get_by_label("Param 2 value").fill("3")
    expect(url).to_have_value("https://api.example.com/orders?status=open&page=3")
    params.get_by_role("button", name="Remove param 1").click()
    expect(url).to_have_value("https://api.example.com/orders?page=3")


def test_a_save_from_the_page_keeps_retries_condition_and_defaults(
    page: Page, site: Site, shop: Upstream
) -> None:
    sign_in(page, site, site.agency_admin)
    webhook_id = create_shop_webhook(page, site, shop, "Keeps its retry policy")
    variables = section(page, "Custom Variables")
    variables.get_by_label("Custom variable 1 default").fill("unknown")
    add_row(page, "Custom Variables", "+ Add custom variable", "items", "response.order.items")
    variables.get_by_label("Custom variable 2 default").fill('{"a": 1}')
    add_row(page, "Custom Variables", "+ Add custom variable", "count", "response.count")
    variables.get_by_label("Custom variable 3 default").fill("7")
    add_row(page, "Custom Variables", "+ Add custom variable", "code", "response.code")
    variables.get_by_label("Custom variable 4 default").fill('"7"')

    reliability = section(page, "Reliability")
    expect(reliability.get_by_label("Retry attempts (0 to 5)")).to_have_value("0")
    reliability.get_by_label("Retry attempts (0 to 5)").fill("2")
    for reason in ("Connection error", "429 Too Many Requests", "502 Bad Gateway"):
        reliability.get_by_label(reason).uncheck()
    reliability.get_by_label("504 Gateway Timeout").uncheck()
    reliability.get_by_label("Also retry POST and PATCH", exact=False).check()
    reliability.get_by_label("Success condition").fill("response.error is not defined")
    save(page)

    status, stored = call_api(page, "GET", f"/webhooks/{webhook_id}")
    assert status == 200
    assert stored["retry"] == {"attempts": 2, "on": ["timeout", 503], "non_idempotent": True}
    assert stored["success_condition"] == "response.error is not defined"
    defaults = [variable["default"] for variable in stored["custom_variables"]]
    assert defaults == ["unknown", {"a": 1}, 7, "7"]

    page.reload()
    expect(reliability.get_by_label("Retry attempts (0 to 5)")).to_have_value("2")
    checked = {reason: reliability.get_by_label(reason).is_checked() for reason in RETRY_REASONS}
    assert [reason for reason, on in checked.items() if on] == [
        "Time-out",
        "503 Service Unavailable",
    ]
    expect(reliability.get_by_label("Also retry POST and PATCH", exact=False)).to_be_checked()
    expect(reliability.get_by_label("Success condition")).to_have_value(
        "response.error is not defined"
    )
    shown = [variables.get_by_label(f"Custom variable {n} default") for n in range(1, 5)]
    for field, text in zip(shown, ["unknown", '{"a": 1}', "7", '"7"'], strict=True):
        expect(field).to_have_value(text)

    # A second save from the reloaded page changes nothing it did not touch.
    page.get_by_label("Name", exact=True).fill("Keeps its retry policy, renamed")
    save(page)
    status, again = call_api(page, "GET", f"/webhooks/{webhook_id}")
    assert again["name"] == "Keeps its retry policy, renamed"
    assert again["retry"] == stored["retry"]
    assert again["success_condition"] == stored["success_condition"]
    assert again["custom_variables"] == stored["custom_variables"]
    assert again["auth"]["token_set"] is True


def test_errors_in_retries_condition_and_defaults_mark_their_control(
    page: Page, site: Site
) -> None:
    sign_in(page, site, site.agency_admin)
    page.goto(site.url("/webhooks/new"))
    page.get_by_label("Name", exact=True).fill("Too many retries")
    page.get_by_label("Assign to").select_option("acme")
    page.get_by_label("API endpoint", exact=True).fill("https://api.example.com/orders")
    add_row(page, "Custom Variables", "+ Add custom variable", "status", "response.status")
    reliability = section(page, "Reliability")
    attempts = reliability.get_by_label("Retry attempts (0 to 5)")
    attempts.fill("7")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#form-error")).to_contain_text("Retry attempts")
    expect(attempts).to_have_attribute("aria-invalid", "true")
    expect(attempts).to_be_focused()

    attempts.fill("1")
    condition = reliability.get_by_label("Success condition")
    condition.fill("response.error is")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(condition).to_have_attribute("aria-invalid", "true")
    expect(attempts).not_to_have_attribute("aria-invalid", "true")

    # The API names a variable's default as custom_variables[0].default: its cell is marked.
    page.evaluate(
        """() => window.hooksmithBuilder.showError({kind: "invalid_input",
             field: "custom_variables[0].default", message: "default: too large"})"""
    )
    default = section(page, "Custom Variables").get_by_label("Custom variable 1 default")
    expect(default).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#form-error")).to_have_text(
        "Not saved: Custom variable 1 default: too large"
    )
    expect(page.locator(".field-error").get_by_text("too large", exact=True)).to_be_visible()


def test_a_run_shows_the_default_the_bot_gets(page: Page, site: Site, shop: Upstream) -> None:
    sign_in(page, site, site.agency_admin)
    create_shop_webhook(page, site, shop, "Shows its defaults")
    add_row(page, "Custom Variables", "+ Add custom variable", "coupon", "response.no_such_key")
    variables = section(page, "Custom Variables")
    rows = variables.locator("tbody tr")
    variables.get_by_label(f"Custom variable {rows.count()} default").fill("NONE-YET")
    save(page)
    page.get_by_role("button", name="Run webhook").click()
    page.get_by_role("dialog").get_by_role("button", name="Run it for real").click()
    expect(page.get_by_test_id("run-status")).to_have_text("HTTP 200")
    expect(rows.last).to_contain_text("the bot gets")
    expect(rows.last).to_contain_text("NONE-YET")
