"""Bearer tokens: JWTs carrying `sub`, `role` and, for agencies, `agency`.

Development signs HS256 tokens with a per-machine key (`onestop token`); a deployment names its
identity provider's JWKS (`ONESTOP_JWT_JWKS_URL`) and the algorithms it signs with, and the dev
key is then refused. Either way the algorithm is pinned, and `exp`, `iat`, `iss`, `aud` and a
`sub` that is not blank (whitespace names nobody, and every audit record would share it) are
required, with a lifetime of at most `ONESTOP_JWT_MAX_LIFETIME_SECONDS`: a token valid until
2100 is not a session, it is a leaked credential.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from enum import StrEnum

import jwt
from pydantic import BaseModel, Field, ValidationError, model_validator

from orchestrator.errors import Unauthenticated

ALGORITHM = "HS256"
DEFAULT_ISSUER = "onestop"
DEFAULT_AUDIENCE = "onestop-api"
_REQUIRED = ["exp", "iat", "sub", "iss", "aud"]


class Role(StrEnum):
    citizen = "citizen"
    agency = "agency"
    designer = "designer"
    support = "support"


class Principal(BaseModel):
    sub: str = Field(min_length=1, max_length=200)
    role: Role
    agency: str | None = None

    @model_validator(mode="after")
    def _agency_claim(self) -> Principal:
        if not self.sub.strip():
            raise ValueError("sub is blank: a subject must name someone")
        if (self.role is Role.agency) != (self.agency is not None):
            raise ValueError("the agency claim goes with the agency role, and only with it")
        return self


class TokenRules(BaseModel):
    issuer: str = DEFAULT_ISSUER
    audience: str = DEFAULT_AUDIENCE
    max_lifetime_seconds: int = Field(default=86_400, gt=0)


def issue_token(principal: Principal, secret: str, ttl_seconds: int, rules: TokenRules | None = None) -> str:
    rules = rules or TokenRules()
    now = int(time.time())
    claims = {
        **principal.model_dump(exclude_none=True),
        "iss": rules.issuer,
        "aud": rules.audience,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(token: str, secret: str, rules: TokenRules | None = None) -> Principal:
    """An HS256 token signed with the dev key (or a shared secret)."""
    return TokenVerifier(secret, rules or TokenRules()).verify(token)


class TokenVerifier:
    """Built once per process from settings: the dev key, or the identity provider's JWKS."""

    def __init__(
        self,
        secret: str,
        rules: TokenRules,
        jwks_url: str | None = None,
        jwks_algorithms: Sequence[str] = ("RS256",),
    ) -> None:
        self._secret = secret
        self._rules = rules
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300) if jwks_url else None
        self._algorithms = list(jwks_algorithms) if jwks_url else [ALGORITHM]

    @property
    def may_block(self) -> bool:
        """Verifying may fetch an identity provider's keys over the network (JWKS, on a cache
        miss): call `verify` off the event loop then. A dev key verifies in microseconds."""
        return self._jwks is not None

    def verify(self, token: str) -> Principal:
        try:
            key: object = self._jwks.get_signing_key_from_jwt(token).key if self._jwks else self._secret
            claims = jwt.decode(
                token,
                key,  # type: ignore[arg-type]
                algorithms=self._algorithms,
                audience=self._rules.audience,
                issuer=self._rules.issuer,
                options={"require": _REQUIRED},
            )
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"invalid token: {exc}") from exc
        if int(claims["exp"]) - int(claims["iat"]) > self._rules.max_lifetime_seconds or (
            int(claims["exp"]) - time.time() > self._rules.max_lifetime_seconds
        ):
            raise Unauthenticated(
                f"invalid token: it lives longer than {self._rules.max_lifetime_seconds} s; ask for a new one"
            )
        try:
            return Principal.model_validate({k: claims.get(k) for k in ("sub", "role", "agency")})
        except ValidationError as exc:
            raise Unauthenticated(f"invalid token claims: {exc.errors()[0]['msg']}") from exc
