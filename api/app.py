"""The FastAPI application: routers per audience, clients created once in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import ModuleType
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api import api_docs, middleware, problems
from api.codec_cors import CodecCors
from api.console import router as console
from api.life_event_schemas import document_life_events
from api.pages import assets
from api.portal import router as portal
from api.rate_limits import RateLimiter, RateLimits
from api.routes import (
    agency_contract,
    agency_tasks,
    cases,
    catalog,
    codec,
    consents,
    data_uses,
    follow_ups,
    health,
    life_events,
    me,
    offers,
    step_data,
    support,
    work_list,
)
from api.services import Services
from orchestrator.agency_exchange import AgencyExchange
from orchestrator.audit_log import AuditLog
from orchestrator.case_commands import CaseCommands
from orchestrator.case_history import CaseHistory
from orchestrator.case_starter import CaseStarter
from orchestrator.catalog import CatalogSource
from orchestrator.consent_desk import ConsentDesk
from orchestrator.consents import ConsentStore
from orchestrator.data_exchange import DataExchange, DataUseLog
from orchestrator.follow_up_desk import FollowUpDesk
from orchestrator.follow_up_store import FollowUpStore
from orchestrator.intake import CaseIntake
from orchestrator.mongo import connect, ensure_indexes
from orchestrator.offer_desk import OfferDesk
from orchestrator.offers import OfferStore
from orchestrator.profile_store import ProfileStore
from orchestrator.recent_triggers import RecentTriggers
from orchestrator.settings import Settings
from orchestrator.stores import CaseStores
from orchestrator.stuck_reasons import StuckRules
from orchestrator.support_desk import SupportDesk
from orchestrator.temporal_client import connect_temporal
from orchestrator.work_list import WorkList


def create_app(settings: Settings | None = None, source: CatalogSource | None = None) -> FastAPI:
    """`source`: the process's catalog, when another part of it (a worker) shares it."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        catalog_source = source or CatalogSource(settings.catalog_path)
        mongo = connect(settings.mongodb_url, settings.mongodb_timeout_ms)
        db = mongo[settings.mongodb_database]
        await ensure_indexes(db)
        temporal = await connect_temporal(settings)
        stores = CaseStores.on(db, settings.vault_sealer())
        recent = RecentTriggers(db, settings.trigger_dedup_seconds)
        profiles = ProfileStore(db, settings.vault_sealer())
        use_log = DataUseLog(db)
        consent_store = ConsentStore(db)
        starter = CaseStarter(temporal, settings.task_queue)
        intake = CaseIntake(
            catalog_source,
            stores,
            temporal,
            settings.task_queue,
            recent,
            pseudonyms=settings.pseudonyms(),
            profiles=profiles,
            starter=starter,
        )
        audit = AuditLog(db)
        tokens = settings.token_verifier()
        commands = CaseCommands(
            stores,
            temporal,
            audit,
            settings.command_timeout_seconds,
            pseudonyms=settings.pseudonyms(),
            starter=starter,
        )
        rules = StuckRules(settings.stuck_citizen_minutes, settings.stuck_retrying_minutes)
        support_desk = SupportDesk(db, commands, CaseHistory(temporal), audit, rules)
        app.state.services = Services(
            settings,
            mongo,
            db,
            temporal,
            catalog_source,
            stores.cases,
            intake,
            commands,
            audit,
            support_desk,
            tokens,
            RateLimits(
                RateLimiter(settings.rate_triggers_per_minute, settings.rate_triggers_burst),
                RateLimiter(settings.rate_commands_per_minute, settings.rate_commands_burst),
            ),
            AgencyExchange(
                stores,
                temporal,
                catalog_source.directory,
                DataExchange(stores.vault, use_log, consent_store),
                audit,
                settings.pseudonyms(),
            ),
            WorkList(stores.cases, stores.definitions, commands),
            profiles,
            use_log,
            ConsentDesk(consent_store, commands, catalog_source.current, audit, settings.pseudonyms()),
            OfferDesk(
                commands,
                OfferStore(db),
                intake,
                stores,
                profiles,
                audit,
                pseudonyms=settings.pseudonyms(),
            ),
            FollowUpDesk(
                FollowUpStore(db),
                commands,
                temporal,
                settings.command_timeout_seconds,
                pseudonyms=settings.pseudonyms(),
            ),
        )
        try:
            yield
        finally:
            await starter.close()
            await mongo.close()

    # /docs and /redoc come from api_docs, on assets served here rather than from a CDN.
    app = FastAPI(title="OneStop", version="1", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.add_middleware(CodecCors, origins=settings.temporal_ui_origins)
    problems.install(app)
    middleware.install(app)
    for module, statuses in _ERROR_STATUSES.items():
        app.include_router(module.router, responses=problems.responses(*statuses))
    app.include_router(health.router)
    app.include_router(agency_contract.router)
    console.install(app)
    portal.install(app)
    assets.install(app)
    api_docs.install(app)
    _document_problems(app)
    return app


# What each audience's routes can answer besides success: the body limits (400, 411, 413) apply
# to every route, 401/403 to every route that takes a token, 503 wherever Temporal or MongoDB is
# asked. The OpenAPI document lists them with the problem schema (`api/problems.py`).
_BASE = (400, 401, 403, 411, 413, 422)
_ERROR_STATUSES: dict[ModuleType, tuple[int, ...]] = {
    life_events: (*_BASE, 409, 429, 503),
    cases: (*_BASE, 404, 409, 429, 503),
    me: (*_BASE, 429, 503),
    data_uses: (*_BASE, 503),
    consents: (*_BASE, 404, 409, 429, 503),
    offers: (*_BASE, 404, 409, 429, 503),
    follow_ups: (*_BASE, 404, 409, 429, 503),
    agency_tasks: (*_BASE, 404, 409, 429, 503),
    step_data: (*_BASE, 404, 503),
    work_list: (*_BASE, 404, 409, 429, 503),
    support: (*_BASE, 404, 409, 429, 503),
    codec: _BASE,
    catalog: (*_BASE, 404),
}


def _document_problems(app: FastAPI) -> None:
    """Error responses are `application/problem+json`, and the trigger's body is one schema per
    life event: say so in the OpenAPI document (built per request: the catalog reloads live)."""

    def openapi() -> dict[str, Any]:
        schema = problems.as_problem_json(
            get_openapi(title=app.title, version=app.version, routes=app.routes)
        )
        services = getattr(app.state, "services", None)
        if services is not None:  # the live catalog's life events, each with its inputs and an example
            schema = document_life_events(schema, services.catalog.current())
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
