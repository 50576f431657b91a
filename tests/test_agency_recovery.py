"""Prompt resumption: when a down agency comes back, the cases waiting on it go on within seconds,
not when their own backoff (here a minute) runs out, and no case calls the agency meanwhile: one
probe per agency asks whether it is back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import pytest

from activities.agency_health import AgencyHealth
from orchestrator.settings import Settings
from tests.conftest import TokenFactory
from tests.support import CaseWatcher, add_agency, add_definition, step, until_loaded

FLAKY_REGISTRY = {
    "title": "A registry that goes down",
    "actions": {
        "register": {"title": "Register", "accepts": ["citizen_name"]},
        "unregister": {"title": "Cancel a registration"},
    },
}
FLAKY_MOVE = """\
type: flaky_move
version: 1
title: A move whose registry is retried once a minute
inputs:
  - {name: citizen_name, type: string}
steps:
  - id: register
    agency: flaky_registry
    action: register
    compensation: unregister
    inputs: [citizen_name]
    retry: {initial_interval_seconds: 60, backoff: 1, maximum_interval_seconds: 60}
"""
CASES = 4


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


@pytest.fixture
async def flaky_registry(stack: Settings, http: httpx.AsyncClient, auth: TokenFactory) -> None:
    add_agency(stack.catalog_path, "flaky_registry", FLAKY_REGISTRY)
    add_definition(stack.catalog_path, "flaky_move", FLAKY_MOVE)
    await until_loaded(http, auth("designer", "d"), "flaky_move")


@pytest.mark.usefixtures("flaky_registry")
async def test_cases_resume_soon_after_a_down_agency_answers_again(
    watcher: CaseWatcher, citizen: str
) -> None:
    await watcher.fault(agency="flaky_registry", kind="error", code="registry_down")  # until cleared
    try:
        cases = [await watcher.start(citizen, "flaky_move", {"citizen_name": f"P{i}"}) for i in range(CASES)]
        for case_id in cases:
            waiting = await watcher.wait_step(citizen, case_id, "register", "agency")
            assert waiting["last_error"] in {"registry_down", "agency_down"}  # the 4th: taken for down
    finally:
        await watcher.clear_faults()
    recovered_at = time.monotonic()
    for case_id in cases:
        # Their next attempt was a minute away; the probe (every 5 s) wakes them long before.
        case = await watcher.wait(citizen, case_id, within=30)
        assert case["status"] == "completed", case
        assert step(case, "register")["attempts"] == 2
        assert "agency_recovered" in [e["event"] for e in case["timeline"]]
    assert time.monotonic() - recovered_at < 60  # sooner than any case's own backoff
    for case_id in cases:
        assert len(await watcher.records("flaky_registry", case_id)) == 1


async def test_an_agency_is_down_after_failures_in_a_row_and_probed_alone_until_it_answers() -> None:
    probes: list[str] = []
    woken: list[str] = []
    answers = iter([True, False, False, True])

    async def probe(agency: str) -> bool:
        probes.append(agency)
        return next(answers)

    async def wake(agency: str) -> int:
        woken.append(agency)
        return 7

    health = AgencyHealth(probe, wake, interval_seconds=0.01, threshold=3)
    health.failed("tax")
    health.failed("tax")
    health.succeeded("tax")  # a success in between: not three in a row
    health.failed("tax")
    health.failed("tax")
    assert not health.is_down("tax")
    health.failed("tax")  # three in a row: probed at once, and it answers (one citizen's trouble)
    await asyncio.sleep(0.05)
    assert not health.is_down("tax") and probes == ["tax"]
    for _ in range(3):
        health.failed("tax")  # three more: the probe fails too, so it is down
    await until(lambda: health.is_down("tax"))
    health.failed("tax")  # more failures while down start no second probe
    await until(lambda: not health.is_down("tax"))
    await asyncio.sleep(0.05)
    assert probes == ["tax"] * 4 and woken == ["tax"]
    await health.close()
