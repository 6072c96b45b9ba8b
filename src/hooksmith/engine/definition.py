"""The webhook definition: a validated, immutable value loaded from YAML or JSON.

See docs/design.md#the-webhook.

>>> hook = Webhook.model_validate({"name": "Order", "url": "https://api.example.com/o"})
>>> hook.timeout
5.0
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hooksmith.engine.condition import check_condition
from hooksmith.engine.errors import InvalidDefinition
from hooksmith.engine.jsondata import not_text
from hooksmith.engine.redaction import WITHHELD_SECRET, is_sensitive_header

TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
FRAMING_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "upgrade",
        "te",
        "trailer",
        "expect",
    }
)
ORIGIN_HEADERS = frozenset({"forwarded", "x-real-ip", "x-client-ip", "true-client-ip"})
MAX_BODY_CHARS = 256 * 1024
MAX_TEMPLATE_CHARS = 8 * 1024
MAX_RETRIES = 5
RetryTrigger = Literal["connect_error", "timeout", 429, 502, 503, 504]
RETRY_TRIGGERS: Final[tuple[RetryTrigger, ...]] = ("connect_error", "timeout", 429, 502, 503, 504)


class Method(StrEnum):
    GET = "GET"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"
    HEAD = "HEAD"
    OPTIONS = "OPTIONS"


class ResponseType(StrEnum):
    JSON = "json"
    XML = "xml"
    TEXT = "text"


class ExecutionMode(StrEnum):
    SYNC = "sync"
    ASYNC = "async"


class _Value(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NoAuth(_Value):
    type: Literal["none"] = "none"


class BasicAuth(_Value):
    type: Literal["basic"]
    username: str = Field(min_length=1, max_length=500)
    password: SecretStr = Field(max_length=2000)

    @field_validator("username")
    @classmethod
    def _no_colon(cls, value: str) -> str:
        if ":" in value:
            raise ValueError("a basic-auth username cannot contain ':'")
        return value


class BearerAuth(_Value):
    type: Literal["bearer"]
    token: SecretStr = Field(min_length=1, max_length=8000)


class ApiKeyAuth(_Value):
    """An API key sent as a header or a query parameter named `name`."""

    type: Literal["api_key"]
    location: Literal["header", "query"] = "header"
    name: str = Field(min_length=1, max_length=200)
    key: SecretStr = Field(min_length=1, max_length=8000)

    @field_validator("name")
    @classmethod
    def _name(cls, name: str, info: ValidationInfo) -> str:
        if info.data.get("location", "header") == "header":
            return check_header_name(name)  # the rules of a configured header's name
        if any(ch in name for ch in "\x00\r\n&=#"):
            raise ValueError("must not contain control characters, '&', '=' or '#'")
        return name


class OAuth2Auth(_Value):
    """OAuth2 client credentials: a token fetched from `token_url`, sent as a bearer token.

    See docs/design.md#oauth2-client-credentials.
    """

    type: Literal["oauth2"]
    token_url: str = Field(min_length=1, max_length=2000)
    client_id: str = Field(min_length=1, max_length=500)
    client_secret: SecretStr = Field(min_length=1, max_length=8000)
    scope: str | None = Field(default=None, max_length=2000)
    audience: str | None = Field(default=None, max_length=2000)
    client_auth: Literal["basic", "body"] = "basic"

    @field_validator("token_url")
    @classmethod
    def _token_url(cls, url: str) -> str:
        if not re.match(r"^https?://[^/?#\s]+", url, re.IGNORECASE):
            raise ValueError(f"must be an http:// or https:// URL (got {url[:40]!r})")
        if any(ch in url for ch in "\r\n\t\x00 {}"):
            raise ValueError("must be a plain URL, without spaces, control characters or {{ }}")
        return url

    @field_validator("scope", "audience")
    @classmethod
    def _optional(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


class HmacAuth(_Value):
    """HMAC-SHA256 signing of each request; see docs/design.md#hmac-signing."""

    type: Literal["hmac"]
    secret: SecretStr = Field(min_length=1, max_length=8000)
    signature_header: str = Field(default="X-Hooksmith-Signature", min_length=1, max_length=200)
    timestamp_header: str = Field(default="X-Hooksmith-Timestamp", min_length=1, max_length=200)

    _names = field_validator("signature_header", "timestamp_header")(
        lambda name: check_header_name(name)
    )

    @model_validator(mode="after")
    def _header_names(self) -> HmacAuth:
        if self.signature_header.lower() == self.timestamp_header.lower():
            raise ValueError("signature_header and timestamp_header must differ")
        return self


