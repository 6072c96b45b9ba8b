"""The operator's settings, read from `HOOKSMITH_*` environment variables when the app is built."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from hooksmith.engine import OutboundLimits
from hooksmith.store.database import default_database_url


class Settings(BaseSettings):
    """Everything the server needs to start; built by `create_app` callers, never at import.

    >>> Settings(var_dir=Path("/tmp/hs")).run_retention_days
    30.0
    """

    model_config = SettingsConfigDict(env_prefix="HOOKSMITH_", extra="ignore")

    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; None means a SQLite file under var_dir."
    )
    var_dir: Path = Field(default=Path("var"), description="Where the embedded defaults live.")
    secret_key: SecretStr | None = Field(
        default=None, description="Fernet keys, comma-separated, newest first."
    )
    session_secret: SecretStr | None = Field(
        default=None, description="Signs session cookies; derived from the secret key if unset."
    )
    egress_allow: str | None = Field(
        default=None, description="CIDRs and host names exempt from the egress guard."
    )
    run_retention_days: float = Field(default=30, gt=0)
    run_body_limit: int = Field(default=65536, gt=0)
    webhook_cache_seconds: float = Field(default=3.0, ge=0)
    execute_margin_seconds: float = Field(default=1.0, ge=0)
    session_max_age: int = Field(default=14 * 24 * 3600, gt=0)
    session_idle_seconds: float = Field(
        default=12 * 3600, gt=0, description="A session unused this long has ended."
    )
    session_cache_seconds: float = Field(
        default=3.0, ge=0, description="How long a process trusts a session it looked up."
    )
    secure_cookies: bool = Field(
        default=False, description="Mark cookies Secure (implied by an https public_url)."
    )
    public_url: str | None = Field(
        default=None,
        description="Where people and bots reach this server, e.g. https://hooks.example.com; "
        "https here makes cookies Secure and sends HSTS.",
    )
    migrate_on_start: bool = True
    retention_interval_seconds: float = Field(default=3600.0, gt=0)
    run_writer_interval: float = Field(default=0.05, gt=0)
    run_writer_batch: int = Field(default=200, gt=0)
    max_response_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_request_bytes: int = Field(
        default=1024 * 1024, gt=0, description="The largest request body a route reads (413)."
    )
    max_open_request_bytes: int = Field(
        default=64 * 1024,
        gt=0,
        description="The same for routes open without signing in: sign-in, login, echo.",
    )
    max_json_depth: int = Field(
        default=64, gt=0, le=200, description="How deep JSON in a request body may nest (422)."
    )
    proxy: str | None = None
    # Asynchronous runs (docs/scaling.md): where they queue and how workers and callbacks behave.
    queue: Literal["auto", "inprocess", "postgres"] = Field(
        default="auto",
        description="auto: the PostgreSQL job queue when the database is PostgreSQL, else "
        "in-process tasks of the server; run `hooksmith worker` with the PostgreSQL queue.",
    )
    worker_concurrency: int = Field(default=20, gt=0)
    server_worker_concurrency: int = Field(
        default=10,
        ge=0,
        description="Queued runs each server also executes at once; 0 leaves them to workers.",
    )
    worker_heartbeat_seconds: float = Field(default=5.0, gt=0)
    worker_stalled_seconds: float = Field(
        default=30.0, gt=0, description="A worker silent this long is dead: its jobs run again."
    )
    run_stale_seconds: float = Field(
        default=60.0,
        gt=0,
        description="A queued run still pending after this long is deferred again (its job "
        "may have been lost between storing the run and queueing it).",
    )
    run_sweep_seconds: float = Field(default=30.0, gt=0, description="How often servers look.")
    callback_secret: SecretStr | None = Field(
        default=None, description="Signs callbacks; derived from the secret key if unset."
    )
    callback_secret_overlap_seconds: float = Field(
        default=24 * 3600.0,
        ge=0,
        description="After a company's callback secret is rotated, the old one signs this long.",
    )
    callback_expiry_seconds: float = Field(default=24 * 3600.0, gt=0)
    callback_backoff_seconds: float = Field(default=2.0, gt=0)
    callback_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    callback_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # Sign-in throttling (service/signin.py): failures in a row before locks of 1, 2, 4 … s.
    sign_in_free_failures: int = Field(default=5, gt=0)
    sign_in_address_free_failures: int = Field(default=20, gt=0)
    sign_in_max_lock_seconds: float = Field(default=900.0, gt=0)
    # Per company and per server process: executions and test runs.
    company_rate_per_second: float = Field(default=50.0, gt=0)
    company_rate_burst: int = Field(default=100, gt=0)
    company_concurrency: int = Field(default=32, gt=0)
    server_heartbeat_seconds: float = Field(
        default=2.0,
        gt=0,
        description="How often servers sharing PostgreSQL say they are alive; each takes its "
        "share of the per-company limits among those heard from within three periods.",
    )
    # Outbound connections in use at once (per server process), so that no one slow upstream
    # or tenant can take every connection; a request waits for a slot within its time-out.
    outbound_per_origin: int = Field(
        default=OutboundLimits.per_origin, gt=0, description="To one origin (scheme, host, port)."
    )
    outbound_per_company: int = Field(
        default=OutboundLimits.per_company,
        gt=0,
        description="By one company's webhooks, to all origins.",
    )
    outbound_total: int = Field(
        default=OutboundLimits.total,
        gt=0,
        description="By the whole process; a safety net for sockets.",
    )
    # Templates that are not straight-line render in these processes
    # (docs/design.md#isolation-and-limits).
    renderer_processes: int = Field(default=2, gt=0, le=64)
    renderer_memory_mb: int = Field(
        default=256, ge=64, description="Each renderer process' memory above its baseline."
    )
    renderers_at_start: bool = Field(
        default=False,
        description="Start the renderer processes with the server rather than on first use.",
    )

    # Probes and metrics (README "Probes and metrics").
    readiness_timeout_seconds: float = Field(
        default=2.0, gt=0, le=30, description="How long /readyz waits for each of its checks."
    )
    metrics_token: SecretStr | None = Field(
        default=None, description="When set, /metrics answers only `Authorization: Bearer <it>`."
    )

    # Logs (README "Logs, request ids and traces").
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="text: lines for people; json: one JSON object a line, with the request id.",
    )
    access_log: bool = Field(
        default=False,
        description="One line per HTTP request served (off by default: it costs CPU per "
        "execute); the query string is left out.",
    )
    freeze_heap: bool = Field(
        default=True,
        description="After start-up, keep what was loaded out of the garbage collector's sight "
        "(shorter full collections under load); off for processes that start many servers.",
    )

    def serves_https(self) -> bool:
        """Whether the public URL is https (cookies Secure, HSTS sent)."""
        return (self.public_url or "").lower().startswith("https://")

    def cookies_secure(self) -> bool:
        """Whether session and CSRF cookies carry `Secure`."""
        return self.secure_cookies or self.serves_https()

    def uses_job_queue(self) -> bool:
        """Whether async runs go to the PostgreSQL job queue (else in-process tasks)."""
        if self.queue == "auto":
            return self.resolved_database_url().startswith("postgresql")
        return self.queue == "postgres"

    def outbound_limits(self) -> OutboundLimits:
        """The engine's connection limits per origin, per company and for the process."""
        return OutboundLimits(
            per_origin=self.outbound_per_origin,
            per_company=self.outbound_per_company,
            total=self.outbound_total,
        )

    def resolved_database_url(self) -> str:
        """The configured database URL, or the embedded SQLite file under `var_dir`."""
        if self.database_url:
            return self.database_url
        return default_database_url(self.var_dir)
