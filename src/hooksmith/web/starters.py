"""Templates a new webhook can start from ("Create from a template"): each fills a new,
unsaved builder form; nothing is stored until the user saves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The request body of the help-center article's sample as the article prints it, comments
# and all (tests/web/test_templates.py holds it equal to examples/seed-sample-body.jinja).
HELP_CENTER_BODY = "\n".join(
    (
        "{",
        (
            '"lastName": {% if fb is defined %}"{{fb.lastName}}"{% else %}{}{% endif %}, '
            "//Only available in FB channel"
        ),
        (
            '"replyData": {% if certainly.replyData is defined '
            "%}{{certainly.replyData|tojson}}{% else %}{}{% endif %}, //Validated Response "
            "in a Collector Module"
        ),
        '"sessionId": {{certainly.sessionId}}, //Unique ID for the conversation',
        '"attachedMedia": "{{certainly.attachedMedia}}", //Empty value for now',
        (
            '"direction": "{{certainly.direction}}", //"in" or "out". Always "in" for now. '
            '"in" if it is a message from the end user to the bot, and "out" if it is a '
            "message from the bot to the end user"
        ),
        '"reply": "{{certainly.reply}}", //Raw user response\xa0',
        (
            '"extractedData": {% if certainly.extractedData is defined '
            "%}{{certainly.extractedData|tojson}}{% else %}{}{% endif %}, //JSON with "
            "previously validated responses"
        ),
        '"botId": "{{certainly.botId}}", //Bot UUID',
        '"botDeploymentId": "{{certainly.botDeploymentId}}", //Bot deployment UUID',
        (
            '"firstName": {% if fb is defined %}"{{fb.firstName}}"{% else %}{}{% endif %}, '
            "//Only available in FB channel"
        ),
        (
            '"customVariables": {% if certainly.customVariables is defined '
            "%}{{certainly.customVariables|tojson}}{% else %}{}{% endif %}, //Previously "
            "generated Custom Variables"
        ),
        '"moduleId": {{certainly.moduleId}}, //ID of the current module',
        '"to": "{{certainly.to}}", //Channel ID',
        '"from": "{{certainly.from}}", //Bot User External ID',
        (
            '"botTrainedModelId": "{{certainly.botTrainedModelId}}" //The UUID string for '
            "the AI model key"
        ),
        "}",
        "",
    )
)


@dataclass(frozen=True)
class Starter:
    """A template on the list page: its slug in `/webhooks/new?template=`, what it is called,
    one sentence on when to use it, and the webhook fields it fills in."""

    slug: str
    title: str
    description: str
    definition: Mapping[str, Any]


STARTERS: tuple[Starter, ...] = (
    Starter(
        slug="help-center-sample",
        title="Send the conversation (help-center sample)",
        description=(
            "POST every conversation value of the article's sample body to your API with a "
            "bearer token, and keep the ticket id it answers."
        ),
        definition={
            "name": "Send the conversation to my API",
            "method": "POST",
            "url": "https://api.example.com/tickets",
            "auth": {"type": "bearer"},
            "body": HELP_CENTER_BODY,
            "custom_variables": [{"name": "ticket_id", "mapper": "response.ticket.id"}],
        },
    ),
    Starter(
        slug="get-lookup",
        title="Look something up (GET)",
        description=(
            "GET a record by a value of the conversation, e.g. an order by its number, and "
            "keep one field of the answer."
        ),
        definition={
            "name": "Order status by order number",
            "method": "GET",
            "url": "https://api.example.com/orders/{{ orderNumber }}",
            "custom_variables": [{"name": "order_status", "mapper": "response.status"}],
        },
    ),
)


def find_starter(slug: str) -> Starter | None:
    """The template with this slug, or None."""
    return next((starter for starter in STARTERS if starter.slug == slug), None)
