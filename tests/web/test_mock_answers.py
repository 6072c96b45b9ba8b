"""The builder's sample answer: take a run's answer as the sample, edit it, run against it
(the mapped variables show, nothing is sent), and the run history marks mock runs."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.upstream import Upstream
from tests.web.conftest import Site
from tests.web.helpers import builder_ready, call_api, section, sign_in


def test_a_run_answer_becomes_the_sample_and_a_run_against_it_maps_variables(
    page: Page, site: Site, shop: Upstream, artifacts: Path
) -> None:
    sign_in(page, site, site.acme_user)
    status, hook = call_api(
        page,
        "POST",
        "/webhooks",
        {
            "name": "Ticket lookup",
            "method": "GET",
            "url": shop.url("/echo/tickets"),
            "custom_variables": [{"name": "where", "mapper": "response.path"}],
        },
    )
    assert status == 201, hook
    page.goto(site.url(f"/webhooks/{hook['id']}"))
    builder_ready(page)
    panel = section(page, "Sample answer")
    expect(panel.locator("#sample-answer-state")).to_contain_text("No sample answer yet")

    page.get_by_role("button", name="Run webhook").click()
    expect(page.get_by_test_id("run-status")).to_have_text("HTTP 200")
    sent = len(shop.received)
    page.get_by_role("button", name="Use this answer as the sample").click()
    expect(panel.locator("#sample-answer-state")).to_contain_text("taken from run")
    expect(panel.get_by_label("Status")).to_have_value("200")
    assert '"/echo/tickets"' in panel.get_by_label("Body").input_value()

    # Edit the sample as the real API will answer, and design the mapper against it.
    panel.get_by_label("Body").fill('{"path": "/from-the-sample", "id": 7}')
    panel.get_by_role("button", name="Save sample").click()
    expect(panel.locator("#sample-answer-state")).to_contain_text("(typed)")
    panel.get_by_role("button", name="Run against sample").click()
    expect(page.get_by_test_id("run-mock")).to_be_visible()
    expect(
        page.get_by_role("heading", name="Request not sent: answered from the sample")
    ).to_be_visible()
    outcome = section(page, "Custom Variables").locator("[data-outcome]").first
    expect(outcome).to_have_text("/from-the-sample")
    page.screenshot(path=str(artifacts / "mock-answers-builder.png"), full_page=True)
    assert len(shop.received) == sent  # nothing went to the API

    # A bad status names its field and keeps the stored sample.
    panel.get_by_label("Status").fill("42")
    panel.get_by_role("button", name="Save sample").click()
    expect(panel.locator("#sample-status-error")).to_contain_text("status")
    status, stored = call_api(page, "GET", f"/webhooks/{hook['id']}/sample")
    assert (status, stored["status"]) == (200, 200)


def _execute(site: Site, webhook_id: int, token: str) -> dict[str, Any]:
    request = urllib.request.Request(
        site.url(f"/api/v1/webhooks/{webhook_id}/execute"),
        data=json.dumps({"userName": "Ana"}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        answer: dict[str, Any] = json.loads(reply.read())
    return answer


def test_the_mock_switch_and_a_staging_token_answer_from_the_sample_marked_in_the_history(
    page: Page, site: Site, shop: Upstream, artifacts: Path
) -> None:
    sign_in(page, site, site.agency_admin)
    status, hook = call_api(
        page,
        "POST",
        "/webhooks",
        {
            "name": "Order status (staging)",
            "company": "acme",
            "method": "GET",
            "url": shop.url("/echo/orders"),
            "custom_variables": [{"name": "state", "mapper": "response.state"}],
        },
    )
    assert status == 201, hook
    sample = {"status": 200, "headers": [], "body": '{"state": "shipped"}'}
    assert call_api(page, "PUT", f"/webhooks/{hook['id']}/sample", sample)[0] == 200

    page.goto(site.url("/tokens"))
    page.get_by_role("button", name="Turn on mock answers of Acme Shop").click()
    expect(page.locator('[data-mock-state="acme"]')).to_have_text("Staging answers from samples")
    page.get_by_label("Name", exact=True).fill("staging bot")
    page.get_by_label("For", exact=True).select_option("acme")
    page.get_by_label("Environment", exact=True).select_option("staging")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token").input_value()
    assert token.startswith("hs_")
    row = page.get_by_role("table", name="API tokens").locator("tr", has_text="staging bot")
    expect(row).to_contain_text("staging")

    sent = len(shop.received)
    try:
        answer = _execute(site, hook["id"], token)
        assert answer["mock"] is True
        assert answer["custom_variables"] == {"state": "shipped"}
        assert len(shop.received) == sent

        deadline = time.monotonic() + 20
        while call_api(page, "GET", f"/webhooks/{hook['id']}/runs")[1]["total"] < 1:
            assert time.monotonic() < deadline, "the mock run was not recorded"
            time.sleep(0.1)
        page.goto(site.url(f"/webhooks/{hook['id']}/runs"))
        runs = page.get_by_role("table", name="Runs").locator("tbody tr")
        expect(runs).to_have_count(1)
        expect(runs.first.locator("[data-mock]")).to_have_text("Mock")
        page.screenshot(path=str(artifacts / "mock-answers-history.png"), full_page=True)
        runs.first.get_by_role("link").click()
        expect(
            page.get_by_role("heading", name="Request not sent: answered from the sample")
        ).to_be_visible()
    finally:
        page.goto(site.url("/tokens"))
        page.get_by_role("button", name="Turn off mock answers of Acme Shop").click()
    expect(page.locator('[data-mock-state="acme"]')).to_have_text("Staging sends for real")
    # With the switch off, the same staging token sends.
    assert _execute(site, hook["id"], token)["mock"] is False
    assert len(shop.received) == sent + 1
