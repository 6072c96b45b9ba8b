"""The builder's new kinds of authentication: each shows its own fields, a save round-trips,
and a saved secret shows as set, never as its value."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.upstream import Upstream
from tests.web.conftest import Site
from tests.web.helpers import builder_ready, call_api, save, section, sign_in

API_KEY = "ak-browser-0123456789"
CLIENT_SECRET = "cs-browser-0123456789"
SIGNING_SECRET = "hs-browser-0123456789"


def new_webhook(page: Page, shop: Upstream, name: str) -> None:
    page.get_by_role("link", name="Create from scratch").click()
    builder_ready(page)
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Assign to").select_option("acme")
    page.get_by_label("API endpoint", exact=True).fill(shop.url("/echo"))


def test_each_kind_shows_its_fields_and_a_save_round_trips(
    page: Page, site: Site, shop: Upstream
) -> None:
    sign_in(page, site, site.agency_admin)
    new_webhook(page, shop, "API key webhook")
    auth = section(page, "Authentication")
    kind = auth.get_by_label("Type of authentication")
    for chosen, shown, hidden in (
        ("api_key", "API key", "OAuth2 endpoint URL"),
        ("oauth2", "OAuth2 endpoint URL", "Signing secret"),
        ("hmac", "Signing secret", "API key"),
    ):
        kind.select_option(chosen)
        expect(auth.get_by_label(shown, exact=True)).to_be_visible()
        expect(auth.get_by_label(hidden, exact=True)).to_be_hidden()
        expect(auth.get_by_label("Username")).to_be_hidden()

    kind.select_option("api_key")
    auth.get_by_label("Send the key in").select_option("header")
    auth.get_by_label("Header or parameter name").fill("X-Api-Key")
    auth.get_by_label("API key", exact=True).fill(API_KEY)
    save(page)
    expect(page).to_have_url(re.compile(r"/webhooks/\d+$"))
    webhook_id = int(page.url.rsplit("/", 1)[1])
    status, view = call_api(page, "GET", f"/webhooks/{webhook_id}")
    assert status == 200
    assert view["auth"] == {
        "type": "api_key",
        "location": "header",
        "name": "X-Api-Key",
        "key_set": True,
    }

    page.reload()
    builder_ready(page)
    auth = section(page, "Authentication")
    expect(auth.get_by_label("Type of authentication")).to_have_value("api_key")
    expect(auth.get_by_label("Header or parameter name")).to_have_value("X-Api-Key")
    expect(auth.get_by_label("API key", exact=True)).to_have_value("")
    expect(auth.get_by_text("An API key is set.")).to_be_visible()
    assert API_KEY not in page.content()

    page.get_by_role("button", name="Run webhook").click()
    sent = page.get_by_test_id("request-as-sent")
    expect(sent).to_contain_text("X-Api-Key")
    expect(sent).not_to_contain_text(API_KEY)
    assert dict(shop.received[-1]["headers"])["X-Api-Key"] == API_KEY


def test_oauth2_and_hmac_fields_are_saved(page: Page, site: Site, shop: Upstream) -> None:
    sign_in(page, site, site.agency_admin)
    new_webhook(page, shop, "OAuth2 webhook")
    auth = section(page, "Authentication")
    auth.get_by_label("Type of authentication").select_option("oauth2")
    auth.get_by_label("OAuth2 endpoint URL").fill("https://auth.example.com/oauth/token")
    auth.get_by_label("Client ID").fill("bot-client")
    auth.get_by_label("Client secret").fill(CLIENT_SECRET)
    auth.get_by_label("Scope (optional)").fill("orders:read")
    auth.get_by_label("Send the client credentials").select_option("body")
    save(page)
    webhook_id = int(page.url.rsplit("/", 1)[1])
    _, view = call_api(page, "GET", f"/webhooks/{webhook_id}")
    assert view["auth"] == {
        "type": "oauth2",
        "token_url": "https://auth.example.com/oauth/token",
        "client_id": "bot-client",
        "scope": "orders:read",
        "audience": None,
        "client_auth": "body",
        "client_secret_set": True,
    }
    expect(auth.get_by_text("A client secret is set.")).to_be_visible()

    auth.get_by_label("Type of authentication").select_option("hmac")
    expect(auth.get_by_label("Signature header")).to_have_value("X-Hooksmith-Signature")
    auth.get_by_label("Signing secret").fill(SIGNING_SECRET)
    auth.get_by_label("Timestamp header").fill("X-Signed-At")
    save(page)
    _, view = call_api(page, "GET", f"/webhooks/{webhook_id}")
    assert view["auth"] == {
        "type": "hmac",
        "signature_header": "X-Hooksmith-Signature",
        "timestamp_header": "X-Signed-At",
        "secret_set": True,
    }
    assert SIGNING_SECRET not in page.content()
