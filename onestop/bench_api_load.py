"""Trigger latency of the API under a paced load, with the worker draining the backlog in its own
process (`bench_processes`): the API's event loop serves requests only.

Open loop: request i is sent at i / rate seconds whatever the earlier ones are doing, as
citizens would, each from a citizen of its own (the per-citizen budget is not what is measured).
Every request must be answered: 202, or 429 with `Retry-After`. Afterwards every 202'd case is
read back through the API: a case the API accepted and cannot find is lost.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections import Counter
from dataclasses import dataclass

import httptools
import httpx

from onestop.bench import FAN_OUT_TYPE, fan_out_yaml
from onestop.bench_processes import separate_processes
from onestop.bench_results import ApiLoadRun, Machine
from onestop.load_client import LoadClient
from onestop.process_cpu import CpuSnapshot
from orchestrator.auth import Principal, Role, issue_token
from orchestrator.settings import Settings

_FAN_OUT = 7
_READ_CONCURRENCY = 20


@dataclass(frozen=True)
class _Answer:
    status: int
    ms: float
    retry_after: bool
    case_id: str | None
    citizen: dict[str, str]
    error: str  # a transport error's name when the request got no answer


async def run_api_load(settings: Settings, rate: float, seconds: float) -> ApiLoadRun:
    machine = Machine.here()  # the code measured is the code at the start
    definitions = {f"{FAN_OUT_TYPE}.yaml": fan_out_yaml(_FAN_OUT)}
    async with separate_processes(settings, definitions, api=True) as procs:
        assert procs.api_url is not None
        s = procs.settings
        offered = max(1, round(rate * seconds))
        # Tokens are signed before the clock starts: the load generator should only send.
        tokens = [
            {
                "Authorization": f"Bearer {issue_token(Principal(sub=f'load-{i}', role=Role.citizen), s.jwt_secret, 3600, s.token_rules)}"
            }
            for i in range(offered)
        ]
        sender = LoadClient(s.api_host, s.api_port, timeout=30)
        try:
            await _trigger(sender, tokens[0])  # warm-up: a connection, the catalog, the first start
            before = CpuSnapshot.take(procs.pids)
            started = time.perf_counter()

            async def paced(i: int) -> _Answer:
                await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
                return await _trigger(sender, tokens[i])

            answers = await asyncio.gather(*[paced(i) for i in range(offered)])
            cpu = before.ms_per_case(CpuSnapshot.take(procs.pids), offered)
        finally:
            await sender.close()
        limits = httpx.Limits(max_connections=_READ_CONCURRENCY)
        async with httpx.AsyncClient(base_url=procs.api_url, timeout=30, limits=limits) as http:
            lost = await _lost(http, [a for a in answers if a.status == 202])
    return _summary(machine, answers, rate, seconds, lost, cpu)


_BODY = json.dumps({"type": FAN_OUT_TYPE, "data": {}}).encode()


async def _trigger(sender: LoadClient, citizen: dict[str, str]) -> _Answer:
    sent = time.perf_counter()
    try:
        reply = await sender.post_json("/v1/life-events", _BODY, citizen)
    except (OSError, httptools.HttpParserError) as exc:  # timeouts and lost connections included
        # Not answered: counted under `other` by the error's name.
        return _Answer(0, (time.perf_counter() - sent) * 1000, False, None, citizen, type(exc).__name__)
    ms = (time.perf_counter() - sent) * 1000
    case_id = json.loads(reply.body).get("case_id") if reply.status == 202 else None
    return _Answer(reply.status, ms, "retry-after" in reply.headers, case_id, citizen, "")


async def _lost(http: httpx.AsyncClient, accepted: list[_Answer]) -> int:
    """How many accepted cases their citizen cannot read back."""
    gate = asyncio.Semaphore(_READ_CONCURRENCY)

    async def missing(answer: _Answer) -> bool:
        async with gate:
            response = await http.get(f"/v1/cases/{answer.case_id}", headers=answer.citizen)
            return response.status_code != 200

    return sum(await asyncio.gather(*[missing(a) for a in accepted]))


def _summary(
    machine: Machine, answers: list[_Answer], rate: float, seconds: float, lost: int, cpu: dict[str, float]
) -> ApiLoadRun:
    statuses = Counter(a.status for a in answers if not a.error)
    throttled = [a for a in answers if a.status == 429]
    ms = sorted(a.ms for a in answers)
    cuts = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
    return ApiLoadRun(
        machine=machine,
        rate=rate,
        seconds=seconds,
        offered=len(answers),
        accepted=statuses.pop(202, 0),
        throttled=statuses.pop(429, 0),
        throttled_without_retry_after=sum(1 for a in throttled if not a.retry_after),
        other={str(code): count for code, count in sorted(statuses.items())}
        | dict(Counter(a.error for a in answers if a.error)),
        lost=lost,
        p50_ms=round(cuts[49], 1),
        p95_ms=round(cuts[94], 1),
        p99_ms=round(cuts[98], 1),
        max_ms=round(ms[-1], 1),
        cpu_ms_per_trigger=cpu,
    )


def api_load_report(run: ApiLoadRun) -> str:
    other = ", ".join(f"{code}: {count}" for code, count in run.other.items()) or "none"
    return "\n".join(
        [
            f"api load: {run.offered} triggers at {run.rate:g}/s for {run.seconds:g}s:"
            f" p50 {run.p50_ms:.1f} ms, p95 {run.p95_ms:.1f} ms, p99 {run.p99_ms:.1f} ms, max {run.max_ms:.0f} ms",
            f"answers: {run.accepted} x 202, {run.throttled} x 429"
            f" ({run.throttled_without_retry_after} without Retry-After), other {other}; lost {run.lost}",
            "CPU ms per trigger while offered: "
            + ", ".join(f"{name} {ms:.1f}" for name, ms in run.cpu_ms_per_trigger.items()),
            run.model_dump_json(),
        ]
    )
