"""A company's secrets and variables in its webhooks (docs/design.md#company-secrets-and-variables).

`{{ secrets.NAME }}` may stand in the URL, params, headers and auth fields, never in the body,
the success condition or a mapper; `{{ vars.NAME }}` may stand wherever templates render. A
secret travels only to the hosts its company allows for it (`host_allowed`), checked on the
first URL and on every redirect hop.

    >>> hook = Webhook(name="x", url="https://api.example.com/?key={{ secrets.KEY }}")
    >>> sorted(references(hook).secrets)
    ['KEY']
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment, nodes
from jinja2.exceptions import TemplateSyntaxError
from pydantic import BaseModel, SecretStr, ValidationError

from hooksmith.engine.definition import Webhook
from hooksmith.engine.errors import EngineError, RenderError

VALUE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
SECRETS = "secrets"
VARIABLES = "vars"
# An auth field is no template: only whole `{{ secrets.NAME }}` / `{{ vars.NAME }}` are replaced.
_AUTH_PLACEHOLDER = re.compile(r"\{\{\s*(secrets|vars)\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"^(\*\.)?{_LABEL}(?:\.{_LABEL})*$")
_NOT_HERE = (
    "company secrets ({{ secrets.NAME }}) may be used in the URL, params, headers and auth "
    "only, never in the body, the success condition or a mapper"
)


class UnknownSecret(EngineError):
    """The webhook names a secret its company does not have."""

    kind = "unknown_secret"


class UnknownVariable(EngineError):
    """The webhook names a variable its company does not have."""

    kind = "unknown_variable"


class HostNotAllowed(EngineError):
    """A request carrying a company secret would go to a host that secret does not allow."""

    kind = "host_not_allowed"


@dataclass(frozen=True)
class CompanySecret:
    """A secret's value and the hosts (`api.example.com`, `*.example.com`) it may travel to."""

    value: str
    allowed_hosts: tuple[str, ...]


@dataclass(frozen=True)
class CompanyValues:
    """What one company has: its secrets by name and its variables by name."""

    secrets: Mapping[str, CompanySecret] = field(default_factory=dict)
    variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class References:
    """The company secrets and variables a webhook names, and where each is first named."""

    secrets: Mapping[str, str] = field(default_factory=dict)
    variables: Mapping[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.secrets or self.variables)


NO_REFERENCES = References()


def host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    """Whether `host` is one of `allowed`: the exact name, or under a `*.example.com` entry.

    >>> host_allowed("eu.api.example.com", ("*.example.com",)), host_allowed("example.com",
    ...     ("*.example.com",))
    (True, False)
    """
    host = host.lower().rstrip(".")
    for entry in allowed:
        if entry.startswith("*."):
            if host.endswith(entry[1:]):
                return True
        elif host == entry:
            return True
    return False


def allowed_host_problem(entry: str) -> str | None:
    """Why `entry` cannot be an allowed host, or None.

    >>> allowed_host_problem("*.example.com"), allowed_host_problem("https://x.io")[:20]
    (None, "'https://x.io' is no")
    """
    if not _HOST.fullmatch(entry):
        return (
            f"{entry!r} is not a host name (write api.example.com, or *.example.com for every "
            "host under it; lowercase, no scheme, port or path)"
        )
    return None


def _templates(webhook: Webhook) -> Iterator[tuple[str, str, bool]]:
    """(field, template text, whether company secrets may stand there) of every template."""
    yield "url", webhook.url, True
    for index, param in enumerate(webhook.params):
        yield f"params[{index}].key", param.key, True
        yield f"params[{index}].value", param.value, True
    for index, header in enumerate(webhook.headers):
        yield f"headers[{index}].value", header.value, True
    if webhook.body is not None:
        yield "body", webhook.body, False
    if webhook.success_condition is not None:
        yield "success_condition", webhook.success_condition, False
    for index, variable in enumerate(webhook.custom_variables):
        yield f"custom_variables[{index}].mapper", variable.mapper, False


def auth_fields(auth: BaseModel) -> dict[str, str]:
    """The text fields of any kind of auth, secrets in clear: the one place auth is read.

    >>> from hooksmith.engine.definition import BearerAuth
    >>> auth_fields(BearerAuth(type="bearer", token="t0k"))
    {'token': 't0k'}
    """
    found: dict[str, str] = {}
    for name in type(auth).model_fields:
        value = getattr(auth, name)
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if name != "type" and isinstance(value, str):
            found[name] = value
    return found


def _parsed(text: str, *, expression: bool) -> nodes.Template | None:
    environment = Environment()  # parsing only; nothing is rendered with it
    source = text if not expression or "{{" in text or "{%" in text else "{{ " + text + " }}"
    try:
        return environment.parse(source)
    except TemplateSyntaxError:
        return None  # reported by the template checks


def _names(tree: nodes.Template, namespace: str) -> tuple[list[str], bool]:
    """The `namespace.NAME` reads of a template, and whether it reads `namespace` otherwise."""
    named: list[str] = []
    wrapped: set[int] = set()
    for getattr_node in tree.find_all(nodes.Getattr):
        target = getattr_node.node
        if isinstance(target, nodes.Name) and target.name == namespace:
            named.append(getattr_node.attr)
            wrapped.add(id(target))
    other = any(
        name.name == namespace and id(name) not in wrapped for name in tree.find_all(nodes.Name)
    )
    return named, other


