"""`hooksmith export` and `hooksmith apply` as a CI job runs them: a real process talking to the
real server over HTTP with an API token, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

from hooksmith.cli.plan import definition_of_view, normal_form
from tests.api.client import Api
from tests.api.conftest import ApiFactory, World
from tests.commands import clean_environment, run_hooksmith
from tests.server import Server
from tests.upstream import Upstream

WEBHOOKS = "/api/v1/webhooks"
SECRET = "s3cret-bearer-value-0042"
TOKEN_VARIABLE = "ACME_ORDER_STATUS_TOKEN"
API_KEY = "k-77-header-secret"
SECRETS = {TOKEN_VARIABLE: SECRET, "ACME_ORDER_STATUS_X_API_KEY": API_KEY}


async def hooksmith(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The command in its own process, with only the HOOKSMITH_* variables given here."""
    return await asyncio.to_thread(run_hooksmith, *args, env=clean_environment(**env))


def as_ci(server: Server, token: str, **env: str) -> dict[str, str]:
    return {"HOOKSMITH_SERVER": server.base_url, "HOOKSMITH_TOKEN": token, **env}


async def webhooks_of(client: Api, company: str) -> list[dict[str, Any]]:
    page = await client.get(f"{WEBHOOKS}?company={company}&limit=200")
    assert page.status == 200, page.text
    return sorted(page.body["items"], key=lambda view: view["name"])


def comparable(view: dict[str, Any]) -> dict[str, Any]:
    data = normal_form(definition_of_view(view))
    del data["company"]
    return data


class Exported(NamedTuple):
    """acme's two webhooks exported by acme's token: its API client, the folder and the CLI's
    environment as a CI job would set it (server, token and the secrets)."""

    client: Api
    hooks: Path
    env: dict[str, str]


@pytest.fixture
async def exported(
    api: ApiFactory, world: World, server: Server, upstream: Upstream, tmp_path: Path
) -> Exported:
    hooks = tmp_path / "hooks"  # beside the test's database files
    hooks.mkdir()
    client = await api(token=world.acme.token)
    await seed_acme(client, upstream)
    env = as_ci(server, world.acme.token, **SECRETS)
    done = await hooksmith("export", str(hooks), **env)
    assert done.returncode == 0, done.stderr
    return Exported(client, hooks, env)


async def seed_acme(client: Api, upstream: Upstream) -> None:
    """Two webhooks of acme: one with a bearer secret and a multi-line body, one plain GET."""
    order = {
        "name": "Order status",
        "company": "acme",
        "method": "POST",
        "url": upstream.url("/echo/orders"),
        "auth": {"type": "bearer", "token": SECRET},
        "headers": [
            {"key": "Accept", "value": "application/json"},
            {"key": "X-Api-Key", "value": API_KEY},
        ],
        "body": '{\n  "order": "{{ orderNumber }}",\n  "who": "{{ userName }}"\n}',
        "custom_variables": [{"name": "path", "mapper": "response.path"}],
        "timeout": 7,
    }
    lookup = {
        "name": "Lookup (EU)",
        "company": "acme",
        "url": upstream.url("/echo/lookup/{{ region }}"),
        "context": {"region": "eu"},
        "params": [{"key": "include", "value": "shipping"}],
    }
    for data in (order, lookup):
        made = await client.post(WEBHOOKS, data)
        assert made.status == 201, made.text


