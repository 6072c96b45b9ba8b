"""Build the outgoing request of a webhook from its definition and conversation data."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from hooksmith.engine.body import render_body
from hooksmith.engine.definition import BasicAuth, BearerAuth, Webhook
from hooksmith.engine.errors import EgressBlocked, RenderError
from hooksmith.engine.redaction import Redactor
from hooksmith.engine.result import HeaderLine, SentRequest
from hooksmith.engine.sandbox import Sandbox
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

    def outgoing(self) -> OutgoingRequest:
        return OutgoingRequest(
            method=self.method,
            url=self.url,
            headers=self.headers,
            body=self.body.encode("utf-8") if self.body is not None else None,
            sensitive_headers=frozenset({"authorization"}),
        )

    def shown(self) -> SentRequest:
        """The request as the result shows it: credentials and secret values redacted."""
        return SentRequest(
            method=self.method,
            url=self.redactor.text(self.url),
            headers=[HeaderLine(key=k, value=self.redactor.header(k, v)) for k, v in self.headers],
            body=self.redactor.text(self.body) if self.body is not None else None,
        )


def redactor_for(webhook: Webhook) -> Redactor:
    basic = None
    if isinstance(webhook.auth, BasicAuth):
        basic = f"{webhook.auth.username}:{webhook.auth.password.get_secret_value()}"
    return Redactor(webhook.secrets(), basic_credentials=basic)


def auth_header(webhook: Webhook) -> str | None:
    if isinstance(webhook.auth, BasicAuth):
        pair = f"{webhook.auth.username}:{webhook.auth.password.get_secret_value()}"
        return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
    if isinstance(webhook.auth, BearerAuth):
        return "Bearer " + webhook.auth.token.get_secret_value()
    return None


def prepare(
    sandbox: Sandbox, webhook: Webhook, conversation: Mapping[str, Any], *, deadline: float
) -> PreparedRequest:
    """Render URL, params, headers and body; raises `RenderError` naming the field at fault."""
    refuse_conversation_hosts(webhook)
    warnings: list[str] = []
    url = render_url(
        sandbox, webhook.url, context=webhook.context, conversation=conversation, deadline=deadline
    )
    warnings.extend(url.warnings)

    pairs: list[tuple[str, str]] = []
    for index, param in enumerate(webhook.params):
        value = sandbox.render_text(
            param.value, conversation, deadline=deadline, field=f"params[{index}].value"
        )
        warnings.extend(value.warnings)
        _refuse_characters(value.value, _NOT_IN_TEXT, f"params[{index}].value")
        pairs.append((param.key, value.value))
    full_url = _with_params(url.value, pairs)

    headers: list[tuple[str, str]] = []
    authorization = auth_header(webhook)
    for index, header in enumerate(webhook.headers):
        if authorization and header.key.lower() == "authorization":
            warnings.append(f"headers[{index}]: Authorization is replaced by the webhook's auth")
            continue
        value = sandbox.render_text(
            header.value, conversation, deadline=deadline, field=f"headers[{index}].value"
        )
        warnings.extend(value.warnings)
        _refuse_characters(value.value, _NOT_IN_HEADER, f"headers[{index}].value")
        headers.append((header.key, value.value))
    if authorization:
        headers.append(("Authorization", authorization))

    body: str | None = None
    if webhook.body is not None:
        rendered = render_body(sandbox, webhook.body, conversation, deadline=deadline)
        warnings.extend(rendered.warnings)
        body = _escape_surrogates(rendered.value)
        if not any(key.lower() == "content-type" for key, _ in headers):
            headers.append(("Content-Type", "application/json"))

    return PreparedRequest(
        method=webhook.method.value,
        url=full_url,
        headers=tuple(headers),
        body=body,
        redactor=redactor_for(webhook),
        warnings=tuple(warnings),
    )


def refuse_conversation_hosts(webhook: Webhook) -> None:
    """Refuse (EgressBlocked) a webhook with credentials whose host a conversation could choose.

    A host placeholder with no Context value would be filled from conversation data, which could
    then send the webhook's token anywhere; its author must give it a Context value or allow
    conversation-chosen hosts (`host_from_conversation`).
    """
    if webhook.host_from_conversation or "{" not in webhook.url:
        return
    chosen = [name for name in host_placeholders(webhook.url) if name not in webhook.context]
    if chosen and webhook.carries_credentials():
        raise EgressBlocked(
            f"url: the host placeholder {{{{ {chosen[0]} }}}} has no Context value, so "
            "conversation data would choose where this webhook's credentials go; give it a "
            "Context value, or allow conversation data to choose the host",
            field="url",
        )


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


def _with_params(url: str, pairs: list[tuple[str, str]]) -> str:
    """Append params after any query already in the URL, keeping both."""
    if not pairs:
        return url
    base, query, fragment = _split_query(url) if len(url) <= 2048 else _split_query.__wrapped__(url)
    extra = urlencode(pairs)
    joined = f"{base}?{query}&{extra}" if query else f"{base}?{extra}"
    return f"{joined}#{fragment}" if fragment else joined


@lru_cache(maxsize=256)
def _split_query(url: str) -> tuple[str, str, str]:
    """The URL without its query and fragment, its query, its fragment (as urlunsplit joins)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query="", fragment="")), parts.query, parts.fragment
