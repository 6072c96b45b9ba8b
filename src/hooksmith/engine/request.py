"""Build the outgoing request of a webhook from its definition and conversation data."""

from __future__ import annotations

import base64
import dataclasses
import re
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus, urlsplit, urlunsplit

from hooksmith.engine.body import render_body
from hooksmith.engine.definition import (
    ApiKeyAuth,
    BasicAuth,
    BearerAuth,
    HmacAuth,
    OAuth2Auth,
    Webhook,
    auth_secret,
)
from hooksmith.engine.errors import EgressBlocked, RenderError
from hooksmith.engine.lookup import path_of, read_text
from hooksmith.engine.redaction import WITHHELD_SECRET, Redactor
from hooksmith.engine.result import SentRequest
from hooksmith.engine.sandbox import Sandbox
from hooksmith.engine.signing import signed_headers
from hooksmith.engine.transport import OutgoingRequest
from hooksmith.engine.url import host_placeholders, render_url

# In a header value: control characters but tab (CR and LF would split the header) and lone
# surrogates (no UTF-8 text holds them); in a param value: lone surrogates.
_NOT_IN_HEADER = re.compile("[\x00-\x08\x0a-\x1f\x7f\ud800-\udfff]")
_NOT_IN_TEXT = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class PreparedRequest:
    """A rendered request, ready to send, with the redactor that hides its secrets."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: str | None
    redactor: Redactor
    warnings: tuple[str, ...] = field(default=())
    # (company secret, hosts it may go to) of each company secret the request carries
    secret_hosts: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def outgoing(self) -> OutgoingRequest:
        return OutgoingRequest(
            method=self.method,
            url=self.url,
            headers=self.headers,
            body=self.body.encode("utf-8") if self.body is not None else None,
            sensitive_headers=frozenset({"authorization"}),
            secret_hosts=self.secret_hosts,
        )

    def shown(self) -> SentRequest:
        """The request as the result shows it: credentials masked, secret values redacted.

        The header lines are given as dicts: validated in one call with the request, they cost
        a quarter less than models built one by one.
        """
        header = self.redactor.sent_header
        return SentRequest(
            method=self.method,
            url=self.redactor.text(self.url),
            headers=[{"key": k, "value": header(k, v)} for k, v in self.headers],
            body=self.redactor.text(self.body) if self.body is not None else None,
        )


def redactor_for(webhook: Webhook, company_secrets: tuple[str, ...] = ()) -> Redactor:
    """The redactor of the webhook's own secrets and of the company secrets it carries."""
    basic = None
    if isinstance(webhook.auth, BasicAuth):
        basic = f"{webhook.auth.username}:{auth_secret(webhook.auth) or ''}"
    return Redactor([*webhook.secrets(), *company_secrets], basic_credentials=basic)


def auth_header(webhook: Webhook) -> tuple[str, str] | None:
    """The header the webhook's auth adds as it is (an OAuth2 token is added when sent)."""
    auth, secret = webhook.auth, auth_secret(webhook.auth) or ""
    if isinstance(auth, BasicAuth):
        pair = f"{auth.username}:{secret}"
        return "Authorization", "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
    if isinstance(auth, BearerAuth):
        return "Authorization", "Bearer " + secret
    if isinstance(auth, ApiKeyAuth) and auth.location == "header":
        return auth.name, secret
    return None


def auth_header_names(webhook: Webhook) -> frozenset[str]:
    """The (lowercase) names of the headers the webhook's auth sets; a configured header of one
    of these names is replaced by the auth's."""
    auth = webhook.auth
    if isinstance(auth, BasicAuth | BearerAuth | OAuth2Auth):
        return frozenset({"authorization"})
    if isinstance(auth, ApiKeyAuth) and auth.location == "header":
        return frozenset({auth.name.lower()})
    if isinstance(auth, HmacAuth):
        return frozenset({auth.signature_header.lower(), auth.timestamp_header.lower()})
    return frozenset()


def signed(prepared: PreparedRequest, auth: HmacAuth) -> PreparedRequest:
    """The request with its timestamp and signature headers, over the exact body bytes sent."""
    body = prepared.outgoing().body or b""
    secret = auth_secret(auth) or ""
    timestamp, signature = signed_headers(
        secret,
        body,
        signature_header=auth.signature_header,
        timestamp_header=auth.timestamp_header,
    )
    if secret == WITHHELD_SECRET:  # a preview without the secret: no signature to show
        signature = (auth.signature_header, "(signed with the saved secret when sent)")
    return dataclasses.replace(prepared, headers=(*prepared.headers, timestamp, signature))