AnyAuth = NoAuth | BasicAuth | BearerAuth | ApiKeyAuth | OAuth2Auth | HmacAuth
Auth = Annotated[AnyAuth, Field(discriminator="type")]
AUTH_KINDS: Final = ("none", "basic", "bearer", "api_key", "oauth2", "hmac")

# The one write-only field of each kind of auth (its stand-in when withheld: WITHHELD_SECRET).
SECRET_FIELDS: Final = {
    "basic": "password",
    "bearer": "token",
    "api_key": "key",
    "oauth2": "client_secret",
    "hmac": "secret",
}


def auth_secret(auth: AnyAuth) -> str | None:
    """The one secret value of an auth, or None: every auth secret is read here and only here.

    >>> auth_secret(BearerAuth(type="bearer", token="t0ken")), auth_secret(NoAuth())
    ('t0ken', None)
    """
    field = SECRET_FIELDS.get(auth.type)
    if field is None:
        return None
    secret: SecretStr = getattr(auth, field)
    return secret.get_secret_value()


def omitted_secret(auth: Any) -> str | None:
    """The secret field that definition data's `auth` needs but leaves out, if any.

    >>> omitted_secret({"type": "bearer"}), omitted_secret({"type": "basic", "password": "p"})
    ('token', None)
    """
    if not isinstance(auth, dict):
        return None
    field = SECRET_FIELDS.get(str(auth.get("type")))
    return field if field is not None and not auth.get(field) else None


def with_withheld_secret(data: dict[str, Any]) -> dict[str, Any]:
    """Definition data whose omitted secret (write-only, so often left out) is the stand-in."""
    field = omitted_secret(data.get("auth"))
    if field is None:
        return data
    return data | {"auth": data["auth"] | {field: WITHHELD_SECRET}}


