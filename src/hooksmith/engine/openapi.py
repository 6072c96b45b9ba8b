"""OpenAPI 3 in: list a document's operations, and turn one into webhook definition data.

Pure: the document is given (as data, or JSON or YAML text); nothing is fetched or saved. The
URL is `servers[0]` (its variables become Context placeholders, with their defaults) and the
path, whose `{param}`s become conversation placeholders (`{{ param }}`). Query and header
parameters become `params` and `headers`; the first supported `security` requirement becomes
the auth (secrets left empty: the user gives them); a JSON request schema becomes a body
skeleton; a form body (`application/x-www-form-urlencoded`) becomes query `params`, as cURL
import does, because hooksmith sends JSON bodies only. The 2xx response schema offers custom
variables (`suggested_mappers`); what could not be imported is said in `notes`.

    >>> doc = {"openapi": "3.0.3", "servers": [{"url": "https://api.example.com/v1"}],
    ...        "paths": {"/pets/{petId}": {"get": {"operationId": "showPet"}}}}
    >>> import_openapi(doc, "showPet")["definition"]["url"]
    'https://api.example.com/v1/pets/{{ petId }}'
"""

from __future__ import annotations

import re
from typing import Any, Final
from urllib.parse import urljoin

import yaml

from hooksmith.engine.definition import SECRET_FIELDS, ApiKeyAuth, Header, parse_webhook
from hooksmith.engine.errors import InvalidDefinition
from hooksmith.engine.jsondata import MAX_DEPTH, JsonRefused, load_json
from hooksmith.engine.redaction import WITHHELD_SECRET
from hooksmith.engine.schemas import (
    body_skeleton,
    form_fields,
    placeholder_name,
    resolve,
    suggested_mappers,
)

DOCUMENT: Final = "document"
VERSION: Final = "openapi"
OPERATION: Final = "operation"
SERVER: Final = "server"
MAX_DOCUMENT_CHARS: Final = 2 * 1024 * 1024  # a large API's excerpt
MAX_OPERATIONS: Final = 2000
METHODS: Final = ("get", "put", "post", "delete", "patch", "head", "options")
FORM_TYPE: Final = "application/x-www-form-urlencoded"
PATH_PARAM: Final = re.compile(r"\{([^{}/]+)\}")


def _refuse(field: str, message: str) -> InvalidDefinition:
    return InvalidDefinition([(field, message)])


