"""What a run and a save show a bot builder: masked credentials, header warnings, objects that
map as JSON, every fault of a save in the form's words, a sticky bar that covers nothing, and a
list that fits a tablet."""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.upstream import Upstream
from tests.web.conftest import Site
from tests.web.helpers import add_row, builder_ready, save, section, sign_in
from tests.web.shop import SHOP_TOKEN


def shop_lookup(page: Page, site: Site, shop: Upstream, name: str) -> None:
    """A saved GET webhook of the shop with its bearer token, run once from the builder."""
    sign_in(page, site, site.acme_user)
    page.goto(site.url("/webhooks/new"))
    builder_ready(page)
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("API endpoint", exact=True).fill(shop.url("/shop/live/orders/1042"))
    auth = section(page, "Authentication")
    auth.get_by_label("Type of authentication").select_option("bearer")
    auth.get_by_label("Token").fill(SHOP_TOKEN)
    save(page)
    page.get_by_role("button", name="Run webhook").click()
    expect(page.get_by_test_id("run-status")).to_have_text("HTTP 200")


def test_request_as_sent_shows_the_scheme_and_two_characters_at_each_end(
    page: Page, site: Site, shop: Upstream
) -> None:
    shop_lookup(page, site, shop, "Masked token")
    sent = page.get_by_test_id("request-as-sent")
    authorization = sent.get_by_role("row", name=re.compile("^Authorization"))
    expect(authorization).to_contain_text("Bearer s3…en")
    expect(sent).not_to_contain_text(SHOP_TOKEN[2:-2])

    page.get_by_role("link", name="Open this run").click()
    stored = page.get_by_role("table", name="Request headers")
    expect(stored.get_by_role("row", name=re.compile("^Authorization"))).to_contain_text(
        "Bearer s3…en"
    )
    assert SHOP_TOKEN[2:-2] not in page.content()


def test_a_non_ascii_header_value_is_sent_with_a_warning(
    page: Page, site: Site, shop: Upstream
) -> None:
    shop_lookup(page, site, shop, "Header with an umlaut")
    headers = section(page, "Headers")
    add_row(page, "Headers", "+ Add header", "X-Customer", "Zoë")
    warning = headers.locator(".warning")
    expect(warning).to_have_count(1)
    expect(warning).to_contain_text("Header 1 value: “ë” is not ASCII")
    expect(warning).to_contain_text("“ë” as “Ã«”")
    save(page)
    page.get_by_role("button", name="Run webhook").click()
    result = page.locator("#run-result")
    expect(result.locator(".warning")).to_contain_text('Header 1 value: "ë" is not ASCII')
    expect(result.locator(".warning")).not_to_contain_text("headers[0]")
    headers.get_by_role("button", name="Remove header 1").click()
    expect(warning).to_have_count(0)


def test_objects_and_lists_map_as_their_json_value(
    page: Page, site: Site, shop: Upstream, artifacts: Path
) -> None:
    shop_lookup(page, site, shop, "Maps a list")
    tree = page.locator("#response-tree")
    items = tree.locator('[data-path="response.order.items"]')
    expect(items).to_have_text("[2 items]")
    items.click()
    variables = section(page, "Custom Variables")
    row = variables.locator("tbody tr").nth(0)
    expect(row.locator('[data-part="mapper"]')).to_have_value("response.order.items")
    expect(row.locator('[data-part="name"]')).to_have_value("items")
    # The click mapped the list; it did not fold it.
    expect(tree.locator('[data-path="response.order.items[0].name"]')).to_be_visible()
    tree.locator('[data-path="response.order"]').click()
    expect(variables.locator("tbody tr").nth(1).locator('[data-part="mapper"]')).to_have_value(
        "response.order"
    )
    save(page)
    page.get_by_role("button", name="Run webhook").click()
    expect(page.get_by_test_id("run-status")).to_have_text("HTTP 200")
    outcome = row.locator("[data-outcome]")
    expect(outcome).to_have_text(re.compile(r"^\[\{"))
    assert json.loads(outcome.inner_text()) == [
        {"name": "tea", "qty": 2},
        {"name": "cake", "qty": 1},
    ]
    page.screenshot(path=str(artifacts / "builder-maps-a-list.png"), full_page=True)


