"""hooksmith: a self-hostable Webhook Builder for chatbot conversations.

>>> import hooksmith
>>> hook = hooksmith.Webhook(name="Weather", url="https://api.example.com/w")
"""

from __future__ import annotations

from hooksmith.engine import (
    Engine,
    Result,
    Webhook,
    execute,
    load_webhook,
    parse_webhook,
    render,
)

__all__ = ["Engine", "Result", "Webhook", "execute", "load_webhook", "parse_webhook", "render"]
