"""FastAPI dependencies, declared once as `Annotated` aliases so routes read as typed functions."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.services import Services
from orchestrator.auth import Principal, Role, verify_token
from orchestrator.errors import Forbidden, Unauthenticated

_bearer = HTTPBearer(auto_error=False)


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_principal(
    services: ServicesDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None:
        raise Unauthenticated("missing bearer token")
    return verify_token(credentials.credentials, services.settings.jwt_secret)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(*roles: Role) -> object:
    def check(principal: PrincipalDep) -> Principal:
        if principal.role not in roles:
            raise Forbidden(
                f"role {principal.role.value} may not do this (needs {', '.join(r.value for r in roles)})"
            )
        return principal

    return Depends(check)


CitizenDep = Annotated[Principal, require(Role.citizen)]
DesignerDep = Annotated[Principal, require(Role.designer)]
CaseReaderDep = Annotated[Principal, require(Role.citizen, Role.support)]
AgencyDep = Annotated[Principal, require(Role.agency)]
SupportDep = Annotated[Principal, require(Role.support)]
