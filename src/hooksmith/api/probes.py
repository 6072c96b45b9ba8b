"""Probes and metrics for load balancers, Kubernetes and Prometheus: `/healthz`, `/readyz` and
`/metrics`, top-level paths outside `/api/v1`, open without signing in (`/metrics` behind
`HOOKSMITH_METRICS_TOKEN` when it is set)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from hooksmith.deps import RuntimeDep
from hooksmith.service.metrics import check_metrics_token

router = APIRouter(tags=["probes"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Alive: the process answers requests (nothing else is asked, not even the database)."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "a check failed; the body names it"}})
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    """Ready: the database answers, its schema is at head and the job queue (if any) answers."""
    readiness = await runtime.readiness.check()
    body: dict[str, Any] = {
        "status": "ok" if readiness.ready else "unavailable",
        "checks": readiness.checks,
        "failed": readiness.failed,
    }
    return JSONResponse(body, status_code=200 if readiness.ready else 503)


@router.get("/metrics", response_class=Response)
async def metrics(request: Request, runtime: RuntimeDep) -> Response:
    """This process's metrics in Prometheus' text format."""
    check_metrics_token(runtime.settings.metrics_token, request.headers.get("authorization"))
    return Response(await runtime.metrics.scrape(), media_type=CONTENT_TYPE_LATEST)
