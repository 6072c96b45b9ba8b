"""What `hooksmith apply` would change: webhook files matched to the server's webhooks by
company and name, compared field by field.

Pure data in, a `Plan` out: no files, no network. Both sides go through `parse_webhook`, so a
file that leaves a default out and a server that spells it out compare equal. Secrets are
write-only, so they never take part in the comparison: `SecretToSet` says when one is sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from hooksmith.engine import (
    SECRET_FIELDS,
    WITHHELD_SECRET,
    Webhook,
    is_sensitive_header,
    masked,
    parse_webhook,
)

# The keys of a server's webhook view that belong to the definition; the rest (id, revision,
# times, authors, and whatever the view gains later) is bookkeeping.
DEFINITION_FIELDS = frozenset(Webhook.model_fields)


@dataclass(frozen=True)
class SecretToSet:
    """A secret the file names by reference (`${VARIABLE}`), resolved from the environment."""

    field: str  # "token" or "password"
    variable: str
    value: str


@dataclass(frozen=True)
class WebhookFile:
    """One definition file, read and checked: its data without the secret, in the company it
    is applied to."""

    path: str
    company: str
    name: str
    data: dict[str, Any]
    secret: SecretToSet | None = None
    # Credential headers whose value came from a reference: index → variable (diffs show it).
    header_references: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldChange:
    path: str  # `headers[0].value`
    before: Any
    after: Any


@dataclass(frozen=True)
class Step:
    """One thing apply does to one webhook."""

    action: Literal["create", "update", "delete"]
    company: str
    name: str
    source: str | None  # the file, absent for a delete
    webhook_id: int | None = None
    revision: int | None = None
    changes: tuple[FieldChange, ...] = ()
    payload: dict[str, Any] | None = None  # what is sent: the definition, secret included


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # "company/name" already as the files say
    problems: list[str] = field(default_factory=list)  # server state that stops a webhook
    invalid: list[str] = field(default_factory=list)  # files that need fixing: nothing is applied


class PlanError(ValueError):
    """Files that cannot be applied together (the same company and name twice)."""


def definition_of_view(view: dict[str, Any]) -> dict[str, Any]:
    """The definition part of a server's webhook view, without the `*_set` flags of its auth."""
    data = {key: value for key, value in view.items() if key in DEFINITION_FIELDS}
    auth = dict(data.get("auth") or {"type": "none"})
    data["auth"] = {key: value for key, value in auth.items() if not key.endswith("_set")}
    return data


def normal_form(data: dict[str, Any]) -> dict[str, Any]:
    """Definition data as the engine reads it, defaults spelled out and the secret left out."""
    auth = dict(data.get("auth") or {"type": "none"})
    secret_field = SECRET_FIELDS.get(str(auth.get("type")))
    if secret_field is not None:
        auth[secret_field] = WITHHELD_SECRET
    normal = parse_webhook(data | {"auth": auth}).to_data()
    if secret_field is not None:
        del normal["auth"][secret_field]
    return normal


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """`{"headers": [{"key": "A"}]}` → `{"headers[0].key": "A"}`: the paths errors name."""
    if isinstance(value, dict) and value:
        found: dict[str, Any] = {}
        for key, item in value.items():
            found |= flatten(item, f"{path}.{key}" if path else str(key))
        return found
    if isinstance(value, list) and value:
        found = {}
        for index, item in enumerate(value):
            found |= flatten(item, f"{path}[{index}]")
        return found
    return {path: value}


def differences(before: dict[str, Any], after: dict[str, Any]) -> tuple[FieldChange, ...]:
    """Every field path whose value differs, in the order of the definition's fields."""
    old, new = flatten(before), flatten(after)
    paths = list(old) + [path for path in new if path not in old]
    return tuple(
        FieldChange(path, old.get(path), new.get(path))
        for path in paths
        if old.get(path) != new.get(path) or (path in old) != (path in new)
    )


