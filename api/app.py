"""The FastAPI application: routers per audience, clients created once in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import middleware, problems
from api.routes import agency_tasks, cases, catalog, health, life_events, support
from api.services import Services
from orchestrator.case_commands import CaseCommands
from orchestrator.catalog import CatalogSource
from orchestrator.intake import CaseIntake
from orchestrator.mongo import connect, ensure_indexes
from orchestrator.settings import Settings
from orchestrator.stores import CaseStores
from orchestrator.temporal_client import connect_temporal


def create_app(settings: Settings | None = None, source: CatalogSource | None = None) -> FastAPI:
    """`source`: the process's catalog, when another part of it (a worker) shares it."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        catalog_source = source or CatalogSource(settings.catalog_path)
        mongo = connect(settings.mongodb_url, settings.mongodb_timeout_ms)
        db = mongo[settings.mongodb_database]
        await ensure_indexes(db)
        temporal = await connect_temporal(settings.temporal_address, settings.temporal_namespace)
        stores = CaseStores.on(db)
        intake = CaseIntake(catalog_source, stores, temporal, settings.task_queue)
        commands = CaseCommands(stores, temporal, settings.command_timeout_seconds)
        app.state.services = Services(
            settings, mongo, db, temporal, catalog_source, stores.cases, intake, commands
        )
        try:
            yield
        finally:
            await mongo.close()

    app = FastAPI(title="OneStop", version="1", lifespan=lifespan)
    problems.install(app)
    middleware.install(app)
    for module in (life_events, cases, agency_tasks, support, catalog, health):
        app.include_router(module.router)
    return app
