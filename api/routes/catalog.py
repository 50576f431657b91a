"""Designers read, validate and try life-event definitions; everyone may read the catalog.

Designers also see each file of the catalog folder as the running API holds it (loaded, or
rejected with its problems), because a rejected file is otherwise only a line in a server log.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from api.deps import DesignerDep, DiffDefinitionsDep, ReadCatalogDep, ServicesDep, TryDefinitionDep
from api.problems import responses
from orchestrator.auth import Role
from orchestrator.catalog_status import FileState
from orchestrator.definition import LifeEventDefinition
from orchestrator.definition_diff import VersionsDiff
from orchestrator.definition_store import DefinitionStore
from orchestrator.definition_versions import versions_diff
from orchestrator.diagram import mermaid
from orchestrator.drafts import DraftReport, check_draft
from orchestrator.dry_run import dry_run
from orchestrator.dry_run_plan import Plan, TryRequest
from orchestrator.errors import InputError, NotFound, UnknownLifeEvent
from orchestrator.form_schema import FormSchemas, form_schemas


class CatalogEntry(BaseModel):
    type: str
    version: int
    title: str
    description: str


class CatalogList(BaseModel):
    data: list[CatalogEntry]
    count: int
    files: list[FileState] | None = Field(
        default=None, description="designers only: every file of the catalog folder, loaded or rejected"
    )


class CatalogDefinition(BaseModel):
    definition: LifeEventDefinition
    mermaid: str


router = APIRouter(prefix="/v1/catalog", tags=["designers"])


@router.get("", response_model=CatalogList, response_model_exclude_none=True)
async def list_catalog(principal: ReadCatalogDep, services: ServicesDep) -> CatalogList:
    """Every life event OneStop can run now; for designers, every catalog file's state too."""
    entries = [
        CatalogEntry(type=d.type, version=d.version, title=d.title, description=d.description)
        for d in services.catalog.current().definitions.values()
    ]
    files = services.catalog.files() if principal.role is Role.designer else None
    return CatalogList(data=entries, count=len(entries), files=files)


@router.get("/{type_}", response_model=CatalogDefinition)
async def get_definition(type_: str, _: ReadCatalogDep, services: ServicesDep) -> CatalogDefinition:
    """One definition, with its Mermaid flowchart; an unknown type is a missing resource (404),
    not bad input as when a citizen reports it."""
    try:
        definition = services.catalog.current().get(type_)
    except UnknownLifeEvent as exc:
        raise NotFound(str(exc)) from None
    return CatalogDefinition(definition=definition, mermaid=mermaid(definition))


@router.get("/{type_}/schema", response_model=FormSchemas)
async def get_schema(type_: str, _: ReadCatalogDep, services: ServicesDep) -> FormSchemas:
    """JSON Schemas to build forms from: the life event's inputs, and each question a step may
    ask during the case (a citizen_input step's, or what a reviewing agency may ask for)."""
    try:
        definition = services.catalog.current().get(type_)
    except UnknownLifeEvent as exc:
        raise NotFound(str(exc)) from None
    return form_schemas(definition)


_YAML_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/yaml": {"schema": {"type": "string"}}, "application/json": {"schema": {}}},
    }
}


@router.post(":validate", response_model=DraftReport, openapi_extra=_YAML_BODY)
async def validate_definition(_: DesignerDep, services: ServicesDep, request: Request) -> DraftReport:
    """Check a definition (YAML or JSON) against the live agency directory without installing it:
    every problem at once, or its diagram (the same check as `onestop catalog validate`)."""
    raw = await request.body()
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        raise InputError("body", "must be UTF-8 text") from None
    live = services.catalog.current()
    return check_draft(text, "definition", live.directory, live.definitions)


@router.post("/{type_}:try", response_model=Plan, responses=responses(404, 422))
async def try_definition(type_: str, body: TryRequest, _: TryDefinitionDep, services: ServicesDep) -> Plan:
    """A dry run of the live definition on sample data, calling no agency: the waves of steps, the
    skips and why, the fields each agency would receive, the citizen's questions and a diagram."""
    catalog = services.catalog.current()
    try:
        definition = catalog.get(type_)
    except UnknownLifeEvent as exc:
        raise NotFound(str(exc)) from None
    return dry_run(definition, body, catalog.directory)


@router.get("/{type_}/diff", response_model=VersionsDiff, responses=responses(404, 422))
async def diff_versions(
    type_: str,
    _: DiffDefinitionsDep,
    services: ServicesDep,
    from_: str | None = Query(default=None, alias="from", max_length=64, description="version or digest"),
    to: str | None = Query(default=None, max_length=64, description="version or digest"),
) -> VersionsDiff:
    """What changed between two versions of a life event (default: the two newest), and how many
    open cases are pinned to each version."""
    catalog = services.catalog.current()
    live = catalog.definitions.get(type_)
    try:
        return await versions_diff(type_, live, DefinitionStore(services.db), services.cases, from_, to)
    except UnknownLifeEvent:
        raise NotFound(str(UnknownLifeEvent(type_, list(catalog.definitions)))) from None
