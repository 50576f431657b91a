"""Memory of a worker holding many open cases, and how fast agency decisions then close them.

N cases of a one-step life event wait for an agency's review (a durable wait of days), opened
through the API against a worker in its own process whose RSS is sampled as they open. Past the
worker's workflow cache (`ONESTOP_WORKER_MAX_CACHED_WORKFLOWS` runs) a waiting case should cost the
worker nothing: it is evicted and replayed when its decision comes, so the RSS should stay flat;
the figure is MB per 1,000 cases over the samples after the cache is full. Then the agency
completes every review through its work list (`POST /v1/agency/tasks/{case}/{step}:complete`),
and the rate is cases decided and completed per second.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
from pymongo.asynchronous.collection import AsyncCollection

from onestop.bench_processes import BenchProcesses, separate_processes
from onestop.bench_results import Machine, MemoryRun
from onestop.process_cpu import rss_mb
from orchestrator.auth import Principal, Role, issue_token
from orchestrator.mongo import Document, connect
from orchestrator.settings import Settings

T = TypeVar("T")

REVIEW_TYPE = "bench_review"
REVIEW_STEP = "review"
REVIEW_AGENCY = "civil_registry"
_REVIEW_EVENT = f"""\
type: {REVIEW_TYPE}
version: 1
title: Benchmark review
steps:
  - id: {REVIEW_STEP}
    title: The registry reviews the documents
    kind: agency_review
    wait_days: 30
    agency: {REVIEW_AGENCY}
    action: review_birth_documents