def _check_template_value(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


class Header(_Value):
    key: str = Field(min_length=1, max_length=200)
    value: str = Field(default="", max_length=MAX_TEMPLATE_CHARS)

    @field_validator("key")
    @classmethod
    def _token(cls, key: str) -> str:
        return check_header_name(key)

    _value = field_validator("value")(_check_template_value)


def check_header_name(key: str) -> str:
    """`key` if it is a header name a webhook may set, else a ValueError saying why."""
    if not TOKEN.fullmatch(key):
        raise ValueError(
            f"{key!r} is not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only)"
        )
    lowered = key.lower()
    if lowered in FRAMING_HEADERS or lowered.startswith("proxy-"):
        raise ValueError(f"{key!r} is set by hooksmith itself and cannot be configured")
    if lowered in ORIGIN_HEADERS or lowered.startswith("x-forwarded-"):
        raise ValueError(
            f"{key!r} tells a server where a request came from; a webhook cannot set it"
        )
    return key


class Param(_Value):
    key: str = Field(min_length=1, max_length=200)
    value: str = Field(default="", max_length=MAX_TEMPLATE_CHARS)

    _key = field_validator("key")(_check_template_value)
    _value = field_validator("value")(_check_template_value)


class Retry(_Value):
    """When a failed attempt is sent again: up to `attempts` retries after the first try.

    POST and PATCH are retried only with `non_idempotent: true`, and then carry an
    `Idempotency-Key` header, the same on every attempt of one execution.
    """

    attempts: int = 0
    on: tuple[RetryTrigger, ...] = RETRY_TRIGGERS
    non_idempotent: bool = False

    @field_validator("attempts", mode="before")
    @classmethod
    def _attempts(cls, attempts: Any) -> Any:
        if isinstance(attempts, bool) or not isinstance(attempts, int):
            raise ValueError(
                f"must be a whole number between 0 and {MAX_RETRIES} (got {attempts!r})"
            )
        if not 0 <= attempts <= MAX_RETRIES:
            raise ValueError(f"must be between 0 and {MAX_RETRIES} (got {attempts})")
        return attempts

    @field_validator("on", mode="before")
    @classmethod
    def _triggers(cls, on: Any) -> Any:
        choices = ", ".join(str(trigger) for trigger in RETRY_TRIGGERS)
        if not isinstance(on, list | tuple):
            raise ValueError(f"must be a list of {choices} (got {on!r})")
        chosen: list[Any] = []
        for item in on:
            trigger = int(item) if isinstance(item, str) and item.isdigit() else item
            if isinstance(trigger, bool) or trigger not in RETRY_TRIGGERS:
                raise ValueError(f"{item!r} is not a retry reason; choose from {choices}")
            if trigger not in chosen:
                chosen.append(trigger)
        return tuple(chosen)

    @field_validator("non_idempotent", mode="before")
    @classmethod
    def _flag(cls, flag: Any) -> Any:
        if not isinstance(flag, bool):
            raise ValueError(f"must be true or false (got {flag!r})")
        return flag


class CustomVariable(_Value):
    name: str = Field(min_length=1, max_length=100)
    mapper: str = Field(min_length=1, max_length=2000)
    default: JsonValue = None

    @field_validator("name")
    @classmethod
    def _identifier(cls, name: str) -> str:
        if not IDENTIFIER.fullmatch(name):
            raise ValueError(
                f"{name!r} is not a valid variable name (a letter or _, then letters, digits, _)"
            )
        return name


class Webhook(_Value):
    """One webhook: where it sends, what it sends and which custom variables it extracts."""

    name: str = Field(min_length=1, max_length=200)
    company: str | None = None
    method: Method = Method.GET
    url: str = Field(min_length=1, max_length=MAX_TEMPLATE_CHARS)
    response_type: ResponseType = ResponseType.JSON
    execution: ExecutionMode = ExecutionMode.SYNC
    timeout: float = 5.0
    auth: Auth = Field(default_factory=NoAuth)
    headers: tuple[Header, ...] = ()
    params: tuple[Param, ...] = ()
    context: dict[str, str] = Field(default_factory=dict)
    body: str | None = Field(default=None, max_length=MAX_BODY_CHARS)
    custom_variables: tuple[CustomVariable, ...] = ()
    retry: Retry = Field(default_factory=Retry)
    success_condition: str | None = Field(default=None, max_length=2000)
    # With credentials, a host placeholder is filled from `context` only, unless this is set:
    # else conversation data could choose where the credentials are sent.
    host_from_conversation: bool = False

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, name: str) -> str:
        if not name.strip():
            raise ValueError("must not be blank")
        return name

    @field_validator("company")
    @classmethod
    def _slug(cls, company: str | None) -> str | None:
        if company is not None and not SLUG.fullmatch(company):
            raise ValueError(f"{company!r} is not a company slug (lowercase letters, digits, -)")
        return company

    @field_validator("method", mode="before")
    @classmethod
    def _method_upper(cls, method: Any) -> Any:
        if isinstance(method, str):
            upper = method.upper()
            if upper not in Method.__members__:
                raise ValueError(f"must be one of {', '.join(Method)} (got {method!r})")
            return upper
        return method

    @field_validator("timeout", mode="before")
    @classmethod
    def _timeout(cls, timeout: Any) -> Any:
        if isinstance(timeout, bool) or not isinstance(timeout, int | float):
            raise ValueError(f"must be a number of seconds (got {timeout!r})")
        if not 0 < timeout <= 60:
            raise ValueError(f"must be > 0 and ≤ 60 seconds (got {timeout})")
        return float(timeout)

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        literal = re.sub(r"\{\{.*?\}\}", "", url)
        if any(ch in literal for ch in "\r\n\t\x00 ") or any(ch in url for ch in "\r\n\x00"):
            raise ValueError("must not contain spaces or control characters outside {{ }}")
        if not re.match(r"^https?://", url, re.IGNORECASE):
            raise ValueError(f"must start with http:// or https:// (got {url[:40]!r})")
        if "{%" in url or "{#" in url:
            raise ValueError(
                "may hold {{ placeholders }} but no {% statements %} or {# comments #}"
            )
        return url

    @field_validator("context")
    @classmethod
    def _context_names(cls, context: dict[str, str]) -> dict[str, str]:
        for name, value in context.items():
            if not IDENTIFIER.fullmatch(name):
                raise ValueError(f"{name!r} is not a valid placeholder name")
            if len(value) > 1000:
                raise ValueError(f"the value of {name!r} is longer than 1000 characters")
        return context

    @field_validator("body")
    @classmethod
    def _body(cls, body: str | None) -> str | None:
        if body is not None and not body.strip():
            return None
        return body

    @field_validator("retry", mode="before")
    @classmethod
    def _retry_default(cls, retry: Any) -> Any:
        return {} if retry is None else retry

    @field_validator("success_condition")
    @classmethod
    def _condition(cls, condition: str | None) -> str | None:
        if condition is None or not condition.strip():
            return None
        check_condition(condition)
        return condition

    @model_validator(mode="after")
    def _unique_variables(self) -> Webhook:
        seen: set[str] = set()
        for variable in self.custom_variables:
            if variable.name in seen:
                raise ValueError(f"custom_variables: the name {variable.name!r} is used twice")
            seen.add(variable.name)
        return self

    def carries_credentials(self) -> bool:
        """Whether the webhook sends auth or a header named like a credential (`X-Api-Key`)."""
        return not isinstance(self.auth, NoAuth) or any(
            is_sensitive_header(header.key) for header in self.headers
        )

    def secrets(self) -> list[str]:
        """Every secret value of this webhook, for redaction."""
        secret = auth_secret(self.auth)
        return [secret] if secret else []

    def to_data(self) -> dict[str, Any]:
        """The definition as plain data with its secrets in clear (for files and storage)."""
        data = self.model_dump(mode="json")
        secret = auth_secret(self.auth)
        if secret is not None:
            data["auth"][SECRET_FIELDS[self.auth.type]] = secret
        return data