def _load_yaml(text: str) -> Any:
    """YAML read by libyaml when present, refusing aliases (a few can stand for billions of
    nodes) and nesting deeper than JSON's limit, both found in one pass over its events."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent):
            raise _refuse(DOCUMENT, "YAML aliases (*name) are not accepted; write the value out")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _refuse(DOCUMENT, f"nested deeper than {MAX_DEPTH} levels")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return yaml.load(text, Loader=loader)


def _parse(text: str) -> Any:
    if len(text) > MAX_DOCUMENT_CHARS:
        raise _refuse(DOCUMENT, f"the document is longer than {MAX_DOCUMENT_CHARS // 2**20} MB")
    if text.lstrip()[:1] in {"{", "["}:
        try:
            return load_json(text)
        except JsonRefused as error:
            raise _refuse(DOCUMENT, f"not valid JSON: {error}") from None
    try:
        return _load_yaml(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise _refuse(DOCUMENT, f"not valid JSON or YAML: {where}{error.problem}") from None
    except (yaml.YAMLError, ValueError) as error:  # ValueError: a date such as 2024-02-30
        raise _refuse(DOCUMENT, f"not valid JSON or YAML: {error}") from None


def read_openapi(document: Any) -> dict[str, Any]:
    """An OpenAPI 3 document from data or JSON/YAML text; `InvalidDefinition` names the field."""
    data = _parse(document) if isinstance(document, str) else document
    if not isinstance(data, dict):
        raise _refuse(DOCUMENT, "give an OpenAPI 3 document (a JSON or YAML object)")
    version = data.get(VERSION)
    if not isinstance(version, str) or not version.startswith("3."):
        found = f"swagger {data['swagger']}" if "swagger" in data else repr(version)[:20]
        raise _refuse(VERSION, f"must be an OpenAPI 3.x document (found {found})")
    if not isinstance(data.get("paths"), dict) or not data["paths"]:
        raise _refuse(DOCUMENT, "the document has no paths")
    return data


def _operations(data: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    found: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = []
    for path, item in data["paths"].items():
        item = resolve(data, item)
        if not isinstance(path, str) or not isinstance(item, dict):
            continue
        for method in METHODS:
            operation = item.get(method)
            if isinstance(operation, dict) and len(found) < MAX_OPERATIONS:
                found.append((method.upper(), path, item, operation))
    return found


def _text(value: Any) -> str | None:
    return value[:300] if isinstance(value, str) else None


def list_operations(document: Any) -> list[dict[str, Any]]:
    """Each operation of the document: method, path, operation_id, summary.

    >>> list_operations({"openapi": "3.1.0", "paths": {"/me": {"get": {"summary": "Me"}}}})
    [{'method': 'GET', 'path': '/me', 'operation_id': None, 'summary': 'Me'}]
    """
    return [
        {
            "method": method,
            "path": path,
            "operation_id": _text(operation.get("operationId")),
            "summary": _text(operation.get("summary")),
        }
        for method, path, _, operation in _operations(read_openapi(document))
    ]


def _find(data: dict[str, Any], wanted: str) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    operations = _operations(data)
    method, _, path = wanted.strip().partition(" ")
    for found in operations:
        if found[3].get("operationId") == wanted.strip() or (
            found[0] == method.upper() and found[1] == path.strip()
        ):
            return found
    some = ", ".join(str(op.get("operationId") or f"{m} {p}") for m, p, _, op in operations[:5])
    raise _refuse(OPERATION, f"no operation {wanted[:80]!r} in the document (try: {some})")


def _base_url(
    data: dict[str, Any], server: str | None, notes: list[str], document_url: str | None
) -> tuple[str, dict[str, str]]:
    context: dict[str, str] = {}
    if server is not None:
        if not re.match(r"^https?://", server, re.IGNORECASE):
            raise _refuse(SERVER, f"must start with http:// or https:// (got {server[:40]!r})")
        return server.rstrip("/"), context
    servers = data.get("servers")
    first = resolve(data, servers[0]) if isinstance(servers, list) and servers else None
    url = first.get("url") if isinstance(first, dict) else None
    url = url if isinstance(url, str) else "/"
    variables = first.get("variables") if isinstance(first, dict) else None
    for name in PATH_PARAM.findall(url):
        spec = variables.get(name) if isinstance(variables, dict) else None
        default = spec.get("default") if isinstance(spec, dict) else None
        ident = placeholder_name(name)
        context[ident] = str(default)[:1000] if default is not None else ""
        url = url.replace("{" + name + "}", "{{ " + ident + " }}")
    if document_url is not None and not re.match(r"^https?://", url, re.IGNORECASE):
        url = urljoin(document_url, url)  # a relative server is relative to the document
    if not re.match(r"^https?://", url, re.IGNORECASE):
        raise _refuse(
            SERVER,
            f"servers[0] is {url[:60]!r}, not a full URL: give the API's base URL "
            "(https://…) as server",
        )
    if context:
        notes.append("the server's variables are in Context: " + ", ".join(context))
    return url.rstrip("/"), context


def _parameters(
    data: dict[str, Any], item: dict[str, Any], operation: dict[str, Any]
) -> list[dict[str, Any]]:
    chosen: dict[tuple[str, str], dict[str, Any]] = {}
    for source in (item.get("parameters"), operation.get("parameters")):
        for raw in source if isinstance(source, list) else []:
            param = resolve(data, raw)
            if isinstance(param, dict) and isinstance(param.get("name"), str):
                chosen[(str(param.get("in")), param["name"])] = param
    return list(chosen.values())


def _value_of(data: dict[str, Any], param: dict[str, Any], name: str) -> str | None:
    """A required parameter's placeholder; an optional one's default, else None (left out)."""
    if param.get("required"):
        return "{{ " + placeholder_name(name) + " }}"
    schema = resolve(data, param.get("schema"))
    default = schema.get("default") if isinstance(schema, dict) else None
    if isinstance(default, str | int | float) and not isinstance(default, bool):
        return str(default).replace("{", "").replace("}", "")
    return None


def _auth(
    data: dict[str, Any], operation: dict[str, Any], definition: dict[str, Any], notes: list[str]
) -> None:
    security = operation.get("security", data.get("security"))
    if not isinstance(security, list) or not security:
        return
    components = data.get("components")
    schemes = resolve(
        data, components.get("securitySchemes") if isinstance(components, dict) else None
    )
    skipped: list[str] = []
    for requirement in security:
        if not isinstance(requirement, dict) or not requirement:
            return  # `{}`: the operation may be called without auth
        if len(requirement) != 1:
            skipped.append(" + ".join(map(str, requirement)))
            continue
        name = next(iter(requirement))
        scheme = resolve(data, schemes.get(name)) if isinstance(schemes, dict) else None
        kind = scheme.get("type") if isinstance(scheme, dict) else None
        how = str(scheme.get("scheme", "")).lower() if isinstance(scheme, dict) else ""
        where = scheme.get("in") if isinstance(scheme, dict) else None
        key = scheme.get("name") if isinstance(scheme, dict) else None
        token_url = _client_credentials_url(data, scheme)
        if token_url is not None:
            scopes = requirement[name] if isinstance(requirement[name], list) else []
            definition["auth"] = {
                "type": "oauth2",
                "token_url": token_url,
                "client_id": "",
                "client_secret": "",
                "scope": " ".join(str(scope) for scope in scopes) or None,
            }
            notes.append(f"auth ({name}): give the OAuth2 client id and client secret")
        elif (kind == "http" and how == "bearer") or kind in {"oauth2", "openIdConnect"}:
            definition["auth"] = {"type": "bearer", "token": ""}
            notes.append(f"auth ({name}): give the bearer token")
        elif kind == "http" and how == "basic":
            definition["auth"] = {"type": "basic", "username": "", "password": ""}
            notes.append(f"auth ({name}): give the username and password")
        elif kind == "apiKey" and where in {"header", "query"} and _api_key_name(key, where):
            definition["auth"] = {"type": "api_key", "name": key, "location": where, "key": ""}
            notes.append(f"auth ({name}): give the API key (sent in the {where} {key})")
        else:
            skipped.append(f"{name} ({kind or 'unknown'})")
            continue
        return
    notes.append("auth not imported, set it by hand: " + ", ".join(skipped[:5]))


def _client_credentials_url(data: dict[str, Any], scheme: Any) -> str | None:
    """The absolute token URL of an OAuth2 scheme's client credentials flow, if it has one."""
    if not isinstance(scheme, dict) or scheme.get("type") != "oauth2":
        return None
    flows = resolve(data, scheme.get("flows"))
    flow = resolve(data, flows.get("clientCredentials")) if isinstance(flows, dict) else None
    url = flow.get("tokenUrl") if isinstance(flow, dict) else None
    if not isinstance(url, str) or not url.lower().startswith(("https://", "http://")):
        return None
    return url if not any(ch in url for ch in " {}\r\n\t\x00") else None


