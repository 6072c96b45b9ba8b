"""Create from a template: the list page offers templates; one fills a new, unsaved builder form."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from hooksmith.web.starters import HELP_CENTER_BODY
from tests.web.conftest import ROOT, Site
from tests.web.helpers import call_api, row_values, save, section, sign_in


def stored_count(page: Page) -> int:
    status, listing = call_api(page, "GET", "/webhooks")
    assert status == 200
    return int(listing["total"])


def open_template(page: Page, title: str) -> None:
    page.get_by_text("Create from a template", exact=True).click()
    page.get_by_role("list", name="Templates").get_by_role("link", name=title).click()


def test_the_help_center_template_is_the_article_sample() -> None:
    assert ROOT.joinpath("examples", "seed-sample-body.jinja").read_text() == HELP_CENTER_BODY


def test_the_help_center_template_fills_a_new_form_and_stores_nothing_until_save(
    page: Page, site: Site
) -> None:
    sign_in(page, site, site.bolt_user)
    before = stored_count(page)
    expect(page.get_by_role("link", name="Create from scratch")).to_be_visible()
    open_template(page, "Send the conversation (help-center sample)")

    expect(page).to_have_url(re.compile(r"/webhooks/new\?template=help-center-sample$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Create a webhook from a template: Send the conversation (help-center sample)"
    )
    expect(page.locator("#save-state")).to_have_text("Not saved yet")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Send the conversation to my API")
    expect(page.get_by_label("HTTP request method", exact=True)).to_have_value("POST")
    auth = section(page, "Authentication")
    expect(auth.get_by_label("Type of authentication")).to_have_value("bearer")
    expect(auth.get_by_label("Token")).to_have_value("")
    expect(auth.get_by_text("A token is set.")).to_be_hidden()
    expect(page.get_by_label("Request body", exact=False)).to_have_value(HELP_CENTER_BODY)
    assert row_values(page, "Custom Variables") == [("ticket_id", "response.ticket.id")]
    expect(page.get_by_role("button", name="Delete")).to_be_hidden()
    assert stored_count(page) == before

    # The article's body renders with the sample conversation data, without sending anything.
    page.get_by_role("button", name="Preview request (sends nothing)").click()
    result = page.locator("#run-result")
    expect(result).to_contain_text("Preview: nothing was sent")
    expect(page.get_by_test_id("request-as-sent")).to_contain_text(
        '"botTrainedModelId": "a3f2c6d8-e1f4-4a70-5b2f-9a0e7d1c4e8b"'
    )
    assert stored_count(page) == before

    auth.get_by_label("Token").fill("my-api-token")
    save(page)
    expect(page).to_have_url(re.compile(r"/webhooks/\d+$"))
    assert stored_count(page) == before + 1
    status, stored = call_api(page, "GET", "/webhooks/" + page.url.rsplit("/", 1)[1])
    assert status == 200
    assert (stored["method"], stored["body"]) == ("POST", HELP_CENTER_BODY)
    assert stored["auth"] == {"type": "bearer", "token_set": True}
    assert [v["name"] for v in stored["custom_variables"]] == ["ticket_id"]


def test_the_lookup_template_fills_a_get_with_a_context_placeholder(page: Page, site: Site) -> None:
    sign_in(page, site, site.bolt_user)
    before = stored_count(page)
    open_template(page, "Look something up (GET)")
    expect(page.get_by_label("HTTP request method", exact=True)).to_have_value("GET")
    expect(page.get_by_label("API endpoint", exact=True)).to_have_value(
        "https://api.example.com/orders/{{ orderNumber }}"
    )
    expect(section(page, "Context").get_by_label("orderNumber", exact=True)).to_be_visible()
    expect(section(page, "Authentication").get_by_label("Type of authentication")).to_have_value(
        "none"
    )
    assert row_values(page, "Custom Variables") == [("order_status", "response.status")]
    expect(page.get_by_label("Request body", exact=False)).to_have_value("")

    # Leaving a template's form unsaved stores nothing.
    page.goto(site.url("/webhooks"))
    assert stored_count(page) == before


def test_an_unknown_template_is_a_not_found_page(page: Page, site: Site) -> None:
    sign_in(page, site, site.bolt_user)
    response = page.goto(site.url("/webhooks/new?template=nope"))
    assert response is not None
    assert response.status == 404
    expect(page.get_by_text("there is no template 'nope'", exact=False)).to_be_visible()
