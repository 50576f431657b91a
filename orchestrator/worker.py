"""Worker bootstrap: the life-event workflow, its agency activities and its projection on one
task queue.

Activities get their dependencies (stores, agency client) through the constructor, so tests
and the dev stack wire the same classes to different servers.
"""

from __future__ import annotations

import httpx
from pymongo.asynchronous.database import AsyncDatabase
from temporalio.client import Client
from temporalio.worker import Worker

from activities.agency_actions import AgencyActions
from activities.agency_client import AgencyClient, AgencyPort
from activities.agency_credentials import SelfIssuedTokens
from activities.projection import CaseProjection
from orchestrator.mongo import Document
from orchestrator.settings import Settings
from orchestrator.stores import CaseStores
from workflows.life_event import LifeEventCase

WORKFLOWS: list[type] = [LifeEventCase]
"""The workflow classes a worker runs; `onestop replay` replays running cases against these."""


def build_worker(
    client: Client, db: AsyncDatabase[Document], agencies: AgencyPort, task_queue: str
) -> Worker:
    stores = CaseStores.on(db)
    actions = AgencyActions(stores.vault, agencies)
    projection = CaseProjection(stores.cases)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=[actions.call_agency, actions.undo_agency, projection.project_case],
        max_concurrent_activities=200,
    )


def http_agencies(settings: Settings) -> tuple[AgencyClient, httpx.AsyncClient]:
    """The HTTP agency adapter and the client it owns (close it on shutdown); it signs its calls
    with a short-lived token per agency."""
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
    http = httpx.AsyncClient(timeout=settings.agency_timeout_seconds, limits=limits)
    credentials = SelfIssuedTokens(settings.jwt_secret, settings.token_rules)
    client = AgencyClient(http, {}, settings.agency_base_url, credentials)
    return client, http
