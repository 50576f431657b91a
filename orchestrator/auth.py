"""Bearer tokens: HS256 JWTs carrying `sub`, `role` and, for agencies, `agency`.

A real deployment puts an identity provider in front; the claims stay the same.
"""

from __future__ import annotations

import time
from enum import StrEnum

import jwt
from pydantic import BaseModel, ValidationError, model_validator

from orchestrator.errors import Unauthenticated

ALGORITHM = "HS256"


class Role(StrEnum):
    citizen = "citizen"
    agency = "agency"
    designer = "designer"
    support = "support"


class Principal(BaseModel):
    sub: str
    role: Role
    agency: str | None = None

    @model_validator(mode="after")
    def _agency_claim(self) -> Principal:
        if (self.role is Role.agency) != (self.agency is not None):
            raise ValueError("the agency claim goes with the agency role, and only with it")
        return self


def issue_token(principal: Principal, secret: str, ttl_seconds: int) -> str:
    now = int(time.time())
    claims = {**principal.model_dump(exclude_none=True), "iat": now, "exp": now + ttl_seconds}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(token: str, secret: str) -> Principal:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.PyJWTError as exc:
        raise Unauthenticated(f"invalid token: {exc}") from exc
    try:
        return Principal.model_validate({k: claims.get(k) for k in ("sub", "role", "agency")})
    except ValidationError as exc:
        raise Unauthenticated(f"invalid token claims: {exc.errors()[0]['msg']}") from exc
