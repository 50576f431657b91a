"""Jurisdiction routing: an agency split into offices (a district's registry) gets each case's call
at the office its facts pick, as `agencies.yaml` declares, and its undo at the same office."""

from __future__ import annotations

import httpx
import pytest

from activities.agency_client import AgencyClient
from activities.agency_credentials import SelfIssuedTokens
from orchestrator.agencies import AgencyDirectory
from orchestrator.auth import TokenRules
from orchestrator.contracts import AgencyTerms
from orchestrator.settings import Settings
from tests.conftest import TokenFactory
from tests.support import CaseWatcher, add_agency, add_definition, until_loaded

DISTRICT_REGISTRY = {
    "title": "District residence registry",
    "route_by": "district",
    "instances": {"porto": {"title": "Porto office"}, "lisbon": {"title": "Lisbon office"}},
    "actions": {
        "register": {"title": "Register a resident", "accepts": ["citizen_name", "new_address"]},
        "unregister": {"title": "Cancel a registration"},
    },
}
DISTRICT_MOVE = """\
type: district_move
version: 1
title: A move registered at the district's own registry
inputs:
  - {name: citizen_name, type: string}
  - {name: new_address, type: string}
  - {name: district, type: string, personal: false, required: false}
steps:
  - id: register
    agency: district_registry
    action: register
    compensation: unregister
    inputs: [citizen_name, new_address]
  - id: tell_tax
    agency: tax_office
    action: update_address
    compensation: revert_address
    depends_on: [register]
    inputs: [citizen_name, new_address]
"""


@pytest.fixture
async def district_registry(stack: Settings, http: httpx.AsyncClient, auth: TokenFactory) -> None:
    add_agency(stack.catalog_path, "district_registry", DISTRICT_REGISTRY)
    add_definition(stack.catalog_path, "district_move", DISTRICT_MOVE)
    await until_loaded(http, auth("designer", "d"), "district_move")


@pytest.mark.usefixtures("district_registry")
async def test_each_case_goes_to_the_office_of_its_district(watcher: CaseWatcher, citizen: str) -> None:
    offices: dict[str, str | None] = {}
    for district in ("porto", "lisbon", "faro"):
        data = {"citizen_name": "Ana", "new_address": "1 Rua", "district": district}
        case_id = await watcher.start(citizen, "district_move", data)
        assert (await watcher.wait(citizen, case_id))["status"] == "completed"
        [record] = await watcher.records("district_registry", case_id)
        offices[district] = record["instance"]
    # A district without an office of its own goes to the agency itself.
    assert offices == {"porto": "porto", "lisbon": "lisbon", "faro": None}


@pytest.mark.usefixtures("district_registry")
async def test_an_undo_goes_to_the_office_that_acted(watcher: CaseWatcher, citizen: str) -> None:
    await watcher.fault(agency="tax_office", subject=citizen, kind="reject", times=1)
    data = {"citizen_name": "A", "new_address": "B", "district": "lisbon"}
    case_id = await watcher.start(citizen, "district_move", data)
    assert (await watcher.wait(citizen, case_id))["status"] == "compensated"
    records = await watcher.records("district_registry", case_id)
    assert [(r["action"], r["instance"]) for r in records] == [
        ("register", "lisbon"),
        ("unregister", "lisbon"),
    ]
    assert records[0]["compensated_at"] is not None


@pytest.mark.usefixtures("district_registry")
async def test_routing_by_a_personal_field_is_refused_with_what_to_do(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    personal = DISTRICT_MOVE.replace("personal: false, ", "").replace("district_move", "district_move_b")
    answer = await http.post(
        "/v1/catalog:validate",
        content=personal,
        headers={**auth("designer", "d"), "Content-Type": "application/yaml"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert not body["valid"]
    [problem] = [p for p in body["problems"] if "district" in p]
    assert "personal: false" in problem and "personal" in problem


def test_the_connector_calls_an_office_at_its_own_endpoint() -> None:
    directory = AgencyDirectory.model_validate(
        {
            "agencies": {
                "registry": {
                    "title": "Registry",
                    "base_url": "http://registry.test",
                    "route_by": "district",
                    "instances": {"porto": {"base_url": "http://porto.registry.test"}, "lisbon": {}},
                    "actions": {"register": {}},
                }
            }
        }
    )
    client = AgencyClient(
        httpx.AsyncClient(),
        directory.base_url,
        "http://default.test",
        SelfIssuedTokens("s" * 32, TokenRules()),
    )
    assert (
        client.url("registry", "register", "porto")
        == "http://porto.registry.test/agencies/registry/actions/register"
    )
    assert (
        client.url("registry", "register", "lisbon")
        == "http://registry.test/agencies/registry/actions/register"
    )
    assert client.url("other", "register") == "http://default.test/agencies/other/actions/register"
    terms = AgencyTerms(
        task_queue="registry-q", route_by="district", instances={"porto": "porto-q", "lisbon": None}
    )
    assert terms.route({"district": "porto"}) == ("porto", "porto-q")
    assert terms.route({"district": "lisbon"}) == ("lisbon", "registry-q")
    assert terms.route({"district": None}) == (None, "registry-q")
    with pytest.raises(ValueError, match="route_by and instances go together"):
        AgencyDirectory.model_validate(
            {"agencies": {"r": {"title": "R", "route_by": "district", "actions": {}}}}
        )