"""
_CONCURRENCY = 20
_SAMPLES = 40
_POLL_SECONDS = 0.5
_DECISION_TRIES = 10
_MAX_POLLS = 7200  # an hour of polling at most: a run that stalls ends with an error
_WAITING: Document = {"steps.0.status": "waiting"}
_UNLIMITED = {
    # The bench opens and decides thousands of cases as a handful of subjects: lift the API's
    # per-subject budgets, which are what they are for one person.
    "ONESTOP_RATE_COMMANDS_PER_MINUTE": "10000000",
    "ONESTOP_RATE_COMMANDS_BURST": "10000000",
}


async def run_memory(settings: Settings, n: int, cache_size: int) -> MemoryRun:
    machine = Machine.here()  # the code measured is the code at the start
    env = _UNLIMITED | {"ONESTOP_WORKER_MAX_CACHED_WORKFLOWS": str(cache_size)}
    async with separate_processes(
        settings, {f"{REVIEW_TYPE}.yaml": _REVIEW_EVENT}, api=True, env=env
    ) as procs:
        assert procs.api_url is not None
        mongo = connect(procs.settings.mongodb_url)
        cases = mongo[procs.settings.mongodb_database].cases
        try:
            async with httpx.AsyncClient(base_url=procs.api_url, timeout=60) as http:
                started = time.perf_counter()
                opening = asyncio.ensure_future(_gathered(n, lambda i: _open(http, procs, i)))
                samples = await _sample_rss(procs.worker_pid, cases, n, opening)
                case_ids = await opening
                opened_per_s = n / (time.perf_counter() - started)
                agency = _bearer(
                    procs, Principal(sub="bench-registry", role=Role.agency, agency=REVIEW_AGENCY)
                )
                started = time.perf_counter()
                decided = await _gathered(n, lambda i: _complete(http, agency, case_ids[i]))
                await _until(cases, {"status": "completed"}, n)
                completed_per_s = n / (time.perf_counter() - started)
        finally:
            await mongo.close()
    return MemoryRun(
        machine=machine,
        cases=n,
        cache_size=cache_size,
        rss_mb=samples,
        mb_per_1000_after_cache_full=_growth(samples, cache_size),
        opened_per_s=round(opened_per_s, 1),
        completed=sum(decided),
        completed_per_s=round(completed_per_s, 1),
    )


async def _sample_rss(
    pid: int, cases: AsyncCollection[Document], n: int, opening: asyncio.Future[list[str]]
) -> list[tuple[int, float]]:
    """(cases waiting in their review, worker RSS in MB), about every n/40 cases, until all n
    wait; bounded, and an opening that failed ends it with that failure."""
    samples = [(0, round(rss_mb(pid), 1))]
    every = max(1, n // _SAMPLES)
    for _ in range(_MAX_POLLS):
        if opening.done() and opening.exception() is not None:
            await opening
        waiting = await cases.count_documents(_WAITING)
        if waiting >= samples[-1][0] + every or waiting >= n:
            samples.append((waiting, round(rss_mb(pid), 1)))
        if waiting >= n:
            return samples
        await asyncio.sleep(_POLL_SECONDS)
    raise TimeoutError(f"fewer than {n} cases reached their review")


async def _open(http: httpx.AsyncClient, procs: BenchProcesses, i: int) -> str:
    citizen = _bearer(procs, Principal(sub=f"bench-citizen-{i}", role=Role.citizen))
    response = await http.post("/v1/life-events", json={"type": REVIEW_TYPE, "data": {}}, headers=citizen)
    if response.status_code != 202:
        raise RuntimeError(f"opening case {i} answered {response.status_code}: {response.text[:300]}")
    return str(response.json()["case_id"])


async def _complete(http: httpx.AsyncClient, agency: dict[str, str], case_id: str) -> bool:
    """As an agency's client does: a 503 is retried after its Retry-After (the case's run was
    evicted and replays on a busy worker); a 409 after a 503 is the earlier decision landing."""
    unanswered = False
    for _ in range(_DECISION_TRIES):
        response = await http.post(
            f"/v1/agency/tasks/{case_id}/{REVIEW_STEP}:complete", json={}, headers=agency
        )
        if response.status_code == 200 or (response.status_code == 409 and unanswered):
            return True
        if response.status_code != 503:
            break
        unanswered = True
        await asyncio.sleep(float(response.headers.get("retry-after", "1")))
    raise RuntimeError(f"completing {case_id} answered {response.status_code}: {response.text[:300]}")


def _bearer(procs: BenchProcesses, principal: Principal) -> dict[str, str]:
    settings = procs.settings
    token = issue_token(principal, settings.jwt_secret, 3600, settings.token_rules)
    return {"Authorization": f"Bearer {token}"}


async def _gathered(n: int, one: Callable[[int], Awaitable[T]]) -> list[T]:
    gate = asyncio.Semaphore(_CONCURRENCY)

    async def gated(i: int) -> T:
        async with gate:
            return await one(i)

    return list(await asyncio.gather(*[gated(i) for i in range(n)]))


async def _until(cases: AsyncCollection[Document], query: Document, count: int) -> None:
    """Until `count` cases match `query` in the read model; bounded, so a stalled run fails."""
    for _ in range(_MAX_POLLS):
        if await cases.count_documents(query) >= count:
            return
        await asyncio.sleep(_POLL_SECONDS)
    raise TimeoutError(f"fewer than {count} cases reached {query}")


def _growth(samples: list[tuple[int, float]], cache_size: int) -> float | None:
    """MB per 1,000 open cases between the first sample with the cache full and the last one;
    None when the run never filled the cache."""
    full = [(count, mb) for count, mb in samples if count >= cache_size]
    if len(full) < 2 or full[-1][0] == full[0][0]:
        return None
    (first, at_first), (last, at_last) = full[0], full[-1]
    return round((at_last - at_first) / (last - first) * 1000, 2)


def memory_report(run: MemoryRun) -> str:
    growth = (
        f"{run.mb_per_1000_after_cache_full:+.2f} MB per 1,000 cases after the cache ({run.cache_size}) filled"
        if run.mb_per_1000_after_cache_full is not None
        else f"the cache ({run.cache_size} runs) never filled"
    )
    first, last = run.rss_mb[0], run.rss_mb[-1]
    return "\n".join(
        [
            f"memory: {run.cases} open cases waiting for a review, worker RSS {first[1]:.0f} -> {last[1]:.0f} MB;"
            f" {growth}; opened at {run.opened_per_s:.1f} cases/s",
            f"decisions: {run.completed} reviews completed, cases closed at {run.completed_per_s:.1f} cases/s",
            run.model_dump_json(),
        ]
    )
