"""The plan of `hooksmith apply` and the files of `hooksmith export`, without a server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from hooksmith.cli.codefiles import FileProblem, exported, file_names, read_file
from hooksmith.cli.plan import PlanError, SecretToSet, WebhookFile, make_plan


def view(webhook_id: int, name: str, **fields: Any) -> dict[str, Any]:
    """A webhook as the API answers it."""
    return {
        "id": webhook_id,
        "revision": 3,
        "name": name,
        "company": "acme",
        "method": "GET",
        "url": "https://api.example.com/orders",
        "auth": {"type": "none"},
        "needs_secret": None,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        "created_by": 1,
        "updated_by": 1,
        **fields,
    }


def bearer_file(secret: SecretToSet | None, **fields: Any) -> WebhookFile:
    data = {"name": "Orders", "url": "https://api.example.com/orders", "auth": {"type": "bearer"}}
    return WebhookFile("orders.yaml", "acme", "Orders", data | fields, secret)


SECRET = SecretToSet("token", "ORDERS_TOKEN", "t-1")
STORED = {"auth": {"type": "bearer", "token_set": True}}


def test_an_unchanged_webhook_with_its_secret_stored_is_left_alone() -> None:
    plan = make_plan([bearer_file(SECRET)], [view(1, "Orders", **STORED)])
    assert (plan.steps, plan.unchanged) == ([], ["acme/Orders"])


def test_the_secret_is_sent_when_the_server_has_none_or_when_asked() -> None:
    missing = view(1, "Orders", auth={"type": "bearer", "token_set": False}, needs_secret="token")
    for server, rotate in (([missing], False), ([view(1, "Orders", **STORED)], True)):
        (step,) = make_plan([bearer_file(SECRET)], server, set_secrets=rotate).steps
        assert step.action == "update"
        assert [change.path for change in step.changes] == ["auth.token"]
        assert step.payload is not None
        assert step.payload["auth"]["token"] == "t-1"
        assert step.payload["revision"] == 3


def test_an_edit_sends_the_secret_along_so_a_new_host_keeps_it() -> None:
    moved = bearer_file(SECRET, url="https://eu.example.com/orders")
    (step,) = make_plan([moved], [view(1, "Orders", **STORED)]).steps
    assert [(c.path, c.before, c.after) for c in step.changes] == [
        ("url", "https://api.example.com/orders", "https://eu.example.com/orders"),
        ("auth.token", None, "${ORDERS_TOKEN}"),
    ]


def test_a_new_webhook_needs_its_secret_reference() -> None:
    plan = make_plan([bearer_file(None)], [])
    assert plan.steps == []
    assert plan.invalid[0].startswith("orders.yaml: auth.token: the webhook is new")


def test_two_files_for_one_webhook_and_two_server_webhooks_of_one_name() -> None:
    with pytest.raises(PlanError, match=r"orders.yaml: name: 'Orders' in company 'acme'"):
        make_plan([bearer_file(SECRET), bearer_file(SECRET)], [])
    plan = make_plan([bearer_file(SECRET)], [view(1, "Orders", **STORED), view(2, "Orders")])
    assert plan.steps == []
    assert "ids 1, 2" in plan.problems[0]


def test_prune_deletes_only_in_the_companies_given() -> None:
    other = view(3, "Elsewhere", company="bolt")
    plan = make_plan([], [view(1, "Old"), other], prune={"acme"})
    assert [(s.action, s.webhook_id) for s in plan.steps] == [("delete", 1)]
    assert make_plan([], [view(1, "Old")]).steps == []


def test_file_names_are_stable_and_distinct() -> None:
    views = [view(5, "Order status!"), view(2, "order  status"), view(9, "Ünïcode")]
    assert file_names(views) == [
        "acme--order-status-2.yaml",
        "acme--order-status.yaml",
        "acme--n-code.yaml",
    ]


def test_an_exported_file_reads_back_with_its_secret_from_the_environment(
    tmp_path: Path,
) -> None:
    path = tmp_path / "orders.yaml"
    data = exported(view(1, "Orders", **STORED))
    assert data["auth"] == {"type": "bearer", "token": "${ACME_ORDERS_TOKEN}"}
    path.write_text(yaml.safe_dump(data))
    read = read_file(path, company=None, environment={"ACME_ORDERS_TOKEN": "t-9"})
    assert read.secret == SecretToSet("token", "ACME_ORDERS_TOKEN", "t-9")
    assert "token" not in read.data["auth"]
    with pytest.raises(FileProblem, match="ACME_ORDERS_TOKEN is not set"):
        read_file(path, company=None, environment={})


@pytest.mark.parametrize(
    ("auth", "field"),
    [
        ({"type": "api_key", "location": "query", "name": "api_key", "key_set": True}, "key"),
        (
            {
                "type": "oauth2",
                "token_url": "https://auth.example.com/token",
                "client_id": "bot",
                "scope": "read",
                "audience": None,
                "client_auth": "basic",
                "client_secret_set": True,
            },
            "client_secret",
        ),
        ({"type": "hmac", "signature_header": "X-Sig", "secret_set": True}, "secret"),
    ],
)
def test_the_new_auth_kinds_export_their_secret_as_a_reference(
    tmp_path: Path, auth: dict[str, Any], field: str
) -> None:
    path = tmp_path / "orders.yaml"
    data = exported(view(1, "Orders", auth=auth))
    variable = f"ACME_ORDERS_{field.upper()}"
    assert data["auth"][field] == f"${{{variable}}}"
    assert not any(key.endswith("_set") for key in data["auth"])
    path.write_text(yaml.safe_dump(data))
    read = read_file(path, company=None, environment={variable: "s-9"})
    assert read.secret == SecretToSet(field, variable, "s-9")
    kept = {k: v for k, v in auth.items() if not k.endswith("_set") and v is not None}
    assert kept.items() <= read.data["auth"].items()


def test_a_credential_header_is_a_reference_in_files_and_diffs(tmp_path: Path) -> None:
    server = view(1, "Orders", headers=[{"key": "X-Api-Key", "value": "old-key-123456"}])
    data = exported(server)
    assert data["headers"] == [{"key": "X-Api-Key", "value": "${ACME_ORDERS_X_API_KEY}"}]
    path = tmp_path / "orders.yaml"
    path.write_text(yaml.safe_dump(data))

    same = read_file(path, company=None, environment={"ACME_ORDERS_X_API_KEY": "old-key-123456"})
    assert make_plan([same], [server]).steps == []

    rotated = read_file(path, company=None, environment={"ACME_ORDERS_X_API_KEY": "new-key-654321"})
    (step,) = make_plan([rotated], [server]).steps
    (change,) = step.changes
    assert change.path == "headers[0].value"
    assert "old-key-123456" not in str(change.before)
    assert change.after == "${ACME_ORDERS_X_API_KEY}"
    assert step.payload is not None
    assert step.payload["headers"][0]["value"] == "new-key-654321"
    with pytest.raises(FileProblem, match=r"headers\[0\]\.value: .*ACME_ORDERS_X_API_KEY"):
        read_file(path, company=None, environment={})


def test_keys_a_view_gains_later_are_not_part_of_the_definition() -> None:
    plan = make_plan([bearer_file(SECRET)], [view(1, "Orders", **STORED, revision_author="x")])
    assert plan.unchanged == ["acme/Orders"]
