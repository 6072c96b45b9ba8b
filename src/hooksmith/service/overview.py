"""What the builder's pages show at once: webhook lists with their last run, the builder's
choices, a webhook's run history and one run with its webhook."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from hooksmith.service import figures, tenants, webhooks
from hooksmith.service.actors import Actor
from hooksmith.service.runs import RunView, get_run, list_runs, run_view
from hooksmith.service.runtime import Runtime
from hooksmith.service.tenants import CompanyView
from hooksmith.service.webhooks import PAGE_SIZE, Page, WebhookView
from hooksmith.store import RunRepository


class ListedWebhook(BaseModel):
    """A webhook in the list and its last run (None when it never ran)."""

    webhook: WebhookView
    last_run: RunView | None
    recent: figures.RecentRuns | None = None


class WebhookListing(BaseModel):
    """One page of the webhook list, with the companies an agency user may filter by."""

    items: list[ListedWebhook]
    total: int
    offset: int
    limit: int
    companies: list[CompanyView]


class BuilderChoices(BaseModel):
    """The webhook being edited (None for a new one) and the companies it may be assigned to."""

    webhook: WebhookView | None
    companies: list[CompanyView]
    charts: figures.WebhookFigures | None = None


class RunHistory(BaseModel):
    webhook: WebhookView
    runs: Page[RunView]
    charts: figures.WebhookFigures | None = None


class RunDetail(BaseModel):
    webhook: WebhookView
    run: RunView


async def webhook_listing(
    rt: Runtime,
    db: AsyncSession,
    actor: Actor,
    *,
    search: str | None = None,
    company: str | None = None,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> WebhookListing:
    """The caller's webhooks by name and company, each with the status of its last run."""
    page = await webhooks.list_webhooks(
        db, rt.box, actor, search=search, company=company, offset=offset, limit=limit
    )
    runs = RunRepository(db)
    recent = await figures.recent_runs(db, actor, [webhook.id for webhook in page.items])
    items = []
    for webhook in page.items:
        rows, _ = await runs.list_for_webhook(actor.scope, webhook.id, offset=0, limit=1)
        last_run = run_view(rows[0]) if rows else None
        items.append(ListedWebhook(webhook=webhook, last_run=last_run, recent=recent[webhook.id]))
    companies = await tenants.list_companies(db, actor) if actor.is_agency else []
    return WebhookListing(
        items=items, total=page.total, offset=offset, limit=limit, companies=companies
    )


async def builder_choices(
    rt: Runtime, db: AsyncSession, actor: Actor, webhook_id: int | None
) -> BuilderChoices:
    """What the builder page needs: the stored webhook, if any, and the "Assign to" choices."""
    webhook = None
    if webhook_id is not None:
        webhook = await webhooks.get_webhook(db, rt.box, actor, webhook_id)
    companies = await tenants.list_companies(db, actor) if actor.is_agency else []
    charts = None
    if webhook is not None:
        charts = await figures.webhook_figures(db, actor, webhook.id)
    return BuilderChoices(webhook=webhook, companies=companies, charts=charts)


async def run_history(
    rt: Runtime, db: AsyncSession, actor: Actor, webhook_id: int, *, offset: int = 0
) -> RunHistory:
    webhook = await webhooks.get_webhook(db, rt.box, actor, webhook_id)
    page = await list_runs(rt, db, actor, webhook_id, offset=offset, limit=PAGE_SIZE)
    charts = await figures.webhook_figures(db, actor, webhook_id)
    return RunHistory(webhook=webhook, runs=page, charts=charts)


async def run_detail(rt: Runtime, db: AsyncSession, actor: Actor, run_id: str) -> RunDetail:
    run = await get_run(db, actor, run_id)
    webhook = await webhooks.get_webhook(db, rt.box, actor, run.webhook_id)
    return RunDetail(webhook=webhook, run=run)
