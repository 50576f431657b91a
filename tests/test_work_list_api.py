"""An agency's work list over real HTTP: its own tasks only (another agency's are 404 and absent
from its list), completion lets the case go on, failure compensates it, a request for input asks
the citizen, a second completion is 409 with no second effect, and a deadline passed escalates."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import Any

from orchestrator.settings import Settings
from tests.support import CaseWatcher, add_definition, step
from tests.test_life_events_e2e import BIRTH

REVIEW = "review_birth_documents"
TASKS = "/v1/agency/tasks"
REGISTRY = "civil_registry"

# A birth registration whose registry has about two seconds to decide: its deadline passes
# during the test (the time-skipping test in test_work_list_deadline.py skips days instead).
HASTY_BIRTH = """\
type: hasty_birth
version: 1
title: A birth registration reviewed in a hurry
inputs:
  - {name: child_name, type: string}
  - {name: child_birth_date, type: date}
  - {name: birth_place, type: string}
  - {name: parent_name, type: string}
  - {name: medical_certificate_number, type: string, required: false}
steps:
  - id: register_birth
    agency: civil_registry
    action: register_birth
    compensation: annul_birth_registration
    inputs: [child_name, child_birth_date, birth_place, parent_name]
  - id: review_birth_documents
    title: Civil registry reviews the birth documents
    kind: agency_review
    wait_days: 0.00002
    agency: civil_registry
    action: review_birth_documents
    depends_on: [register_birth]
    inputs: [child_name, child_birth_date, birth_place, parent_name]
    asks: [medical_certificate_number]
"""
HASTY_DATA = {k: BIRTH[k] for k in ("child_name", "child_birth_date", "birth_place", "parent_name")}


def officer(watcher: CaseWatcher, agency: str = REGISTRY) -> dict[str, str]:
    return watcher.auth("agency", f"{agency}-officer", agency=agency)


async def open_review(watcher: CaseWatcher, citizen: str, data: dict[str, Any] | None = None) -> str:
    """A birth case whose registry review waits for the registry's decision."""
    case_id = await watcher.start(citizen, "birth_registration", data or BIRTH)
    await watcher.wait_step(citizen, case_id, REVIEW, "agency")
    return case_id


async def task_in(watcher: CaseWatcher, case_id: str, status: str, within: float = 30) -> dict[str, Any]:
    """Poll one task until the read model shows it in `status`."""
    deadline = time.monotonic() + within
    while True:
        response = await watcher.http.get(f"{TASKS}/{case_id}/{REVIEW}", headers=officer(watcher))
        assert response.status_code == 200, response.text
        task: dict[str, Any] = response.json()
        if task["status"] == status:
            return task
        assert time.monotonic() < deadline, f"task of {case_id} still {task['status']} after {within}s"
        await asyncio.sleep(0.1)


