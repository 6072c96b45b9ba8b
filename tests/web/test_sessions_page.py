"""The sessions page: where the person is signed in, and signing out everywhere."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import Site
from tests.web.helpers import sign_in


def test_the_sessions_page_lists_sessions_and_signs_out_everywhere(
    browser: Browser, page: Page, site: Site
) -> None:
    other = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        phone = other.new_page()
        sign_in(phone, site, site.bolt_user)
        sign_in(page, site, site.bolt_user)

        page.get_by_role("link", name="Sessions", exact=True).click()
        expect(page.get_by_role("heading", name="Sessions", exact=True)).to_be_visible()
        listed = page.get_by_role("table", name="Sessions")
        rows = listed.locator("tbody tr")
        assert rows.count() >= 2
        current = listed.locator("tr[aria-current='true']")
        expect(current).to_have_count(1)
        expect(current).to_contain_text("this one")
        expect(current).to_contain_text("127.0.0.1")
        expect(current).to_contain_text("Chrome")
        expect(page.get_by_text("after 12 hours without use")).to_be_visible()

        page.get_by_role("button", name="Sign out everywhere").click()
        expect(page.get_by_role("heading", name="Sign in to hooksmith")).to_be_visible()
        page.goto(site.url("/sessions"))
        expect(page).to_have_url(re.compile(r"/login\?next=/sessions$"))
        phone.goto(site.url("/webhooks"))
        expect(phone).to_have_url(re.compile(r"/login"))
    finally:
        other.close()


def test_sign_out_everywhere_needs_the_forms_token(page: Page, site: Site) -> None:
    sign_in(page, site, site.acme_user)
    refused = page.request.post(site.url("/sessions/end-all"), form={"csrf_token": "forged"})
    assert refused.status == 403
    page.goto(site.url("/sessions"))
    expect(page.get_by_role("heading", name="Sessions", exact=True)).to_be_visible()


FORM_POSTS = [
    "/tokens",
    "/tokens/1/revoke",
    "/companies/acme/mock",
    "/sessions/end-all",
    "/secrets/acme/secrets",
    "/secrets/acme/secrets/KEY/delete",
    "/secrets/acme/variables",
    "/secrets/acme/variables/KEY/delete",
    "/webhooks/1/revisions/1/restore",
    "/webhooks/1/save-as-template",
    "/templates/x/use",
    "/webhooks/1/template/apply",
]


def test_every_form_post_needs_the_forms_token(page: Page, site: Site) -> None:
    sign_in(page, site, site.acme_user)
    for path in FORM_POSTS:
        refused = page.request.post(site.url(path), form={"csrf_token": "forged", "name": "x"})
        assert refused.status == 403, (path, refused.status, refused.text()[:200])
        missing = page.request.post(site.url(path), form={"name": "x"})
        assert missing.status == 403, (path, missing.status)
    page.goto(site.url("/sessions"))  # still signed in: nothing was ended
    expect(page.get_by_role("heading", name="Sessions", exact=True)).to_be_visible()
