"""The "Secrets & variables" page: add, rotate and delete a secret whose value never reaches
the browser, and set a variable."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.web.conftest import Site
from tests.web.helpers import call_api, sign_in

VALUE = "page-secret-value-81f3"
ROTATED = "page-rotated-value-22aa"


def test_a_secret_is_added_rotated_and_deleted_without_its_value_shown(
    page: Page, site: Site
) -> None:
    sign_in(page, site, site.bolt_user)
    page.get_by_role("link", name="Secrets & variables").click()
    expect(page.get_by_role("heading", name="Secrets & variables")).to_be_visible()

    page.get_by_label("Name", exact=True).first.fill("PAGE_KEY")
    page.get_by_label("Value", exact=True).first.fill(VALUE)
    page.get_by_label("Allowed hosts", exact=True).fill("https://api.example.com/")
    page.get_by_role("button", name="Add secret").click()
    expect(page.get_by_role("alert")).to_contain_text("allowed_hosts[0]")

    page.get_by_label("Name", exact=True).first.fill("PAGE_KEY")
    page.get_by_label("Value", exact=True).first.fill(VALUE)
    page.get_by_label("Allowed hosts", exact=True).fill("api.example.com, *.example.org")
    page.get_by_role("button", name="Add secret").click()
    secrets = page.get_by_role("table", name="Secrets")
    row = secrets.locator("tr", has_text="PAGE_KEY")
    expect(row).to_contain_text("api.example.com, *.example.org")
    expect(row).to_contain_text("never")
    assert VALUE not in page.content()

    row.get_by_text("Rotate").click()
    page.get_by_label("New value of PAGE_KEY").fill(ROTATED)
    page.get_by_role("button", name="Save PAGE_KEY").click()
    row = page.get_by_role("table", name="Secrets").locator("tr", has_text="PAGE_KEY")
    expect(row).not_to_contain_text("never")
    assert ROTATED not in page.content()
    assert VALUE not in page.content()

    page.get_by_label("Name", exact=True).last.fill("REGION")
    page.get_by_label("Value", exact=True).last.fill("eu-west")
    page.get_by_role("button", name="Set variable").click()
    variables = page.get_by_role("table", name="Variables")
    expect(variables.locator("tr", has_text="REGION")).to_contain_text("eu-west")

    page.get_by_role("button", name="Delete secret PAGE_KEY").click()
    expect(page.get_by_role("table", name="Secrets")).not_to_contain_text("PAGE_KEY")

    # Another company's page is out of reach, exactly like one that does not exist.
    other = page.goto(site.url("/secrets?company=acme"))
    assert other is not None
    assert other.status == 404


def test_a_refused_change_shows_why_with_the_status_the_api_answers(page: Page, site: Site) -> None:
    sign_in(page, site, site.bolt_user)
    page.goto(site.url("/secrets?company=bolt"))
    page.get_by_label("Name", exact=True).last.fill("SHOP_REGION")
    page.get_by_label("Value", exact=True).last.fill("eu-west")
    page.get_by_role("button", name="Set variable").click()
    expect(page.get_by_role("table", name="Variables")).to_contain_text("SHOP_REGION")
    hook = {"name": "Uses a variable", "url": "https://api.example.com/{{ vars.SHOP_REGION }}"}
    status, made = call_api(page, "POST", "/webhooks", hook)
    assert status == 201, made

    page.get_by_role("button", name="Delete variable SHOP_REGION").click()
    expect(page.get_by_role("alert")).to_contain_text("is used by")
    assert _status(page) == 409  # as DELETE /api/v1/.../variables/SHOP_REGION answers
    expect(page.get_by_role("table", name="Variables")).to_contain_text("SHOP_REGION")

    status, _ = call_api(page, "DELETE", f"/webhooks/{made['id']}")
    assert status == 204
    page.goto(site.url("/secrets?company=bolt"))
    page.get_by_label("Name", exact=True).first.fill("SHOP_KEY")
    page.get_by_label("Value", exact=True).first.fill("x")
    page.get_by_label("Allowed hosts", exact=True).fill("https://api.example.com/")
    page.get_by_role("button", name="Add secret").click()
    expect(page.get_by_role("alert")).to_contain_text("allowed_hosts[0]")
    assert _status(page) == 422


def _status(page: Page) -> int:
    """The HTTP status of the page shown now (the answer to the form just posted)."""
    status = page.evaluate("performance.getEntriesByType('navigation')[0].responseStatus")
    return int(status)
