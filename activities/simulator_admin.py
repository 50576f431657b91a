"""The simulators' operator routes: targeted faults and each agency's behaviour, support's only.

`onestop simulate` (`onestop/simulate_cli.py`) drives the behaviour routes at run time. They
change what every caller of an agency meets, which is why they need a support token: whoever
holds one can make any agency fail every citizen's case.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from activities.simulator_auth import AUTH_RESPONSES, OperatorDep
from activities.simulator_behaviour import Behaviour, Behaviours, BehaviourView
from activities.simulator_faults import Fault
from orchestrator.agencies import AgencyDirectory
from orchestrator.problem_details import MEDIA_TYPE, FieldProblem, Problem, problem_body

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such agency in the directory"}}
_INVALID: dict[int | str, dict[str, Any]] = {422: {"model": Problem, "description": "every bad field"}}

router = APIRouter(tags=["failure injection"], responses={**AUTH_RESPONSES, **_INVALID})


def _faults(request: Request) -> list[Fault]:
    faults: list[Fault] = request.app.state.faults
    return faults


def _behaviours(request: Request, agency: str) -> Behaviours:
    """The behaviours, for an agency the live directory knows (else 404)."""
    directory: Callable[[], AgencyDirectory] = request.app.state.directory
    if agency not in directory().agencies:
        raise HTTPException(
            404, {"code": "unknown_agency", "message": f"no agency {agency} in the directory"}
        )
    behaviours: Behaviours = request.app.state.behaviours
    return behaviours


@router.post("/admin/faults", response_model=Fault, status_code=201)
async def add_fault(fault: Fault, request: Request, operator: OperatorDep) -> Fault:
    """Inject a fault: reject, error (503) or delay calls of an agency, action or citizen."""
    _faults(request).append(fault)
    return fault


@router.delete("/admin/faults", status_code=204)
async def clear_faults(request: Request, operator: OperatorDep) -> None:
    """Remove every injected fault."""
    _faults(request).clear()


BEHAVIOUR = "/admin/agencies/{agency}/behaviour"


@router.get(BEHAVIOUR, response_model=BehaviourView, responses=_NOT_FOUND)
async def read_behaviour(agency: str, request: Request, operator: OperatorDep) -> BehaviourView:
    """How an agency behaves now, what is left of its outage, and what it did to its callers."""
    return _behaviours(request, agency).view(agency)


@router.put(BEHAVIOUR, response_model=BehaviourView, responses=_NOT_FOUND)
async def set_behaviour(
    agency: str, behaviour: Behaviour, request: Request, operator: OperatorDep
) -> BehaviourView:
    """Replace an agency's behaviour (fields left out are healthy); an outage starts now."""
    return _behaviours(request, agency).put(agency, behaviour)


@router.patch(BEHAVIOUR, response_model=BehaviourView, responses=_NOT_FOUND)
async def change_behaviour(
    agency: str, changes: Behaviour, request: Request, operator: OperatorDep
) -> BehaviourView:
    """Change only the fields given, keeping the rest (and a running outage) as they are."""
    return _behaviours(request, agency).patch(agency, changes)


@router.delete(BEHAVIOUR, status_code=204, responses=_NOT_FOUND)
async def reset_behaviour(agency: str, request: Request, operator: OperatorDep) -> None:
    """Make an agency healthy again, ending any outage, and zero its counts."""
    _behaviours(request, agency).reset(agency)


async def _invalid(request: Request, exc: Exception) -> Response:
    """A malformed request: every bad field named (never its value), as a problem document."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldProblem(field=".".join(str(p) for p in e["loc"]) or "body", message=str(e["msg"]))
        for e in exc.errors()
    ] or [FieldProblem(field="body", message="invalid request")]
    body = problem_body(422, errors[0].message, kind="invalid-input", errors=errors)
    return JSONResponse(body, 422, media_type=MEDIA_TYPE)


def install(
    app: FastAPI, faults: list[Fault], behaviours: Behaviours, directory: Callable[[], AgencyDirectory]
) -> None:
    """What the operator routes change, and the problem shape of a malformed request."""
    app.state.faults = faults
    app.state.behaviours = behaviours
    app.state.directory = directory
    app.add_exception_handler(RequestValidationError, _invalid)
