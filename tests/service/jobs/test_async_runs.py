"""Asynchronous execution over HTTP: 202 then the result by id, signed callbacks retried until
acknowledged, runs taken up again after a restart, and the per-company limits (429).

On SQLite the server runs async webhooks in-process; on PostgreSQL (HOOKSMITH_TEST_DATABASE_URL)
the same tests go through the real job queue, worked by the server's embedded worker.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from hooksmith.service.callback_secrets import derived_key
from hooksmith.service.jobs.callbacks import RUN_HEADER, SIGNATURE_HEADER, verify
from hooksmith.service.jobs.queue import QueueDispatcher, build_queue
from hooksmith.settings import Settings
from hooksmith.store import create_pool, db_opener
from hooksmith.store.async_runs import AsyncRunRepository
from tests.api.client import Api
from tests.api.conftest import ApiFactory, World
from tests.api.helpers import definition, eventually
from tests.server import serve_app
from tests.service.jobs.conftest import CALLBACK_SECRET
from tests.service.jobs.receiver import Receiver

WEBHOOKS = "/api/v1/webhooks"
CONVERSATION = {"certainly": {"sessionId": "s-9"}, "orderNumber": "77", "userName": "Ana"}


@pytest.fixture(autouse=True)
def _acme_signs_with_its_own_key(receiver: Receiver, world: World) -> None:
    """acme's callbacks are signed with a key of acme's own (derived, before any rotation)."""
    receiver.secret = derived_key(CALLBACK_SECRET.encode(), world.tenants.acme.id)


async def _async_hook(client: Api, url: str, **overrides: Any) -> dict[str, Any]:
    reply = await client.post(WEBHOOKS, definition(url, execution="async", **overrides))
    assert reply.status == 201, reply.text
    body: dict[str, Any] = reply.body
    return body


async def _accepted_only(
    settings: Settings, world: World, hook: dict[str, Any], *, callback_url: str | None = None
) -> str:
    """Store a run as the execute endpoint does, without handing it to anyone; its id."""
    database = create_pool(settings.resolved_database_url())
    try:
        async with db_opener(database)() as db:
            row = await AsyncRunRepository(db).accept(
                webhook_id=hook["id"],
                company_id=world.tenants.acme.id,
                webhook_revision=1,
                conversation=CONVERSATION,
                session_id="s-9",
                callback_url=callback_url,
            )
            await db.commit()
            return row.id
    finally:
        await database.dispose()


async def _done(client: Api, run_id: str, timeout: float = 15.0) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        run: dict[str, Any] = (await client.get(f"/api/v1/runs/{run_id}")).body
        assert run["status"] in {"pending", "running", "done"}
        return run if run["status"] == "done" else None

    return await eventually(check, timeout=timeout)


async def test_202_then_the_result_by_id_with_the_run_as_idempotency_key(
    api: ApiFactory, world: World, receiver: Receiver
) -> None:
    client = await api(token=world.acme.token)
    hook = await _async_hook(client, receiver.url("/work"))
    reply = await client.post(f"{WEBHOOKS}/{hook['id']}/execute", CONVERSATION)
    assert reply.status == 202, reply.text
    assert reply.body["status"] == "pending"

    run = await _done(client, reply.body["run_id"])
    assert run["ok"] is True
    assert run["result"]["response"]["body"]["done"] == reply.body["run_id"]
    assert receiver.keys == {reply.body["run_id"]: 1}


async def test_the_callback_is_signed_and_retried_until_acknowledged(
    api: ApiFactory, world: World, receiver: Receiver
) -> None:
    receiver.fail_first = 1
    client = await api(token=world.acme.token)
    hook = await _async_hook(client, receiver.url("/work"))
    run_id = await _accepted_with_callback(client, hook, receiver)

    async def delivered() -> dict[str, Any] | None:
        return receiver.callbacks.get(run_id)

    body = await eventually(delivered, timeout=15)
    assert len(receiver.attempts) == 2  # the 500, then the acknowledged retry
    assert all(attempt["valid"] for attempt in receiver.attempts)
    assert receiver.attempts[1]["headers"][RUN_HEADER] == run_id
    assert body["ok"] is True
    assert body["run_id"] == run_id

    async def recorded() -> dict[str, Any] | None:
        run: dict[str, Any] = (await client.get(f"/api/v1/runs/{run_id}")).body
        return run if run["callback_status"] == "delivered" else None

    run = await eventually(recorded)
    assert run["callback_attempts"] == 2
    assert run["callback_error"] is None


async def test_a_callback_url_must_be_http_and_only_for_async_webhooks(
    api: ApiFactory, world: World, receiver: Receiver
) -> None:
    client = await api(token=world.acme.token)
    hook = await _async_hook(client, receiver.url("/work"))
    bad = await client.post(
        f"{WEBHOOKS}/{hook['id']}/execute", CONVERSATION, params={"callback_url": "ftp://x/"}
    )
    assert bad.status == 422
    assert bad.body["error"]["field"] == "callback_url"

    reply = await client.post(WEBHOOKS, definition(receiver.url("/work")))
    sync = await client.post(
        f"{WEBHOOKS}/{reply.body['id']}/execute",
        CONVERSATION,
        params={"callback_url": receiver.url("/callback")},
    )
    assert sync.status == 422
    assert "only an async webhook" in sync.body["error"]["message"]
    assert receiver.upstream_calls == 0


@pytest.mark.parametrize(
    ("callback_url", "words"),
    [
        ("http://example.com/cb\r\nX-Injected: 1", "control characters"),
        ("http://example.com/a b", "without spaces"),
        ("http://user:pw@example.com/cb", "user name or password"),
        ("http://169.254.169.254/latest", "link-local"),
        ("http://10.0.0.7/cb", "private"),
        ("http://0xa9fea9fe/cb", "link-local"),
        ("http://localhost./cb", "special-use name"),
        ("http://hooks.internal/cb", "special-use name"),
        ("http://example.com:99999/cb", "not a valid URL"),
        ("https://" + "a" * 2000 + ".example", "2000 characters"),
    ],
)
async def test_a_bad_callback_url_is_refused_at_accept_and_nothing_is_queued(
    api: ApiFactory, world: World, receiver: Receiver, callback_url: str, words: str
) -> None:
    client = await api(token=world.acme.token)
    hook = await _async_hook(client, receiver.url("/work"))
    bad = await client.post(
        f"{WEBHOOKS}/{hook['id']}/execute", CONVERSATION, params={"callback_url": callback_url}
    )
    assert bad.status == 422, bad.text
    assert bad.body["error"]["field"] == "callback_url"
    assert words in bad.body["error"]["message"]
    runs = await client.get(f"{WEBHOOKS}/{hook['id']}/runs")
    assert runs.body["total"] == 0
    assert receiver.upstream_calls == 0


async def test_unfinished_runs_and_callbacks_are_taken_up_after_a_restart(
    settings: Settings, world: World, receiver: Receiver, api: ApiFactory
) -> None:
    client = await api(token=world.acme.token)
    hook = await _async_hook(client, receiver.url("/work"))
    # A run accepted by a server that stopped before executing it.
    run_id = await _accepted_only(settings, world, hook, callback_url=receiver.url("/callback"))
    if settings.uses_job_queue():  # the queue holds its job; no worker took it up yet
        queue = build_queue(settings.resolved_database_url())
        async with queue.open_async():
            await QueueDispatcher(queue).submit(run_id)

    with serve_app(settings) as restarted:
        async with Api.http() as http:
            again = Api(http, restarted.base_url, token=world.acme.token)
            run = await _done(again, run_id)

            async def delivered() -> dict[str, Any] | None:
                return receiver.callbacks.get(run_id)

            await eventually(delivered, timeout=15)
    assert run["ok"] is True
    assert receiver.keys[run_id] == 1


async def test_a_run_whose_job_was_lost_is_deferred_again(
    settings: Settings, world: World, receiver: Receiver, api: ApiFactory
) -> None:
    if not settings.uses_job_queue():
        pytest.skip("in-process runs are taken up when the server starts (test above)")
    client = await api(token=world.acme.token)
    hook = await _async_hook(client, receiver.url("/work"))
    # Stored as accepted, but its job never reached the queue (the process died in between).
    run_id = await _accepted_only(settings, world, hook)

    sweeping = settings.model_copy(update={"run_stale_seconds": 0.3, "run_sweep_seconds": 0.2})
    with serve_app(sweeping) as swept:
        async with Api.http() as http:
            run = await _done(Api(http, swept.base_url, token=world.acme.token), run_id)
    assert run["ok"] is True
    assert receiver.keys[run_id] == 1


@pytest.mark.parametrize("kind", ["execute", "test"])
async def test_the_rate_limit_answers_429_with_retry_after(
    settings: Settings, world: World, receiver: Receiver, kind: str
) -> None:
    limited = settings.model_copy(update={"company_rate_per_second": 0.5, "company_rate_burst": 2})
    with serve_app(limited) as running:
        async with Api.http() as http:
            client = Api(http, running.base_url, token=world.acme.token)
            hook = (await client.post(WEBHOOKS, definition(receiver.url("/work")))).body
            path = f"{WEBHOOKS}/{hook['id']}/{kind}"
            payload = CONVERSATION if kind == "execute" else {"conversation": CONVERSATION}
            started = time.monotonic()
            statuses = [(await client.post(path, payload)).status for _ in range(2)]
            refused = await client.call("POST", path, payload)
            async with http.post(
                running.url(path), json=payload, headers={"Authorization": f"Bearer {client.token}"}
            ) as again:
                retry_after = again.headers.get("Retry-After")
                assert again.status == 429
            other = Api(http, running.base_url, token=world.bolt.token)
            other_hook = (await other.post(WEBHOOKS, definition(receiver.url("/work")))).body
            elsewhere = await other.post(f"{WEBHOOKS}/{other_hook['id']}/execute", CONVERSATION)
    assert statuses == [200, 200]
    assert time.monotonic() - started < 2  # the bucket had no time to refill
    assert refused.status == 429
    assert refused.body["error"]["kind"] == "rate_limited"
    assert retry_after is not None
    assert 1 <= int(retry_after) <= 2  # one token back at 0.5 per second
    assert receiver.upstream_calls == 3  # the refused call sent nothing
    assert elsewhere.status == 200  # another company has its own bucket


async def _accepted_with_callback(client: Api, hook: dict[str, Any], receiver: Receiver) -> str:
    """Execute the async `hook` with the receiver's callback URL; the accepted run's id."""
    reply = await client.post(
        f"{WEBHOOKS}/{hook['id']}/execute",
        CONVERSATION,
        params={"callback_url": receiver.url("/callback")},
    )
    assert reply.status == 202, reply.text
    run_id: str = reply.body["run_id"]
    return run_id


async def _callback_of(client: Api, hook: dict[str, Any], receiver: Receiver) -> dict[str, Any]:
    run_id = await _accepted_with_callback(client, hook, receiver)

    async def arrived() -> dict[str, Any] | None:
        # The first attempt of this run's callback (a refused one of an earlier run is retried).
        mine = [a for a in receiver.attempts if a["headers"].get(RUN_HEADER) == run_id]
        return mine[0] if mine else None

    return await eventually(arrived, timeout=15)


async def test_each_company_signs_with_its_own_secret_rotated_with_an_overlap(
    api: ApiFactory, world: World, receiver: Receiver
) -> None:
    admin = await api(login=world.north_admin.email)
    client = await api(token=world.acme.token)
    hook = await _async_hook(client, receiver.url("/work"))
    # Not with the install's secret: a receiver of another company could verify with it.
    receiver.secret = CALLBACK_SECRET.encode()
    assert (await _callback_of(client, hook, receiver))["valid"] is False

    rotated = await admin.post("/api/v1/companies/acme/callback-secret")
    assert rotated.status == 201, rotated.text
    acme_secret = rotated.body["secret"]
    assert acme_secret.startswith("whsec_")
    bolt = await admin.post("/api/v1/companies/bolt/callback-secret")
    receiver.secret = bolt.body["secret"].encode()
    assert (await _callback_of(client, hook, receiver))["valid"] is False  # bolt cannot verify

    receiver.secret = acme_secret.encode()
    first = await _callback_of(client, hook, receiver)
    assert first["valid"] is True
    # The derived key was never shown to anyone, so it does not sign beside the first secret.
    assert first["headers"][SIGNATURE_HEADER].count("v1=") == 1

    again = await admin.post("/api/v1/companies/acme/callback-secret")
    second = await _callback_of(client, hook, receiver)  # the old secret still verifies
    assert second["valid"] is True
    signatures = second["headers"][SIGNATURE_HEADER]
    assert signatures.count("v1=") == 2  # the new secret and, in its overlap, the old one
    timestamp = second["headers"]["Hooksmith-Timestamp"]
    assert again.body["secret"] != acme_secret
    assert not verify(bolt.body["secret"].encode(), timestamp, b"{}", signatures)


async def test_only_admins_rotate_and_never_see_an_old_secret(
    api: ApiFactory, world: World
) -> None:
    user = await api(token=world.acme.token)
    refused = await user.post("/api/v1/companies/acme/callback-secret")
    assert refused.status == 403
    admin = await api(login=world.north_admin.email)
    assert (await admin.post("/api/v1/companies/cobalt/callback-secret")).status == 404
    companies = await admin.get("/api/v1/companies")
    assert "whsec_" not in companies.text
