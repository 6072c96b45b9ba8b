"""OpenAPI import in the builder: a document's operation fills the form, its answer's fields
become custom variables with a click, and the webhook runs and maps before it is saved."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.upstream import Upstream
from tests.web.conftest import Site
from tests.web.helpers import builder_ready, save, section, sign_in
from tests.web.shop import SHOP_TOKEN

SHOP_API = """
openapi: 3.0.3
info: {title: Shop, version: "1"}
servers:
  - url: "%s/shop/{env}"
    variables:
      env: {default: staging, enum: [staging, live]}
security: [{shopToken: []}]
paths:
  /orders:
    get: {operationId: listOrders, summary: All orders, responses: {"200": {description: ok}}}
  /orders/{order}:
    get:
      operationId: getOrder
      summary: One order
      parameters: [{name: order, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: The order
          content:
            application/json:
              schema:
                type: object
                properties:
                  order:
                    type: object
                    properties:
                      status: {type: string}
                      items:
                        type: array
                        items: {type: object, properties: {name: {type: string}}}
                  authorized: {type: boolean}
components:
  securitySchemes:
    shopToken: {type: http, scheme: bearer}
"""


def test_an_openapi_operation_fills_the_form_and_offers_the_answers_fields(
    page: Page, site: Site, shop: Upstream, artifacts: Path
) -> None:
    sign_in(page, site, site.agency_admin)
    page.get_by_role("link", name="Create from scratch").click()
    builder_ready(page)
    page.get_by_label("Assign to").select_option("acme")
    page.get_by_text("Import OpenAPI").click()
    document = page.get_by_label("OpenAPI document")

    # A Swagger 2 file is refused with the reason; the form is left as it was.
    document.set_input_files(
        files=[{"name": "old.yaml", "mimeType": "text/yaml", "buffer": b"swagger: '2.0'\n"}]
    )
    expect(page.locator("#form-error")).to_contain_text("OpenAPI 3")
    expect(page.get_by_label("API endpoint", exact=True)).to_have_value("")

    text = (SHOP_API % shop.url("")).encode()
    document.set_input_files(files=[{"name": "shop.yaml", "mimeType": "text/yaml", "buffer": text}])
    status = page.locator("#openapi-status")
    expect(status).to_contain_text("2 operations found")
    page.get_by_label("Operation").select_option("getOrder")
    page.get_by_role("button", name="Fill the form").click()
    expect(status).to_contain_text("Imported GET")
    expect(page.get_by_label("API endpoint", exact=True)).to_have_value(
        shop.url("/shop/{{ env }}/orders/{{ order }}")
    )
    expect(page.get_by_label("env", exact=True)).to_have_value("staging")
    expect(page.get_by_label("Name", exact=True)).to_have_value("One order")
    auth = section(page, "Authentication")
    expect(auth.get_by_label("Type of authentication")).to_have_value("bearer")
    auth.get_by_label("Token").fill(SHOP_TOKEN)

    page.get_by_role("button", name="Add orderStatus ← response.order.status").click()
    page.get_by_role("button", name="Add authorized ← response.authorized").click()
    variables = section(page, "Custom Variables")
    expect(variables.get_by_label("Custom variable 1 name")).to_have_value("orderStatus")
    expect(variables.get_by_label("Custom variable 2 Response Mapper")).to_have_value(
        "response.authorized"
    )

    page.get_by_label("Sample conversation data (JSON)").fill('{"order": "1042"}')
    page.get_by_role("button", name="Run webhook").click()
    expect(page.get_by_test_id("run-status")).to_have_text("HTTP 200")
    rows = variables.locator("tbody tr")
    expect(rows.nth(0).locator("[data-outcome]")).to_have_text("shipped")
    expect(rows.nth(1).locator("[data-outcome]")).to_have_text("true")
    assert shop.received[-1]["path"] == "/shop/staging/orders/1042"
    save(page)
    page.screenshot(path=str(artifacts / "openapi-import.png"), full_page=True)


def test_a_document_loads_from_its_url(page: Page, site: Site, shop: Upstream) -> None:
    shop.scripted["shop-api"] = (200, "application/yaml", (SHOP_API % shop.url("")).encode())
    sign_in(page, site, site.agency_admin)
    page.get_by_role("link", name="Create from scratch").click()
    builder_ready(page)
    page.get_by_text("Import OpenAPI").click()
    page.get_by_label("or its URL").fill(shop.url("/scripted/shop-api"))
    page.get_by_role("button", name="Load", exact=True).click()
    expect(page.locator("#openapi-status")).to_contain_text("2 operations found")
    page.get_by_role("button", name="Fill the form").click()
    expect(page.get_by_label("API endpoint", exact=True)).to_have_value(
        shop.url("/shop/{{ env }}/orders")
    )
    page.get_by_label("or its URL").fill(shop.url("/status/404"))
    page.get_by_role("button", name="Load", exact=True).click()
    expect(page.locator("#form-error")).to_contain_text("HTTP 404")