def _api_key_name(key: Any, where: Any) -> bool:
    """Whether an API key's name can be an `api_key` auth's name in `where`."""
    if not isinstance(key, str) or not key:
        return False
    try:
        ApiKeyAuth(type="api_key", name=key, location=where, key="k")
    except ValueError:
        return False
    return True


def _json_type(content: dict[str, Any]) -> str | None:
    return next(
        (kind for kind in content if isinstance(kind, str) and
         (kind.split(";")[0] == "application/json" or kind.split(";")[0].endswith("+json"))),
        None,
    )  # fmt: skip


def _body(
    data: dict[str, Any], operation: dict[str, Any], definition: dict[str, Any], notes: list[str]
) -> None:
    request = resolve(data, operation.get("requestBody"))
    content = request.get("content") if isinstance(request, dict) else None
    if not isinstance(content, dict) or not content:
        return
    kind = _json_type(content)
    if kind is not None:
        media = resolve(data, content[kind])
        schema = media.get("schema") if isinstance(media, dict) else None
        definition["body"] = body_skeleton(data, schema) if schema is not None else "{}"
    elif FORM_TYPE in content:
        media = resolve(data, content[FORM_TYPE])
        schema = media.get("schema") if isinstance(media, dict) else None
        left_out = []
        for name, required, field in form_fields(data, schema):
            value = _value_of(data, {"required": required, "schema": field}, name)
            if value is None:
                left_out.append(name)
            else:
                definition["params"].append({"key": name, "value": value})
        if definition["params"] or left_out:
            notes.append("the form body's fields are sent as query params (hooksmith sends JSON)")
        if left_out:
            notes.append("optional form fields left out: " + ", ".join(left_out[:20]))
    else:
        notes.append(f"the request body ({', '.join(map(str, content))[:80]}) is not JSON: "
                     "not imported")  # fmt: skip