def references(webhook: Webhook) -> References:
    """The secrets and variables a webhook names (each with the first field naming it)."""
    secrets: dict[str, str] = {}
    variables: dict[str, str] = {}
    for where, text in auth_fields(webhook.auth).items():
        for kind, name in _AUTH_PLACEHOLDER.findall(text):
            (secrets if kind == SECRETS else variables).setdefault(name, f"auth.{where}")
    for where, text, _ in _templates(webhook):
        if SECRETS not in text and VARIABLES not in text:
            continue
        tree = _parsed(text, expression=where.startswith(("custom_", "success")))
        if tree is None:
            continue
        for name in _names(tree, SECRETS)[0]:
            secrets.setdefault(name, where)
        for name in _names(tree, VARIABLES)[0]:
            variables.setdefault(name, where)
    if not secrets and not variables:
        return NO_REFERENCES
    return References(secrets, variables)


def company_value_problems(webhook: Webhook) -> list[tuple[str, str]]:
    """(field, message) of every place a company secret may not stand, or is not named plainly."""
    problems: list[tuple[str, str]] = []
    for where, text, allowed in _templates(webhook):
        if SECRETS not in text:
            continue
        tree = _parsed(text, expression=where.startswith(("custom_", "success")))
        if tree is None:
            continue
        named, other = _names(tree, SECRETS)
        if not allowed and (named or other):
            problems.append((where, _NOT_HERE))
        elif other:
            problems.append(
                (where, "name a company secret as {{ secrets.NAME }}; it cannot be looked up")
            )
    return problems


def with_company_auth(webhook: Webhook, values: CompanyValues) -> Webhook:
    """The webhook with `{{ secrets.NAME }}` / `{{ vars.NAME }}` in its auth fields filled in.

    Raises `RenderError` naming the auth field when the filled-in auth breaks a rule (e.g. a
    basic-auth username with a colon); an unknown name is found before (`unknown_names`).
    """
    texts = auth_fields(webhook.auth)
    changed: dict[str, Any] = {}
    for where, text in texts.items():
        if "{{" not in text:
            continue

        def filled(found: re.Match[str]) -> str:
            kind, name = found.group(1), found.group(2)
            if kind == SECRETS:
                return values.secrets[name].value
            return values.variables[name]

        changed[where] = _AUTH_PLACEHOLDER.sub(filled, text)
    if not changed:
        return webhook
    data = webhook.auth.model_dump() | changed
    try:
        auth = type(webhook.auth).model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise RenderError(
            f"auth.{where}: with the company's values filled in, {message}",
            field=f"auth.{where}",
        ) from None
    return webhook.model_copy(update={"auth": auth})


def unknown_names(found: References, values: CompanyValues) -> EngineError | None:
    """The error for the first secret or variable the webhook names that its company lacks."""
    for name, where in found.secrets.items():
        if name not in values.secrets:
            return _unknown(UnknownSecret, "secret", name, where)
    for name, where in found.variables.items():
        if name not in values.variables:
            return _unknown(UnknownVariable, "variable", name, where)
    return None


def _unknown(error: type[EngineError], what: str, name: str, where: str) -> EngineError:
    """The error for a secret or variable (`what`) the company lacks: where to add it."""
    return error(
        f"{where}: the company has no {what} named {name!r} (add it under Secrets & variables)",
        field=where,
    )


HostRules = tuple[tuple[str, tuple[str, ...]], ...]


def secret_hosts(found: References, values: CompanyValues) -> HostRules:
    """(secret name, allowed hosts) of every company secret the request carries."""
    return tuple((name, values.secrets[name].allowed_hosts) for name in found.secrets)


def check_secret_hosts(host: str, rules: HostRules) -> None:
    """Raise `HostNotAllowed` unless every secret the request carries allows `host`."""
    for name, allowed in rules:
        if not host_allowed(host, allowed):
            shown = ", ".join(allowed) or "no host"
            raise HostNotAllowed(
                f"host_not_allowed: the request carries the company secret {name!r}, which "
                f"may only go to {shown}, not to {host}; nothing was sent there",
                field="url",
            )


class ReferenceMemo:
    """`references` of the webhook objects an engine executes, found once per object."""

    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = capacity
        # The webhook is kept with its entry, so its id cannot be reused while the entry lives.
        self._found: OrderedDict[int, tuple[Webhook, References]] = OrderedDict()

    def of(self, webhook: Webhook) -> References:
        entry = self._found.get(id(webhook))
        if entry is not None and entry[0] is webhook:
            return entry[1]
        found = references(webhook)
        self._found[id(webhook)] = (webhook, found)
        if len(self._found) > self.capacity:
            self._found.popitem(last=False)
        return found


def scopes(
    conversation: Mapping[str, Any], found: References, values: CompanyValues
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The data of the request's URL, params and headers (with the secrets it names), and the
    data of the body and the answer's reading (variables only: no secret is ever in scope)."""
    variables = dict(values.variables)
    body_scope = {**conversation, VARIABLES: variables}
    secrets = {name: values.secrets[name].value for name in found.secrets}
    return {**body_scope, SECRETS: secrets}, body_scope
