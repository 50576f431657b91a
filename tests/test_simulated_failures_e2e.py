"""OneStop against registries that misbehave the way real ones do, set per agency at run time
through the simulators' behaviour routes (support's token): transient errors and lost replies,
an outage longer than the old retry budget, rejections, answers slower than the timeout. The
simulated agencies and life events are the tests' own (`tests/simulated_registries.py`), so no
other test meets their failures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from orchestrator.settings import Settings
from tests import simulated_registries as sim
from tests.conftest import new_citizen
from tests.support import CaseWatcher, step

STEPS = {"register": "sim_registry", "notify_tax": "sim_tax", "notify_benefits": "sim_benefits"}


@pytest.fixture
async def registries(stack: Settings, simulators: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """The simulated registries in the catalog, healthy before and after the test."""
    sim.install(stack.catalog_path)
    await sim.heal(simulators)
    yield simulators
    await sim.heal(simulators)


async def behave(simulators: httpx.AsyncClient, agency: str, **behaviour: Any) -> dict[str, Any]:
    response = await simulators.put(f"/admin/agencies/{agency}/behaviour", json=behaviour)
    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()
    return view


async def behaviour(simulators: httpx.AsyncClient, agency: str) -> dict[str, Any]:
    response = await simulators.get(f"/admin/agencies/{agency}/behaviour")
    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()
    return view


async def start(watcher: CaseWatcher, n: int, type_: str = "sim_resilience") -> list[tuple[str, str]]:
    """`n` cases of distinct citizens, reported at once: (citizen, case id)."""
    citizens = [new_citizen() for _ in range(n)]
    ids = await asyncio.gather(*(watcher.start(c, type_, sim.DATA) for c in citizens))
    return list(zip(citizens, ids, strict=True))


async def one_record_per_step(watcher: CaseWatcher, case_id: str, steps: dict[str, str]) -> None:
    """Each agency holds exactly one record of the case, not compensated."""
    for step_id, agency in steps.items():
        records = await watcher.records(agency, case_id)
        assert [(r["step_id"], r["state"]) for r in records] == [(step_id, "active")], (agency, records)


async def test_fifty_cases_complete_through_errors_and_lost_replies_with_one_record_per_step(
    registries: httpx.AsyncClient, watcher: CaseWatcher
) -> None:
    """30% of calls fail with a 503 and 10% of the rest act but lose their answer, so OneStop
    delivers the same request again: every case completes, and no agency holds a duplicate."""
    for seed, agency in enumerate(sim.AGENCIES):
        await behave(registries, agency, error_rate=0.3, lost_reply_rate=0.1, seed=seed)
    cases = await start(watcher, 50)
    done = await asyncio.gather(*(watcher.wait(c, case_id, within=180) for c, case_id in cases))
    assert [c["status"] for c in done] == ["completed"] * 50
    for _, case_id in cases:
        await one_record_per_step(watcher, case_id, STEPS)
    stats = [(await behaviour(registries, agency))["stats"] for agency in sim.AGENCIES]
    assert all(s["errors"] > 0 and s["lost_replies"] > 0 for s in stats), stats
    assert sum(s["duplicates"] for s in stats) >= sum(s["lost_replies"] for s in stats) > 0  # redelivered
    retried = [s for c in done for s in c["steps"] if s["attempts"] > 1]
    assert retried and all(s["last_error"] is None for s in retried)


async def test_an_outage_longer_than_the_old_retry_budget_waits_then_completes(
    registries: httpx.AsyncClient, watcher: CaseWatcher, stack: Settings
) -> None:
    """The tax office is down for 16 s (the old Temporal policy gave up after about 15): the
    cases wait for it, as waiting for the agency, and complete once it is back; nothing is
    compensated."""
    down = await behave(registries, "sim_tax", outage_seconds=16)
    assert 0 < down["outage_seconds"] <= 16 and down["outage_until"]
    cases = await start(watcher, 3)
    for c, case_id in cases:
        waiting = await watcher.wait_step(c, case_id, "notify_tax", "agency")
        assert waiting["status"] == "waiting" and waiting["last_error"] == "agency_down"
        assert (await watcher.case(c, case_id))["status"] == "waiting"
    done = await asyncio.gather(*(watcher.wait(c, case_id, within=16 + 30) for c, case_id in cases))
    assert [c["status"] for c in done] == ["completed"] * 3
    for case in done:
        assert step(case, "notify_tax")["attempts"] > 2
        assert not any(e["event"].startswith("compensation") for e in case["timeline"])
        await one_record_per_step(watcher, case["case_id"], STEPS)
    over = await behaviour(registries, "sim_tax")
    # The calls until the worker counts the agency down, and at least one probe after: how many
    # probes land in the outage depends on when the cases reached the step.
    assert over["outage_seconds"] == 0
    assert over["stats"]["refused_in_outage"] >= stack.agency_down_after_failures + 1, over


async def test_a_rejection_rate_of_one_compensates_the_case(
    registries: httpx.AsyncClient, watcher: CaseWatcher
) -> None:
    await behave(registries, "sim_benefits", rejection_rate=1.0, rejection_code="not_eligible")
    [(c, case_id)] = await start(watcher, 1)
    case = await watcher.wait(c, case_id)
    assert case["status"] == "compensated", case
    benefits = step(case, "notify_benefits")
    assert benefits["status"] == "failed" and "not_eligible" in benefits["error"]
    assert benefits["attempts"] == 1  # a rejection is final
    assert await watcher.records("sim_benefits", case_id) == []
    for step_id in ("register", "notify_tax"):
        assert step(case, step_id)["status"] == "compensated"
        records = await watcher.records(STEPS[step_id], case_id)
        assert [r["state"] for r in records] == ["compensated", "compensation"], records
    # another agency's token may not read them
    other = watcher.auth("agency", "tax-1", agency="sim_tax")
    refused = await watcher.simulators.get("/agencies/sim_registry/records", headers=other)
    assert refused.status_code == 403


async def test_a_duplicate_delivery_is_answered_from_the_first_record_whatever_is_drawn(
    registries: httpx.AsyncClient, watcher: CaseWatcher
) -> None:
    """The agency acted and its reply was lost; the retry meets a rejection or an error draw:
    the agency answers it from its record rather than refusing what it did (found by
    `onestop chaos --scenario duplicates`: a failed step whose agency kept the record)."""
    call = "/agencies/sim_benefits/actions/notify"
    headers = {**watcher.auth("agency", "benefits-1", agency="sim_benefits"), "Idempotency-Key": "dup-1"}
    body = {
        "case_id": "dup-case",
        "step_id": "notify_benefits",
        "subject": "p-1",
        "fields": {"citizen_name": "Ana Lima"},
    }
    await behave(registries, "sim_benefits", lost_reply_rate=1.0)
    lost = await registries.post(call, json=body, headers=headers)
    assert (lost.status_code, lost.json()["detail"]["code"]) == (503, "reply_lost")
    for refusal in ({"rejection_rate": 1.0}, {"error_rate": 1.0}):
        await behave(registries, "sim_benefits", **refusal)
        again = await registries.post(call, json=body, headers=headers)
        assert again.status_code == 200, again.text
        assert again.json()["status"] == "duplicate"
    assert [r["state"] for r in await watcher.records("sim_benefits", "dup-case")] == ["active"]


async def test_answers_slower_than_the_timeout_are_retried_to_one_record(
    registries: httpx.AsyncClient, watcher: CaseWatcher
) -> None:
    """The agency acts but answers after OneStop stopped listening: OneStop retries, and once
    the agency is quick again the case completes with the one record the agency holds."""
    await behave(registries, "sim_tax", slow_beyond_timeout=1.0)
    [(c, case_id)] = await start(watcher, 1, "sim_slow")
    waiting = await watcher.wait_step(c, case_id, "notify_tax", "agency")
    assert waiting["last_error"] == "timeout"
    assert (await behaviour(registries, "sim_tax"))["stats"]["slow"] >= 1
    await sim.heal(registries)
    case = await watcher.wait(c, case_id)
    assert case["status"] == "completed", case
    assert step(case, "notify_tax")["attempts"] >= 2
    await one_record_per_step(watcher, case_id, {"notify_tax": "sim_tax"})
