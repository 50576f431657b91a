"""Every command anyone sends leaves an audit record with who, role, what, case, step, reason
and outcome: a citizen's cancel and answer, support's cancel, an agency's decision, a bulk run;
support's reads of the stuck list and of a batch report are recorded once per request, with the
filter (or batch) and how many cases it matched. (Support's step actions: tests/test_support_cli.py.)"""

from __future__ import annotations

import uuid

from pymongo.asynchronous.database import AsyncDatabase

from orchestrator.mongo import Document
from orchestrator.settings import Settings
from tests.support import MOVE, CaseWatcher, audited
from tests.test_life_events_e2e import BIRTH
from tests.test_support_api import _held

SCHOOL = {**MOVE, "school_age_children": 1}


async def test_a_citizens_cancel_and_answer_and_supports_cancel_are_audited(
    watcher: CaseWatcher, citizen: str
) -> None:
    me = watcher.auth("citizen", citizen)
    cancelled = await watcher.start(citizen, "moving_house", SCHOOL)
    await watcher.wait_step(citizen, cancelled, "transfer_school", "citizen")
    response = await watcher.http.post(f"/v1/cases/{cancelled}:cancel", json={"reason": "moved"}, headers=me)
    assert response.status_code == 200, response.text
    again = await watcher.http.post(f"/v1/cases/{cancelled}:cancel", headers=me)
    assert again.status_code == 409
    trail = await watcher.audit_trail(cancelled)
    cancels = [
        (e["subject"], e["role"], e["outcome"].split(":")[0]) for e in trail if e["action"] == "cancel"
    ]
    assert cancels == [(citizen, "citizen", "accepted"), (citizen, "citizen", "refused")]

    await watcher.fault(agency="tax_office", subject=citizen, kind="error", code="tax_down")
    answered = await watcher.start(citizen, "moving_house", SCHOOL)  # stays open: the tax office is down
    await watcher.wait_step(citizen, answered, "transfer_school", "citizen")
    reply = await watcher.http.post(
        f"/v1/cases/{answered}/steps/transfer_school/input",
        json={"data": {"chosen_school": "Escola Nova"}},
        headers=me,
    )
    assert reply.status_code == 200, reply.text
    staff = await watcher.http.post(
        f"/v1/cases/{answered}:cancel", json={"reason": "duplicate"}, headers=watcher.auth("support", "eva")
    )
    assert staff.status_code == 200, staff.text
    trail = await watcher.audit_trail(answered)
    assert audited(trail, "answer") == (
        citizen, "citizen", "answer", answered, "transfer_school", None, "accepted",
    )  # fmt: skip
    assert audited(trail, "cancel") == ("eva", "support", "cancel", answered, None, None, "accepted")
    await watcher.clear_faults()
    assert (await watcher.wait(citizen, answered))["status"] == "cancelled"


async def test_an_agencys_decision_is_audited(watcher: CaseWatcher, citizen: str) -> None:
    case_id = await watcher.start(citizen, "birth_registration", BIRTH)
    await watcher.wait_step(citizen, case_id, "review_birth_documents", "agency")
    decided = await watcher.http.post(
        f"/v1/cases/{case_id}/steps/review_birth_documents/decision",
        json={"approved": True, "reason": "documents_in_order"},
        headers=watcher.auth("agency", "registrar-3", agency="civil_registry"),
    )
    assert decided.status_code == 200, decided.text
    assert audited(await watcher.audit_trail(case_id), "decide") == (
        "registrar-3", "agency", "decide", case_id, "review_birth_documents", "documents_in_order", "accepted",
    )  # fmt: skip


async def test_a_bulk_run_and_supports_reads_of_the_list_and_a_report_are_audited(
    stack: Settings, watcher: CaseWatcher, citizen: str, db: AsyncDatabase[Document]
) -> None:
    case_id = await _held(stack, watcher, citizen)
    agent = f"agent-{uuid.uuid4().hex[:6]}"
    support = watcher.auth("support", agent)
    listed = await watcher.http.get(
        "/v1/support/cases", params={"error": "registry_down", "stuck": "true"}, headers=support
    )
    assert listed.status_code == 200 and listed.json()["count"] >= 1
    body = {"action": "retry", "filter": {"error": "registry_down"}, "reason": "agency_recovered"}
    dry = await watcher.http.post("/v1/support/cases:bulk", json=body, headers=support)
    report = await watcher.http.get(f"/v1/support/batches/{dry.json()['batch_id']}", headers=support)
    assert report.status_code == 200
    missing = await watcher.http.get("/v1/support/batches/no-such-batch", headers=support)
    assert missing.status_code == 404
    records = [doc async for doc in db.audit.find({"subject": agent}).sort("_id", 1)]
    assert [(r["action"], r["role"], r["case_id"]) for r in records] == [
        ("list_cases", "support", None),
        ("bulk_retry_dry_run", "support", None),
        ("read_batch", "support", None),
        ("read_batch", "support", None),
    ]
    count = listed.json()["count"]
    assert records[0]["outcome"] == f'ok: {count} matched {{"error":"registry_down","stuck":true}}'
    assert records[1]["reason"] == "agency_recovered" and records[1]["outcome"].startswith(
        f"batch {dry.json()['batch_id']}: "
    )
    assert (
        records[2]["outcome"] == f"ok: {len(dry.json()['results'])} case(s): batch {dry.json()['batch_id']}"
    )
    assert records[3]["outcome"] == "not found: batch no-such-batch"
    assert case_id in {r["case_id"] for r in dry.json()["results"]}
    await watcher.clear_faults()
