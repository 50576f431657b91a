"""Who may call the agency simulators, checked with the API's own token verifier.

Every route takes a bearer token verified exactly as OneStop's API verifies its tokens (one
`TokenVerifier`, the dev key or the identity provider's JWKS, injected by the composition root):

- an action of agency X: an agency token whose `agency` claim is X, the credential OneStop's
  worker presents when it calls X (`activities/agency_credentials.py`);
- X's records: X's own agency token, or support's;
- failure injection: support only. It is an operator's tool: whoever holds it can make any
  agency fail any citizen's case.

No token (or one that does not verify) is a 401 with `WWW-Authenticate: Bearer`, a valid token
that may not act a 403, both as RFC 9457 problems (`orchestrator/problem_details.py`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from orchestrator.auth import Principal, Role, TokenVerifier
from orchestrator.errors import Forbidden, Unauthenticated
from orchestrator.problem_details import MEDIA_TYPE, Problem, problem_body

_bearer = HTTPBearer(auto_error=False, description="an agency token, or support's")

AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "no token, or one that does not verify"},
    403: {"model": Problem, "description": "a token that may not do this"},
}
"""What every simulator route may answer besides its own results, for the OpenAPI document."""


def _caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None:
        raise Unauthenticated("missing bearer token")
    tokens: TokenVerifier = request.app.state.tokens
    return tokens.verify(credentials.credentials)


CallerDep = Annotated[Principal, Depends(_caller)]


def _agency_counterpart(agency: str, caller: CallerDep) -> Principal:
    if caller.role is not Role.agency or caller.agency != agency:
        raise Forbidden(f"an action of {agency} needs an agency token for {agency}")
    return caller


def _record_reader(agency: str, caller: CallerDep) -> Principal:
    if caller.role is Role.support or (caller.role is Role.agency and caller.agency == agency):
        return caller
    raise Forbidden(f"the records of {agency} are for {agency}'s own token or support's")


def _operator(caller: CallerDep) -> Principal:
    if caller.role is not Role.support:
        raise Forbidden(f"failure injection is for support (role {caller.role.value} may not)")
    return caller


AgencyCounterpartDep = Annotated[Principal, Depends(_agency_counterpart)]
RecordReaderDep = Annotated[Principal, Depends(_record_reader)]
OperatorDep = Annotated[Principal, Depends(_operator)]


async def _refused(request: Request, exc: Exception) -> Response:
    if isinstance(exc, Unauthenticated):
        body = problem_body(401, str(exc), kind="unauthenticated")
        return JSONResponse(body, 401, headers={"WWW-Authenticate": "Bearer"}, media_type=MEDIA_TYPE)
    return JSONResponse(problem_body(403, str(exc), kind="forbidden"), 403, media_type=MEDIA_TYPE)


def install(app: FastAPI, tokens: TokenVerifier) -> None:
    """The verifier the routes' dependencies use, and the problem shape of a refusal."""
    app.state.tokens = tokens
    app.add_exception_handler(Unauthenticated, _refused)
    app.add_exception_handler(Forbidden, _refused)
