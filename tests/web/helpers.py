"""What a person does in the builder, as small steps the browser tests share."""

from __future__ import annotations

from typing import Any

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


def builder_ready(page: Page) -> None:
    """Wait until the builder's script has wired its controls (a slow machine loads it late)."""
    expect(page.locator("#builder[data-ready]")).to_have_count(1)


def save(page: Page) -> None:
    builder_ready(page)
    page.get_by_role("button", name="Save", exact=True).click()
    state = page.locator("#save-state")
    expect(state).not_to_have_text("Saving…")
    assert page.locator("#form-error").is_hidden(), page.locator("#form-error").inner_text()
    expect(state).to_contain_text("Saved (revision")


CALL_API = """async ([method, path, body]) => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const reply = await fetch("/api/v1" + path, {
    method,
    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
    body: body === null ? undefined : JSON.stringify(body),
  });
  return [reply.status, reply.status === 204 ? null : await reply.json()];
}"""


def call_api(page: Page, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """Call the JSON API under /api/v1 from the signed-in page (its session and CSRF token)."""
    status, data = page.evaluate(CALL_API, [method, path, body])
    return int(status), data


# Pastes text into the API endpoint as a person does (a ClipboardEvent with the text).
PASTE = """(text) => {
  const data = new DataTransfer();
  data.setData("text/plain", text);
  const url = document.getElementById("url");
  url.focus();
  const options = {clipboardData: data, bubbles: true, cancelable: true};
  url.dispatchEvent(new ClipboardEvent("paste", options));
}"""
