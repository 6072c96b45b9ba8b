"""Company secrets and variables in the engine: where they may stand, how they render, where
their requests may go, and that no result shows a secret."""

from __future__ import annotations

import pytest

from hooksmith.engine import (
    CompanySecret,
    CompanyValues,
    RendererPool,
    references,
    template_problems,
)
from hooksmith.engine.company import host_allowed
from tests.factories import loopback_engine, make_webhook
from tests.token_endpoint import CLIENT_ID, CLIENT_SECRET, TokenEndpoint
from tests.upstream import Upstream

KEY = "ck-engine-test-key-5512"


def _values(hosts: tuple[str, ...] = ("127.0.0.1",), **variables: str) -> CompanyValues:
    return CompanyValues(
        secrets={"KEY": CompanySecret(KEY, hosts), "PASS": CompanySecret("pw-engine-77", hosts)},
        variables=variables,
    )


def test_references_name_each_secret_and_variable_with_the_first_field_naming_it() -> None:
    hook = make_webhook(
        url="https://{{ vars.REGION }}.api.example.com/x",
        headers=[{"key": "X-Key", "value": "{{ secrets.KEY }}"}],
        params=[{"key": "k", "value": "{{ secrets.KEY }}"}],
        auth={"type": "basic", "username": "{{ vars.USER }}", "password": "{{ secrets.PASS }}"},
        body='{"env": "{{ vars.REGION }}"}',
    )
    found = references(hook)
    assert dict(found.secrets) == {"PASS": "auth.password", "KEY": "params[0].value"}
    assert dict(found.variables) == {"USER": "auth.username", "REGION": "url"}
    assert not references(make_webhook(body='{"note": "no secrets or vars here"}'))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"body": '{"k": "{{ secrets.KEY }}"}'}, "body"),
        ({"body": '{"k": {{ secrets | tojson }}}'}, "body"),
        (
            {"custom_variables": [{"name": "v", "mapper": "secrets.KEY"}]},
            "custom_variables[0].mapper",
        ),
        ({"success_condition": "secrets.KEY == 'x'"}, "success_condition"),
        ({"headers": [{"key": "X", "value": "{{ secrets[name] }}"}]}, "headers[0].value"),
    ],
)
def test_a_secret_where_it_may_not_stand_is_a_problem_of_its_field(
    overrides: dict[str, object], field: str
) -> None:
    problems = template_problems(make_webhook(**overrides))
    assert field in [where for where, _ in problems], problems


def test_a_mention_of_the_word_in_text_is_no_problem() -> None:
    hook = make_webhook(body='{"note": "our secrets are safe"}', url="https://x.io/{{ vars.A }}")
    assert template_problems(hook) == []


def test_allowed_hosts_match_exactly_or_below_a_wildcard() -> None:
    assert host_allowed("API.example.com.", ("api.example.com",))
    assert host_allowed("eu.api.example.com", ("*.example.com",))
    assert not host_allowed("example.com", ("*.example.com",))
    assert not host_allowed("evil-example.com", ("*.example.com",))
    assert not host_allowed("api.example.com.evil.io", ("api.example.com",))


async def test_secrets_render_in_url_params_headers_and_auth_and_are_redacted(
    upstream: Upstream,
) -> None:
    hook = make_webhook(
        url=upstream.url("/echo/{{ vars.PATH }}") + "?k={{ secrets.KEY }}",
        headers=[{"key": "X-Key", "value": "{{ secrets.KEY }}"}],
        params=[{"key": "p", "value": "{{ secrets.KEY }}"}],
        auth={"type": "basic", "username": "bot", "password": "{{ secrets.PASS }}"},
        custom_variables=[{"name": "echoed", "mapper": "response.headers"}],
    )
    async with loopback_engine() as engine:
        result = await engine.execute(hook, {}, values=_values(PATH="v1"))
    assert result.ok, result.error
    seen = upstream.received[-1]
    assert seen["path"] == "/echo/v1"
    assert seen["query"] == [("k", KEY), ("p", KEY)]
    assert ("X-Key", KEY) in seen["headers"]
    shown = result.model_dump_json()
    assert KEY not in shown
    assert "pw-engine-77" not in shown
    assert result.request is not None
    assert "[redacted]" in result.request.url


