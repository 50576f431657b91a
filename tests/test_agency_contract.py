"""The OpenAPI document of the contract a connector agency implements: served publicly, kept under
docs/ as generated, saying of every reply what the connector does with it, and matched by the
simulators, which are agencies as OneStop expects them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from activities.agency_actions import _as_application_error
from activities.agency_client import AgencyClient, AgencyRequest
from activities.agency_contract import CODES, OUTCOME, contract_document
from activities.agency_credentials import SelfIssuedTokens
from activities.agency_replies import classify
from activities.simulator import create_simulator_app
from onestop.agency_cli import contract_json
from orchestrator.agencies import AgencyDirectory
from orchestrator.errors import AGENCY_MISCONFIGURED, AGENCY_REJECTED, AGENCY_UNAVAILABLE, AgencyError
from orchestrator.mongo import Document
from orchestrator.settings import Settings
from tests.support import add_agency

DOCS_COPY = Path(__file__).resolve().parent.parent / "docs" / "agency-contract.openapi.json"
ACTION = "/agencies/{agency}/actions/{action}"
HEALTH = "/agencies/{agency}/health"
PROBE = "contract_probe"
PROBE_AGENCY = {
    "title": "Contract probe registry",
    "actions": {
        "file": {
            "title": "File a record",
            "accepts": ["citizen_name", "household_size"],
            "requires": ["citizen_name"],
            "types": {"household_size": "integer"},
        },
        "unfile": {"title": "Withdraw a record"},
    },
}
KIND_OUTCOME = {
    AGENCY_UNAVAILABLE: "retry",
    AGENCY_REJECTED: "rejected",
    AGENCY_MISCONFIGURED: "misconfigured",
}


def _documented(document: dict[str, Any], path: str, method: str, status: int) -> dict[str, Any]:
    """The response the document gives for `status`: its own, else its range's."""
    responses: dict[str, Any] = document["paths"][path][method]["responses"]
    found: dict[str, Any] | None = responses.get(str(status)) or responses.get(f"{status // 100}XX")
    assert found is not None, f"{method.upper()} {path} answers {status}, which the contract omits"
    return found


def _document_outcome(document: dict[str, Any], status: int, code: str) -> str:
    response = _documented(document, ACTION, "post", status)
    outcome: str = response.get(CODES, {}).get(code, response[OUTCOME])
    return outcome


def test_the_committed_copy_is_the_generated_document() -> None:
    assert DOCS_COPY.read_text() == contract_json(), "run: onestop agency contract --out " + str(DOCS_COPY)


def test_every_status_the_document_names_is_what_the_connector_does() -> None:
    document = contract_document()
    responses = document["paths"][ACTION]["post"]["responses"]
    checked = 0
    for status in range(200, 600):
        documented = _documented(document, ACTION, "post", status)
        assert classify(status) == documented[OUTCOME], status
        for code, outcome in documented.get(CODES, {}).items():
            assert classify(status, code) == outcome, (status, code)
        checked += 1
    assert checked == 400
    assert responses["404"][CODES] == {"unknown_action": "misconfigured"}
    assert {r[OUTCOME] for r in responses.values()} == {"done", "rejected", "retry", "misconfigured"}
    header = [p for p in document["paths"][ACTION]["post"]["parameters"] if p["in"] == "header"]
    assert [(p["name"], p["required"]) for p in header] == [("Idempotency-Key", True)]
    body = document["components"]["schemas"]["AgencyRequest"]
    assert set(body["properties"]) == set(AgencyRequest.model_fields)


async def test_the_api_serves_it_without_a_token(http: httpx.AsyncClient) -> None:
    response = await http.get("/v1/agency/contract/openapi.json")
    assert response.status_code == 200, response.text
    assert response.json() == json.loads(contract_json())


async def test_every_status_the_simulators_declare_is_in_the_contract(
    stack: Settings, db: AsyncDatabase[Document]
) -> None:
    """The simulators' own OpenAPI lists what their action and health routes answer: each is one
    the contract documents."""
    app = create_simulator_app(db, lambda: AgencyDirectory(agencies={}), stack.token_verifier())
    ours = app.openapi()["paths"]
    document = contract_document()
    for path, method in ((ACTION, "post"), (HEALTH, "get")):
        statuses = [int(s) for s in ours[path][method]["responses"]]
        assert statuses, path
        for status in statuses:
            _documented(document, path, method, status)


