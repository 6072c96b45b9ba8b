"""What a person does in the builder, as small steps the browser tests share."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from tests.web.conftest import PASSWORD, Site


def sign_in(page: Page, site: Site, email: str) -> None:
    page.goto(site.url("/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()


def section(page: Page, title: str) -> Locator:
    return page.get_by_role("region", name=title, exact=True)


def add_row(page: Page, section_title: str, button: str, name: str, value: str) -> None:
    """Add a Headers / Params / Custom Variables row and type its two fields."""
    part = section(page, section_title)
    part.get_by_role("button", name=button).click()
    rows = part.locator("tbody tr")
    row = rows.nth(rows.count() - 1)
    inputs = row.locator("input")
    inputs.nth(0).fill(name)
    inputs.nth(1).fill(value)


def row_values(page: Page, section_title: str) -> list[tuple[str, str]]:
    rows = section(page, section_title).locator("tbody tr")
    values = []
    for index in range(rows.count()):
        inputs = rows.nth(index).locator("input")
        values.append((inputs.nth(0).input_value(), inputs.nth(1).input_value()))
    return values


def save(page: Page) -> None:
    page.get_by_role("button", name="Save", exact=True).click()
    state = page.locator("#save-state")
    expect(state).not_to_have_text("Saving…")
    assert page.locator("#form-error").is_hidden(), page.locator("#form-error").inner_text()
    expect(state).to_contain_text("Saved (revision")
