"""OpenAPI import for the API and the builder: a document's operations, or one as definition data.

Nothing is saved: the caller saves the definition (POST /webhooks), after giving its secrets.
"""

from __future__ import annotations

from typing import Any

from hooksmith.engine import import_openapi, list_operations
from hooksmith.service.errors import InvalidInput


def import_operation(document: Any, operation: Any, server: Any = None) -> dict[str, Any]:
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
    return import_openapi(document, operation, server=server)
