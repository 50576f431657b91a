"""Agency simulators: one small FastAPI app that behaves like every registry in the directory.

Each action validates its data contract, stores one record per idempotency key in
`agency_records` (a unique index makes a duplicate delivery return the first record), and
compensations revert the record they name, idempotently. Faults can be injected per agency,
action and subject (citizen) at run time, so tests and demos can make any step fail.

Every route needs a token (`activities/simulator_auth.py`): an action of agency X takes X's
agency token, which OneStop's worker signs for each agency it calls
(`activities/agency_credentials.py`); X's records take X's token or support's; failure injection
is support's alone, being an operator's tool.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header, HTTPException, Request
from pydantic import BaseModel, Field
from pymongo import WriteConcern
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from activities.agency_client import AgencyReply, AgencyRequest, agency_reference
from activities.simulator_auth import AUTH_RESPONSES, AgencyCounterpartDep, OperatorDep, RecordReaderDep
from activities.simulator_auth import install as install_auth
from orchestrator.agencies import AgencyDirectory
from orchestrator.auth import TokenVerifier
from orchestrator.mongo import Document


class FaultKind(StrEnum):
    reject = "reject"
    error = "error"
    delay = "delay"


class Fault(BaseModel):
    agency: str
    action: str | None = None
    subject: str | None = None
    kind: FaultKind
    times: int | None = Field(
        default=None, ge=1, description="how many calls it affects; None = until cleared"
    )
    delay_seconds: float = Field(default=0.0, ge=0, le=120)
    code: str = Field(default="injected_fault", pattern=r"^[a-z0-9_]{1,64}$", description="reason code")

    def matches(self, agency: str, action: str, subject: str) -> bool:
        return (
            self.agency == agency
            and self.action in (None, action)
            and self.subject in (None, subject)
            and (self.times is None or self.times > 0)
        )


class RecordPublic(BaseModel):
    agency: str
    action: str
    idempotency_key: str
    reference: str
    case_id: str
    step_id: str
    subject: str
    fields: dict[str, Any]
    compensates: str | None = None
    compensated_at: datetime | None = None
    created_at: datetime
    instance: str | None = None


class RecordList(BaseModel):
    data: list[RecordPublic]
    count: int


class Simulator:
    def __init__(self, db: AsyncDatabase[Document], directory: Callable[[], AgencyDirectory]) -> None:
        """`directory` gives the live directory: an action a designer adds is served at once."""
        # A stand-in for an agency's own registry, whose durability is the agency's business:
        # not journaled, so the benchmark's HTTP row measures OneStop rather than fsyncs.
        self.records = db.get_collection("agency_records", write_concern=WriteConcern(w=1, j=False))
        self.directory = directory
        self.faults: list[Fault] = []

    async def act(self, agency: str, action: str, key: str, body: AgencyRequest) -> AgencyReply:
        spec = self.directory().action(agency, action)
        if spec is None:
            raise HTTPException(
                404, {"code": "unknown_action", "message": f"{agency} has no action {action}"}
            )
        extra = sorted(set(body.fields) - set(spec.accepts))
        if extra:
            message = f"{agency}.{action} does not accept field(s): {', '.join(extra)}"
            raise HTTPException(422, {"code": "field_not_accepted", "message": message})
        await self._inject(agency, action, body.subject)
        reference = agency_reference(agency, key)
        record = {
            "_id": key,
            "agency": agency,
            "action": action,
            "idempotency_key": key,
            "reference": reference,
            "case_id": body.case_id,
            "step_id": body.step_id,
            "subject": body.subject,
            "fields": body.fields,
            "compensates": body.compensates,
            "instance": body.instance,
            "compensated_at": None,
            "created_at": datetime.now(UTC),
        }
        try:
            await self.records.insert_one(record)
        except DuplicateKeyError:
            existing = await self.records.find_one({"_id": key})
            assert existing is not None
            return AgencyReply(reference=existing["reference"], status="duplicate")
        if body.compensates:
            await self.records.update_one(
                {"_id": body.compensates, "compensated_at": None},
                {"$set": {"compensated_at": datetime.now(UTC)}},
            )
        return AgencyReply(reference=reference)

    def down(self, agency: str) -> bool:
        """An outage of the whole agency: an error fault for every action and every citizen."""
        return any(
            f.kind is FaultKind.error
            and f.agency == agency
            and f.action is None
            and f.subject is None
            and (f.times is None or f.times > 0)
            for f in self.faults
        )

    async def _inject(self, agency: str, action: str, subject: str) -> None:
        for fault in self.faults:
            if not fault.matches(agency, action, subject):
                continue
            if fault.times is not None:
                fault.times -= 1
            if fault.kind is FaultKind.delay:
                await asyncio.sleep(fault.delay_seconds)
            elif fault.kind is FaultKind.error:
                raise HTTPException(503, {"code": fault.code, "message": f"{agency} unavailable"})
            else:
                raise HTTPException(409, {"code": fault.code, "message": f"{agency} rejected the request"})


def _simulator(request: Request) -> Simulator:
    sim: Simulator = request.app.state.simulator
    return sim


router = APIRouter(tags=["agency simulators"], responses=AUTH_RESPONSES)


@router.post("/agencies/{agency}/actions/{action}", response_model=AgencyReply)
async def act(
    agency: str,
    action: str,
    body: AgencyRequest,
    request: Request,
    idempotency_key: Annotated[str, Header()],
    caller: AgencyCounterpartDep,
) -> AgencyReply:
    """Perform an agency action (or a compensation) exactly once per Idempotency-Key."""
    return await _simulator(request).act(agency, action, idempotency_key, body)


@router.get("/agencies/{agency}/health", status_code=204, responses={503: {"description": "down"}})
async def health(agency: str, request: Request, caller: AgencyCounterpartDep) -> None:
    """Whether the agency serves: OneStop's worker probes this once per interval while the agency
    is down, instead of every waiting case calling it."""
    if _simulator(request).down(agency):
        raise HTTPException(503, {"code": "agency_down", "message": f"{agency} unavailable"})


@router.get("/agencies/{agency}/records", response_model=RecordList)
async def records(
    agency: str, request: Request, reader: RecordReaderDep, case_id: str | None = None
) -> RecordList:
    """Inspect what an agency holds, optionally for one case."""
    query: dict[str, Any] = {"agency": agency}
    if case_id is not None:
        query["case_id"] = case_id
    docs = [
        RecordPublic.model_validate(d)
        async for d in _simulator(request).records.find(query).sort("created_at")
    ]
    return RecordList(data=docs, count=len(docs))


@router.post("/admin/faults", response_model=Fault, status_code=201)
async def add_fault(fault: Fault, request: Request, operator: OperatorDep) -> Fault:
    """Inject a fault: reject, error (503) or delay calls of an agency."""
    _simulator(request).faults.append(fault)
    return fault


@router.delete("/admin/faults", status_code=204)
async def clear_faults(request: Request, operator: OperatorDep) -> None:
    """Remove every injected fault."""
    _simulator(request).faults.clear()


def create_simulator_app(
    db: AsyncDatabase[Document], directory: Callable[[], AgencyDirectory], tokens: TokenVerifier
) -> FastAPI:
    """`tokens` verifies callers as the API does (the same settings build both)."""
    app = FastAPI(title="OneStop agency simulators", version="1")
    app.state.simulator = Simulator(db, directory)
    install_auth(app, tokens)
    app.include_router(router)
    return app
