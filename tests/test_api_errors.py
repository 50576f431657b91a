"""Every rejection path of the API names what is wrong and loses nothing already accepted."""

from __future__ import annotations

import httpx

from tests.conftest import TokenFactory
from tests.support import MOVE, CaseWatcher


async def test_missing_token_is_401(http: httpx.AsyncClient) -> None:
    response = await http.post("/v1/life-events", json={"type": "moving_house", "data": MOVE})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_forged_token_is_401(http: httpx.AsyncClient) -> None:
    headers = {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4Iiwicm9sZSI6ImNpdGl6ZW4ifQ.bad"}
    response = await http.get("/v1/cases", headers=headers)
    assert response.status_code == 401


async def test_token_signed_with_another_key_is_401(http: httpx.AsyncClient) -> None:
    from orchestrator.auth import Principal, Role, issue_token

    forged = issue_token(
        Principal(sub="x", role=Role.citizen), "not-the-server-key-but-long-enough-for-hs256", 60
    )
    response = await http.get("/v1/cases", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


async def test_wrong_role_is_403(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    response = await http.post(
        "/v1/life-events", json={"type": "moving_house", "data": MOVE}, headers=auth("designer", "d-1")
    )
    assert response.status_code == 403
    assert "designer" in response.json()["detail"]


async def test_support_token_cannot_list_cases(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    """Support staff read a case by id; a list of "own" cases means nothing for them."""
    response = await http.get("/v1/cases", headers=auth("support", "s-1"))
    assert response.status_code == 403


async def test_agency_token_cannot_read_cases(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    response = await http.get("/v1/cases", headers=auth("agency", "tax-1", agency="tax_office"))
    assert response.status_code == 403


async def test_another_citizens_case_is_404(watcher: CaseWatcher, citizen: str) -> None:
    case_id = await watcher.start(citizen, "moving_house", MOVE)
    response = await watcher.http.get(f"/v1/cases/{case_id}", headers=watcher.auth("citizen", "intruder"))
    assert response.status_code == 404


async def test_unknown_case_is_404(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    response = await http.get("/v1/cases/no-such-case", headers=auth("citizen", "c"))
    assert response.status_code == 404


async def test_support_reads_any_case(watcher: CaseWatcher, citizen: str) -> None:
    case_id = await watcher.start(citizen, "moving_house", MOVE)
    response = await watcher.http.get(f"/v1/cases/{case_id}", headers=watcher.auth("support", "s-1"))
    assert response.status_code == 200


async def test_unknown_type_is_422_naming_type(watcher: CaseWatcher, citizen: str) -> None:
    response = await watcher.trigger(citizen, "winning_the_lottery", MOVE)
    assert response.status_code == 422
    assert response.json()["field"] == "type"


async def test_missing_field_is_422_naming_it(watcher: CaseWatcher, citizen: str) -> None:
    data = {k: v for k, v in MOVE.items() if k != "new_address"}
    response = await watcher.trigger(citizen, "moving_house", data)
    assert response.status_code == 422
    assert response.json()["field"] == "data.new_address"


async def test_wrong_type_is_422_naming_it(watcher: CaseWatcher, citizen: str) -> None:
    response = await watcher.trigger(citizen, "moving_house", {**MOVE, "move_date": "next tuesday"})
    assert response.status_code == 422
    assert response.json()["field"] == "data.move_date"


async def test_unexpected_field_is_422(watcher: CaseWatcher, citizen: str) -> None:
    response = await watcher.trigger(citizen, "moving_house", {**MOVE, "favourite_colour": "blue"})
    assert response.status_code == 422
    assert response.json()["field"] == "data.favourite_colour"


async def test_malformed_body_is_422(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    response = await http.post("/v1/life-events", json={"data": MOVE}, headers=auth("citizen", "c"))
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "body.type"
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["errors"] == [{"field": "body.type", "message": body["detail"]}]


async def test_non_object_data_is_422_naming_it(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    response = await http.post(
        "/v1/life-events", json={"type": "moving_house", "data": [1]}, headers=auth("citizen", "c")
    )
    assert response.status_code == 422
    assert response.json()["field"] == "body.data"


async def test_invalid_json_is_422(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    headers = {**auth("citizen", "c"), "Content-Type": "application/json"}
    response = await http.post(
        "/v1/life-events", content=b'{"type": "moving_house", "data": {', headers=headers
    )
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "body"
    assert body["detail"].startswith("JSON decode error")


async def test_empty_idempotency_key_is_422_naming_it(watcher: CaseWatcher, citizen: str) -> None:
    for key in ("", "has space", "x" * 201):
        response = await watcher.trigger(citizen, "moving_house", MOVE, key=key)
        assert response.status_code == 422, key
        assert response.json()["field"] == "header.Idempotency-Key"
    listed = await watcher.http.get("/v1/cases", headers=watcher.auth("citizen", citizen))
    assert listed.json()["count"] == 0


async def test_validation_error_does_not_echo_input(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    """pydantic puts the rejected value in `input`; for a citizen's data that is personal."""
    response = await http.post(
        "/v1/life-events",
        json={"type": "moving_house", "data": "Ana Lima lives at 12 Rua"},
        headers=auth("citizen", "c"),
    )
    assert response.status_code == 422
    assert response.json()["field"] == "body.data"
    assert "Ana Lima" not in response.text
    assert "input" not in response.json()["errors"][0]


async def test_rejected_request_creates_no_case(watcher: CaseWatcher, citizen: str) -> None:
    await watcher.trigger(citizen, "moving_house", {**MOVE, "move_date": "soon"})
    response = await watcher.http.get("/v1/cases", headers=watcher.auth("citizen", citizen))
    assert response.json()["count"] == 0


async def test_health_and_readiness(http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).json() == {"status": "ok", "checks": {}}
    ready = await http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"mongodb": "ok", "temporal": "ok"}


async def test_every_error_is_a_problem_document(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    """RFC 9457 from every source: a route's own error, request validation, an unknown route, a
    wrong method and the body limits, all `application/problem+json` with type, title, status."""
    citizen = auth("citizen")
    answers = [
        await http.get("/v1/catalog/no_such_event", headers=citizen),
        await http.post("/v1/life-events", json={"data": []}, headers=citizen),
        await http.get("/v1/nowhere"),
        await http.delete("/v1/catalog", headers=citizen),
        await http.get("/v1/cases/x", headers=auth("designer", "d")),
    ]
    for response in answers:
        body = response.json()
        assert response.headers["content-type"] == "application/problem+json", response.url
        assert body["status"] == response.status_code and body["type"].startswith("urn:onestop:problem:")
        assert body["title"] and body["detail"]
    assert [r.status_code for r in answers] == [404, 422, 404, 405, 403]
    invalid = answers[1].json()
    assert {e["field"] for e in invalid["errors"]} == {"body.type", "body.data"}  # every bad field


async def test_the_openapi_document_declares_problem_responses(http: httpx.AsyncClient) -> None:
    paths = (await http.get("/openapi.json")).json()["paths"]
    trigger = paths["/v1/life-events"]["post"]["responses"]
    for status in ("401", "403", "409", "413", "422", "503"):
        assert "application/problem+json" in trigger[status]["content"], status
    assert "application/json" in trigger["202"]["content"]
    assert "404" in paths["/v1/cases/{case_id}"]["get"]["responses"]


async def test_every_answer_carries_the_security_headers(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    for response in (await http.get("/healthz"), await http.get("/v1/cases", headers=auth("citizen"))):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"] == "frame-ancestors 'none'"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
