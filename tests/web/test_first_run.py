"""A new user's first walk through the product: start `hooksmith serve`, sign in with the
printed demo account, create a webhook from scratch, run it against the built-in echo endpoint
and map two custom variables by clicking values of the response; then the same walk starting
from a cURL command pasted into the API endpoint."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import stop
from tests.web.helpers import PASTE, builder_ready, section

BODY = '{"order": "{{ orderNumber }}", "customer": "{{ fb.firstName }}"}'
PRINTED = re.compile(
    r"open\s+(?P<url>http://\S+)\s+email\s+(?P<email>\S+)\s+password\s+(?P<password>\S+)"
)


@dataclass(frozen=True)
class FirstStart:
    """What `hooksmith serve` printed on its first start."""

    url: str
    email: str
    password: str


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_first_start(process: subprocess.Popen[bytes], log: Path) -> FirstStart:
    """Poll the server's output until it printed the demo account and its URL answers."""
    deadline = time.monotonic() + 40
    printed = None
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"hooksmith serve exited early:\n{log.read_text()}")
        if printed is None:
            found = PRINTED.search(log.read_text())
            if found:
                printed = FirstStart(**found.groupdict())
        if printed is not None:
            try:
                with urllib.request.urlopen(printed.url + "/login", timeout=2) as reply:
                    if reply.status == 200:
                        return printed
            except (urllib.error.URLError, OSError):
                pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"hooksmith serve did not get ready in 40 s:\n{log.read_text()}")
        time.sleep(0.05)


@pytest.fixture
def first_start(tmp_path: Path) -> Iterator[FirstStart]:
    """`python -m hooksmith serve` on a fresh var dir, no egress exemptions configured."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("HOOKSMITH_")}
    env |= {"HOOKSMITH_VAR_DIR": str(tmp_path / "var"), "PYTHONUNBUFFERED": "1"}
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "hooksmith", "serve", "--port", str(_free_port())]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        yield _wait_for_first_start(process, log)
    finally:
        stop(process)


def run_for_real(page: Page) -> None:
    page.get_by_role("button", name="Run webhook").click()
    dialog = page.get_by_role("dialog", name="This will really change data")
    expect(dialog).to_be_visible()
    with page.expect_response(lambda response: response.url.endswith("/drafts/run")):
        dialog.get_by_role("button", name="Run it for real").click()


def sign_in_and_start(page: Page, first_start: FirstStart) -> None:
    page.goto(first_start.url)
    expect(page.get_by_role("heading", name="Sign in to hooksmith")).to_be_visible()
    page.get_by_label("Email").fill(first_start.email)
    page.get_by_label("Password").fill(first_start.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()

    page.get_by_role("link", name="Create from scratch").click()
    expect(page.get_by_role("heading", name="Create a webhook from scratch")).to_be_visible()
    builder_ready(page)
    page.get_by_label("Name", exact=True).fill("Where is my order")


def run_map_save_and_reload(page: Page, screenshot: Path) -> None:
    """Run against the echo endpoint, map two values by clicking them, save, and find both
    variables again on the webhook's page."""
    sample = page.get_by_label("Sample conversation data (JSON)")
    expect(sample).to_have_value(re.compile(r'"orderNumber": "1042"'))
    expect(sample).to_have_value(re.compile(r'"firstName": "Ana"'))

    run_for_real(page)
    expect(page.get_by_test_id("run-status")).to_have_text("HTTP 200")
    expect(page.locator("#run-result .alert")).to_have_count(0)
    sent = page.get_by_test_id("request-as-sent")
    expect(sent).to_contain_text("/echo/orders/1042")
    tree = page.get_by_label("Response body")
    order = tree.get_by_role("button", name='"1042": map response.body.order into', exact=False)
    customer = tree.get_by_role("button", name='"Ana": map response.body.customer', exact=False)
    expect(order).to_be_visible()
    expect(customer).to_be_visible()

    order.click()
    customer.click()
    variables = section(page, "Custom Variables")
    rows = variables.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(variables.get_by_label("Custom variable 1 name")).to_have_value("order")
    expect(variables.get_by_label("Custom variable 1 Response Mapper")).to_have_value(
        "response.body.order"
    )
    expect(variables.get_by_label("Custom variable 2 name")).to_have_value("customer")
    expect(variables.get_by_label("Custom variable 2 Response Mapper")).to_have_value(
        "response.body.customer"
    )

    run_for_real(page)  # runs the form as it is: nothing is saved until Save
    expect(page.get_by_test_id("run-status")).to_have_text("HTTP 200")
    expect(rows.nth(0).locator("[data-outcome]")).to_have_text("1042")
    expect(rows.nth(1).locator("[data-outcome]")).to_have_text("Ana")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#save-state")).to_contain_text("Saved (revision 1)")
    page.screenshot(path=str(screenshot), full_page=True)

    # Both variables are stored: the list shows the webhook, and its page shows them again.
    page.get_by_role("link", name="Webhooks", exact=True).first.click()
    page.get_by_role("link", name="Where is my order").click()
    expect(variables.get_by_label("Custom variable 1 name")).to_have_value("order")
    expect(variables.get_by_label("Custom variable 2 name")).to_have_value("customer")


def test_a_new_user_maps_two_custom_variables_from_the_echo_endpoint(
    page: Page, first_start: FirstStart, artifacts: Path
) -> None:
    sign_in_and_start(page, first_start)
    page.get_by_label("HTTP request method", exact=True).select_option("POST")
    page.get_by_label("API endpoint", exact=True).fill(
        first_start.url + "/echo/orders/{{ orderNumber }}"
    )
    page.get_by_label("Request body", exact=False).fill(BODY)
    run_map_save_and_reload(page, artifacts / "first-run-flow.png")


def test_the_same_walk_starts_from_a_pasted_curl_command(
    page: Page, first_start: FirstStart, artifacts: Path
) -> None:
    sign_in_and_start(page, first_start)
    command = (
        f"curl -X POST '{first_start.url}/echo/orders/{{{{ orderNumber }}}}' "
        f"-H 'Content-Type: application/json' --data-raw '{BODY}'"
    )
    page.evaluate(PASTE, command)
    expect(page.locator("#curl-status")).to_contain_text("Imported from cURL: POST")
    expect(page.get_by_label("HTTP request method", exact=True)).to_have_value("POST")
    expect(page.get_by_label("Request body", exact=False)).to_have_value(BODY)
    run_map_save_and_reload(page, artifacts / "first-run-from-curl.png")
