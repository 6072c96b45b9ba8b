"""Webhooks as code on disk: one YAML file per webhook, secrets as `${VARIABLE}` references.

`export` writes `<company>--<name slug>.yaml` holding the definition without its defaults; the
secret of its auth (write-only, so never known to the exporter) is written as a reference such
as `token: ${ACME_ORDER_STATUS_TOKEN}`, which `apply` resolves from the environment. A file
holding a secret's value itself is refused: secrets are not kept in git.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from hooksmith.cli.plan import SecretToSet, WebhookFile, definition_of_view, normal_form
from hooksmith.engine import SECRET_FIELDS, InvalidDefinition, Webhook, is_sensitive_header

REFERENCE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
SUFFIXES = (".yaml", ".yml")
# libyaml's loader where PyYAML was built with it: five times faster on a folder of webhooks.
LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Fields written even when they hold their default, so a file says what it is at a glance.
ALWAYS_WRITTEN = ("name", "company", "method", "url")


class FileProblem(ValueError):
    """A webhook file that cannot be applied; the message names the file and the field."""


def slug(text: str) -> str:
    """`Order status (EU)` → `order-status-eu`: a file name part any file system takes."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "webhook"


def secret_variable(company: str, name: str, field: str) -> str:
    """The environment variable an exported secret reference names: `ACME_ORDER_STATUS_TOKEN`."""
    variable = re.sub(r"[^A-Z0-9]+", "_", f"{company} {name} {field}".upper()).strip("_")
    return variable if not variable[0].isdigit() else f"_{variable}"


def exported(view: dict[str, Any]) -> dict[str, Any]:
    """A server's webhook view as the data of its file: defaults left out, secret referenced."""
    data = normal_form(definition_of_view(view))
    defaults = Webhook(name=data["name"], url=data["url"]).to_data()
    written = {
        key: value
        for key, value in data.items()
        if key in ALWAYS_WRITTEN or value != defaults.get(key)
    }
    written["company"] = view["company"]
    secret_field = SECRET_FIELDS.get(data["auth"]["type"])
    if secret_field is not None:
        variable = secret_variable(view["company"], view["name"], secret_field)
        written["auth"] = data["auth"] | {secret_field: f"${{{variable}}}"}
    if "headers" in written:
        written["headers"] = [
            header
            | {"value": f"${{{secret_variable(view['company'], view['name'], header['key'])}}}"}
            if is_sensitive_header(header["key"]) and "{{" not in header["value"]
            else header
            for header in written["headers"]
        ]
    order = [*ALWAYS_WRITTEN, *data]
    return {key: written[key] for key in dict.fromkeys(order) if key in written}


def file_names(views: list[dict[str, Any]]) -> list[str]:
    """A stable file name per view (by company and name; the lower id keeps the plain name
    when two names make the same slug)."""
    taken: dict[str, int] = {}
    names: dict[int, str] = {}
    for view in sorted(views, key=lambda item: item["id"]):
        stem = f"{view['company']}--{slug(view['name'])}"
        count = taken.get(stem, 0) + 1
        taken[stem] = count
        names[view["id"]] = f"{stem}.yaml" if count == 1 else f"{stem}-{count}.yaml"
    return [names[view["id"]] for view in views]


def _literal_block(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


def to_yaml(data: dict[str, Any]) -> str:
    """YAML with multi-line text (a body) as a literal block, keys in the definition's order."""

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(str, _literal_block)
    return yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)


def webhook_paths(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise FileProblem(f"{directory}: not a directory")
    return sorted(path for path in directory.iterdir() if path.suffix.lower() in SUFFIXES)


def read_file(
    path: Path,
    *,
    company: str | None,
    environment: Mapping[str, str] = os.environ,
) -> WebhookFile:
    """A webhook file checked as the server would check it, its secret reference resolved;
    `company` (from `--company`) replaces the file's own."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER)
    except OSError as error:
        raise FileProblem(f"{path}: cannot read: {error.strerror}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise FileProblem(f"{path}: not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise FileProblem(f"{path}: a webhook file must hold a mapping (name, url, …)")
    target = company if company is not None else data.get("company")
    if not isinstance(target, str) or not target:
        raise FileProblem(f"{path}: company: is required (or give --company)")
    data = dict(data) | {"company": target}
    secret = _secret(path, data, environment)
    references = _header_references(path, data, environment)
    if secret is not None:
        data["auth"] = {k: v for k, v in data["auth"].items() if k != secret.field}
    try:
        normal = normal_form(data)
    except InvalidDefinition as error:
        raise FileProblem(f"{path}: {error.message}") from None
    return WebhookFile(str(path), target, normal["name"], data, secret, references)


def _secret(path: Path, data: dict[str, Any], environment: Mapping[str, str]) -> SecretToSet | None:
    auth = data.get("auth")
    if not isinstance(auth, dict):
        return None
    field = SECRET_FIELDS.get(str(auth.get("type")))
    if field is None or auth.get(field) is None:
        return None
    match = REFERENCE.match(str(auth[field]))
    if match is None:
        raise FileProblem(
            f"{path}: auth.{field}: write the secret as a reference such as ${{VARIABLE}} "
            "and set the variable when you apply; secrets are never kept in files"
        )
    variable = match.group(1)
    return SecretToSet(field, variable, _referenced(path, f"auth.{field}", variable, environment))


def _referenced(path: Path, field: str, variable: str, environment: Mapping[str, str]) -> str:
    """The secret a file's `${VARIABLE}` at `field` refers to, from the environment."""
    value = environment.get(variable)
    if not value:
        raise FileProblem(
            f"{path}: {field}: the environment variable {variable} is not set "
            "(it holds the secret this file refers to)"
        )
    return value


def _header_references(
    path: Path, data: dict[str, Any], environment: Mapping[str, str]
) -> dict[int, str]:
    """Resolve `${VARIABLE}` in the values of credential headers (`X-Api-Key`) in place;
    returns which headers came from which variable."""
    headers = data.get("headers")
    if not isinstance(headers, list):
        return {}
    resolved: dict[int, str] = {}
    for index, header in enumerate(headers):
        if not isinstance(header, dict) or not is_sensitive_header(str(header.get("key"))):
            continue
        match = REFERENCE.match(str(header.get("value")))
        if match is None:
            continue
        variable = match.group(1)
        value = _referenced(path, f"headers[{index}].value", variable, environment)
        headers[index] = header | {"value": value}
        resolved[index] = variable
    data["headers"] = headers
    return resolved
