"""The agency simulators answer only to tokens: every route refuses a caller without one (401),
an agency acts and reads only as itself, failure injection (faults and behaviours) is support's,
and OneStop's worker, signing its own calls, still gets every case done."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import jwt
import pytest
from fastapi.routing import APIRoute

from activities import agency_credentials, simulator, simulator_admin
from activities.agency_credentials import WORKER_SUBJECT, SelfIssuedTokens
from orchestrator.auth import TokenRules, TokenVerifier, issue_token
from orchestrator.settings import Settings
from tests.conftest import TokenFactory
from tests.support import MOVE, CaseWatcher

ACTION = "/agencies/tax_office/actions/update_address"
RECORDS = "/agencies/tax_office/records"
HEALTH = "/agencies/tax_office/health"
FAULTS = "/admin/faults"
BEHAVIOUR = "/admin/agencies/tax_office/behaviour"
FIELDS = {"citizen_name": "Ana Lima", "new_address": "1 Rua Nova"}


def _call(path: str) -> dict[str, Any]:
    """A well-formed request for each route, so only the caller can be what is refused."""
    if path == ACTION:
        key = f"auth-{uuid.uuid4().hex}"
        body = {"case_id": "c-auth", "step_id": "update_tax", "subject": f"s-{key}", "fields": FIELDS}
        return {"json": body, "headers": {"Idempotency-Key": key}}
    if path == FAULTS:
        return {"json": {"agency": "nowhere", "kind": "error"}}
    if path == BEHAVIOUR:
        return {"json": {}}  # healthy: a PUT or PATCH that got through would change nothing
    return {}


def _every_route() -> list[tuple[str, str]]:
    """Every route the simulators serve, path parameters filled in with tax_office's."""
    filled = {"{agency}": "tax_office", "{action}": "update_address"}
    found = []
    for route in [*simulator.router.routes, *simulator_admin.router.routes]:
        assert isinstance(route, APIRoute)
        path = route.path
        for name, value in filled.items():
            path = path.replace(name, value)
        found += [(method, path) for method in sorted(route.methods or ())]
    return found


ROUTES = _every_route()