def make_plan(
    files: list[WebhookFile],
    server: list[dict[str, Any]],
    *,
    prune: set[str] | None = None,
    set_secrets: bool = False,
) -> Plan:
    """The steps that make the server hold what the files say; with `prune`, the server's
    webhooks of those companies that no file names are deleted.

    A secret is sent when a webhook is created, when the server holds none, when the edit
    changes anything else (so a new host keeps it), or always with `set_secrets`.
    """
    seen: dict[tuple[str, str], str] = {}
    for file in files:
        key = (file.company, file.name)
        if key in seen:
            raise PlanError(
                f"{file.path}: name: {file.name!r} in company {file.company!r} "
                f"is also defined in {seen[key]}"
            )
        seen[key] = file.path
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for view in server:
        by_key.setdefault((view["company"], view["name"]), []).append(view)
    plan = Plan()
    for file in files:
        matches = by_key.get((file.company, file.name), [])
        payload = _payload(file)
        if not matches:
            needed = SECRET_FIELDS.get(str((file.data.get("auth") or {}).get("type")))
            if needed is not None and file.secret is None:
                plan.invalid.append(
                    f"{file.path}: auth.{needed}: the webhook is new, so its secret is needed: "
                    f"write it as a reference such as ${{VARIABLE}} and set the variable"
                )
                continue
            plan.steps.append(
                Step(
                    "create",
                    file.company,
                    file.name,
                    file.path,
                    changes=_hidden(
                        file, differences({}, normal_form(_payload(file, secret=False)))
                    ),
                    payload=payload,
                )
            )
            continue
        if len(matches) > 1:
            ids = ", ".join(str(view["id"]) for view in matches)
            plan.problems.append(
                f"{file.path}: the server has {len(matches)} webhooks named {file.name!r} in "
                f"company {file.company!r} (ids {ids}); rename or delete all but one"
            )
            continue
        view = matches[0]
        changes = _hidden(
            file,
            differences(
                normal_form(definition_of_view(view)), normal_form(_payload(file, secret=False))
            ),
        )
        secret_missing = view.get("needs_secret") is not None
        if file.secret is not None and (changes or secret_missing or set_secrets):
            changes += (
                FieldChange(f"auth.{file.secret.field}", None, f"${{{file.secret.variable}}}"),
            )
        if not changes:
            plan.unchanged.append(f"{file.company}/{file.name}")
            continue
        plan.steps.append(
            Step(
                "update",
                file.company,
                file.name,
                file.path,
                webhook_id=view["id"],
                revision=view["revision"],
                changes=changes,
                payload=payload | {"revision": view["revision"]},
            )
        )
    for view in server:
        key = (view["company"], view["name"])
        if prune is not None and view["company"] in prune and key not in seen:
            plan.steps.append(
                Step("delete", view["company"], view["name"], None, webhook_id=view["id"])
            )
    return plan


def _payload(file: WebhookFile, *, secret: bool = True) -> dict[str, Any]:
    data = file.data | {"company": file.company}
    if secret and file.secret is not None:
        data["auth"] = dict(data["auth"]) | {file.secret.field: file.secret.value}
    return data


def _hidden(file: WebhookFile, changes: tuple[FieldChange, ...]) -> tuple[FieldChange, ...]:
    """The changes with credential header values as their reference (new) or masked (old)."""
    data = normal_form(_payload(file, secret=False))
    secret_paths = {
        f"headers[{index}].value"
        for index, header in enumerate(data["headers"])
        if is_sensitive_header(header["key"])
    }
    return tuple(
        FieldChange(
            change.path,
            masked(str(change.before)) if change.before is not None else None,
            _reference(file, change.path, change.after),
        )
        if change.path in secret_paths
        else change
        for change in changes
    )


def _reference(file: WebhookFile, path: str, value: Any) -> Any:
    for index, variable in file.header_references.items():
        if path == f"headers[{index}].value":
            return f"${{{variable}}}"
    return masked(str(value)) if value is not None else None


def shown(value: Any) -> str:
    """A value as the diff prints it: JSON, so text is quoted and nothing is ambiguous."""
    return "(none)" if value is None else json.dumps(value, ensure_ascii=False)
