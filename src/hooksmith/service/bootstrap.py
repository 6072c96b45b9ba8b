"""The first start: demo tenants, an admin, a token and an example webhook that works at once."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hooksmith.engine import parse_webhook
from hooksmith.service.database import database_of
from hooksmith.settings import Settings
from hooksmith.store import (
    RevisionRepository,
    SecretBox,
    TenantRepository,
    WebhookRepository,
)

DEMO_EMAIL = "admin@demo.example"
DEMO_BODY = """{
  // what the bot knows about the conversation, sent to the echo endpoint
  "customer": "{{ fb.firstName }}",
  "order": "{{ orderNumber }}",
  "session": "{{ certainly.sessionId }}"
}"""


@dataclass(frozen=True)
class FirstRun:
    """What the operator must be told once: where to go and how to sign in."""

    url: str
    email: str
    password: str
    token: str
    webhook_id: int

    def message(self) -> str:
        return "\n".join(
            [
                "hooksmith is ready; this is shown only once:",
                f"  open      {self.url}",
                f"  email     {self.email}",
                f"  password  {self.password}",
                f"  API token {self.token}",
                f"  try it    curl -X POST -H 'Authorization: Bearer {self.token}' "
                f"-H 'Content-Type: application/json' -d '{{\"orderNumber\": \"1042\"}}' "
                f"{self.url}/api/v1/webhooks/{self.webhook_id}/execute",
            ]
        )


def demo_definition(base_url: str) -> dict[str, object]:
    """The example webhook: POST to the server's own echo endpoint, two custom variables."""
    return {
        "name": "Order status (demo, echo)",
        "method": "POST",
        "url": base_url.rstrip("/") + "/echo/orders/{{ orderNumber }}",
        "headers": [{"key": "X-Conversation", "value": "{{ certainly.sessionId }}"}],
        "body": DEMO_BODY,
        "custom_variables": [
            {"name": "order_number", "mapper": "response.body.order"},
            {"name": "customer_name", "mapper": "response.body.customer"},
        ],
    }


async def first_run(
    open_db: async_sessionmaker[AsyncSession], box: SecretBox, *, base_url: str
) -> FirstRun | None:
    """Create the demo data when the database has no agency yet; None when it has one."""
    async with open_db() as db:
        tenants = TenantRepository(db)
        if await tenants.list_agencies():
            return None
        agency = await tenants.create_agency("demo", "Demo Agency")
        company = await tenants.create_company("demo-shop", "Demo Shop", agency_id=agency.id)
        password = secrets.token_urlsafe(12)
        user = await tenants.create_user(DEMO_EMAIL, password, agency_id=agency.id, is_admin=True)
        _, token = await tenants.create_token("demo token", agency_id=agency.id, created_by=user.id)
        webhook = parse_webhook(demo_definition(base_url))
        row = await WebhookRepository(db, box).add(company.id, webhook, user_id=user.id)
        await RevisionRepository(db).record(row, user_id=user.id)
        await db.commit()
    return FirstRun(
        url=base_url.rstrip("/"),
        email=DEMO_EMAIL,
        password=password,
        token=token,
        webhook_id=row.id,
    )


async def first_run_with_settings(settings: Settings, *, base_url: str) -> FirstRun | None:
    """`first_run` on the configured database (migrated first), for the CLI's `serve`."""
    async with database_of(settings) as database:
        return await first_run(database.open_db, database.box, base_url=base_url)
