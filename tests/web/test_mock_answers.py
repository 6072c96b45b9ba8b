"""The builder's sample answer: take a run's answer as the sample, edit it, run against it
(the mapped variables show, nothing is sent), and the run history marks mock runs."""

from __future__ import annotations

from pathlib import Path

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
