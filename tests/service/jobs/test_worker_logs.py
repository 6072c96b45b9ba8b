"""`hooksmith worker` with `HOOKSMITH_LOG_FORMAT=json` logs JSON lines, and an async run keeps
the bot's W3C trace through the real job queue to the upstream. (Skipped, saying why, when
PostgreSQL is unreachable.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.api.client import Api
from tests.api.helpers import definition, eventually
from tests.service.jobs.processes import cluster, seed_tenant
from tests.upstream import Upstream

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{TRACE_ID}-b7ad6b7169203331-01"


async def test_a_json_logging_worker_passes_the_bots_trace_on(
    postgres_url: str, tmp_path: Path, upstream: Upstream
) -> None:
    tenant = await seed_tenant(postgres_url)
    with cluster(postgres_url, tmp_path) as running:
        running.env["HOOKSMITH_LOG_FORMAT"] = "json"
        running.start_worker("json")
        async with Api.http() as http:
            client = Api(http, running.base_url, token=tenant.token)
            hook = definition(upstream.url("/echo/orders"), execution="async")
            created = await client.post("/api/v1/webhooks", hook)
            assert created.status == 201, created.text
            headers = {"traceparent": TRACEPARENT, "tracestate": "congo=t61rcWk"}
            path = f"/api/v1/webhooks/{created.body['id']}/execute"
            reply = await client.post(path, {"userName": "Ana"}, headers=headers)
            assert reply.status == 202, reply.text

            async def done() -> dict[str, Any] | None:
                run: dict[str, Any] = (
                    await client.get(f"/api/v1/runs/{reply.body['run_id']}")
                ).body
                return run if run["status"] == "done" else None

            try:
                run = await eventually(done, timeout=30)
            except AssertionError:
                raise AssertionError(running.logs()) from None
        logged = running.log_of("json")
    assert run["ok"] is True, run
    seen = upstream.received[-1]["headers"]
    [sent] = [v for k, v in seen if k.lower() == "traceparent"]
    assert sent.split("-")[1] == TRACE_ID
    assert sent != TRACEPARENT
    assert [v for k, v in seen if k.lower() == "tracestate"] == ["congo=t61rcWk"]
    lines = [json.loads(line) for line in logged.splitlines() if line.strip()]
    assert lines, logged
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    assert any("Starting worker" in line["message"] for line in lines)