def field_path(location: tuple[int | str, ...]) -> str:
    """`('headers', 0, 'key')` → `headers[0].key`, the way errors name a field."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in AUTH_KINDS and path.endswith("auth"):
            continue
        else:
            path += f".{part}" if path else str(part)
    return path


def validation_errors(error: ValidationError) -> list[tuple[str, str]]:
    """Pydantic's errors as (field path, message) pairs with messages a bot builder can act on."""
    found: list[tuple[str, str]] = []
    for item in error.errors():
        field = field_path(tuple(item["loc"]))
        kind = item["type"]
        message = str(item["msg"]).removeprefix("Value error, ")
        if kind == "extra_forbidden":
            message = "is not a known field"
        elif kind == "missing":
            message = "is required"
        elif kind == "union_tag_invalid":
            kinds = ", ".join(AUTH_KINDS)
            message = f"type must be one of {kinds} (got {item['input'].get('type')!r})"
        elif kind == "enum":
            expected = item.get("ctx", {}).get("expected", "")
            message = f"must be one of {expected} (got {item['input']!r})"
        else:
            message = _plain_words(kind, item.get("ctx", {}), item.get("input"), message)
        if message.startswith("custom_variables: "):
            field, message = "custom_variables", message.removeprefix("custom_variables: ")
        found.append((field, message))
    return found


