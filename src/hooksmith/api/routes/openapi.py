"""OpenAPI import: a document's operations, or one operation as definition data."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import ConfigDict, Field

from hooksmith.api.deps import ActorDep
from hooksmith.api.inputs import Input
from hooksmith.deps import RuntimeDep
from hooksmith.service import openapi

router = APIRouter(tags=["webhooks"])


class OpenApiImport(Input):
    """An OpenAPI 3 document (an object, or JSON or YAML text) and the operation to import."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"document": {"openapi": "3.0.3", "paths": {}}, "operation": "addPet"}]
        },
    )

    document: Any = Field(
        default=None, description="The document, as a JSON object or as JSON or YAML text."
    )
    url: Any = Field(
        default=None, description="Where to fetch the document instead (through the egress guard)."
    )
    operation: Any = Field(
        default=None, description="An operationId or 'METHOD /path'; left out: list them."
    )
    server: Any = Field(
        default=None, description="The API's base URL, instead of the document's servers[0]."
    )


@router.post("/import/openapi")
async def import_openapi(
    request: OpenApiImport, actor: ActorDep, runtime: RuntimeDep
) -> dict[str, Any]:
    """The document's operations, or one operation as definition data with suggested mappers
    and notes; nothing is saved (POST the definition to /webhooks to save it)."""
    return await openapi.import_openapi_document(
        runtime.engine.transport, request.document, request.url, request.operation, request.server
    )
