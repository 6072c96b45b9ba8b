"""The webhook engine: definition model, templating, egress guard, executor and result.

It knows nothing of storage, web servers or the CLI; those layers are built on this API.
"""

from __future__ import annotations

from hooksmith.engine.capacity import OutboundLimits
from hooksmith.engine.checks import template_problems
from hooksmith.engine.company import (
    VALUE_NAME,
    CompanySecret,
    CompanyValues,
    HostNotAllowed,
    UnknownSecret,
    UnknownVariable,
    allowed_host_problem,
    references,
)
from hooksmith.engine.curl import parse_curl, request_as_curl, to_curl
from hooksmith.engine.definition import (
    AUTH_KINDS,
    SECRET_FIELDS,
    ApiKeyAuth,
    BasicAuth,
    BearerAuth,
    CustomVariable,
    ExecutionMode,
    Header,
    HmacAuth,
    Method,
    NoAuth,
    OAuth2Auth,
    Param,
    ResponseType,
    Retry,
    Webhook,
    auth_secret,
    field_path,
    load_webhook,
    omitted_secret,
    parse_webhook,
    with_withheld_secret,
)
from hooksmith.engine.egress import EgressPolicy, check_host, check_path
from hooksmith.engine.errors import (
    AuthFailed,
    CircuitOpen,
    ConnectError,
    EgressBlocked,
    EngineError,
    InvalidDefinition,
    InvalidResponse,
    MappingError,
    NoFreeConnection,
    NoSample,
    RenderError,
    Timeout,
    TooLarge,
)
from hooksmith.engine.executor import Engine, default_policy, execute, render
from hooksmith.engine.jsondata import (
    NOT_A_CONVERSATION,
    JsonRefused,
    conversation_data,
    load_json,
    not_text,
    too_deep,
)
from hooksmith.engine.oauth import Token, TokenStore
from hooksmith.engine.openapi import import_openapi, list_operations
from hooksmith.engine.redaction import WITHHELD_SECRET, is_sensitive_header, masked
from hooksmith.engine.renderers import RendererPool
from hooksmith.engine.result import (
    Attempt,
    Outcome,
    Result,
    ResultError,
    SentRequest,
    VariableOutcome,
)
from hooksmith.engine.retry import IDEMPOTENCY_HEADER, Backoff
from hooksmith.engine.samples import SampleAnswer
from hooksmith.engine.signing import signature
from hooksmith.engine.tracecontext import TraceContext
from hooksmith.engine.transport import OutgoingRequest, Transport

__all__ = [
    "AUTH_KINDS",
    "IDEMPOTENCY_HEADER",
    "NOT_A_CONVERSATION",
    "SECRET_FIELDS",
    "VALUE_NAME",
    "WITHHELD_SECRET",
    "ApiKeyAuth",
    "Attempt",
    "AuthFailed",
    "Backoff",
    "BasicAuth",
    "BearerAuth",
    "CircuitOpen",
    "CompanySecret",
    "CompanyValues",
    "ConnectError",
    "CustomVariable",
    "EgressBlocked",
    "EgressPolicy",
    "Engine",
    "EngineError",
    "ExecutionMode",
    "Header",
    "HmacAuth",
    "HostNotAllowed",
    "InvalidDefinition",
    "InvalidResponse",
    "JsonRefused",
    "MappingError",
    "Method",
    "NoAuth",
    "NoFreeConnection",
    "NoSample",
    "OAuth2Auth",
    "OutboundLimits",
    "Outcome",
    "OutgoingRequest",
    "Param",
    "RenderError",
    "RendererPool",
    "ResponseType",
    "Result",
    "ResultError",
    "Retry",
    "SampleAnswer",
    "SentRequest",
    "Timeout",
    "Token",
    "TokenStore",
    "TooLarge",
    "TraceContext",
    "Transport",
    "UnknownSecret",
    "UnknownVariable",
    "VariableOutcome",
    "Webhook",
    "allowed_host_problem",
    "auth_secret",
    "check_host",
    "check_path",
    "conversation_data",
    "default_policy",
    "execute",
    "field_path",
    "import_openapi",
    "is_sensitive_header",
    "list_operations",
    "load_json",
    "load_webhook",
    "masked",
    "not_text",
    "omitted_secret",
    "parse_curl",
    "parse_webhook",
    "references",
    "render",
    "request_as_curl",
    "signature",
    "template_problems",
    "to_curl",
    "too_deep",
    "with_withheld_secret",
]
