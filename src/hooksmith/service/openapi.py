"""OpenAPI import for the API and the builder: a document's operations, or one as definition data.

The document is given, or fetched from a URL through the engine's transport, so the egress guard
checks its address and every redirect, as for any webhook. Nothing is saved: the caller saves
the definition (POST /webhooks), after giving its secrets.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Final

from hooksmith.engine import (
    EngineError,
    OutgoingRequest,
    Transport,
    import_openapi,
    list_operations,
)
from hooksmith.service.errors import InvalidInput

FETCH_SECONDS: Final = 10.0
MAX_FETCH_BYTES: Final = 2 * 1024 * 1024
ACCEPT: Final = "application/json, application/yaml;q=0.9, text/yaml;q=0.8, */*;q=0.1"


async def fetch_document(transport: Transport, url: Any) -> str:
    """The text at `url`, fetched through the egress guard; `InvalidInput` names `url`."""
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        raise InvalidInput("url: give the document's http(s) URL", field="url")
    request = OutgoingRequest(method="GET", url=url, headers=(("Accept", ACCEPT),))
    try:
        reply = await transport.send(request, deadline=time.monotonic() + FETCH_SECONDS)
    except EngineError as error:
        raise InvalidInput(
            f"url: the document could not be fetched: {error.message}", field="url"
        ) from None
    if not 200 <= reply.status < 300:
        raise InvalidInput(f"url: the server answered HTTP {reply.status}", field="url")
    if len(reply.body) > MAX_FETCH_BYTES:
        raise InvalidInput(
            f"url: the document is larger than {MAX_FETCH_BYTES // 2**20} MB", field="url"
        )
    try:
        return reply.body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("url: the document is not UTF-8 text", field="url") from None


def import_operation(
    document: Any, operation: Any, server: Any = None, document_url: str | None = None
) -> dict[str, Any]:
    """`{"operations": [...]}` without an operation, else that operation as definition data.

    Reading a large document takes a CPU-bound while: the API calls this from a worker thread.
    """
    if not isinstance(document, dict | str) or (isinstance(document, str) and not document.strip()):
        raise InvalidInput(
            "document: give an OpenAPI 3 document (a JSON object, or JSON or YAML text)",
            field="document",
        )
    if operation is None:
        return {"operations": list_operations(document)}
    if not isinstance(operation, str):
        raise InvalidInput("operation: give an operationId or 'METHOD /path'", field="operation")
    if server is not None and not isinstance(server, str):
        raise InvalidInput("server: give the API's base URL (https://…)", field="server")
    return import_openapi(document, operation, server=server, document_url=document_url)


async def import_openapi_document(
    transport: Transport, document: Any, url: Any, operation: Any, server: Any
) -> dict[str, Any]:
    """The import of a given document, or of the one at `url` (exactly one of the two)."""
    if (document is None) == (url is None):
        raise InvalidInput(
            "document: give the document or its url, one of the two", field="document"
        )
    if url is not None:
        document = await fetch_document(transport, url)
    # Off the event loop: YAML text of a large document takes a while to read.
    return await asyncio.to_thread(import_operation, document, operation, server, url)
