"""Token hardening: the algorithm pinned, `exp`/`iat`/`iss`/`aud` and a non-empty `sub` required,
a bounded lifetime, and an identity provider's JWKS (served locally) in place of the dev key."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from orchestrator.auth import Principal, Role, TokenRules, TokenVerifier, issue_token
from orchestrator.errors import Unauthenticated
from orchestrator.settings import Settings

SECRET = "s" * 48
RULES = TokenRules(issuer="onestop", audience="onestop-api", max_lifetime_seconds=3600)


def _good() -> dict[str, Any]:
    """Fresh claims: module-level times would expire while the suite runs."""
    now = int(time.time())
    return {
        "sub": "c-1",
        "role": "citizen",
        "iss": "onestop",
        "aud": "onestop-api",
        "iat": now,
        "exp": now + 600,
    }


def _refused(claims: dict[str, Any], *, key: str = SECRET, algorithm: str = "HS256") -> str:
    token = jwt.encode(claims, key, algorithm=algorithm)
    with pytest.raises(Unauthenticated) as refused:
        TokenVerifier(SECRET, RULES).verify(token)
    return str(refused.value)


def test_a_good_token_passes_and_every_weakness_is_refused() -> None:
    good, now = _good(), int(time.time())
    assert TokenVerifier(SECRET, RULES).verify(jwt.encode(good, SECRET)).sub == "c-1"
    assert "lives longer than 3600" in _refused({**good, "exp": 4102444800})  # the year 2100
    assert "lives longer" in _refused({**good, "iat": now - 7200, "exp": now + 60})
    assert "Invalid issuer" in _refused({**good, "iss": "someone-else"})
    assert "Audience" in _refused({**good, "aud": "another-api"})
    for claim in ("exp", "iat", "iss", "aud", "sub"):
        assert f'"{claim}"' in _refused({k: v for k, v in good.items() if k != claim}), claim
    assert "claims" in _refused({**good, "sub": ""})
    for blank in (" ", "\t\n", "\u00a0"):  # whitespace names nobody, whatever its kind
        assert "sub is blank" in _refused({**good, "sub": blank}), repr(blank)
    assert "expired" in _refused({**good, "iat": now - 700, "exp": now - 100})
    assert "alg" in _refused(good, key="", algorithm="none").lower()
    with pytest.raises(Unauthenticated):
        TokenVerifier(SECRET, RULES).verify(jwt.encode(good, "x" * 48))


def test_issued_tokens_carry_what_is_checked() -> None:
    token = issue_token(Principal(sub="a", role=Role.support), SECRET, 600, RULES)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="onestop-api")
    assert claims["iss"] == "onestop" and claims["exp"] - claims["iat"] == 600


def test_production_refuses_the_dev_key(tmp_path: Any) -> None:
    with pytest.raises(ValidationError, match="ONESTOP_JWT_JWKS_URL"):
        Settings(environment="production", home=tmp_path, payload_keys={"k": "x"}, payload_key_id="k")


class _Jwks(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def identity_provider() -> Iterator[tuple[str, rsa.RSAPrivateKey]]:
    """A local JWKS endpoint (loopback) holding one RSA public key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    _Jwks.body = json.dumps({"keys": [{**jwk, "kid": "idp-1", "use": "sig", "alg": "RS256"}]}).encode()
    server = HTTPServer(("127.0.0.1", 0), _Jwks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/jwks.json", key
    finally:
        server.shutdown()


def test_an_identity_providers_jwks_replaces_the_dev_key(
    identity_provider: tuple[str, rsa.RSAPrivateKey],
) -> None:
    good = _good()
    url, key = identity_provider
    verifier = TokenVerifier(SECRET, RULES, url, ["RS256"])
    signed = jwt.encode({**good, "role": "support"}, key, algorithm="RS256", headers={"kid": "idp-1"})
    assert verifier.verify(signed).role is Role.support
    with pytest.raises(Unauthenticated):  # a dev-key token is no longer accepted
        verifier.verify(jwt.encode(good, SECRET))
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(Unauthenticated):
        verifier.verify(jwt.encode(good, other, algorithm="RS256", headers={"kid": "idp-1"}))


async def test_the_api_refuses_a_token_for_2100(stack: Settings, http: httpx.AsyncClient) -> None:
    good = _good()
    forever = jwt.encode(
        {**good, "iss": stack.jwt_issuer, "aud": stack.jwt_audience, "exp": 4102444800}, stack.jwt_secret
    )
    response = await http.get("/v1/cases", headers={"Authorization": f"Bearer {forever}"})
    assert response.status_code == 401 and "lives longer" in response.json()["detail"]
