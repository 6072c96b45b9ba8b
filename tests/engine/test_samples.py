"""`Engine.answer`: a sample answer read through the same response path as a real one, with
nothing sent (the URL is one the egress guard would refuse, so a send would fail)."""

from __future__ import annotations

from hooksmith.engine import EgressPolicy, Engine, SampleAnswer
from tests.factories import make_webhook

JSON = (("Content-Type", "application/json"),)
# Refused by the default guard: were anything sent, the result would be `egress_blocked`.
NOWHERE = "http://127.0.0.1:9/tickets/{{ ticketId }}"


async def test_a_sample_maps_the_variables_as_the_api_answer_would() -> None:
    hook = make_webhook(
        url=NOWHERE,
        custom_variables=[
            {"name": "state", "mapper": "response.ticket.state"},
            {"name": "who", "mapper": "userName"},
            {"name": "etag", "mapper": "headers.etag"},
            {"name": "eta", "mapper": "response.ticket.eta", "default": "soon"},
        ],
        success_condition="response.ticket.state != 'closed'",
    )
    sample = SampleAnswer(200, (*JSON, ("ETag", "v7")), b'{"ticket": {"state": "open"}}')
    async with Engine(policy=EgressPolicy()) as engine:
        result = await engine.answer(hook, {"ticketId": 7, "userName": "Ana"}, sample)
    assert result.ok, result.error
    assert result.mock is True
    assert result.custom_variables == {"state": "open", "who": "Ana", "etag": "v7", "eta": "soon"}
    assert result.request is not None
    assert result.request.url == "http://127.0.0.1:9/tickets/7"  # rendered, not sent
    assert result.attempts == []
    assert any("not sent" in warning for warning in result.warnings)


async def test_a_sample_meets_the_success_condition_and_status_rules_of_a_real_answer() -> None:
    hook = make_webhook(
        url=NOWHERE,
        custom_variables=[{"name": "state", "mapper": "response.ticket.state"}],
        success_condition="response.ticket.state != 'closed'",
    )
    closed = SampleAnswer(200, JSON, b'{"ticket": {"state": "closed"}}')
    missing = SampleAnswer(404, JSON, b'{"ticket": {"state": "gone"}}')
    broken = SampleAnswer(200, JSON, b"{not json")
    async with Engine(policy=EgressPolicy()) as engine:
        unmet = await engine.answer(hook, {"ticketId": 1}, closed)
        not_found = await engine.answer(hook, {"ticketId": 1}, missing)
        unparsed = await engine.answer(hook, {"ticketId": 1}, broken)
    assert unmet.error is not None
    assert (unmet.error.kind, unmet.error.field) == ("http_error", "success_condition")
    assert not_found.error is not None
    assert not_found.error.kind == "http_error"
    assert not_found.custom_variables == {"state": "gone"}  # mapped, as on a real 404
    assert unparsed.error is not None
    assert unparsed.error.kind == "invalid_response"
    assert all(r.mock for r in (unmet, not_found, unparsed))


async def test_an_xml_sample_is_parsed_as_xml() -> None:
    hook = make_webhook(
        url=NOWHERE,
        response_type="xml",
        custom_variables=[{"name": "id", "mapper": "response.order.id"}],
    )
    sample = SampleAnswer(200, (("Content-Type", "application/xml"),), b"<order><id>7</id></order>")
    async with Engine(policy=EgressPolicy()) as engine:
        result = await engine.answer(hook, {"ticketId": 1}, sample)
    assert result.ok, result.error
    assert result.custom_variables == {"id": "7"}


async def test_no_sample_fails_clearly_with_the_defaults_and_a_render_error_comes_first() -> None:
    hook = make_webhook(
        url=NOWHERE,
        custom_variables=[{"name": "eta", "mapper": "response.eta", "default": "soon"}],
    )
    async with Engine(policy=EgressPolicy()) as engine:
        missing = await engine.answer(hook, {"ticketId": 1}, None)
        unrendered = await engine.answer(
            make_webhook(url="http://127.0.0.1:9/{{ a.b.c }}", body="{"), {}, None
        )
    assert missing.ok is False
    assert missing.mock is True
    assert missing.error is not None
    assert missing.error.kind == "no_sample"
    assert missing.outcome == "failed"
    assert missing.custom_variables == {"eta": "soon"}
    assert missing.request is not None
    assert unrendered.error is not None
    assert unrendered.error.kind == "render_error"
    assert unrendered.mock is True