def prepare(
    sandbox: Sandbox,
    webhook: Webhook,
    conversation: Mapping[str, Any],
    *,
    deadline: float,
    request_scope: Mapping[str, Any] | None = None,
) -> PreparedRequest:
    """Render URL, params, headers and body; raises `RenderError` naming the field at fault.

    The body renders with `conversation`; the URL, params and headers with `request_scope`
    when given (the conversation with the company secrets they name), else `conversation`.

    What holds no placeholder (a static URL, fixed headers and params, the auth header, the
    redactor) is assembled once per webhook object, in its `RequestPlan`.
    """
    plan = plan_for(sandbox, webhook)
    if plan.host_refusal is not None:
        raise EgressBlocked(plan.host_refusal, field="url")
    cap = sandbox.limits.max_output_chars
    warnings: list[str] = []
    full_url = plan.full_url
    body_scope, conversation = conversation, request_scope or conversation
    if full_url is None:
        url = render_url(
            sandbox,
            webhook.url,
            context=webhook.context,
            conversation=conversation,
            deadline=deadline,
        )
        warnings.extend(url.warnings)
        encoded: list[str] = []
        for index, key, value, templated in plan.params:
            if templated:
                text = read_text(path_of(value), conversation, cap=cap)
                if text is None:
                    rendered = sandbox.render_text(
                        value, conversation, deadline=deadline, field=f"params[{index}].value"
                    )
                    warnings.extend(rendered.warnings)
                    text = rendered.value
                _refuse_characters(text, _NOT_IN_TEXT, f"params[{index}].value")
                value = quote_plus(text)
            encoded.append(f"{key}={value}")
        full_url = _with_params(url.value, encoded)

    headers: list[tuple[str, str]] = []
    for index, key, value, kind in plan.headers:
        if kind is _Part.STATIC:
            if not value.isascii():
                warnings.append(non_ascii_header_warning(index, value))
            headers.append((key, value))
        elif kind is _Part.TEMPLATE:
            text = read_text(path_of(value), conversation, cap=cap)
            if text is None:
                rendered = sandbox.render_text(
                    value, conversation, deadline=deadline, field=f"headers[{index}].value"
                )
                warnings.extend(rendered.warnings)
                text = rendered.value
            _check_header_value(index, text)
            if not text.isascii():
                warnings.append(non_ascii_header_warning(index, text))
            headers.append((key, text))
        else:
            warnings.append(f"headers[{index}]: {key} is replaced by the webhook's auth")
    headers.extend(plan.trailing_headers)

    body: str | None = None
    if webhook.body is not None:
        rendered = render_body(sandbox, webhook.body, body_scope, deadline=deadline)
        warnings.extend(rendered.warnings)
        body = _escape_surrogates(rendered.value)

    prepared = PreparedRequest(
        method=plan.method,
        url=full_url,
        headers=tuple(headers),
        body=body,
        redactor=plan.redactor,
        warnings=tuple(warnings),
    )
    if isinstance(webhook.auth, HmacAuth):
        return signed(prepared, webhook.auth)
    return prepared


def non_ascii_header_warning(index: int, value: str) -> str:
    """Why a header value with non-ASCII text may arrive garbled, and what to do about it.

    It is sent as it is, in UTF-8: there is no standard encoding of a whole header value (RFC
    8187 covers only parameters such as `filename*`), so re-encoding it would send something
    other than what was written; the API's documentation says what it decodes.

    >>> non_ascii_header_warning(0, "Zoë")[:60]
    'headers[0].value: "ë" is not ASCII; it is sent as UTF-8 byte'
    """
    char = next(c for c in value if not c.isascii())
    garbled = "".join(c if c.isprintable() else "?" for c in char.encode("utf-8").decode("latin-1"))
    return (
        f'headers[{index}].value: "{char}" is not ASCII; it is sent as UTF-8 bytes, which many '
        f'servers read as Latin-1, so it may arrive garbled ("{char}" as "{garbled}"); '
        "percent-encode or Base64-encode it if the API expects that"
    )


def _check_header_value(index: int, value: str) -> None:
    _refuse_characters(value, _NOT_IN_HEADER, f"headers[{index}].value")


def _refuse_characters(value: str, pattern: re.Pattern[str], field: str) -> None:
    found = pattern.search(value)
    if found is None:
        return
    char = found.group()
    what = "a line break" if char in "\r\n" else f"the control character U+{ord(char):04X}"
    if "\ud800" <= char <= "\udfff":
        what = f"a lone surrogate (U+{ord(char):04X}), which is not text"
    raise RenderError(
        f"{field}: the rendered value contains {what}; it cannot be sent in a request",
        field=field,
    )


def _escape_surrogates(body: str) -> str:
    """The JSON body with lone surrogates as `\\udXXX` escapes: the same JSON, in UTF-8.

    The body is valid JSON already, so a surrogate can only sit inside a string literal.
    """
    if _NOT_IN_TEXT.search(body) is None:
        return body
    return _NOT_IN_TEXT.sub(lambda found: f"\\u{ord(found.group()):04x}", body)


