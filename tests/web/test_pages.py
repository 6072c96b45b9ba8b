"""Sign-in, the webhook list, tenancy between companies, tokens, and the builder's feel."""

from __future__ import annotations

import re

from playwright.sync_api import Dialog, Page, expect

from tests.upstream import Upstream
from tests.web.conftest import PASSWORD, Site
from tests.web.helpers import add_row, builder_ready, save, section, sign_in


def test_sign_in_refuses_a_wrong_password_and_sign_out_ends_the_session(
    page: Page, site: Site
) -> None:
    page.goto(site.url("/webhooks"))
    expect(page).to_have_url(re.compile(r"/login\?next=/webhooks$"))
    page.get_by_label("Email").fill(site.acme_user)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Email or password is wrong.")
    expect(page.get_by_label("Email")).to_have_value(site.acme_user)

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("signed-in-as")).to_have_text(site.acme_user)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to hooksmith")).to_be_visible()
    page.goto(site.url("/webhooks"))
    expect(page).to_have_url(re.compile(r"/login"))


def test_agency_assigns_a_company_and_other_companies_cannot_see_it(
    page: Page, site: Site, shop: Upstream
) -> None:
    sign_in(page, site, site.agency_admin)
    page.get_by_role("link", name="Create from scratch").click()
    page.get_by_label("Name", exact=True).fill("Bolt rental lookup")
    page.get_by_label("Assign to").select_option("bolt")
    page.get_by_label("API endpoint", exact=True).fill(shop.url("/echo/rentals"))
    save(page)
    webhook_url = page.url
    page.get_by_role("link", name="Webhooks", exact=True).first.click()
    page.get_by_label("Company").select_option("bolt")
    page.get_by_role("button", name="Filter").click()
    listed = page.get_by_role("table", name="Webhooks")
    expect(listed.get_by_role("link", name="Bolt rental lookup")).to_be_visible()
    page.get_by_label("Company").select_option("acme")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name="Bolt rental lookup")).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, site, site.acme_user)  # another company of the same agency
    expect(page.get_by_role("link", name="Bolt rental lookup")).to_have_count(0)
    page.goto(webhook_url)
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    page.goto(site.url("/webhooks/new"))
    expect(page.get_by_label("Name", exact=True)).to_be_visible()
    expect(page.get_by_label("Assign to")).to_have_count(0)  # company users cannot choose
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, site, site.bolt_user)
    expect(page.get_by_role("link", name="Bolt rental lookup")).to_be_visible()


def test_list_search_and_last_run_status(page: Page, site: Site, shop: Upstream) -> None:
    sign_in(page, site, site.acme_user)
    page.get_by_role("link", name="Create from scratch").click()
    page.get_by_label("Name", exact=True).fill("Searchable stock check")
    page.get_by_label("API endpoint", exact=True).fill(shop.url("/status/503"))
    builder_ready(page)  # a loaded machine may load the builder's modules after the fill
    page.get_by_role("button", name="Run webhook").click()  # GET: runs without a warning
    expect(page.get_by_test_id("run-status")).to_have_text("HTTP 503")
    expect(page.locator("#run-result").get_by_role("alert")).to_contain_text("http_error")
    save(page)  # a run of unsaved changes saves nothing; a saved webhook's run is kept
    page.get_by_role("button", name="Run webhook").click()
    expect(page.locator("#run-result").get_by_role("link", name="Open this run")).to_be_visible()

    page.goto(site.url("/webhooks"))
    page.get_by_label("Search by name").fill("stock check")
    page.get_by_label("Search by name").press("Enter")
    rows = page.get_by_role("table", name="Webhooks").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Searchable stock check")
    expect(rows.first).to_contain_text("Failed · http_error")
    page.get_by_label("Search by name").fill("no such webhook")
    page.get_by_label("Search by name").press("Enter")
    expect(page.get_by_text("No webhook matches.")).to_be_visible()