def test_every_fault_of_a_save_is_listed_in_the_words_of_the_form(page: Page, site: Site) -> None:
    sign_in(page, site, site.acme_user)
    page.goto(site.url("/webhooks/new"))
    builder_ready(page)
    page.get_by_label("API endpoint", exact=True).fill("https://api.example.com/orders")
    page.get_by_label("Time-out (seconds)").fill("0")
    add_row(page, "Headers", "+ Add header", "", "no name")
    page.keyboard.press("Control+End")
    page.get_by_role("button", name="Save", exact=True).click()
    banner = page.locator("#form-error")
    expect(banner).to_contain_text("Not saved: 3 problems")
    faults = banner.get_by_role("listitem")
    expect(faults).to_have_text(
        [
            "Name: must not be empty",
            re.compile(r"^Time-out: must be > 0"),
            "Header 1 name: must not be empty",
        ]
    )
    expect(banner).not_to_contain_text("should")
    expect(banner).not_to_contain_text("headers[0]")
    name = page.get_by_label("Name", exact=True)
    timeout = page.get_by_label("Time-out (seconds)")
    header = section(page, "Headers").get_by_label("Header 1 name")
    for field in (name, timeout, header):
        expect(field).to_have_attribute("aria-invalid", "true")
    expect(name).to_be_focused()
    for link, field in (("^Header 1 name", header), ("^Time-out", timeout), ("^Name", name)):
        banner.get_by_role("link", name=re.compile(link)).click()
        expect(field).to_be_focused()
        # The bar and the banner stay in sight, one under the other, and the field below both.
        bar = page.locator(".actionbar").bounding_box()
        shown = banner.bounding_box()
        box = field.bounding_box()
        assert bar is not None
        assert shown is not None
        assert box is not None
        assert bar["y"] >= 0
        assert shown["y"] >= bar["y"] + bar["height"] - 1
        assert box["y"] >= shown["y"] + shown["height"], f"{link} is under the banner"
        assert box["y"] + box["height"] <= 900


def test_the_sticky_bar_stays_one_line_and_covers_no_focused_field(page: Page, site: Site) -> None:
    sign_in(page, site, site.acme_user)
    page.set_viewport_size({"width": 820, "height": 700})
    page.goto(site.url("/webhooks/new"))
    builder_ready(page)
    bar = page.locator(".actionbar")
    one_line = bar.bounding_box()
    assert one_line is not None
    page.evaluate(
        """() => { document.getElementById("save-state").textContent =
             "Added custom variable “order_status_for_the_customer” ← "
             + "response.order.items[0].shipping.tracking.status (unsaved)"; }"""
    )
    long_status = bar.bounding_box()
    assert long_status is not None
    assert long_status["height"] <= one_line["height"] + 1, "the bar grew a line"
    title = page.locator("#builder-title")
    assert title.evaluate("e => e.scrollWidth > e.clientWidth"), "the title is cut with an ellipsis"
    assert title.evaluate("e => getComputedStyle(e).textOverflow") == "ellipsis"

    # Scrolled down, a field reached by Tab or by its label sits below the bar, not under it.
    page.evaluate("window.scrollBy(0, 900)")  # at once: a wheel scrolls on after focus()
    timeout = page.get_by_label("Time-out (seconds)")
    timeout.focus()
    field = timeout.bounding_box()
    cover = bar.bounding_box()
    assert field is not None
    assert cover is not None
    assert field["y"] >= cover["y"] + cover["height"]


def test_the_list_fits_a_tablet_and_a_laptop_and_names_companies(
    page: Page, site: Site, artifacts: Path
) -> None:
    sign_in(page, site, site.agency_admin)
    long_name = "Order lookup for the spring campaign " + "x" * 160
    page.goto(site.url("/webhooks/new"))
    builder_ready(page)
    page.get_by_label("Name", exact=True).fill(long_name)
    page.get_by_label("Assign to").select_option("bolt")
    page.get_by_label("API endpoint", exact=True).fill(
        "https://api.example.com/" + "segment/" * 25 + "{{ orderNumber }}"
    )
    save(page)
    for width in (820, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(site.url("/webhooks?company=bolt"))
        expect(page.get_by_label("Company")).to_have_value("bolt")
        rows = page.get_by_role("table", name="Webhooks").locator("tbody tr")
        row = rows.filter(has=page.get_by_role("link", name=long_name))
        expect(row.get_by_role("link", name=long_name)).to_be_visible()
        company = row.get_by_test_id("company")
        expect(company).to_have_text("Bolt Bikes")
        expect(row).to_contain_text("api.example.com/segment/")
        page.screenshot(path=str(artifacts / f"webhook-list-{width}.png"), full_page=True)
        width_used = page.evaluate("document.documentElement.scrollWidth")
        assert width_used <= width, f"the list is {width_used} px wide at {width} px"
        name_box = row.locator("td").first.bounding_box()
        table = page.get_by_role("table", name="Webhooks").bounding_box()
        assert name_box is not None
        assert table is not None
        assert name_box["width"] >= table["width"] * 0.25, "the name column keeps its room"
