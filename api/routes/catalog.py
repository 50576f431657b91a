"""Designers read and validate life-event definitions; everyone may read the catalog.

Designers also see each file of the catalog folder as the running API holds it (loaded, or
rejected with its problems), because a rejected file is otherwise only a line in a server log.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from api.deps import DesignerDep, ReadCatalogDep, ServicesDep
from orchestrator.auth import Role
from orchestrator.catalog_status import FileState
from orchestrator.definition import LifeEventDefinition
from orchestrator.diagram import mermaid
from orchestrator.drafts import DraftReport, check_draft
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
    return check_draft(text, "definition", services.catalog.directory())
