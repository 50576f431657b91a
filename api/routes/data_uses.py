"""A citizen's data-use log: every share of their data with an agency (who, which fields, for
what, in which case, when), the state's provision record (Japan's Mynaportal, Estonia's data
tracker). Read-only: the log is append-only, and no route or code path changes or deletes it.

Records name the citizen by pseudonym, so the caller's own are found by theirs. A record written
by OneStop's connector names ids only; titles come from the live agency directory then.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import OwnDataUsesDep, ServicesDep
from orchestrator.agencies import AgencyDirectory
from orchestrator.data_exchange import Channel, DataUse
from orchestrator.errors import InputError


class DataUseView(BaseModel):
    id: str
    case_id: str
    step_id: str
    agency: str
    agency_title: str
    action: str
    purpose: str = Field(description="what the agency did with the fields (the action's title)")
    fields: list[str] = Field(description="names only: the log keeps no value")
    channel: Channel
    at: datetime
    legal_basis: str = Field(default="", description="`consent`, or `law: <reference>`")


class DataUseList(BaseModel):
    data: list[DataUseView]
    count: int
    next_cursor: str | None = Field(default=None, description="pass as `cursor` for the next page")


router = APIRouter(prefix="/v1/me/data-uses", tags=["citizens"])


@router.get("", response_model=DataUseList)
async def list_data_uses(
    citizen: OwnDataUsesDep,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
) -> DataUseList:
    """Every share of the caller's data, newest first, a page at a time."""
    pseudonym = services.settings.pseudonyms().of(citizen.sub)
    after = await services.data_uses.get(cursor) if cursor else None
    if cursor and (after is None or after.citizen != pseudonym):
        raise InputError("query.cursor", "not a cursor of this list: start again without one")
    uses = await services.data_uses.for_citizen(pseudonym, limit + 1, after)
    page = uses[:limit]
    directory = services.catalog.directory()
    views = [_view(u, directory) for u in page]
    return DataUseList(data=views, count=len(views), next_cursor=page[-1].id if len(uses) > limit else None)


def _view(use: DataUse, directory: AgencyDirectory) -> DataUseView:
    spec = directory.agencies.get(use.agency)
    action = directory.action(use.agency, use.action)
    return DataUseView(
        **use.model_dump(
            include={"id", "case_id", "step_id", "agency", "action", "fields", "channel", "at", "legal_basis"}
        ),
        agency_title=use.agency_title or (spec.title if spec else use.agency),
        purpose=use.purpose or (action.title if action and action.title else use.action),
    )