@pytest.fixture
async def probe_agency(stack: Settings) -> str:
    add_agency(stack.catalog_path, PROBE, PROBE_AGENCY)
    return PROBE


async def _answer(
    client: AgencyClient, action: str, fields: dict[str, Any], subject: str
) -> AgencyError | None:
    request = AgencyRequest(
        case_id=f"case-{uuid.uuid4().hex[:8]}", step_id="s", subject=subject, fields=fields
    )
    try:
        await client.call(PROBE, action, f"{request.case_id}:s", request)
    except AgencyError as exc:
        return exc
    return None


async def test_the_simulators_answer_as_the_contract_says_and_the_connector_reads_them_so(
    stack: Settings,
    probe_agency: str,
    simulators: httpx.AsyncClient,
) -> None:
    """Every kind of answer the simulators give, each through OneStop's own HTTP client: its status
    and code are documented, and the outcome the connector gives it is the document's."""
    document = contract_document()
    subject = f"citizen-{uuid.uuid4().hex[:8]}"
    tokens = SelfIssuedTokens(stack.jwt_secret, stack.token_rules)
    async with httpx.AsyncClient(timeout=stack.agency_timeout_seconds) as http:
        client = AgencyClient(http, lambda a, i: None, stack.agency_base_url, tokens)
        assert await _answer(client, "file", {"citizen_name": "A"}, subject) is None  # 2xx: done
        behaviour = f"/admin/agencies/{PROBE}/behaviour"
        seen: list[tuple[int, str, str]] = []

        async def refused(action: str, fields: dict[str, Any], via: AgencyClient = client) -> None:
            error = await _answer(via, action, fields, subject)
            assert error is not None, action
            connector = KIND_OUTCOME[_as_application_error(error).type or ""]
            assert connector == _document_outcome(document, error.status, error.code), error
            seen.append((error.status, error.code, connector))

        await refused("no_such_action", {"citizen_name": "A"})
        await refused("file", {"citizen_name": "A", "household_size": "many"})
        await refused("file", {"citizen_name": "A", "passport": "X1"})
        try:
            for kind in ("reject", "error"):
                fault = {"agency": PROBE, "subject": subject, "kind": kind, "times": 1}
                assert (await simulators.post("/admin/faults", json=fault)).status_code == 201
                await refused("file", {"citizen_name": "A"})
            for change in ({"rejection_rate": 1}, {"error_rate": 1}, {"outage_seconds": 60}):
                assert (await simulators.put(behaviour, json=change)).status_code == 200
                await refused("file", {"citizen_name": "A"})
            health = await http.get(
                f"{stack.agency_base_url}/agencies/{PROBE}/health",
                headers={"Authorization": tokens.authorization(PROBE)},
            )
            assert _documented(document, HEALTH, "get", health.status_code)[OUTCOME] == "down"
            assert not await client.probe(PROBE)
        finally:
            await simulators.delete(behaviour)
        assert await client.probe(PROBE)
        # OneStop's own credentials refused: wrong agency (403), and no valid token at all (401).
        for header in (tokens.authorization("tax_office"), "Bearer not-a-token"):
            other = AgencyClient(http, lambda a, i: None, stack.agency_base_url, _Fixed(header))
            await refused("file", {"citizen_name": "A"}, other)
    assert seen == [
        (404, "unknown_action", "misconfigured"),
        (422, "invalid_request", "rejected"),
        (422, "field_not_accepted", "rejected"),
        (409, "injected_fault", "rejected"),
        (503, "injected_fault", "retry"),
        (409, "injected_rejection", "rejected"),
        (503, "agency_unavailable", "retry"),
        (503, "agency_down", "retry"),
        (403, "unavailable", "retry"),
        (401, "unavailable", "retry"),
    ]


class _Fixed:
    """Credentials that present one header whatever the agency."""

    def __init__(self, header: str) -> None:
        self.header = header

    def authorization(self, agency: str) -> str:
        return self.header
