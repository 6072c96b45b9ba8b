"""The routers of `/api/v1`, one module per resource."""

from __future__ import annotations
