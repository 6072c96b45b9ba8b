"""SQLAlchemy models of the tenants (agencies, companies, users, tokens), webhooks and runs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


MAX_ID = 2**31 - 1  # ids and offsets fit an INTEGER column on every database


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores it without a zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"timestamps must be timezone-aware (got {value!r})")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime}


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Company(Base):
    """A company; it belongs to at most one agency."""

    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The mock switch: executes with this company's staging tokens answer from the samples.
    mock_staging: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class User(Base):
    """A person: an agency user or a company user, never both."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("(agency_id IS NULL) <> (company_id IS NULL)", name="one_tenant"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None]


class ApiToken(Base):
    """A bearer token for machines, scoped to one agency or one company; only its hash is kept."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint("(agency_id IS NULL) <> (company_id IS NULL)", name="one_tenant"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(8))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    # "production" or "staging"; a staging token's executes may answer from the samples.
    environment: Mapped[str] = mapped_column(
        String(10), default="production", server_default="production"
    )


class ServerRow(Base):
    """A running server process and when it last said so (its heartbeat)."""

    __tablename__ = "servers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    heartbeat_at: Mapped[datetime]


class CallbackSecret(Base):
    """A company's callback signing secret (encrypted); one retiring at `retires_at` still signs
    until then, beside its successor."""

    __tablename__ = "callback_secrets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    ciphertext: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retires_at: Mapped[datetime | None]


class SessionRow(Base):
    """A signed-in person's session; its id is the SHA-256 of the token in the cookie, which is
    never stored."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    address: Mapped[str] = mapped_column(String(64), default="")


class WebhookRow(Base):
    """A stored webhook: its definition, its encrypted auth secret, revision counter and authorship.

    `definition` holds every field of the webhook but the company (the foreign key) and the auth
    secret (write-only, encrypted apart), as the engine's model dumps it: a new field of a webhook
    needs no column. `name` repeats the definition's name for searching and sorting.
    """

    __tablename__ = "webhooks"
    __table_args__ = (Index("ix_webhooks_company_id_name", "company_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    auth_secret_ciphertext: Mapped[str | None] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    company: Mapped[Company] = relationship(lazy="joined", innerjoin=True)

    @property
    def auth_type(self) -> str:
        """The kind of the webhook's auth (`none`, `basic`, `bearer`, ...)."""
        return str(self.definition["auth"]["type"])


class RunRow(Base):
    """One execution of a webhook (a `test` run from the builder or a `live` one) and its result."""

    __tablename__ = "runs"
    __table_args__ = (
        CheckConstraint("kind IN ('test', 'live')", name="kind"),
        CheckConstraint("status IN ('pending', 'running', 'done')", name="status"),
        # A webhook's runs by time, with what the charts aggregate (they read the index alone).
        Index(
            "ix_runs_webhook_figures",
            "webhook_id",
            "created_at",
            "status",
            "company_id",
            "ok",
            "error_kind",
            "http_status",
            "duration_ms",
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    webhook_revision: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(8), default="pending", index=True)
    session_id: Mapped[str | None] = mapped_column(String(200))
    ok: Mapped[bool | None] = mapped_column(Boolean)
    http_status: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[float | None] = mapped_column(Float)
    error_kind: Mapped[str | None] = mapped_column(String(40))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    response_truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None]
    # Asynchronous runs: the conversation until the run is done, how often a worker took it up,
    # and the callback that delivers the result (pending → delivered | expired | refused).
    conversation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    callback_url: Mapped[str | None] = mapped_column(Text)
    callback_status: Mapped[str | None] = mapped_column(String(10), index=True)
    callback_attempts: Mapped[int] = mapped_column(Integer, default=0)
    callback_next_at: Mapped[datetime | None]
    callback_expires_at: Mapped[datetime | None]
    callback_error: Mapped[str | None] = mapped_column(String(500))
    # The bot's W3C trace context (version 00 traceparent), passed on by the worker.
    traceparent: Mapped[str | None] = mapped_column(String(55))
    tracestate: Mapped[str | None] = mapped_column(String(512))
    # Answered from the webhook's sample rather than sent (decided when the run is accepted).
    mock: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class WebhookRevisionRow(Base):
    """One saved revision of a webhook: its definition as saved, by whom and when.

    The auth secret is never kept here, not even encrypted: only whether one was set, so an old
    revision can never bring a secret back.
    """

    __tablename__ = "webhook_revisions"
    __table_args__ = (UniqueConstraint("webhook_id", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    secret_set: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class OAuthTokenRow(Base):
    """An OAuth2 access token shared by the servers, encrypted, until shortly before it expires.

    `key` is a hash of the company, token URL, client id, scope, audience and a fingerprint of
    the client secret: a changed secret or scope never finds an old token.
    """

    __tablename__ = "oauth_tokens"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    token_ciphertext: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class CompanySecretRow(Base):
    """A named secret of a company (encrypted, bound to the company and the name), and the
    hosts it may be sent to."""

    __tablename__ = "company_secrets"
    __table_args__ = (UniqueConstraint("company_id", "name", name="uq_company_secrets_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    ciphertext: Mapped[str] = mapped_column(Text)
    allowed_hosts: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rotated_at: Mapped[datetime | None]
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class CompanyVariableRow(Base):
    """A named plain value of a company, such as the base URL of its environment."""

    __tablename__ = "company_variables"
    __table_args__ = (UniqueConstraint("company_id", "name", name="uq_company_variables_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookSampleRow(Base):
    """A webhook's sample answer, read instead of sending when mocking (one per webhook)."""

    __tablename__ = "webhook_samples"
    __table_args__ = (CheckConstraint("source IN ('run', 'typed')", name="source"),)

    webhook_id: Mapped[int] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[int] = mapped_column(Integer)
    headers: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    body: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(8))
    run_id: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class WebhookTemplateRow(Base):
    """A stored webhook template (WHT), agency-wide or company-wide, at its newest `version`.

    Its definition is a webhook's without name, company, Context values or any secret: only the
    auth's type (and a basic user name) says which secret a webhook made from it needs.
    """

    __tablename__ = "webhook_templates"
    __table_args__ = (
        CheckConstraint("(agency_id IS NULL) <> (company_id IS NULL)", name="one_tenant"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int | None] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class WebhookTemplateVersionRow(Base):
    """One version of a stored template, kept so any two versions can be compared."""

    __tablename__ = "webhook_template_versions"
    __table_args__ = (UniqueConstraint("template_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("webhook_templates.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class WebhookOriginRow(Base):
    """The template a webhook was made from (a stored template's id or a built-in's slug, as
    text) and the version of it the webhook has taken."""

    __tablename__ = "webhook_origins"

    webhook_id: Mapped[int] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), primary_key=True
    )
    template: Mapped[str] = mapped_column(String(80))
    template_version: Mapped[int] = mapped_column(Integer)
