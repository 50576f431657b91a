"""Designers' side: the catalog over HTTP, hot-added definitions, and version pinning."""

from __future__ import annotations

import asyncio

import httpx

from orchestrator.settings import Settings
from tests.conftest import TokenFactory
from tests.support import CaseWatcher, step

PARTNERSHIP = """
type: civil_partnership
version: 1
title: Civil partnership
inputs:
  - {name: spouse_a_name, type: string}
  - {name: spouse_b_name, type: string}
  - {name: marriage_date, type: date}
steps:
  - id: register_partnership
    agency: civil_registry
    action: register_marriage
    compensation: annul_marriage_registration
    inputs: [spouse_a_name, spouse_b_name, marriage_date]
  - id: joint_tax
    agency: tax_office
    action: set_joint_status
    compensation: revert_joint_status
    depends_on: [register_partnership]
    inputs: [spouse_a_name, spouse_b_name]
"""

CORRECTION_V1 = """
type: address_correction
version: 1
title: Correct a registered address
inputs:
  - {name: citizen_name, type: string}
  - {name: new_address, type: string, required: false}
steps:
  - id: confirm_address
    agency: national_id
    action: update_address
    compensation: revert_address
    kind: citizen_input
    asks: [new_address]
    inputs: [citizen_name]
"""

CORRECTION_V2 = (
    CORRECTION_V1.replace("version: 1", "version: 2")
    + """
  - id: tell_tax
    agency: tax_office
    action: update_address
    depends_on: [confirm_address]
    inputs: [citizen_name, new_address]
"""
)


async def test_catalog_lists_and_draws(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    listed = await http.get("/v1/catalog", headers=auth("citizen"))
    assert listed.status_code == 200
    types = {d["type"] for d in listed.json()["data"]}
    assert {"moving_house", "birth_registration", "death_of_relative", "marriage"} <= types
    one = await http.get("/v1/catalog/moving_house", headers=auth("designer", "d-1"))
    assert one.status_code == 200
    assert one.json()["definition"]["type"] == "moving_house"
    assert one.json()["mermaid"].startswith("flowchart TD")
    missing = await http.get("/v1/catalog/nope", headers=auth("designer", "d-1"))
    assert missing.status_code == 404 and "nope" in missing.json()["detail"]
    assert (await http.get("/v1/catalog")).status_code == 401


async def test_validate_reports_every_problem(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    bad = PARTNERSHIP.replace("tax_office", "tax_offfice").replace(
        "depends_on: [register_partnership]", "depends_on: [x]"
    )
    headers = {**auth("designer", "d-1"), "Content-Type": "application/yaml"}
    report = await http.post("/v1/catalog:validate", content=bad, headers=headers)
    assert report.status_code == 200
    body = report.json()
    assert body["valid"] is False
    assert any("unknown agency 'tax_offfice'" in p for p in body["problems"])
    assert any("unknown step 'x'" in p for p in body["problems"])
    # The models ignore unknown keys for replay's sake; a designer's body is still parsed strictly.
    misspelt = PARTNERSHIP.replace("    depends_on: [register_partnership]\n", "    retry: {max_tries: 3}\n")
    line = misspelt.splitlines().index("    retry: {max_tries: 3}") + 1
    report = await http.post("/v1/catalog:validate", content=misspelt, headers=headers)
    assert report.json()["problems"] == [
        f"definition:{line}: $.steps[1].retry.max_tries: Extra inputs are not permitted"
    ]
    good = await http.post("/v1/catalog:validate", content=PARTNERSHIP, headers=headers)
    assert good.json()["valid"] is True and "register_partnership --> joint_tax" in good.json()["mermaid"]
    citizen = await http.post("/v1/catalog:validate", content=PARTNERSHIP, headers=auth("citizen"))
    assert citizen.status_code == 403


async def test_fifth_life_event_added_as_a_file_runs(
    stack: Settings, watcher: CaseWatcher, citizen: str
) -> None:
    (stack.catalog_path / "civil_partnership.yaml").write_text(PARTNERSHIP)
    case_id = await watcher.start(
        citizen,
        "civil_partnership",
        {"spouse_a_name": "A", "spouse_b_name": "B", "marriage_date": "2026-09-09"},
    )
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "completed", case
    assert len(await watcher.records("civil_registry", case_id)) == 1
    assert len(await watcher.records("tax_office", case_id)) == 1


async def test_running_case_keeps_its_definition_version(
    stack: Settings, watcher: CaseWatcher, citizen: str
) -> None:
    path = stack.catalog_path / "address_correction.yaml"
    path.write_text(CORRECTION_V1)
    old = await watcher.start(citizen, "address_correction", {"citizen_name": "Ana"})
    await watcher.wait(citizen, old, {"waiting"})
    await asyncio.sleep(0.01)  # a distinct modification time for the rewritten file
    path.write_text(CORRECTION_V2)
    new = await watcher.start(citizen, "address_correction", {"citizen_name": "Ana"})
    await watcher.wait(citizen, new, {"waiting"})
    for case_id in (old, new):
        answered = await watcher.http.post(
            f"/v1/cases/{case_id}/steps/confirm_address/input",
            json={"data": {"new_address": "7 Rua Direita"}},
            headers=watcher.auth("citizen", citizen),
        )
        assert answered.status_code == 200, answered.text
    old_case, new_case = await watcher.wait(citizen, old), await watcher.wait(citizen, new)
    assert (old_case["version"], [s["id"] for s in old_case["steps"]]) == (1, ["confirm_address"])
    assert (new_case["version"], [s["id"] for s in new_case["steps"]]) == (2, ["confirm_address", "tell_tax"])
    assert old_case["status"] == new_case["status"] == "completed"
    assert await watcher.records("tax_office", old) == []
    assert step(new_case, "tell_tax")["status"] == "succeeded"
