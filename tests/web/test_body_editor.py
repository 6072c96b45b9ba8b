"""The body editor: JSON and Jinja highlighted as typed, and completion of the names a body can
use (`certainly.*`, `fb.*`, Context keys, custom variables, the sample's names)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.upstream import Upstream
from tests.web.conftest import Site
from tests.web.helpers import add_row, builder_ready, save, sign_in


def open_new_builder(page: Page, site: Site) -> None:
    sign_in(page, site, site.acme_user)
    page.goto(site.url("/webhooks/new"))
    builder_ready(page)


def names(page: Page) -> list[str]:
    options = page.get_by_role("listbox", name="Completions").get_by_role("option")
    return [text.split()[0] for text in options.all_inner_texts()]


def test_typing_certainly_dot_offers_its_names_and_choosing_one_inserts_it(
    page: Page, site: Site, artifacts
) -> None:
    open_new_builder(page, site)
    body = page.get_by_label("Request body", exact=False)
    body.click()
    page.keyboard.type('{"session": "{{ certainly.')

    offered = page.get_by_role("listbox", name="Completions")
    expect(offered).to_be_visible()
    expect(offered.get_by_role("option").first).to_contain_text("sessionId")
    for name in ("sessionId", "replyData", "extractedData", "botTrainedModelId", "moduleId"):
        assert name in names(page) or f"{name}." in names(page)
    page.keyboard.type("bot")
    assert names(page) == ["botId", "botDeploymentId", "botTrainedModelId"]
    page.keyboard.press("ArrowDown")
    expect(offered.get_by_role("option", selected=True)).to_contain_text("botDeploymentId")
    page.screenshot(path=str(artifacts / "editor-completion.png"))
    page.keyboard.press("Enter")

    expect(body).to_have_value('{"session": "{{ certainly.botDeploymentId')
    expect(offered).to_be_hidden()
    page.keyboard.press("Control+z")  # the insertion is an edit the browser can undo
    expect(body).to_have_value('{"session": "{{ certainly.bot')
    page.keyboard.press("Escape")
    page.keyboard.press("Control+Shift+z")
    expect(body).to_have_value('{"session": "{{ certainly.botDeploymentId')
    page.keyboard.press("Escape")
    page.keyboard.type(' }}", "name": "{{ fb.')
    offered.get_by_role("option", name=re.compile("^firstName")).click()
    expect(body).to_have_value(
        '{"session": "{{ certainly.botDeploymentId }}", "name": "{{ fb.firstName'
    )
    expect(body).to_be_focused()
    page.keyboard.type(' }}"}')
    expect(offered).to_be_hidden()
    expect(page.locator("#save-state")).to_have_text("Unsaved changes")


def test_context_keys_custom_variables_and_the_sample_are_offered(
    page: Page, site: Site, shop: Upstream
) -> None:
    open_new_builder(page, site)
    page.get_by_label("API endpoint", exact=True).fill(shop.url("/echo/{{ tenant }}"))
    add_row(page, "Custom Variables", "+ Add custom variable", "orderStatus", "response.status")
    body = page.get_by_label("Request body", exact=False)
    body.click()

    page.keyboard.type("{{ ")
    offered = names(page)
    assert offered[:2] == ["certainly.", "fb."]
    assert {"tenant", "orderStatus", "orderNumber", "userName"} <= set(offered)
    details = (
        page.get_by_role("listbox", name="Completions").get_by_role("option").all_inner_texts()
    )
    assert any(re.match(r"^tenant\s+Context$", text) for text in details), details
    assert any(re.match(r"^orderStatus\s+Custom variable$", text) for text in details), details

    page.keyboard.type("ord")
    assert names(page) == ["orderStatus", "orderNumber"]
    page.keyboard.press("Escape")
    expect(page.get_by_role("listbox", name="Completions")).to_be_hidden()
    page.keyboard.type(" }} {% ")
    assert names(page)[:3] == ["if", "elif", "else"]
    page.keyboard.press("Enter")
    page.keyboard.type("cert")
    page.keyboard.press("Tab")  # "certainly" has members: they are offered next
    expect(body).to_have_value("{{ ord }} {% if certainly.")
    page.keyboard.type("customVariables.")
    assert names(page)[0] == "orderStatus"


def test_json_and_jinja_are_highlighted_and_the_text_saves_unchanged(
    page: Page, site: Site, shop: Upstream, artifacts
) -> None:
    open_new_builder(page, site)
    page.get_by_label("Name", exact=True).fill("Highlighted body")
    page.get_by_label("API endpoint", exact=True).fill(shop.url("/echo"))
    text = (
        '{\n  "id": {{ certainly.sessionId | tojson }}, // the conversation\n'
        '  "first": "{{ fb.firstName }}",\n'
        '  "vip": {% if certainly.extractedData is defined %}true{% else %}false{% endif %},\n'
        '  "count": 3\n}'
    )
    body = page.get_by_label("Request body", exact=False)
    body.fill(text)
    layer = page.locator("#body-editor .highlight")

    expect(layer).to_have_text(text + " ")
    expect(layer.locator(".tok-string").first).to_have_text('"id"')
    expect(layer.locator(".tok-var")).to_have_text(["certainly", "fb", "certainly"])
    expect(layer.locator(".tok-prop")).to_have_text(["sessionId", "firstName", "extractedData"])
    expect(layer.locator(".tok-filter")).to_have_text(["tojson"])
    expect(layer.locator(".tok-keyword")).to_have_text(["if", "is", "defined", "else", "endif"])
    expect(layer.locator(".tok-comment")).to_have_text(["// the conversation"])
    expect(layer.locator(".tok-number")).to_have_text(["3"])
    expect(layer.locator(".tok-literal")).to_have_text(["true", "false"])
    # The layer's text lies exactly under the textarea's (which is drawn transparent).
    boxes = page.evaluate(
        """() => ["#body", "#body-editor .highlight"].map((selector) => {
            const box = document.querySelector(selector).getBoundingClientRect();
            return [box.x, box.y, box.width];
        })"""
    )
    assert boxes[0] == boxes[1], boxes
    expect(body).to_have_css("color", "rgba(0, 0, 0, 0)")
    page.locator("#section-body").screenshot(path=str(artifacts / "editor-highlight.png"))

    save(page)
    page.reload()
    builder_ready(page)
    expect(body).to_have_value(text)
    expect(layer.locator(".tok-filter")).to_have_text(["tojson"])
