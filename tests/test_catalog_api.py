"""Designers' side: the catalog over HTTP, hot-added definitions, and version pinning."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

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


def _save(path: Path, text: str) -> None:
    """Write with a modification time of its own, as an editor's save would give it."""
    path.write_text(text)
    stamp = path.stat().st_mtime_ns + 1_000_000
    os.utime(path, ns=(stamp, stamp))


def _file(body: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(f for f in body["files"] if f["file"] == name)
    return found


async def test_a_bad_file_is_rejected_alone_and_designers_see_why(
    stack: Settings, watcher: CaseWatcher, citizen: str
) -> None:
    probe, other = stack.catalog_path / "probe_union.yaml", stack.catalog_path / "probe_other.yaml"
    union = PARTNERSHIP.replace("type: civil_partnership", "type: probe_union")
    designer = watcher.auth("designer", "d-1")
    try:
        _save(probe, union)
        listed = (await watcher.http.get("/v1/catalog", headers=designer)).json()
        assert _file(listed, "probe_union.yaml")["status"] == "loaded"
        _save(probe, union.replace("version: 1", "version: 2").replace("agency: tax_office", "agency: tax"))
        _save(other, union.replace("type: probe_union", "type: probe_other"))
        listed = (await watcher.http.get("/v1/catalog", headers=designer)).json()
        assert {"probe_union", "probe_other"} <= {d["type"] for d in listed["data"]}
        assert _file(listed, "probe_other.yaml")["status"] == "loaded"  # the others still reload
        rejected = _file(listed, "probe_union.yaml")
        assert rejected["status"] == "rejected" and rejected["since"]
        assert any("unknown agency 'tax'" in p for p in rejected["problems"]), rejected
        assert (rejected["live"]["type"], rejected["live"]["version"]) == ("probe_union", 1)
        # New cases get the last good version meanwhile.
        data = {"spouse_a_name": "A", "spouse_b_name": "B", "marriage_date": "2026-09-09"}
        case = await watcher.wait(citizen, await watcher.start(citizen, "probe_union", data))
        assert (case["status"], case["version"]) == ("completed", 1)
        # The files are for designers: other roles see the life events only.
        for role in ("citizen", "support"):
            assert "files" not in (await watcher.http.get("/v1/catalog", headers=watcher.auth(role))).json()
    finally:
        probe.unlink(missing_ok=True)
        other.unlink(missing_ok=True)
    listed = (await watcher.http.get("/v1/catalog", headers=designer)).json()
    assert "probe_union" not in {d["type"] for d in listed["data"]}
    assert "probe_union.yaml" not in {f["file"] for f in listed["files"]}


PROBE_AGENCY = """\
  probe_registry:
    title: Probe registry
    actions:
      register_probe: {title: Register a probe, accepts: [citizen_name]}
"""
PROBE_EVENT = """\
type: probe_registration
version: 1
title: Register with an agency added while OneStop runs
inputs:
  - {name: citizen_name, type: string}
steps:
  - {id: register, agency: probe_registry, action: register_probe, inputs: [citizen_name]}
"""


async def test_the_agency_directory_reloads_for_the_api_and_the_agencies_alike(
    stack: Settings, watcher: CaseWatcher, citizen: str
) -> None:
    """An agency added to agencies.yaml is known at once to intake and to the simulators the worker
    calls (they share the catalog); a broken agencies.yaml keeps the last good directory."""
    agencies, event = stack.catalog_path / "agencies.yaml", stack.catalog_path / "probe_registration.yaml"
    original = agencies.read_text()
    designer = watcher.auth("designer", "d-1")
    try:
        _save(agencies, original + PROBE_AGENCY)
        _save(event, PROBE_EVENT)
        first = await watcher.start(citizen, "probe_registration", {"citizen_name": "Ana"})
        assert (await watcher.wait(citizen, first))["status"] == "completed"
        assert len(await watcher.records("probe_registry", first)) == 1
        _save(agencies, original + PROBE_AGENCY.replace("    actions:", "    actoins:"))
        listed = (await watcher.http.get("/v1/catalog", headers=designer)).json()
        rejected = _file(listed, "agencies.yaml")
        assert rejected["status"] == "rejected" and rejected["live"]["digest"]
        assert any("$.agencies.probe_registry.actoins" in p for p in rejected["problems"]), rejected
        second = await watcher.start(citizen, "probe_registration", {"citizen_name": "Ana"})
        assert (await watcher.wait(citizen, second))["status"] == "completed"
    finally:
        _save(agencies, original)
        event.unlink(missing_ok=True)
    listed = (await watcher.http.get("/v1/catalog", headers=designer)).json()
    assert _file(listed, "agencies.yaml")["status"] == "loaded"
