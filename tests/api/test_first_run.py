"""The first start: demo data printed once, and an example webhook that works out of the box."""

from __future__ import annotations

from hooksmith.service.bootstrap import first_run_with_settings
from hooksmith.settings import Settings
from tests.api.client import Api
from tests.server import serve_app


async def test_first_run_creates_a_working_demo_once(settings: Settings) -> None:
    with serve_app(settings) as server:
        demo = await first_run_with_settings(settings, base_url=server.base_url)
        assert demo is not None
        assert await first_run_with_settings(settings, base_url=server.base_url) is None
        assert demo.password in demo.message()
        assert demo.token in demo.message()
        async with Api.http() as http:
            machine = Api(http, server.base_url, token=demo.token)
            conversation = {
                "certainly": {"sessionId": "demo-1"},
                "fb": {"firstName": "Ana"},
                "orderNumber": "1042",
            }
            result = await machine.post(f"/api/v1/webhooks/{demo.webhook_id}/execute", conversation)
            assert result.status == 200, result.text
            assert result.body["ok"] is True, result.body
            assert result.body["custom_variables"] == {
                "order_number": "1042",
                "customer_name": "Ana",
            }
            assert result.body["response"]["body"]["path"] == "/echo/orders/1042"
            person = Api(http, server.base_url)
            assert (await person.login(demo.email, demo.password)).status == 200
            assert (await person.get("/api/v1/me")).body["is_admin"] is True


async def test_echo_answers_with_the_request_minus_credentials(settings: Settings) -> None:
    with serve_app(settings) as server:
        async with Api.http() as http:
            async with http.put(
                server.url("/echo/a/b?x=1"),
                json={"k": [1, 2]},
                headers={"Authorization": "Bearer s3cret", "X-Trace": "t"},
            ) as response:
                body = await response.json()
    assert body["method"] == "PUT"
    assert body["path"] == "/echo/a/b"
    assert body["query"] == {"x": "1"}
    assert body["body"] == {"k": [1, 2]}
    assert body["headers"]["x-trace"] == "t"
    assert "authorization" not in body["headers"]
