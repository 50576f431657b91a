"""FastAPI dependencies, declared once as `Annotated` aliases so routes read as typed functions.

They are `async def`: FastAPI runs a plain `def` dependency in its thread pool, and the four a
trigger solves cost the API about a sixth of its CPU per request in thread hand-offs (py-spy,
`onestop bench --api-load`) for work of microseconds. Only a token check that may fetch an
identity provider's keys leaves the event loop."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.services import Services
from orchestrator.auth import Principal
from orchestrator.errors import Forbidden, Unauthenticated
from orchestrator.permissions import MATRIX, Permission, allows

_bearer = HTTPBearer(auto_error=False)


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_principal(
    services: ServicesDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None:
        raise Unauthenticated("missing bearer token")
    if services.tokens.may_block:
        return await run_in_threadpool(services.tokens.verify, credentials.credentials)
    return services.tokens.verify(credentials.credentials)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(principal: Principal, permission: Permission) -> Principal:
    """The principal, if the matrix lets its role do this; otherwise Forbidden naming who may."""
    if not allows(principal.role, permission):
        roles = ", ".join(sorted(r.value for r in MATRIX[permission]))
        raise Forbidden(f"role {principal.role.value} may not {permission.value} (needs {roles})")
    return principal


def permit(permission: Permission) -> object:
    """The route's permission, checked against the matrix; the checker carries the permission so
    the route test can find it."""

    async def check(principal: PrincipalDep) -> Principal:
        return require(principal, permission)

    check.permission = permission  # type: ignore[attr-defined]
    return Depends(check)


ReportLifeEventDep = Annotated[Principal, permit(Permission.report_life_event)]
ListOwnCasesDep = Annotated[Principal, permit(Permission.list_own_cases)]
ReadCaseDep = Annotated[Principal, permit(Permission.read_case)]
CancelCaseDep = Annotated[Principal, permit(Permission.cancel_case)]
AnswerStepDep = Annotated[Principal, permit(Permission.answer_step)]
DecideStepDep = Annotated[Principal, permit(Permission.decide_step)]
FetchStepDataDep = Annotated[Principal, permit(Permission.fetch_step_data)]
AgencyTasksDep = Annotated[Principal, permit(Permission.agency_tasks)]
OwnProfileDep = Annotated[Principal, permit(Permission.own_profile)]
OwnDataUsesDep = Annotated[Principal, permit(Permission.own_data_uses)]
OwnConsentsDep = Annotated[Principal, permit(Permission.own_consents)]
AnswerOfferDep = Annotated[Principal, permit(Permission.answer_offer)]
OwnFollowUpsDep = Annotated[Principal, permit(Permission.own_follow_ups)]
ReadCatalogDep = Annotated[Principal, permit(Permission.read_catalog)]
DesignerDep = Annotated[Principal, permit(Permission.validate_definition)]
TryDefinitionDep = Annotated[Principal, permit(Permission.try_definition)]
DiffDefinitionsDep = Annotated[Principal, permit(Permission.diff_definitions)]
SupportDep = Annotated[Principal, permit(Permission.support_cases)]


async def _limit_triggers(principal: PrincipalDep, services: ServicesDep) -> None:
    services.limits.triggers.take(principal.sub, "life-event reports")


def take_command(services: Services, principal: Principal) -> None:
    """Spend one of the person's commands: the JSON API and the console share one budget."""
    services.limits.commands.take(f"{principal.role.value}:{principal.sub}", "commands")


async def _limit_commands(principal: PrincipalDep, services: ServicesDep) -> None:
    take_command(services, principal)


TriggerLimit = Annotated[None, Depends(_limit_triggers)]
"""Per-citizen budget of life-event reports (`api/rate_limits.py`)."""
CommandLimit = Annotated[None, Depends(_limit_commands)]
"""Per-person budget of commands: cancels, answers, decisions, support actions."""
