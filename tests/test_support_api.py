"""Support staff over HTTP on real stuck cases (made with the simulators' failure injection):
find them by cause, read one with its history and audit trail, retry, pause and resume, reset,
act in bulk with a dry run and a re-checked report; every other role gets 403."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from api.app import create_app
from orchestrator.settings import Settings
from tests.support import IMPATIENT_MOVE, MOVE, PATIENT_MOVE, CaseWatcher, add_definition, step

STEP = "register_residence"
AGENCY = "residence_registry"


async def _held(stack: Settings, watcher: CaseWatcher, citizen: str, code: str = "registry_down") -> str:
    """A case whose registry keeps failing with `code`: two attempts, then it holds for support."""
    add_definition(stack.catalog_path, "impatient_move", IMPATIENT_MOVE)
    await watcher.fault(agency=AGENCY, subject=citizen, kind="error", code=code)
    case_id = await watcher.start(citizen, "impatient_move", {"citizen_name": "Ana", "new_address": "1 Rua"})
    await watcher.wait(citizen, case_id, {"needs_attention"})
    return case_id


async def _clear_faults(watcher: CaseWatcher) -> None:
    await watcher.clear_faults()


async def test_a_held_case_is_found_by_cause_read_and_retried(
    stack: Settings, watcher: CaseWatcher, citizen: str
) -> None:
    case_id = await _held(stack, watcher, citizen)
    support = watcher.auth("support", "agent-7")
    found = await watcher.http.get(
        "/v1/support/cases",
        params={"agency": AGENCY, "stuck": "true", "error": "registry_down", "type": "impatient_move"},
        headers=support,
    )
    assert found.status_code == 200, found.text
    row = next(r for r in found.json()["data"] if r["case_id"] == case_id)
    reason = row["reasons"][0]
    assert (reason["code"], reason["step"], reason["last_error"]) == (
        "needs_attention",
        STEP,
        "registry_down",
    )
    assert reason["attempts"] == 2 and reason["since"] and "registry_down" in reason["detail"]
    assert row["status"] == "needs_attention" and row["stuck_since"]
    by_status = await watcher.http.get(
        "/v1/support/cases", params={"status": "needs_attention", "limit": 500}, headers=support
    )
    assert case_id in [r["case_id"] for r in by_status.json()["data"]]
    other_error = await watcher.http.get("/v1/support/cases", params={"error": "nope"}, headers=support)
    assert case_id not in [r["case_id"] for r in other_error.json()["data"]]

    detail = (await watcher.http.get(f"/v1/support/cases/{case_id}", headers=support)).json()
    calls = next(a for a in detail["history"]["activities"] if a["step"] == STEP)
    assert (calls["activity"], calls["scheduled"], calls["failed"]) == ("call_agency", 2, 2)
    assert detail["history"]["workflow_status"] == "RUNNING"
    assert [a["action"] for a in detail["audit"]] == ["read_case"]

    await _clear_faults(watcher)
    retried = await watcher.http.post(
        f"/v1/support/cases/{case_id}/steps/{STEP}:retry",
        json={"reason": "agency_recovered"},
        headers=support,
    )
    assert retried.status_code == 200, retried.text
    assert (await watcher.wait(citizen, case_id))["status"] == "completed"
    again = await watcher.http.post(
        f"/v1/support/cases/{case_id}/steps/{STEP}:retry",
        json={"reason": "agency_recovered"},
        headers=support,
    )
    assert again.status_code == 409
    audit = (await watcher.http.get(f"/v1/support/cases/{case_id}", headers=support)).json()["audit"]
    actions = [(a["action"], a["subject"], a["outcome"].split(":")[0]) for a in audit]
    assert ("retry_step", "agent-7", "accepted") in actions
    assert ("retry_step", "agent-7", "refused") in actions
    assert audit[-1]["action"] == "read_case" and all(a["reason"] != "" for a in audit)


async def test_a_paused_step_waits_for_resume(stack: Settings, watcher: CaseWatcher, citizen: str) -> None:
    await watcher.fault(agency="tax_office", subject=citizen, kind="error", code="tax_down")
    case_id = await watcher.start(citizen, "moving_house", MOVE)
    await watcher.wait_step(citizen, case_id, "update_tax", "agency")
    support = watcher.auth("support", "agent-8")
    url = f"/v1/support/cases/{case_id}/steps/update_tax"
    paused = await watcher.http.post(f"{url}:pause", json={"reason": "known_outage"}, headers=support)
    assert paused.status_code == 200, paused.text
    assert step(paused.json(), "update_tax")["paused"] is True
    listed = await watcher.http.get(
        "/v1/support/cases", params={"stuck": "true", "agency": "tax_office"}, headers=support
    )
    row = next(r for r in listed.json()["data"] if r["case_id"] == case_id)
    assert row["reasons"][0]["code"] == "paused"
    await _clear_faults(watcher)
    assert (await watcher.case(citizen, case_id))["status"] != "completed"
    resumed = await watcher.http.post(f"{url}:resume", json={"reason": "outage_over"}, headers=support)
    assert resumed.status_code == 200, resumed.text
    assert (await watcher.wait(citizen, case_id, within=30))["status"] == "completed"


async def test_a_retry_ends_a_backoff_at_once(stack: Settings, watcher: CaseWatcher, citizen: str) -> None:
    """The registry failed once and the next attempt is an hour away; support, told it is back,
    retries now, and the step succeeds long before that hour (by the case's own timestamps)."""
    add_definition(stack.catalog_path, "patient_move", PATIENT_MOVE)
    await watcher.fault(agency=AGENCY, subject=citizen, kind="error", code="registry_blip", times=1)
    case_id = await watcher.start(citizen, "patient_move", {"citizen_name": "Ana", "new_address": "1 Rua"})
    backing_off = await watcher.wait_step(citizen, case_id, STEP, "agency")
    assert backing_off["last_error"] == "registry_blip" and backing_off["next_attempt_at"], backing_off
    next_attempt = datetime.fromisoformat(backing_off["next_attempt_at"])
    retried = await watcher.http.post(
        f"/v1/support/cases/{case_id}/steps/{STEP}:retry",
        json={"reason": "agency_recovered"},
        headers=watcher.auth("support", "agent-11"),
    )
    assert retried.status_code == 200, retried.text
    done = step(await watcher.wait(citizen, case_id), STEP)
    assert done["status"] == "succeeded" and done["attempts"] == 2, done
    assert datetime.fromisoformat(done["finished_at"]) < next_attempt - timedelta(minutes=55)
    assert len(await watcher.records(AGENCY, case_id)) == 1


async def test_bulk_dry_run_lists_then_the_real_run_reports_what_each_reached(
    stack: Settings, watcher: CaseWatcher
) -> None:
    citizens = [f"bulk-{i}-{id(watcher)}" for i in range(3)]
    cases = [await _held(stack, watcher, c) for c in citizens]
    support = watcher.auth("support", "agent-9")
    body: dict[str, Any] = {
        "action": "retry",
        "filter": {"agency": AGENCY, "stuck": True, "error": "registry_down"},
        "reason": "agency_recovered",
        "limit": 100,
    }
    dry = (await watcher.http.post("/v1/support/cases:bulk", json=body, headers=support)).json()
    assert dry["dry_run"] is True and {r["outcome"] for r in dry["results"]} == {"planned"}
    assert set(cases) <= {r["case_id"] for r in dry["results"]}
    for citizen, case_id in zip(citizens, cases, strict=True):
        assert (await watcher.case(citizen, case_id))["status"] == "needs_attention"  # nothing acted

    await _clear_faults(watcher)
    real = await watcher.http.post("/v1/support/cases:bulk", json={**body, "dry_run": False}, headers=support)
    assert real.status_code == 200, real.text
    report = {r["case_id"]: r for r in real.json()["results"]}
    for case_id in cases:
        assert report[case_id]["outcome"] == "applied" and report[case_id]["detail"] == STEP
        assert report[case_id]["status_after"] in {"running", "completed"}  # re-read, not assumed
    for citizen, case_id in zip(citizens, cases, strict=True):
        assert (await watcher.wait(citizen, case_id))["status"] == "completed"
    stored = await watcher.http.get(f"/v1/support/batches/{real.json()['batch_id']}", headers=support)
    assert stored.json()["results"] == real.json()["results"]
    again = (
        await watcher.http.post("/v1/support/cases:bulk", json={**body, "dry_run": False}, headers=support)
    ).json()
    assert not set(cases) & {r["case_id"] for r in again["results"]}  # nothing stuck any more


async def test_a_rejected_case_is_reset_to_before_the_step_and_completes(
    stack: Settings, watcher: CaseWatcher, citizen: str
) -> None:
    """After a fix (here: the agency stops rejecting), a reset re-runs the step on the current code,
    and the read model follows the new run."""
    add_definition(stack.catalog_path, "impatient_move", IMPATIENT_MOVE)
    await watcher.fault(agency=AGENCY, subject=citizen, kind="reject", code="bad_address_format", times=1)
    case_id = await watcher.start(citizen, "impatient_move", {"citizen_name": "Ana", "new_address": "1 Rua"})
    assert (await watcher.wait(citizen, case_id))["status"] == "compensated"
    support = watcher.auth("support", "agent-10")
    url = f"/v1/support/cases/{case_id}/steps/{STEP}:reset"
    reset = await watcher.http.post(url, json={"reason": "address_parser_fixed"}, headers=support)
    assert reset.status_code == 200, reset.text
    case = await watcher.wait(citizen, case_id, {"completed"})
    assert step(case, STEP)["status"] == "succeeded"
    detail = (await watcher.http.get(f"/v1/support/cases/{case_id}", headers=support)).json()
    assert detail["history"]["resets"] == 1
    assert any(a["action"] == "reset" and a["outcome"].startswith("accepted") for a in detail["audit"])
    never = await watcher.http.post(
        f"/v1/support/cases/{case_id}/steps/nope:reset", json={"reason": "x"}, headers=support
    )
    assert never.status_code == 404


def _support_routes(settings: Settings) -> list[tuple[str, str]]:
    """Every support route the app serves, from its own OpenAPI document (routers are nested)."""
    paths: dict[str, dict[str, Any]] = create_app(settings).openapi()["paths"]
    return [(m.upper(), p) for p, ops in paths.items() if p.startswith("/v1/support") for m in ops]


async def test_every_other_role_gets_403_on_every_support_route(
    stack: Settings, http: httpx.AsyncClient, watcher: CaseWatcher
) -> None:
    routes = _support_routes(stack)
    assert len(routes) >= 11
    for method, path in routes:
        url = path.replace("{case_id}", "some-case").replace("{step_id}", "a").replace("{batch_id}", "b")
        for headers in (
            watcher.auth("citizen"),
            watcher.auth("agency", "officer", agency="tax_office"),
            watcher.auth("designer", "designer-1"),
        ):
            denied = await http.request(method, url, json={"reason": "x"}, headers=headers)
            assert denied.status_code == 403, (method, url, denied.status_code)
        assert (await http.request(method, url, json={"reason": "x"})).status_code == 401