def _plain_words(kind: str, limits: dict[str, Any], given: Any, message: str) -> str:
    """A validator's wording ("String should have at least 1 character") said as a rule of
    the form ("must not be empty"); a message of our own validators passes unchanged.

    >>> _plain_words("string_too_long", {"max_length": 200}, "x" * 201, "")
    'must be at most 200 characters long (got 201)'
    """
    if kind == "string_too_short":
        least = limits.get("min_length", 1)
        return "must not be empty" if least == 1 else f"must be at least {least} characters long"
    if kind == "string_too_long":
        size = f" (got {len(given)})" if isinstance(given, str | list) else ""
        return f"must be at most {limits.get('max_length')} characters long{size}"
    if kind in {"too_short", "too_long"}:  # a list, or a secret's text
        bound = limits.get("min_length" if kind == "too_short" else "max_length")
        if kind == "too_short" and bound == 1:
            return "must not be empty"
        unit = "items" if isinstance(given, list | tuple | dict) else "characters"
        return f"must have {'at least' if kind == 'too_short' else 'at most'} {bound} {unit}"
    bounds = {
        "greater_than": "more than {gt}",
        "greater_than_equal": "at least {ge}",
        "less_than": "less than {lt}",
        "less_than_equal": "at most {le}",
    }
    if kind in bounds:
        return f"must be {bounds[kind].format(**limits)} (got {given!r})"
    words = {
        "bool_parsing": "must be true or false",
        "bool_type": "must be true or false",
        "int_parsing": "must be a whole number",
        "int_type": "must be a whole number",
        "int_from_float": "must be a whole number",
        "float_parsing": "must be a number",
        "float_type": "must be a number",
        "string_type": "must be text",
        "list_type": "must be a list",
        "tuple_type": "must be a list",
        "dict_type": "must be an object",
        "model_type": "must be an object",
        "model_attributes_type": "must be an object",
    }
    if kind in words:
        return (
            f"{words[kind]} (got {given!r})"
            if isinstance(given, str | int | float)
            else words[kind]
        )
    if kind == "literal_error":
        return f"must be {limits.get('expected', 'one of the listed values')} (got {given!r})"
    return message


def _unstorable_text(data: Any) -> Iterator[tuple[str, str]]:
    """(field, message) for each string holding NUL or a lone surrogate, which no database or
    UTF-8 text can carry."""
    stack: list[tuple[tuple[int | str, ...], Any]] = [((), data)]
    while stack:
        location, item = stack.pop()
        if isinstance(item, str):
            problem = not_text(item)
            if problem is not None:
                yield field_path(location), problem
        elif isinstance(item, dict):
            for key, value in item.items():
                stack.append(((*location, str(key)), key if not_text(str(key)) else value))
        elif isinstance(item, list):
            stack.extend(((*location, index), value) for index, value in enumerate(item))


def parse_webhook(data: Any) -> Webhook:
    """Validate plain data as a webhook, raising `InvalidDefinition` that names every bad field."""
    if not isinstance(data, dict):
        raise InvalidDefinition([("", "a webhook definition must be an object")])
    unstorable = list(_unstorable_text(data))
    if unstorable:
        raise InvalidDefinition(unstorable)
    try:
        return Webhook.model_validate(data)
    except ValidationError as error:
        raise InvalidDefinition(validation_errors(error)) from None


def load_webhook(path: Path) -> Webhook:
    """Load a definition from a `.json`, `.yaml` or `.yml` file."""
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise InvalidDefinition([("", f"{path.name} is not valid JSON/YAML: {error}")]) from None
    return parse_webhook(data)
