"""Bulk compensation chosen by cause, with a limit smaller than the number of matching cases: the
dry run and the real run name only `limit` cases and say how many matched; only those are acted
on, each re-read afterwards; the next run takes the rest. (Retry in bulk: test_support_api.py.)"""

from __future__ import annotations

import uuid
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from orchestrator.mongo import Document
from orchestrator.settings import Settings
from tests.support import CaseWatcher, audited
from tests.test_support_api import _held


async def test_bulk_compensate_acts_on_limit_cases_and_says_how_many_matched(
    stack: Settings, watcher: CaseWatcher, citizen: str, db: AsyncDatabase[Document]
) -> None:
    code = f"bulk_{uuid.uuid4().hex[:8]}"
    cases = [await _held(stack, watcher, citizen, code) for _ in range(3)]
    await watcher.clear_faults()  # the registry is back: undoing can reach it (the steps stay held)
    support = watcher.auth("support", "agent-bulk")
    body: dict[str, Any] = {
        "action": "compensate",
        "filter": {"error": code, "stuck": True},
        "reason": "duplicate_reports",
        "limit": 2,
    }
    dry = (await watcher.http.post("/v1/support/cases:bulk", json=body, headers=support)).json()
    assert (dry["matched"], len(dry["results"])) == (3, 2)
    assert {r["outcome"] for r in dry["results"]} == {"planned"}

    real = await watcher.http.post("/v1/support/cases:bulk", json={**body, "dry_run": False}, headers=support)
    assert real.status_code == 200, real.text
    report = real.json()
    assert (report["matched"], len(report["results"]), report["action"]) == (3, 2, "compensate")
    acted = {r["case_id"] for r in report["results"]}
    assert acted < set(cases)
    for r in report["results"]:
        assert r["outcome"] == "applied" and r["status_after"] in {"compensating", "compensated"}, r
    for case_id in cases:
        expected = "compensated" if case_id in acted else "needs_attention"
        assert (await watcher.wait(citizen, case_id, {expected}))["status"] == expected
    [rest] = set(cases) - acted
    run = await db.audit.find_one({"action": "bulk_compensate", "subject": "agent-bulk"}, sort=[("_id", -1)])
    assert run is not None and run["reason"] == "duplicate_reports"
    assert run["outcome"] == f"batch {report['batch_id']}: 2 applied"
    trail = await watcher.audit_trail(next(iter(acted)))
    assert audited(trail, "compensate") == (
        "agent-bulk", "support", "compensate", next(iter(acted)), None, "duplicate_reports", "accepted",
    )  # fmt: skip

    after = (
        await watcher.http.post("/v1/support/cases:bulk", json={**body, "dry_run": False}, headers=support)
    ).json()
    assert after["matched"] == 1 and [r["case_id"] for r in after["results"]] == [rest]
    assert (await watcher.wait(citizen, rest))["status"] == "compensated"
