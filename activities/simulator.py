"""Agency simulators: one small FastAPI app that behaves like every registry in the directory.

Each action validates its input model (`activities/simulator_contract.py`), stores one record
per idempotency key in `agency_records` (a unique index makes a duplicate delivery return the
first record), and compensations revert the record they name, idempotently. An unknown action is
a 404 `unknown_action`: OneStop holds the step for support, as a configuration error, not a
rejection. Misbehaviour is set per agency at run time (`activities/simulator_behaviour.py`:
errors, rejections, latency, outages, slow and lost answers) and targeted faults per agency,
action and citizen (`activities/simulator_faults.py`), through the admin routes
(`activities/simulator_admin.py`).

Every route needs a token (`activities/simulator_auth.py`): an action of agency X takes X's
agency token, which OneStop's worker signs for each agency it calls
(`activities/agency_credentials.py`); X's records take X's token or support's; failure injection
is support's alone, being an operator's tool.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header, HTTPException, Request
from pydantic import BaseModel, computed_field
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from activities import simulator_admin
from activities.agency_client import AgencyReply, AgencyRequest, agency_reference
from activities.simulator_auth import AUTH_RESPONSES, AgencyCounterpartDep, RecordReaderDep
from activities.simulator_auth import install as install_auth
from activities.simulator_behaviour import Behaviours, Failure
from activities.simulator_contract import ContractBreach, Contracts
from activities.simulator_faults import Fault, agency_down, inject
from orchestrator.agencies import AgencyDirectory
from orchestrator.auth import TokenVerifier
from orchestrator.mongo import Document, unjournaled


class RecordState(StrEnum):
    active = "active"  # an action the agency holds
    compensated = "compensated"  # an action a later compensation reverted
    compensation = "compensation"  # the record of a compensation itself


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

    @computed_field  # type: ignore[prop-decorator]
    @property
    def state(self) -> RecordState:
        if self.compensates:
            return RecordState.compensation
        return RecordState.compensated if self.compensated_at else RecordState.active


class RecordList(BaseModel):
    data: list[RecordPublic]
    count: int


def _answer(status: int, code: str, message: str, **extra: Any) -> HTTPException:
    """An agency's refusal: the reason code OneStop keeps, and words it does not."""
    return HTTPException(status, {"code": code, "message": message, **extra})


class Simulator:
    def __init__(
        self,
        db: AsyncDatabase[Document],
        directory: Callable[[], AgencyDirectory],
        behaviours: Behaviours,
    ) -> None:
        """`directory` gives the live directory: an action a designer adds is served at once."""
        # A stand-in for an agency's own registry, whose durability is the agency's business:
        # not journaled, so the benchmark's HTTP row measures OneStop rather than fsyncs.
        self.records = unjournaled(db, "agency_records")
        self.directory = directory
        self.behaviours = behaviours
        self.contracts = Contracts()
        self.faults: list[Fault] = []

    async def act(self, agency: str, action: str, key: str, body: AgencyRequest) -> AgencyReply:
        self.behaviours.entered(agency)
        try:
            return await self._act(agency, action, key, body)
        finally:
            self.behaviours.left(agency)

    async def _act(self, agency: str, action: str, key: str, body: AgencyRequest) -> AgencyReply:
        spec = self.directory().action(agency, action)
        if spec is None:
            raise _answer(404, "unknown_action", f"{agency} has no action {action}")
        if self.behaviours.down(agency):
            raise _answer(503, "agency_down", f"{agency} is down")
        try:
            self.contracts.check(agency, action, spec, body.fields)
        except ContractBreach as exc:
            errors = [e.model_dump() for e in exc.errors]
            raise _answer(422, exc.code, exc.message, errors=errors) from None
        await inject(self.faults, agency, action, body.subject)
        plan = self.behaviours.plan(agency)
        if plan.delay_seconds:
            await asyncio.sleep(plan.delay_seconds)
        if plan.failure is not None and await self.records.find_one({"_id": key}, {"_id": 1}):
            # A duplicate delivery of what the agency already did (its reply was lost, or came
            # too late): it answers from its record, as a registry keyed by idempotency does,
            # instead of refusing what it did. Looked up only then, so a healthy call pays nothing.
            return await self._store(agency, action, key, body)
        if plan.failure is Failure.error:
            raise _answer(503, "agency_unavailable", f"{agency} unavailable")
        if plan.failure is Failure.rejection:
            raise _answer(409, plan.code, f"{agency} rejected the request")
        reply = await self._store(agency, action, key, body)
        if plan.lose_reply:  # the agency acted; OneStop never hears it, and delivers it again
            raise _answer(503, "reply_lost", f"{agency} acted but its answer was lost")
        return reply

    async def _store(self, agency: str, action: str, key: str, body: AgencyRequest) -> AgencyReply:
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
        reply = AgencyReply(reference=reference)
        try:
            await self.records.insert_one(record)
        except DuplicateKeyError:
            self.behaviours.duplicate(agency)
            existing = await self.records.find_one({"_id": key})
            assert existing is not None
            reply = AgencyReply(reference=existing["reference"], status="duplicate")
        if body.compensates:  # again on a duplicate: the first delivery may have stopped short of it
            await self.records.update_one(
                {"_id": body.compensates, "compensated_at": None},
                {"$set": {"compensated_at": datetime.now(UTC)}},
            )
        return reply

    def down(self, agency: str) -> bool:
        """The whole agency is out: its outage window, or an error fault for every action and citizen."""
        return self.behaviours.down(agency) or agency_down(self.faults, agency)


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
    """Inspect what an agency holds, optionally for one case, each record with its state."""
    query: dict[str, Any] = {"agency": agency}
    if case_id is not None:
        query["case_id"] = case_id
    docs = [
        RecordPublic.model_validate(d)
        async for d in _simulator(request).records.find(query).sort("created_at")
    ]
    return RecordList(data=docs, count=len(docs))


def create_simulator_app(
    db: AsyncDatabase[Document],
    directory: Callable[[], AgencyDirectory],
    tokens: TokenVerifier,
    *,
    rng: random.Random | None = None,
    agency_timeout_seconds: float = 10.0,
) -> FastAPI:
    """`tokens` verifies callers as the API does (the same settings build both); `rng` draws the
    injected failures (seed it for repeatable runs); a slow answer comes a second after
    `agency_timeout_seconds`, OneStop's own."""
    app = FastAPI(title="OneStop agency simulators", version="1")
    behaviours = Behaviours(rng or random.Random(), lambda: datetime.now(UTC), agency_timeout_seconds + 1)
    simulator = Simulator(db, directory, behaviours)
    app.state.simulator = simulator
    install_auth(app, tokens)
    simulator_admin.install(app, simulator.faults, behaviours, directory)
    app.include_router(router)
    app.include_router(simulator_admin.router)
    return app
