"""The FastAPI application, built by `create_app(settings)`; resources open in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp

from hooksmith.api import echo, errors, probes
from hooksmith.api.bodies import BodyLimits, BoundedBodies
from hooksmith.api.execute import ExecuteShortcut
from hooksmith.api.headers import SecurityHeaders
from hooksmith.api.requestids import RequestIds
from hooksmith.api.routes import (
    company_values,
    curl,
    drafts,
    openapi,
    preview,
    revisions,
    runs,
    samples,
    session,
    templates,
    tenants,
    webhooks,
)
from hooksmith.service.runs import RetentionTask
from hooksmith.service.runtime import Runtime
from hooksmith.settings import Settings

API_PREFIX = "/api/v1"


class HooksmithApp(FastAPI):
    """FastAPI with request ids outside its whole middleware stack, error pages included."""

    def build_middleware_stack(self) -> ASGIApp:
        return RequestIds(super().build_middleware_stack())


def create_app(settings: Settings, *, trusted_egress: Iterable[str] = ()) -> FastAPI:
    """The hooksmith server app; `trusted_egress` adds egress exemptions (CIDRs, host names) to
    `settings.egress_allow`, e.g. the server's own address for the demo echo webhook."""
    trusted = tuple(trusted_egress)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await Runtime.open(settings, trusted_egress=trusted)
        retention = RetentionTask(
            runtime.open_db,
            days=settings.run_retention_days,
            every=settings.retention_interval_seconds,
        )
        retention.start()
        app.state.runtime = runtime
        try:
            yield
        finally:
            await retention.close()
            await runtime.close()

    app = HooksmithApp(
        title="hooksmith",
        summary="A Webhook Builder for chatbot conversations: management and runtime API.",
        version="0.1.0",
        lifespan=lifespan,
    )
    # Added first, so it runs inside every middleware added after it (e.g. body limits).
    app.add_middleware(ExecuteShortcut, prefix=API_PREFIX)
    errors.install(app)
    for module in (
        webhooks,
        revisions,
        samples,
        templates,
        runs,
        preview,
        drafts,
        tenants,
        company_values,
        session,
        curl,
        openapi,
    ):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(echo.router)
    app.include_router(probes.router)
    app.add_middleware(
        BoundedBodies,
        limits=BodyLimits(
            max_bytes=settings.max_request_bytes,
            max_open_bytes=settings.max_open_request_bytes,
            max_json_depth=settings.max_json_depth,
        ),
    )
    app.add_middleware(SecurityHeaders, https=settings.serves_https())
    return app