async def test_export_writes_files_without_secrets_and_apply_recreates_them(
    api: ApiFactory, world: World, server: Server, upstream: Upstream, tmp_path: Path
) -> None:
    tmp_path = tmp_path / "hooks"  # beside the test's database files
    tmp_path.mkdir()
    admin = await api(token=world.north_admin.token)
    await seed_acme(admin, upstream)

    exported = await hooksmith(
        "export", str(tmp_path), "--company", "acme", **as_ci(server, world.north_admin.token)
    )
    assert exported.returncode == 0, exported.stderr
    files = sorted(path.name for path in tmp_path.iterdir())
    assert files == ["acme--lookup-eu.yaml", "acme--order-status.yaml"]
    order_text = (tmp_path / "acme--order-status.yaml").read_text()
    assert SECRET not in order_text
    assert API_KEY not in order_text
    order_file = yaml.safe_load(order_text)
    assert order_file["auth"] == {"type": "bearer", "token": f"${{{TOKEN_VARIABLE}}}"}
    assert order_file["company"] == "acme"
    assert order_file["headers"][1] == {
        "key": "X-Api-Key",
        "value": "${ACME_ORDER_STATUS_X_API_KEY}",
    }
    assert order_file["body"].count("\n") == 3  # a readable block, not one escaped line
    assert "execution" not in order_file  # defaults are left out

    applied = await hooksmith(
        "apply",
        str(tmp_path),
        "--company",
        "bolt",
        **as_ci(server, world.north_admin.token, **SECRETS),
    )
    assert applied.returncode == 0, applied.stderr
    assert "+ create bolt/Order status" in applied.stdout
    assert "applied 2 of 2 changes" in applied.stdout
    assert SECRET not in applied.stdout + applied.stderr
    assert API_KEY not in applied.stdout + applied.stderr
    assert 'headers[1].value: "${ACME_ORDER_STATUS_X_API_KEY}"' in applied.stdout

    acme, bolt = await webhooks_of(admin, "acme"), await webhooks_of(admin, "bolt")
    assert [comparable(view) for view in bolt] == [comparable(view) for view in acme]
    assert [view["company"] for view in bolt] == ["bolt", "bolt"]

    # The secret came from the environment: the new webhook sends it.
    order = next(view for view in bolt if view["name"] == "Order status")
    assert order["auth"]["token_set"] is True
    ran = await admin.post(f"{WEBHOOKS}/{order['id']}/execute", {"orderNumber": "A1"})
    assert ran.status == 200, ran.text
    assert ran.body["ok"] is True, ran.body
    assert ("Authorization", f"Bearer {SECRET}") in upstream.received[-1]["headers"]
    assert ("X-Api-Key", API_KEY) in upstream.received[-1]["headers"]


async def test_apply_twice_changes_nothing_the_second_time(exported: Exported) -> None:
    client, hooks, env = exported
    before = {view["id"]: view["revision"] for view in await webhooks_of(client, "acme")}

    for _ in range(2):
        again = await hooksmith("apply", str(hooks), **env)
        assert again.returncode == 0, again.stderr
        assert "no changes (2 webhooks as the files say)" in again.stdout
    after = {view["id"]: view["revision"] for view in await webhooks_of(client, "acme")}
    assert after == before


async def test_dry_run_prints_the_diff_and_changes_nothing(exported: Exported) -> None:
    client, hooks, env = exported
    path = hooks / "acme--lookup-eu.yaml"
    data = yaml.safe_load(path.read_text())
    data["timeout"] = 12
    data["params"][0]["value"] = "billing"
    path.write_text(yaml.safe_dump(data))
    (before,) = [v for v in await webhooks_of(client, "acme") if v["name"] == "Lookup (EU)"]

    dry = await hooksmith("apply", str(hooks), "--dry-run", **env)
    assert dry.returncode == 0, dry.stderr
    assert "~ update acme/Lookup (EU)" in dry.stdout
    assert "timeout: 5.0 → 12.0" in dry.stdout
    assert 'params[0].value: "shipping" → "billing"' in dry.stdout
    assert "dry run: nothing changed" in dry.stdout
    assert "Order status" not in dry.stdout  # unchanged webhooks are not listed
    (still,) = [v for v in await webhooks_of(client, "acme") if v["name"] == "Lookup (EU)"]
    assert still == before

    done = await hooksmith("apply", str(hooks), **env)
    assert done.returncode == 0, done.stderr
    (after,) = [v for v in await webhooks_of(client, "acme") if v["name"] == "Lookup (EU)"]
    assert (after["revision"], after["timeout"], after["params"]) == (
        before["revision"] + 1,
        12.0,
        [{"key": "include", "value": "billing"}],
    )