def _response_schema(data: dict[str, Any], operation: dict[str, Any]) -> Any:
    responses = operation.get("responses")
    if not isinstance(responses, dict):
        return None
    for code, raw in sorted(responses.items(), key=lambda pair: str(pair[0])):
        if re.fullmatch(r"2(\d\d|XX)", str(code)):
            response = resolve(data, raw)
            content = response.get("content") if isinstance(response, dict) else None
            kind = _json_type(content) if isinstance(content, dict) else None
            media = resolve(data, content[kind]) if kind and isinstance(content, dict) else None
            if isinstance(media, dict) and media.get("schema") is not None:
                return media["schema"]
    return None


def import_openapi(
    document: Any, operation: str, *, server: str | None = None, document_url: str | None = None
) -> dict[str, Any]:
    """One operation as `{"definition", "suggested_mappers", "notes"}`; nothing is sent.

    `server` replaces `servers[0]`; a relative `servers[0]` is read against `document_url`
    (where the document was fetched from), else `server` must be given.
    """
    data = read_openapi(document)
    if not isinstance(operation, str) or not operation.strip():
        raise _refuse(OPERATION, "give an operationId or 'METHOD /path'")
    method, path, item, found = _find(data, operation)
    notes: list[str] = []
    base, context = _base_url(data, server, notes, document_url)
    url = PATH_PARAM.sub(lambda match: "{{ " + placeholder_name(match[1]) + " }}", path)
    name = _text(found.get("summary")) or _text(found.get("operationId")) or f"{method} {path}"
    definition: dict[str, Any] = {"name": name.strip()[:200] or f"{method} {path}"[:200]}
    definition |= {"method": method, "url": base + url, "headers": [], "params": []}
    definition |= {"auth": {"type": "none"}, "context": context, "body": None}
    left_out: list[str] = []
    for param in _parameters(data, item, found):
        where, key = param.get("in"), param["name"]
        value = _value_of(data, param, key) if where in {"query", "header"} else None
        if value is not None:
            definition["params" if where == "query" else "headers"].append(
                {"key": key, "value": value}
            )
        elif where in {"query", "header"}:
            left_out.append(key)
    if left_out:
        notes.append("optional parameters left out: " + ", ".join(left_out[:20]))
    _auth(data, found, definition, notes)
    _body(data, found, definition, notes)
    headers = []
    for header in definition["headers"]:
        try:
            Header(key=header["key"], value=header["value"])
            headers.append(header)
        except ValueError:
            notes.append(f"the header {header['key'][:40]!r} cannot be set by a webhook")
    definition["headers"] = headers
    auth = definition["auth"]
    # What the author gives later (the secret, a user name or client id) stood in for the check.
    stand_in = dict(auth)
    if auth["type"] in SECRET_FIELDS:
        stand_in[SECRET_FIELDS[auth["type"]]] = WITHHELD_SECRET
    for given_later in ("username", "client_id"):
        if given_later in stand_in:
            stand_in[given_later] = "user"
    parse_webhook(definition | {"auth": stand_in})
    schema = _response_schema(data, found)
    mappers = suggested_mappers(data, schema) if schema is not None else []
    return {"definition": definition, "suggested_mappers": mappers, "notes": notes}