async def listed(watcher: CaseWatcher, agency: str = REGISTRY, **params: Any) -> dict[str, Any]:
    response = await watcher.http.get(
        TASKS, params={"limit": 500, **params}, headers=officer(watcher, agency)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_an_agency_lists_and_reads_only_its_own_tasks(watcher: CaseWatcher, citizen: str) -> None:
    case_id = await open_review(watcher, citizen)
    mine = await listed(watcher, type="birth_registration")
    [task] = [t for t in mine["data"] if t["case_id"] == case_id]
    assert mine["count"] >= len(mine["data"]) >= 1
    assert {t["agency_title"] for t in mine["data"]} == {"Civil status registry"}
    assert task["step_id"] == REVIEW and task["status"] == "open" and task["round"] == 1
    assert task["title"] == "Civil registry reviews the birth documents"
    assert task["life_event_title"] == "Birth registration" and task["type"] == "birth_registration"
    assert task["overdue"] is False and task["asks"] == ["medical_certificate_number"]
    assert set(task["shared_fields"]) >= {"child_name", "parent_name", "birth_place"}
    due, since = datetime.fromisoformat(task["due_at"]), datetime.fromisoformat(task["since"])
    assert due - since == timedelta(days=10)
    assert "civil_registry" not in str(task)  # titles, not ids
    dues = [t["due_at"] for t in mine["data"]]
    assert dues == sorted(dues)
    one = await watcher.http.get(f"{TASKS}/{case_id}/{REVIEW}", headers=officer(watcher))
    assert one.status_code == 200 and one.json() == task

    for other in ("tax_office", "social_benefits"):  # social benefits has a step in this case too
        theirs = await listed(watcher, other)
        assert all(t["case_id"] != case_id for t in theirs["data"])
        hidden = await watcher.http.get(f"{TASKS}/{case_id}/{REVIEW}", headers=officer(watcher, other))
        assert hidden.status_code == 404, hidden.text
        done = await watcher.http.post(
            f"{TASKS}/{case_id}/{REVIEW}:complete", headers=officer(watcher, other)
        )
        assert done.status_code == 404, done.text
    not_a_review = await watcher.http.get(f"{TASKS}/{case_id}/register_birth", headers=officer(watcher))
    no_case = await watcher.http.get(f"{TASKS}/no-such-case/{REVIEW}", headers=officer(watcher))
    assert not_a_review.status_code == no_case.status_code == 404
    overdue = await listed(watcher, overdue="true", type="birth_registration")
    assert all(t["case_id"] != case_id for t in overdue["data"])
    bad = await watcher.http.get(TASKS, params={"status": "decided", "limit": 0}, headers=officer(watcher))
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {
        "query.status",
        "query.limit",
    }


async def test_roles_other_than_agency_are_refused(watcher: CaseWatcher, citizen: str) -> None:
    case_id = await open_review(watcher, citizen)
    for role in ("citizen", "support", "designer"):
        headers = watcher.auth(role, citizen if role == "citizen" else f"{role}-1")
        for method, path in (
            ("GET", TASKS),
            ("GET", f"{TASKS}/{case_id}/{REVIEW}"),
            ("POST", f"{TASKS}/{case_id}/{REVIEW}:complete"),
        ):
            response = await watcher.http.request(method, path, headers=headers)
            assert response.status_code == 403, (role, path, response.text)
    assert (await task_in(watcher, case_id, "open"))["round"] == 1


async def test_completion_lets_the_case_go_on_once(watcher: CaseWatcher, citizen: str) -> None:
    case_id = await open_review(watcher, citizen)
    url = f"{TASKS}/{case_id}/{REVIEW}"
    done = await watcher.http.post(
        f"{url}:complete", json={"reason": "documents_ok", "note": "all in order"}, headers=officer(watcher)
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "decided" and done.json()["decision"] == "approved documents_ok"
    again = await watcher.http.post(f"{url}:complete", headers=officer(watcher))
    reject = await watcher.http.post(f"{url}:fail", json={"reason": "too_late"}, headers=officer(watcher))
    legacy = await watcher.http.post(
        f"/v1/cases/{case_id}/steps/{REVIEW}/decision", json={"approved": False}, headers=officer(watcher)
    )
    for refused in (again, reject, legacy):
        assert refused.status_code == 409, refused.text
        assert "already decided (approved documents_ok" in refused.json()["detail"]
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "completed", case
    assert step(case, "apply_child_benefit")["status"] == "succeeded"
    decided = [e for e in case["timeline"] if e["event"] == "agency_decided"]
    assert [e["detail"] for e in decided] == ["approved documents_ok"]  # no second effect
    assert [e["detail"] for e in case["timeline"] if e["event"] == "agency_note"] == ["all in order"]
    reviews = [r for r in await watcher.records(REGISTRY, case_id) if r["step_id"] == REVIEW]
    assert len(reviews) == 1
    assert len(await watcher.records("social_benefits", case_id)) == 1
    final = await task_in(watcher, case_id, "decided")
    assert final["due_at"] is None and final["overdue"] is False


async def test_failure_needs_a_reason_and_compensates_the_case(watcher: CaseWatcher, citizen: str) -> None:
    case_id = await open_review(watcher, citizen)
    url = f"{TASKS}/{case_id}/{REVIEW}:fail"
    no_reason = await watcher.http.post(url, json={}, headers=officer(watcher))
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "body.reason"
    assert (await task_in(watcher, case_id, "open"))["round"] == 1  # nothing decided
    failed = await watcher.http.post(url, json={"reason": "certificate_invalid"}, headers=officer(watcher))
    assert failed.status_code == 200 and failed.json()["decision"] == "rejected certificate_invalid"
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "compensated", case
    assert "certificate_invalid" in step(case, REVIEW)["error"]
    assert step(case, "register_birth")["status"] == "compensated"
    assert step(case, "apply_child_benefit")["status"] == "skipped"


async def test_a_request_for_input_asks_the_citizen_then_comes_back(
    watcher: CaseWatcher, citizen: str
) -> None:
    data = {k: v for k, v in BIRTH.items() if k != "medical_certificate_number"}
    case_id = await open_review(watcher, citizen, data)
    url = f"{TASKS}/{case_id}/{REVIEW}:request-input"
    fields = ["bank_account", "medical_certificate_number", "child_name"]
    bad = await watcher.http.post(url, json={"fields": fields}, headers=officer(watcher))
    assert bad.status_code == 422, bad.text
    named = [e["message"].split(":")[0] for e in bad.json()["errors"]]
    assert named == ["bank_account", "child_name"] and bad.json()["field"] == "body.fields"
    empty = await watcher.http.post(url, json={"fields": []}, headers=officer(watcher))
    assert empty.status_code == 422 and empty.json()["field"] == "body.fields"

    asked = await watcher.http.post(
        url, json={"fields": ["medical_certificate_number"]}, headers=officer(watcher)
    )
    assert asked.status_code == 200 and asked.json()["decision"] == "asked for more", asked.text
    review = await watcher.wait_step(citizen, case_id, REVIEW, "citizen")
    assert review["asked_fields"] == ["medical_certificate_number"]
    twice = await watcher.http.post(
        url, json={"fields": ["medical_certificate_number"]}, headers=officer(watcher)
    )
    assert twice.status_code == 409 and "already decided (asked for more" in twice.json()["detail"]
    answered = await watcher.http.post(
        f"/v1/cases/{case_id}/steps/{REVIEW}/input",
        json={"data": {"medical_certificate_number": "MC-2026-777"}},
        headers=watcher.auth("citizen", citizen),
    )
    assert answered.status_code == 200, answered.text
    again = await task_in(watcher, case_id, "open")
    assert again["round"] == 2 and "medical_certificate_number" in again["shared_fields"]
    done = await watcher.http.post(f"{TASKS}/{case_id}/{REVIEW}:complete", headers=officer(watcher))
    assert done.status_code == 200, done.text
    assert (await watcher.wait(citizen, case_id))["status"] == "completed"


async def test_a_passed_deadline_escalates_to_support(
    stack: Settings, watcher: CaseWatcher, citizen: str
) -> None:
    add_definition(stack.catalog_path, "hasty_birth", HASTY_BIRTH)
    case_id = await watcher.start(citizen, "hasty_birth", HASTY_DATA)
    case = await watcher.wait(citizen, case_id, {"needs_attention"})
    review = step(case, REVIEW)
    assert review["status"] == "needs_attention" and review["waiting_for"] == "support"
    held = [e for e in case["timeline"] if e["event"] == "step_needs_attention" and e["step"] == REVIEW]
    assert [e["detail"] for e in held] == ["no decision from civil_registry within 2e-05 days"]

    task = await task_in(watcher, case_id, "escalated")
    assert task["overdue"] is True and task["round"] == 1
    due, since = datetime.fromisoformat(task["due_at"]), datetime.fromisoformat(task["since"])
    assert due - since == timedelta(days=0.00002) and due <= datetime.fromisoformat(held[0]["at"])
    escalated = await listed(watcher, status="escalated", type="hasty_birth")
    assert case_id in {t["case_id"] for t in escalated["data"]}
    assert all(t["status"] == "escalated" and t["overdue"] for t in escalated["data"])
    assert case_id in {t["case_id"] for t in (await listed(watcher, overdue="true"))["data"]}
    assert case_id not in {t["case_id"] for t in (await listed(watcher, status="open"))["data"]}
    late = await watcher.http.post(f"{TASKS}/{case_id}/{REVIEW}:complete", headers=officer(watcher))
    assert late.status_code == 409 and "escalated to support" in late.json()["detail"], late.text
    stuck = await watcher.http.get(
        "/v1/support/cases",
        params={"step": REVIEW, "type": "hasty_birth", "stuck": "true"},
        headers=watcher.auth("support", "support-1"),
    )
    assert case_id in {c["case_id"] for c in stuck.json()["data"]}, stuck.text


async def test_the_list_pages_in_deadline_order(stack: Settings, watcher: CaseWatcher, citizen: str) -> None:
    """Escalated tasks of one life event, paged: `limit`, `offset` and both sort orders."""
    add_definition(stack.catalog_path, "hasty_birth", HASTY_BIRTH)
    first = await watcher.start(citizen, "hasty_birth", HASTY_DATA)
    await watcher.wait(citizen, first, {"needs_attention"})
    second = await watcher.start(citizen, "hasty_birth", {**HASTY_DATA, "child_name": "Second Child"})
    await watcher.wait(citizen, second, {"needs_attention"})
    everything = await listed(watcher, type="hasty_birth")
    ids = [t["case_id"] for t in everything["data"]]
    assert ids.index(first) < ids.index(second)
    assert everything["count"] == len(ids) >= 2
    pages = [
        (await listed(watcher, type="hasty_birth", limit=1, offset=i))["data"][0]["case_id"]
        for i in range(len(ids))
    ]
    assert pages == ids
    latest = await listed(watcher, type="hasty_birth", sort="-due_at")
    assert [t["case_id"] for t in latest["data"]] == ids[::-1]