def conversation_host_refusal(webhook: Webhook) -> str | None:
    """Why a webhook with credentials may not be sent: a conversation could choose its host.

    A host placeholder with no Context value would be filled from conversation data, which could
    then send the webhook's token anywhere; its author must give it a Context value or allow
    conversation-chosen hosts (`host_from_conversation`).
    """
    if webhook.host_from_conversation or "{" not in webhook.url:
        return None
    chosen = [name for name in host_placeholders(webhook.url) if name not in webhook.context]
    if not chosen or not webhook.carries_credentials():
        return None
    return (
        f"url: the host placeholder {{{{ {chosen[0]} }}}} has no Context value, so "
        "conversation data would choose where this webhook's credentials go; give it a "
        "Context value, or allow conversation data to choose the host"
    )


class _Part(Enum):
    STATIC = "static"  # sent as written
    TEMPLATE = "template"  # rendered (and checked) on every call
    REPLACED = "replaced"  # an Authorization header the webhook's auth replaces


@dataclass(frozen=True)
class RequestPlan:
    """The parts of a webhook's request that do not depend on the conversation, built once.

    `full_url` is the URL with its params when none of them holds a placeholder, else None;
    `params` lists each param as its encoded key, its encoded value or its template, and
    whether it is a template.
    """

    method: str
    full_url: str | None
    params: tuple[tuple[int, str, str, bool], ...]
    headers: tuple[tuple[int, str, str, _Part], ...]
    trailing_headers: tuple[tuple[str, str], ...]
    redactor: Redactor
    host_refusal: str | None = None

    @classmethod
    def of(cls, sandbox: Sandbox, webhook: Webhook) -> RequestPlan:
        """The plan of `webhook`; anything that fails a check is left to be rendered per call,
        where the check raises as it always did."""
        authorization = auth_header(webhook)
        replaced = auth_header_names(webhook)
        headers: list[tuple[int, str, str, _Part]] = []
        for index, header in enumerate(webhook.headers):
            if header.key.lower() in replaced:
                kind = _Part.REPLACED
            elif "{" in header.value or _NOT_IN_HEADER.search(header.value):
                kind = _Part.TEMPLATE
            else:
                kind = _Part.STATIC
            headers.append((index, header.key, header.value, kind))
        trailing: list[tuple[str, str]] = []
        if authorization:
            trailing.append(authorization)
        sent = [key for _, key, _, kind in headers if kind is not _Part.REPLACED]
        if webhook.body is not None and not any(key.lower() == "content-type" for key in sent):
            trailing.append(("Content-Type", "application/json"))
        params = tuple(
            (index, quote_plus(param.key), param.value, True)
            if "{" in param.value
            else (index, quote_plus(param.key), quote_plus(param.value), False)
            for index, param in enumerate(webhook.params)
        )
        auth = webhook.auth
        if isinstance(auth, ApiKeyAuth) and auth.location == "query":
            key = quote_plus(auth_secret(auth) or "")
            params = (*params, (len(params), quote_plus(auth.name), key, False))
        full_url = None
        if "{" not in webhook.url and not any(templated for *_, templated in params):
            try:
                url = render_url(sandbox, webhook.url, context={}, conversation={}, deadline=0.0)
            except RenderError:
                pass  # raised again on each call, with its message
            else:
                full_url = _with_params(
                    url.value, [f"{key}={value}" for _, key, value, _ in params]
                )
        return cls(
            method=webhook.method.value,
            full_url=full_url,
            params=params,
            headers=tuple(headers),
            trailing_headers=tuple(trailing),
            redactor=redactor_for(webhook),
            host_refusal=conversation_host_refusal(webhook),
        )


PLANS_MAX = 4096


def plan_for(sandbox: Sandbox, webhook: Webhook) -> RequestPlan:
    """The plan of this webhook object (a frozen definition), made on its first call.

    A memo of the sandbox (one per engine) like `lru_cache`, keyed by the object rather than
    its (unhashable) value: the live path's webhooks live in the service's cache, one object
    per revision.
    """
    plans = sandbox.plans
    key = id(webhook)
    entry = plans.get(key)
    if entry is not None and entry[0]() is webhook:
        found: RequestPlan = entry[1]
        return found
    plan = RequestPlan.of(sandbox, webhook)

    def forget(ref: weakref.ref[Webhook]) -> None:
        current = plans.get(key)
        if current is not None and current[0] is ref:  # not a newer webhook with the same id
            del plans[key]

    # The plan (its redactor holds the secrets) goes when the webhook object does.
    plans[key] = (weakref.ref(webhook, forget), plan)
    if len(plans) > PLANS_MAX:
        plans.popitem(last=False)
    return plan


def _with_params(url: str, encoded: list[str]) -> str:
    """Append params (`key=value`, form-encoded as `urlencode` does) after any query already in
    the URL, keeping both."""
    if not encoded:
        return url
    base, query, fragment = _split_query(url) if len(url) <= 2048 else _split_query.__wrapped__(url)
    extra = "&".join(encoded)
    joined = f"{base}?{query}&{extra}" if query else f"{base}?{extra}"
    return f"{joined}#{fragment}" if fragment else joined


@lru_cache(maxsize=256)
def _split_query(url: str) -> tuple[str, str, str]:
    """The URL without its query and fragment, its query, its fragment (as urlunsplit joins)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query="", fragment="")), parts.query, parts.fragment
