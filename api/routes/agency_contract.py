"""The contract an agency implements for OneStop's connector, as an OpenAPI document.

Public, like the API's own `/openapi.json`: an agency builds against it before it holds a token,
and it tells nothing about any case.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from activities.agency_contract import contract_document

router = APIRouter(prefix="/v1/agency/contract", tags=["agencies"])

OPENAPI_PATH = "/v1/agency/contract/openapi.json"


@router.get("/openapi.json", response_model=dict[str, Any])
async def agency_contract() -> dict[str, Any]:
    """The HTTP contract a connector agency implements (POST an action or its undo, GET health):
    headers, request body, and which replies OneStop takes as done, rejected, retry or a
    configuration error (`x-onestop-outcome` on each response)."""
    return contract_document()
