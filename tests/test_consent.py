"""Consent: a share by consent asks the citizen on the step instead of failing; a consent given
is kept, so the next life event asks nothing; a withdrawal makes the next share ask again; a
declined consent fails the step (a required one rolls the case back); every refusal is a 4xx."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orchestrator.agencies import load_directory
from orchestrator.catalog import parse_definition
from orchestrator.errors import DefinitionError
from orchestrator.settings import Settings
from tests.support import CaseWatcher, add_definition, step, until_loaded

CONSENTED_MOVE = """\
type: consented_move
version: 1
title: A move that tells the health insurer only with the citizen's consent
inputs:
  - {name: citizen_name, type: string}
  - {name: new_address, type: string}
steps:
  - id: register_residence
    agency: residence_registry
    action: register_address
    compensation: cancel_address_registration
    inputs: [citizen_name, new_address]
    legal_basis: {basis: law, reference: Residents Registration Act art. 22}
  - id: move_insurance
    title: Move the insurance record
    agency: health_insurance
    action: update_address
    compensation: revert_address
    depends_on: [register_residence]
    inputs: [citizen_name, new_address]
    legal_basis: {basis: consent, purpose: Keep your health insurance at your new address}
"""
DATA = {"citizen_name": "Ana Lopes", "new_address": "7 Rua Alta, Porto"}


@pytest.fixture
async def consented(stack: Settings, watcher: CaseWatcher) -> str:
    add_definition(stack.catalog_path, "consented_move", CONSENTED_MOVE)
    await until_loaded(watcher.http, watcher.auth("citizen"), "consented_move")
    return "consented_move"


async def _asked(watcher: CaseWatcher, citizen: str, case_id: str) -> dict[str, Any]:
    return await watcher.wait_step(citizen, case_id, "move_insurance", "citizen")


async def _consent(watcher: CaseWatcher, citizen: str, case_id: str, body: object) -> Any:
    return await watcher.http.post(
        f"/v1/cases/{case_id}/steps/move_insurance/consent",
        json=body,
        headers=watcher.auth("citizen", citizen),
    )


async def _uses(watcher: CaseWatcher, citizen: str, case_id: str) -> list[dict[str, Any]]:
    response = await watcher.http.get("/v1/me/data-uses", headers=watcher.auth("citizen", citizen))
    assert response.status_code == 200, response.text
    return [u for u in response.json()["data"] if u["case_id"] == case_id]


async def test_a_missing_consent_asks_the_citizen_and_a_given_one_is_kept_for_the_next_case(
    consented: str, watcher: CaseWatcher, citizen: str
) -> None:
    first = await watcher.start(citizen, consented, DATA)
    asked = await _asked(watcher, citizen, first)
    assert asked["consent"] == {
        "agency": "health_insurance",
        "agency_title": "National health insurance",
        "action": "update_address",
        "fields": ["citizen_name", "new_address"],
        "purpose": "Keep your health insurance at your new address",
    }
    # Nothing left for the insurer before the consent: no record there, no share in the log.
    assert await watcher.records("health_insurance", first) == []
    [law] = await _uses(watcher, citizen, first)
    assert (law["agency"], law["legal_basis"]) == (
        "residence_registry",
        "law: Residents Registration Act art. 22",
    )

    answered = await _consent(watcher, citizen, first, {"given": True})
    assert answered.status_code == 200, answered.text
    case = await watcher.wait(citizen, first)
    assert case["status"] == "completed", case
    assert [e["event"] for e in case["timeline"]].count("citizen_consented") == 1
    [record] = await watcher.records("health_insurance", first)
    assert DATA["new_address"] in str(record)
    shared = {u["agency"]: u for u in await _uses(watcher, citizen, first)}
    assert shared["health_insurance"]["legal_basis"] == "consent"
    assert shared["health_insurance"]["fields"] == ["citizen_name", "new_address"]

    consents = (await watcher.http.get("/v1/me/consents", headers=watcher.auth("citizen", citizen))).json()
    [kept] = consents["data"]
    assert (kept["agency"], kept["action"], kept["state"], kept["case_id"]) == (
        "health_insurance",
        "update_address",
        "given",
        first,
    )
    assert kept["agency_title"] == "National health insurance" and "citizen" not in kept

    second = await watcher.start(citizen, consented, DATA)
    again = await watcher.wait(citizen, second)
    assert again["status"] == "completed", again
    assert "consent_asked" not in [e["event"] for e in again["timeline"]]


async def test_a_withdrawn_consent_asks_again_and_a_declined_one_rolls_the_case_back(
    consented: str, watcher: CaseWatcher, citizen: str
) -> None:
    headers = watcher.auth("citizen", citizen)
    given = await watcher.http.put("/v1/me/consents/health_insurance/update_address", headers=headers)
    assert given.status_code == 200, given.text
    assert given.json()["fields"] == ["citizen_name", "new_address"]  # every field shared by consent
    withdrawn = await watcher.http.delete("/v1/me/consents/health_insurance/update_address", headers=headers)
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "withdrawn", withdrawn.text
    assert withdrawn.json()["withdrawn_at"] is not None

    case_id = await watcher.start(citizen, consented, DATA)
    await _asked(watcher, citizen, case_id)
    declined = await _consent(watcher, citizen, case_id, {"given": False})
    assert declined.status_code == 200, declined.text
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "compensated", case
    assert step(case, "move_insurance")["status"] == "failed"
    assert "did not consent" in step(case, "move_insurance")["error"]
    assert step(case, "register_residence")["status"] == "compensated"
    assert await watcher.records("health_insurance", case_id) == []
    [consent] = (await watcher.http.get("/v1/me/consents", headers=headers)).json()["data"]
    assert consent["state"] == "withdrawn"  # declining gives nothing


async def test_a_consent_given_ahead_means_no_question(
    consented: str, watcher: CaseWatcher, citizen: str
) -> None:
    headers = watcher.auth("citizen", citizen)
    given = await watcher.http.put(
        "/v1/me/consents/health_insurance/update_address",
        json={"fields": ["citizen_name", "new_address"]},
        headers=headers,
    )
    assert given.status_code == 200, given.text
    case = await watcher.wait(citizen, await watcher.start(citizen, consented, DATA))
    assert case["status"] == "completed", case
    assert "consent_asked" not in [e["event"] for e in case["timeline"]]


async def test_a_consent_narrower_than_the_share_asks_for_the_whole_share(
    consented: str, watcher: CaseWatcher, citizen: str
) -> None:
    headers = watcher.auth("citizen", citizen)
    narrow = await watcher.http.put(
        "/v1/me/consents/health_insurance/update_address", json={"fields": ["citizen_name"]}, headers=headers
    )
    assert narrow.status_code == 200, narrow.text
    case_id = await watcher.start(citizen, consented, DATA)
    asked = await _asked(watcher, citizen, case_id)
    assert asked["consent"]["fields"] == ["citizen_name", "new_address"]
    assert (await _consent(watcher, citizen, case_id, {"given": True})).status_code == 200
    assert (await watcher.wait(citizen, case_id))["status"] == "completed"
    [consent] = (await watcher.http.get("/v1/me/consents", headers=headers)).json()["data"]
    assert consent["fields"] == ["citizen_name", "new_address"]


async def test_consent_answers_out_of_turn_or_malformed_are_refused(
    consented: str, watcher: CaseWatcher, citizen: str
) -> None:
    case_id = await watcher.start(citizen, consented, DATA)
    await _asked(watcher, citizen, case_id)
    missing = await _consent(watcher, citizen, case_id, {})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "body.given", missing.text
    stranger = await watcher.http.post(
        f"/v1/cases/{case_id}/steps/move_insurance/consent",
        json={"given": True},
        headers=watcher.auth("citizen"),
    )
    assert stranger.status_code == 404, stranger.text
    as_input = await watcher.http.post(
        f"/v1/cases/{case_id}/steps/move_insurance/input",
        json={"data": {}},
        headers=watcher.auth("citizen", citizen),
    )
    assert as_input.status_code in (409, 422), as_input.text
    wrong_step = await watcher.http.post(
        f"/v1/cases/{case_id}/steps/register_residence/consent",
        json={"given": True},
        headers=watcher.auth("citizen", citizen),
    )
    assert wrong_step.status_code == 409, wrong_step.text
    assert (await _consent(watcher, citizen, case_id, {"given": True})).status_code == 200
    twice = await _consent(watcher, citizen, case_id, {"given": True})
    assert twice.status_code == 409, twice.text
    assert (await watcher.wait(citizen, case_id))["status"] == "completed"


async def test_the_consents_page_refuses_what_no_life_event_shares_by_consent(
    consented: str, watcher: CaseWatcher, citizen: str
) -> None:
    headers = watcher.auth("citizen", citizen)
    unknown = await watcher.http.put("/v1/me/consents/nobody/update_address", headers=headers)
    assert unknown.status_code == 404, unknown.text
    by_law = await watcher.http.put("/v1/me/consents/residence_registry/register_address", headers=headers)
    assert by_law.status_code == 422 and "by consent" in by_law.text, by_law.text
    bad = await watcher.http.put(
        "/v1/me/consents/health_insurance/update_address",
        json={"fields": ["citizen_name", "bank_account", "religion"]},
        headers=headers,
    )
    assert bad.status_code == 422, bad.text
    assert [e["field"] for e in bad.json()["errors"]] == ["fields.1", "fields.2"]
    never = await watcher.http.delete("/v1/me/consents/health_insurance/update_address", headers=headers)
    assert never.status_code == 404, never.text
    as_agency = await watcher.http.get(
        "/v1/me/consents", headers=watcher.auth("agency", "nhi", agency="health_insurance")
    )
    assert as_agency.status_code == 403, as_agency.text


def test_a_step_shares_by_consent_only_if_it_sends_fields() -> None:
    sharing = "    inputs: [citizen_name, new_address]\n    legal_basis: {basis: consent"
    text = CONSENTED_MOVE.replace(sharing, "    legal_basis: {basis: consent")
    assert text != CONSENTED_MOVE
    directory = load_directory(Path(__file__).parent.parent / "catalog" / "agencies.yaml")
    with pytest.raises(DefinitionError) as raised:
        parse_definition(text, "consented_move.yaml", directory)
    assert any("shares by consent only if it sends fields" in p for p in raised.value.problems), raised.value
