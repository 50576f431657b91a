"""The credential OneStop's worker presents when it calls an agency over HTTP.

OneStop signs each call and the agency verifies the signature with a key it trusts, as a
registry behind X-Road or an API gateway would. The token names the worker as its subject
(`onestop-worker`, what an agency's access log shows) and carries role `agency` with the
`agency` claim of the one agency called: it is scoped to its recipient, so an agency cannot
replay it at another, and what it allows at OneStop's API is what that agency's own token allows
already. No new role was needed, so the permission matrix stays as it is.

Tokens are cached per agency and renewed shortly before they expire: signing a JWT per call
would cost the hot path for nothing. They live minutes, not the day a person's token may.

With the dev key (or a shared secret) OneStop signs its own tokens. Behind an identity provider
(`ONESTOP_JWT_JWKS_URL`) the dev key is refused, so the worker would need a client-credentials
token from that provider instead: `AgencyCredentials` is the seam for it, not built yet.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from orchestrator.auth import Principal, Role, TokenRules, issue_token

WORKER_SUBJECT = "onestop-worker"


class AgencyCredentials(Protocol):
    """The `Authorization` header value for a call to `agency`."""

    def authorization(self, agency: str) -> str: ...


class SelfIssuedTokens:
    def __init__(
        self,
        secret: str,
        rules: TokenRules,
        *,
        ttl_seconds: int = 300,
        renew_before_seconds: int = 60,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = secret
        self._rules = rules
        self._ttl = min(ttl_seconds, rules.max_lifetime_seconds)
        self._renew_before = min(renew_before_seconds, self._ttl // 2)
        self._clock = clock
        self._cache: dict[str, tuple[str, float]] = {}

    def authorization(self, agency: str) -> str:
        now = self._clock()
        cached = self._cache.get(agency)
        if cached is not None and cached[1] - now > self._renew_before:
            return cached[0]
        principal = Principal(sub=WORKER_SUBJECT, role=Role.agency, agency=agency)
        header = f"Bearer {issue_token(principal, self._secret, self._ttl, self._rules)}"
        self._cache[agency] = (header, now + self._ttl)
        return header