def test_every_route_is_covered() -> None:
    assert {path for _, path in ROUTES} == {ACTION, RECORDS, HEALTH, FAULTS, BEHAVIOUR}
    assert {method for method, path in ROUTES if path == BEHAVIOUR} == {"GET", "PUT", "PATCH", "DELETE"}


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("authorization", [None, "Bearer not-a-jwt", "Basic dXNlcjpwYXNz"])
async def test_no_valid_token_is_401_on_every_route(
    stack: Settings, method: str, path: str, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    async with httpx.AsyncClient(base_url=stack.agency_base_url, headers=headers) as anonymous:
        call = _call(path)
        call["headers"] = {**headers, **call.get("headers", {})}
        response = await anonymous.request(method, path, **call)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:onestop:problem:unauthenticated"


async def test_a_token_signed_with_another_key_is_401(stack: Settings, simulators: httpx.AsyncClient) -> None:
    forged = jwt.encode(
        {
            "sub": "x",
            "role": "support",
            "iss": stack.jwt_issuer,
            "aud": stack.jwt_audience,
            "iat": 0,
            "exp": 1,
        },
        "another-key-" + "x" * 40,
    )
    response = await simulators.delete(FAULTS, headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401, response.text


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("role", ["citizen", "designer"])
async def test_citizens_and_designers_are_403_on_every_route(
    simulators: httpx.AsyncClient, auth: TokenFactory, method: str, path: str, role: str
) -> None:
    call = _call(path)
    call["headers"] = {**auth(role), **call.get("headers", {})}
    response = await simulators.request(method, path, **call)
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:onestop:problem:forbidden"


async def test_an_agency_acts_and_reads_only_as_itself(
    simulators: httpx.AsyncClient, auth: TokenFactory
) -> None:
    tax = auth("agency", "tax-1", agency="tax_office")
    other = auth("agency", "nid-1", agency="national_id")
    call = _call(ACTION)
    refused = await simulators.post(ACTION, json=call["json"], headers={**other, **call["headers"]})
    assert refused.status_code == 403, refused.text
    assert (await simulators.get(RECORDS, params={"case_id": "c-auth"}, headers=other)).status_code == 403
    done = await simulators.post(ACTION, json=call["json"], headers={**tax, **call["headers"]})
    assert done.status_code == 200, done.text
    mine = await simulators.get(RECORDS, params={"case_id": "c-auth"}, headers=tax)
    assert mine.status_code == 200
    # Its health is probed with its own token (OneStop's worker signs one per agency).
    assert (await simulators.get(HEALTH, headers=tax)).status_code == 204
    assert (await simulators.get(HEALTH, headers=other)).status_code == 403
    assert done.json()["reference"] in {r["reference"] for r in mine.json()["data"]}
    as_support = await simulators.get(RECORDS, params={"case_id": "c-auth"})  # the fixture is support
    assert as_support.json()["count"] == mine.json()["count"]


async def test_only_support_injects_faults(simulators: httpx.AsyncClient, auth: TokenFactory) -> None:
    subject = f"s-{uuid.uuid4().hex}"
    fault = {"agency": "tax_office", "subject": subject, "kind": "reject", "times": 1}
    tax = auth("agency", "tax-1", agency="tax_office")
    assert (await simulators.post(FAULTS, json=fault, headers=tax)).status_code == 403
    assert (await simulators.delete(FAULTS, headers=tax)).status_code == 403
    assert (await simulators.post(FAULTS, json=fault)).status_code == 201  # the fixture is support
    call = _call(ACTION)
    call["json"]["subject"] = subject
    rejected = await simulators.post(ACTION, json=call["json"], headers={**tax, **call["headers"]})
    assert rejected.status_code == 409, rejected.text


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
async def test_only_support_sets_an_agencys_behaviour(
    simulators: httpx.AsyncClient, auth: TokenFactory, method: str
) -> None:
    """Not even the agency itself: its behaviour is what every caller of it meets."""
    body: dict[str, Any] = {"json": {"error_rate": 1.0}} if method in ("PUT", "PATCH") else {}
    own = auth("agency", "tax-1", agency="tax_office")
    refused = await simulators.request(method, BEHAVIOUR, headers=own, **body)
    assert refused.status_code == 403, refused.text
    assert (await simulators.get(BEHAVIOUR)).json()["error_rate"] == 0  # nothing changed
    allowed = await simulators.request(method, BEHAVIOUR, **body)  # the fixture is support
    assert allowed.status_code in (200, 204), allowed.text
    await simulators.delete(BEHAVIOUR)


async def test_the_workers_token_opens_only_its_agency(
    stack: Settings, simulators: httpx.AsyncClient
) -> None:
    tokens = SelfIssuedTokens(stack.jwt_secret, stack.token_rules)
    call = _call(ACTION)
    done = await simulators.post(
        ACTION,
        json=call["json"],
        headers={"Authorization": tokens.authorization("tax_office"), **call["headers"]},
    )
    assert done.status_code == 200, done.text
    call = _call(ACTION)
    refused = await simulators.post(
        ACTION,
        json=call["json"],
        headers={"Authorization": tokens.authorization("national_id"), **call["headers"]},
    )
    assert refused.status_code == 403, refused.text


async def test_the_worker_still_gets_a_move_done(watcher: CaseWatcher, citizen: str) -> None:
    case_id = await watcher.start(citizen, "moving_house", MOVE)
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "completed", case
    assert len(await watcher.records("tax_office", case_id)) == 1


def test_the_worker_signs_once_per_agency_until_renewal(monkeypatch: pytest.MonkeyPatch) -> None:
    signed: list[str] = []

    def counting(*args: Any, **kwargs: Any) -> str:
        token = issue_token(*args, **kwargs)
        signed.append(token)
        return token

    monkeypatch.setattr(agency_credentials, "issue_token", counting)
    now = [1000.0]
    rules = TokenRules()
    tokens = SelfIssuedTokens("k" * 48, rules, ttl_seconds=300, renew_before_seconds=60, clock=lambda: now[0])
    first = tokens.authorization("tax_office")
    assert tokens.authorization("tax_office") == first
    tokens.authorization("national_id")
    assert len(signed) == 2
    now[0] += 239  # 61 s left: still good
    assert tokens.authorization("tax_office") == first
    now[0] += 2  # 59 s left: renewed
    tokens.authorization("tax_office")
    assert len(signed) == 3
    principal = TokenVerifier("k" * 48, rules).verify(first.removeprefix("Bearer "))
    assert (principal.sub, principal.role.value, principal.agency) == (WORKER_SUBJECT, "agency", "tax_office")
    claims = jwt.decode(first.removeprefix("Bearer "), options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 300
