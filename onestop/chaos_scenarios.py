"""The faults `onestop chaos` injects, one scenario each, while citizens report life events: what
it breaks, when (after a share of the reports went through), and what the cases must end as.

Processes are killed with kill -9 and started again on the same ports and files; agencies
misbehave through the simulators' behaviour API (`PUT /admin/agencies/{agency}/behaviour`, as
`onestop simulate` does). Every fault is bounded: a number of kills, a window of seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from onestop.chaos_check import Expectation
from onestop.chaos_load import Citizens
from onestop.chaos_observe import support_headers
from onestop.chaos_stack import MONGODB, TEMPORAL, ChaosStack
from orchestrator.cases import CaseStatus

KILL_EVERY_SECONDS = 3.0
SERVER_DOWN_SECONDS = 4.0
OUTAGE_SECONDS = 20.0  # longer than the old 15 s retry budget that rolled every case back
EVENT_AGENCIES = (
    "residence_registry",
    "national_id",
    "tax_office",
    "health_insurance",
    "vehicle_registry",
    "electoral_roll",
)

COMPLETED = Expectation()
UNAVAILABLE = Expectation(unavailable_allowed=True)  # a server is down: 503 with Retry-After

Fault = Callable[[ChaosStack, Citizens, int], Awaitable[None]]
"""(stack, citizens reporting, cases) -> None, once the fault is over."""


@dataclass(frozen=True)
class Scenario:
    name: str
    what: str
    fault: Fault
    expectation: Expectation = COMPLETED
    workers: int = 1


async def _share(citizens: Citizens, cases: int, share: float) -> None:
    """Until `share` of the reports are answered (or all are: a report may never be)."""
    await citizens.until_answered(max(1, int(cases * share)))


async def _behave(stack: ChaosStack, agency: str, behaviour: dict[str, Any]) -> None:
    async with httpx.AsyncClient(base_url=stack.settings.agency_base_url, timeout=30) as sim:
        response = await sim.put(
            f"/admin/agencies/{agency}/behaviour", json=behaviour, headers=support_headers(stack.settings)
        )
        response.raise_for_status()


async def worker_kill(stack: ChaosStack, citizens: Citizens, cases: int) -> None:
    for _ in range(max(2, cases // 25)):
        await asyncio.sleep(KILL_EVERY_SECONDS)
        await stack.kill_worker(stack.workers[0])
        await stack.start_worker(stack.workers[0])


async def worker_pair(stack: ChaosStack, citizens: Citizens, cases: int) -> None:
    await _share(citizens, cases, 0.4)
    await stack.kill_worker(stack.workers[1])  # and left dead: the other carries on alone


def _server_restart(server: str) -> Fault:
    async def fault(stack: ChaosStack, citizens: Citizens, cases: int) -> None:
        for share in (0.3, 0.7) if cases >= 50 else (0.3,):
            await _share(citizens, cases, share)
            await stack.kill_server(server)
            await asyncio.sleep(SERVER_DOWN_SECONDS)
            await stack.start_server(server)

    return fault


async def agency_outage(stack: ChaosStack, citizens: Citizens, cases: int) -> None:
    await _behave(stack, "residence_registry", {"outage_seconds": OUTAGE_SECONDS})


async def agency_slow(stack: ChaosStack, citizens: Citizens, cases: int) -> None:
    for agency in ("national_id", "tax_office"):
        await _behave(stack, agency, {"slow_beyond_timeout": 0.3, "seed": 19})


async def duplicates(stack: ChaosStack, citizens: Citizens, cases: int) -> None:
    """Lost replies everywhere (the agency acted, OneStop retries: a duplicate delivery), and
    rejections by one agency, so undos are delivered twice too."""
    for i, agency in enumerate(EVENT_AGENCIES):
        behaviour: dict[str, Any] = {"lost_reply_rate": 0.3, "seed": i}
        if agency == "vehicle_registry":
            behaviour["rejection_rate"] = 0.2
        await _behave(stack, agency, behaviour)


async def same_key(stack: ChaosStack, citizens: Citizens, cases: int) -> None:
    bursts = max(1, cases // 20)
    await asyncio.gather(*(citizens.burst(f"same-key-citizen-{i}", f"same-key-{i}") for i in range(bursts)))


async def bad_input(stack: ChaosStack, citizens: Citizens, cases: int) -> None:
    for i in range(max(1, cases // 10)):
        await citizens.bad(f"bad-input-citizen-{i}")
        await asyncio.sleep(0.5)


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in [
        Scenario("worker-kill", "kill -9 the worker every few seconds, restarted each time", worker_kill),
        Scenario("worker-pair", "two workers share the queue; one is killed -9", worker_pair, workers=2),
        Scenario(
            "temporal-restart",
            "kill -9 the Temporal dev server, restart it on its file",
            _server_restart(TEMPORAL),
            UNAVAILABLE,
        ),
        Scenario(
            "mongo-restart",
            "kill -9 OneStop's SecantusDB, restart it on its files",
            _server_restart(MONGODB),
            UNAVAILABLE,
        ),
        Scenario("agency-outage", f"the residence registry down {OUTAGE_SECONDS:.0f}s", agency_outage),
        Scenario("agency-slow", "two agencies answer after the timeout, 30% of calls", agency_slow),
        Scenario(
            "duplicates",
            "30% of replies lost after the agency acted; the vehicle registry rejects 20%",
            duplicates,
            Expectation(ends=frozenset({CaseStatus.completed, CaseStatus.compensated})),
        ),
        Scenario("same-key", "bursts of 20 concurrent reports with one idempotency key", same_key),
        Scenario("bad-input", "malformed and oversized requests mixed into the load", bad_input),
    ]
}
