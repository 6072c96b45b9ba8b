"""`/docs` explains every route: each operation of the OpenAPI document has a description."""

from __future__ import annotations

from pathlib import Path

from hooksmith.server import create_server
from hooksmith.settings import Settings


def test_every_route_is_described(tmp_path: Path) -> None:
    document = create_server(Settings(var_dir=tmp_path)).openapi()
    operations = {
        f"{method.upper()} {path}": operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }
    assert "POST /api/v1/webhooks/{webhook_id}/execute" in operations
    undescribed = sorted(name for name, op in operations.items() if not op.get("description"))
    assert undescribed == []