async def test_deletions_only_with_prune(exported: Exported) -> None:
    client, hooks, env = exported
    (hooks / "acme--lookup-eu.yaml").unlink()

    kept = await hooksmith("apply", str(hooks), **env)
    assert kept.returncode == 0, kept.stderr
    assert "no changes" in kept.stdout
    assert len(await webhooks_of(client, "acme")) == 2

    pruned = await hooksmith("apply", str(hooks), "--prune", **env)
    assert pruned.returncode == 0, pruned.stderr
    assert "- delete acme/Lookup (EU)" in pruned.stdout
    assert [view["name"] for view in await webhooks_of(client, "acme")] == ["Order status"]


async def test_bad_files_name_the_file_and_field_and_change_nothing(
    api: ApiFactory, world: World, server: Server, upstream: Upstream, tmp_path: Path
) -> None:
    tmp_path = tmp_path / "hooks"  # beside the test's database files
    tmp_path.mkdir()
    client = await api(token=world.acme.token)
    env = as_ci(server, world.acme.token)
    good = {"name": "Fine", "company": "acme", "url": upstream.url("/echo")}
    (tmp_path / "fine.yaml").write_text(yaml.safe_dump(good))
    literal = good | {"name": "Leaky", "auth": {"type": "bearer", "token": SECRET}}
    (tmp_path / "leaky.yaml").write_text(yaml.safe_dump(literal))
    (tmp_path / "slow.yaml").write_text(yaml.safe_dump(good | {"name": "Slow", "timeout": 0}))

    refused = await hooksmith("apply", str(tmp_path), **env)
    assert refused.returncode == 2
    assert f"{tmp_path / 'leaky.yaml'}: auth.token: write the secret as a reference" in (
        refused.stderr
    )
    assert f"{tmp_path / 'slow.yaml'}: timeout: must be > 0" in refused.stderr
    assert SECRET not in refused.stdout + refused.stderr
    assert await webhooks_of(client, "acme") == []

    (tmp_path / "leaky.yaml").write_text(
        yaml.safe_dump(literal | {"auth": {"type": "bearer", "token": "${LEAKY_TOKEN}"}})
    )
    (tmp_path / "slow.yaml").unlink()
    unset = await hooksmith("apply", str(tmp_path), **env)
    assert unset.returncode == 2
    assert "auth.token: the environment variable LEAKY_TOKEN is not set" in unset.stderr
    assert await webhooks_of(client, "acme") == []

    (tmp_path / "leaky.yaml").unlink()
    foreign = await hooksmith("apply", str(tmp_path), "--company", "cobalt", **env)
    assert foreign.returncode == 2
    assert "company: 'cobalt' is not a company this token may see" in foreign.stderr


async def test_an_unreachable_server_is_a_failure_not_bad_input(tmp_path: Path) -> None:
    (tmp_path / "fine.yaml").write_text(
        yaml.safe_dump({"name": "Fine", "company": "acme", "url": "https://api.example.com/"})
    )
    closed = "http://127.0.0.1:9"  # the discard port: nothing listens there
    for command in (("apply", str(tmp_path)), ("export", str(tmp_path / "out"))):
        done = await hooksmith(*command, "--server", closed, "--token", "hs_x")
        assert done.returncode == 1, (command, done.stderr)
        assert "GET http://127.0.0.1:9/api/v1/" in done.stderr
        assert "Cannot connect" in done.stderr
    missing = await hooksmith("apply", str(tmp_path), "--server", closed)
    assert missing.returncode == 2
    assert "--token" in missing.stderr


async def test_a_new_host_without_a_secret_reference_warns_that_the_secret_is_gone(
    exported: Exported,
) -> None:
    client, hooks, env = exported
    path = hooks / "acme--order-status.yaml"
    data = yaml.safe_load(path.read_text())
    data["auth"] = {"type": "bearer"}  # the reference left out: the stored secret is kept…
    data["url"] = data["url"].replace("127.0.0.1", "localhost")  # …unless the host changes
    path.write_text(yaml.safe_dump(data))

    done = await hooksmith("apply", str(hooks), **env)
    assert done.returncode == 0, done.stderr
    assert "acme--order-status.yaml: auth.token: the server holds no secret" in done.stderr
    (order,) = [v for v in await webhooks_of(client, "acme") if v["name"] == "Order status"]
    assert order["needs_secret"] == "token"