def test_a_failed_save_keeps_the_form_and_marks_the_field(page: Page, site: Site) -> None:
    sign_in(page, site, site.acme_user)
    page.goto(site.url("/webhooks/new"))
    page.get_by_label("Name", exact=True).fill("Bad header")
    page.get_by_label("API endpoint", exact=True).fill("https://api.example.com/x")
    add_row(page, "Headers", "+ Add header", "X-Fine", "1")
    add_row(page, "Headers", "+ Add header", "Not A Token", "2")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#form-error")).to_contain_text("Not saved: Header 2 name")
    bad = section(page, "Headers").get_by_label("Header 2 name")
    expect(bad).to_have_attribute("aria-invalid", "true")
    expect(bad).to_be_focused()
    expect(bad).to_have_value("Not A Token")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Bad header")
    expect(page.locator("#save-state")).to_have_text("Not saved")


def test_body_errors_show_at_their_line(page: Page, site: Site) -> None:
    sign_in(page, site, site.acme_user)
    page.goto(site.url("/webhooks/new"))
    body = page.get_by_label("Request body", exact=False)
    body.fill('{\n  "a": 1,\n  "b": \n}')
    error = page.locator("#body-error")
    expect(error).to_contain_text("Line 4")
    expect(page.locator("#body-gutter .bad-line")).to_have_text("4")
    expect(body).to_have_attribute("aria-invalid", "true")
    body.fill('{\n  "a": {% if certainly.reply %}1\n}')
    expect(error).to_contain_text("endif")
    body.fill('{\n  "a": 1,\n  "b": "{{ certainly.reply }}"\n}')
    expect(error).to_be_hidden()
    expect(body).not_to_have_attribute("aria-invalid", "true")


def test_leaving_with_unsaved_changes_asks_first(page: Page, site: Site) -> None:
    sign_in(page, site, site.acme_user)
    page.goto(site.url("/webhooks/new"))
    page.get_by_label("Name", exact=True).fill("Not saved yet")
    asked: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.get_by_role("link", name="Webhooks", exact=True).first.click()
    expect(page.get_by_label("Name", exact=True)).to_have_value("Not saved yet")
    assert asked == ["beforeunload"]


def test_tokens_page_for_admins_only(page: Page, site: Site) -> None:
    sign_in(page, site, site.agency_admin)
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("production bot")
    page.get_by_label("For").select_option("acme")
    page.get_by_role("button", name="Create token").click()
    shown = page.get_by_label("Token", exact=True)
    expect(shown).to_have_value(re.compile(r".{20,}"))
    token = shown.input_value()
    tokens = page.get_by_role("table", name="API tokens")
    expect(tokens).to_contain_text("production bot")
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_label("Token", exact=True)).to_have_count(0)
    assert token not in page.content()
    page.get_by_role("button", name="Revoke token production bot").click()
    expect(tokens.get_by_role("row", name=re.compile("production bot"))).to_contain_text("revoked")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, site, site.acme_user)
    expect(page.get_by_role("link", name="API tokens")).to_have_count(0)
    page.goto(site.url("/tokens"))
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()


def test_the_builder_fits_a_tablet_and_keeps_method_and_url_on_one_line(
    page: Page, site: Site
) -> None:
    sign_in(page, site, site.acme_user)
    page.set_viewport_size({"width": 820, "height": 1180})
    page.goto(site.url("/webhooks/new"))
    method = page.get_by_label("HTTP request method", exact=True).bounding_box()
    url = page.get_by_label("API endpoint", exact=True).bounding_box()
    assert method is not None
    assert url is not None
    assert abs(method["y"] - url["y"]) < 4
    assert url["x"] + url["width"] <= 820
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_a_framed_page_does_not_render(page: Page, site: Site) -> None:
    page.set_content(f'<iframe title="framed" src="{site.url("/login")}"></iframe>')
    framed = page.frame_locator("iframe")
    # set_content waits for the frame to load; Chromium shows its own error page there.
    expect(framed.get_by_role("heading", name="Sign in to hooksmith")).to_have_count(0)
    page.goto(site.url("/login"))
    expect(page.get_by_role("heading", name="Sign in to hooksmith")).to_be_visible()


def test_a_long_name_does_not_widen_the_list(page: Page, site: Site) -> None:
    sign_in(page, site, site.bolt_user)
    long_name = "Lookup " + "x" * 193
    page.get_by_role("link", name="Create from scratch").click()
    page.get_by_label("Name", exact=True).fill(long_name)
    page.get_by_label("API endpoint", exact=True).fill("https://api.example.com/" + "a" * 150)
    save(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(site.url("/webhooks"))
    expect(page.get_by_role("link", name=long_name)).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280
