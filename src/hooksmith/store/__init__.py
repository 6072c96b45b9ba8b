"""Storage: SQLAlchemy models, tenant-scoped repositories, Alembic migrations, secrets at rest."""

from __future__ import annotations

from hooksmith.store.database import (
    create_pool,
    db_opener,
    default_database_url,
    unreachable,
)
from hooksmith.store.errors import (
    Duplicate,
    NotFound,
    RevisionConflict,
    SecretUnreadable,
    StoreError,
)
from hooksmith.store.figures import RunFigureRepository, Window
from hooksmith.store.migrate import downgrade, upgrade
from hooksmith.store.models import MAX_ID
from hooksmith.store.oauth_tokens import OAuthTokenRepository
from hooksmith.store.revisions import RevisionRepository
from hooksmith.store.runs import NewRun, RunRepository
from hooksmith.store.samples import MockState, SampleRepository
from hooksmith.store.scope import Scope
from hooksmith.store.secrets import SecretBox, load_or_create_key
from hooksmith.store.templates import TemplateRepository
from hooksmith.store.tenants import TenantRepository, hash_password, verify_password
from hooksmith.store.webhooks import WebhookRepository, to_definition

__all__ = [
    "MAX_ID",
    "Duplicate",
    "MockState",
    "NewRun",
    "NotFound",
    "OAuthTokenRepository",
    "RevisionConflict",
    "RevisionRepository",
    "RunFigureRepository",
    "RunRepository",
    "SampleRepository",
    "Scope",
    "SecretBox",
    "SecretUnreadable",
    "StoreError",
    "TemplateRepository",
    "TenantRepository",
    "WebhookRepository",
    "Window",
    "create_pool",
    "db_opener",
    "default_database_url",
    "downgrade",
    "hash_password",
    "load_or_create_key",
    "to_definition",
    "unreachable",
    "upgrade",
    "verify_password",
]