async def test_a_redirect_to_a_host_the_secret_does_not_allow_is_refused(
    upstream: Upstream,
) -> None:
    elsewhere = f"http://localhost:{upstream.port}/echo/elsewhere"
    hook = make_webhook(
        url=upstream.url("/redirect") + f"?to={elsewhere}",
        headers=[{"key": "X-Key", "value": "{{ secrets.KEY }}"}],
    )
    async with loopback_engine() as engine:
        result = await engine.execute(hook, {}, values=_values())
    assert result.error is not None
    assert result.error.kind == "host_not_allowed"
    assert result.outcome == "blocked"
    assert [seen["path"] for seen in upstream.received] == ["/redirect"]


async def test_an_oauth2_client_secret_from_the_company_goes_only_to_an_allowed_token_host(
    upstream: Upstream, token_endpoint: TokenEndpoint
) -> None:
    auth = {"type": "oauth2", "token_url": token_endpoint.url("/token"), "client_id": CLIENT_ID}
    hook = make_webhook(
        url=upstream.url("/echo"), auth=auth | {"client_secret": "{{ secrets.CLIENT }}"}
    )

    def values(*hosts: str) -> CompanyValues:
        return CompanyValues(secrets={"CLIENT": CompanySecret(CLIENT_SECRET, hosts)})

    async with loopback_engine() as engine:
        refused = await engine.execute(hook, {}, values=values("api.example.com"))
        assert refused.error is not None
        assert refused.error.kind == "host_not_allowed"
        assert token_endpoint.requests == []
        assert upstream.received == []
        assert CLIENT_SECRET not in refused.model_dump_json()
        allowed = await engine.execute(hook, {}, values=values("127.0.0.1"))
    assert allowed.error is None, allowed.error
    assert len(token_endpoint.requests) == 1
    assert CLIENT_SECRET not in allowed.model_dump_json()


async def test_an_unknown_name_is_a_clear_error_and_nothing_is_sent(upstream: Upstream) -> None:
    hook = make_webhook(
        url=upstream.url("/echo"), params=[{"key": "k", "value": "{{ secrets.NO }}"}]
    )
    async with loopback_engine() as engine:
        result = await engine.execute(hook, {})
    assert result.error is not None
    assert result.error.kind == "unknown_secret"
    assert result.error.field == "params[0].value"
    assert upstream.received == []


async def test_the_body_never_sees_a_secret_even_from_a_draft(upstream: Upstream) -> None:
    hook = make_webhook(
        url=upstream.url("/echo"),
        method="POST",
        headers=[{"key": "X-Key", "value": "{{ secrets.KEY }}"}],
        body='{"k": "{{ secrets.KEY }}"}',
    )
    async with loopback_engine() as engine:
        result = await engine.execute(hook, {}, values=_values())
    assert upstream.received[-1]["body"] == '{"k": ""}'
    assert KEY not in result.model_dump_json()


async def test_a_template_rendered_in_a_renderer_process_gets_the_secret(
    upstream: Upstream,
) -> None:
    hook = make_webhook(
        url=upstream.url("/echo"),
        headers=[{"key": "X-Key", "value": "{% for n in [1, 2] %}{{ secrets.KEY }}{% endfor %}"}],
        body='{"v": "{% for n in [1] %}{{ vars.A }}{% endfor %}"}',
        method="POST",
        timeout=60,  # a busy machine starts a renderer process slowly
    )
    pool = RendererPool(processes=1)
    await pool.start()
    async with loopback_engine(renderers=pool) as engine:
        result = await engine.execute(hook, {}, values=_values(A="from-var"))
    assert result.ok, result.error
    seen = upstream.received[-1]
    assert ("X-Key", KEY + KEY) in seen["headers"]
    assert seen["body"] == '{"v": "from-var"}'
    assert KEY not in result.model_dump_json()
