"""The engine against bare Temporal, measured in one run on one machine.

All runs share one fresh embedded Temporal dev server (SQLite in WAL mode, as `make run`) and
one SecantusDB server, each with one in-process worker. Bare Temporal runs one no-op activity
then K in parallel, and again with local activities (the engine's calls on a case's own queue
start local: `workflows.agency_calls`), a reference row beside the targets, which are against
the first. The engine runs a life event of the same shape with everything a case pays
for: the case record and personal data written at intake, one read-model update per step and
the final outcome, twice: with in-process agencies (the engine's own cost) and with the HTTP
agency simulators (the whole product on one machine, agencies included).

Beside throughput and latency it reports the CPU each process spent per case (`process_cpu`):
the Temporal server, the MongoDB-wire server, and this process (the driver and the workers; the
simulators too in the HTTP row). Judge a change by CPU per case: throughput on a shared 2-core
machine moves with whatever else runs on it.

A run's cases leave the Temporal server work after their last call: a timer per activity and per
workflow task, which fires at its timeout whether or not the call finished. Each run waits that
long before it counts its CPU, so that work is charged to the run that caused it, not to the
next configuration's run (until 2026-12-02 bare Temporal's timers, at 30 s then, fired during
the engine's run: README, "Measured").
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from activities.agency_client import AgencyPort
from activities.in_process import InProcessAgencies
from onestop.bare_fan_out import STEP_TIMEOUT_SECONDS, BareFanOut, BareLocalFanOut, noop
from onestop.bench_results import BenchResult, Machine, ThroughputRun
from onestop.process_cpu import CpuSnapshot, rss_mb
from onestop.server_work import ServerWork
from onestop.stack import running_stack
from onestop.startup_heap import startup_heap_frozen
from orchestrator.catalog import AGENCIES_FILE, CatalogSource
from orchestrator.contracts import CaseState
from orchestrator.definition import LifeEventDefinition, StepDefinition
from orchestrator.embedded import EmbeddedServers, free_port
from orchestrator.intake import CaseIntake
from orchestrator.mongo import connect
from orchestrator.profile_store import ProfileStore
from orchestrator.settings import Settings
from orchestrator.stores import CaseStores
from orchestrator.temporal_client import connect_temporal, workflow_id

FAN_OUT = [
    ("national_id", "update_address"),
    ("tax_office", "update_address"),
    ("health_insurance", "update_address"),
    ("vehicle_registry", "update_vehicle_address"),
    ("electoral_roll", "update_registration"),
    ("school_office", "transfer_school"),
    ("pension_office", "stop_pension"),
]
SERIAL_RUNS = 20
"""Serial turns per round (`measure_serial`), taken after all of them."""
FAN_OUT_TYPE = "bench_fan_out"
LOCAL_BARE = "bare, local acts"
"""The row of bare Temporal with local activities: a reference beside the targets, which are
against bare Temporal's ordinary activities (the first row)."""
ENGINE = "engine, in-process"
# The longest server-side timer a run's calls leave (a step's attempt timeout, which bare
# Temporal's activities use too), and a margin for the server to work through them.
DEFERRED_SECONDS = STEP_TIMEOUT_SECONDS + 3


def fan_out_definition(k: int) -> LifeEventDefinition:
    steps = [StepDefinition(id="first", agency="residence_registry", action="register_address")]
    for i, (agency, action) in enumerate(FAN_OUT[:k]):
        steps.append(StepDefinition(id=f"s{i}", agency=agency, action=action, depends_on=["first"]))
    return LifeEventDefinition(type=FAN_OUT_TYPE, version=1, title="Benchmark fan-out", steps=steps)


def fan_out_yaml(k: int) -> str:
    """The benchmark's life event as a designer would write its catalog file."""
    definition = fan_out_definition(k).model_dump(mode="json", exclude_defaults=True)
    return yaml.safe_dump(definition, sort_keys=False)


def write_catalog(folder: Path, source: Path, k: int) -> None:
    """A catalog holding the agency directory and the benchmark's definition."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / AGENCIES_FILE, folder / AGENCIES_FILE)
    (folder / f"{FAN_OUT_TYPE}.yaml").write_text(fan_out_yaml(k))


Runner = Callable[[], Awaitable[object]]
"""One case of a configuration, from its start to its end."""


@dataclass(frozen=True)
class Sample:
    """One run of a configuration (`measure`)."""

    rate: float
    cpu_ms_per_case: dict[str, float]
    temporal_requests_per_case: float


async def measure(
    run_one: Runner,
    n: int,
    concurrency: int,
    pids: dict[str, int],
    settle_seconds: float,
    server: ServerWork,
) -> Sample:
    """Throughput of `n` cases at `concurrency`, and the CPU per case of `pids` (the processes
    reported, by name): over the cases and the server's work they leave, for `settle_seconds`
    after the last (0 only for a check of the report's shape; the count waits for the server's
    counters at least). The Temporal `server`'s persistence requests per case over the same span."""
    await run_one()  # warm-up
    gate = asyncio.Semaphore(concurrency)

    async def gated() -> None:
        async with gate:
            await run_one()

    await asyncio.sleep(ServerWork.PUBLISH_SECONDS)  # the warm-up's requests on the endpoint
    requests = await server.requests()
    before = CpuSnapshot.take(pids)
    started = time.perf_counter()
    await asyncio.gather(*[gated() for _ in range(n)])
    rate = n / (time.perf_counter() - started)
    await asyncio.sleep(max(settle_seconds, ServerWork.PUBLISH_SECONDS))
    cpu = before.ms_per_case(CpuSnapshot.take(pids), n)
    work = ServerWork.per_case(requests, await server.requests(), n)
    return Sample(round(rate, 2), cpu, work)


async def measure_serial(runners: dict[str, Runner], runs: int) -> dict[str, float]:
    """Median latency of one case at a time, per configuration, measured in turns: one case of
    each, `runs` times, each turn starting with the next configuration. A 2-core machine shared
    with other work changes speed from one minute to the next (bare Temporal alone: 58 to 113 ms
    within one run, 2026-12-03); configurations measured one after another each met a different
    machine, and their ratio moved from 0.99x to 1.49x between runs. Taken in turns they meet the
    same one, and the median ignores the odd case that waited for something else."""
    latencies: dict[str, list[float]] = {name: [] for name in runners}
    for turn in range(runs):
        for name in _in_turn(list(runners), turn):
            started = time.perf_counter()
            await runners[name]()
            latencies[name].append((time.perf_counter() - started) * 1000)
    return {name: round(statistics.median(values), 1) for name, values in latencies.items()}


@asynccontextmanager
async def _bare(client: Client, k: int, local: bool = False) -> AsyncIterator[Runner]:
    """Bare Temporal's fan-out; `local`: with local activities (`BareLocalFanOut`)."""
    queue = f"bench-bare-{uuid.uuid4().hex[:6]}"
    fan_out = BareLocalFanOut if local else BareFanOut
    async with Worker(client, task_queue=queue, workflows=[fan_out], activities=[noop]):

        async def one() -> None:
            # Waited for by its id alone, as the engine's case is (intake starts it and answers
            # with the case): the server then looks up the current run, one read per case that
            # a wait with the run's id skips (`persistence_requests`, 2026-12-03).
            started = await client.start_workflow(fan_out.run, k, id=f"bare-{uuid.uuid4()}", task_queue=queue)
            await client.get_workflow_handle(started.id, result_type=int).result()

        yield one


@asynccontextmanager
async def _engine(client: Client, settings: Settings, agencies: AgencyPort | None) -> AsyncIterator[Runner]:
    settings = settings.model_copy(update={"task_queue": f"bench-engine-{uuid.uuid4().hex[:6]}"})
    mongo = connect(settings.mongodb_url)
    db = mongo[settings.mongodb_database]
    catalog = CatalogSource(settings.catalog_path)
    intake = CaseIntake(
        catalog,
        CaseStores.on(db, settings.vault_sealer()),
        client,
        settings.task_queue,
        pseudonyms=settings.pseudonyms(),
        profiles=ProfileStore(db, settings.vault_sealer()),
    )
    try:
        async with running_stack(settings, api=False, simulators=False, agencies=agencies):

            async def one() -> None:
                record, _ = await intake.trigger(f"bench-{uuid.uuid4().hex[:8]}", FAN_OUT_TYPE, {}, None)
                handle = client.get_workflow_handle(workflow_id(record.case_id), result_type=CaseState)
                state = await handle.result()
                if state.status.value != "completed":
                    raise RuntimeError(f"benchmark case {record.case_id} ended {state.status.value}")

            yield one
    finally:
        await mongo.close()


async def run_bench(
    settings: Settings,
    n: int,
    concurrency: int,
    k: int,
    rounds: int,
    settle_seconds: float,
) -> ThroughputRun:
    """Every configuration runs `rounds` times, interleaved, and reports its median: on a shared
    2-core machine one run of bare Temporal alone varies by ±15%, and by ±25% on 2026-12-03. A
    ratio is the median of each round's own (the engine's rate over bare Temporal's in the same
    round, a minute apart at most), not of medians that may come from a fast and a slow minute."""
    machine = Machine.here()  # the code measured is the code at the start
    home = Path(tempfile.mkdtemp(prefix="onestop-bench-"))
    servers = EmbeddedServers.scratch(home, fsync=settings.embedded_mongodb_fsync, metrics=True)
    try:
        await servers.wait_ready()
        if servers.temporal_metrics_url is None:
            raise RuntimeError("the benchmark's Temporal server was started without its metrics")
        server = ServerWork(servers.temporal_metrics_url)
        temporal, mongodb = (p.pid for p in servers.processes)
        pids = {"temporal": temporal, "mongodb": mongodb, "worker": os.getpid()}
        write_catalog(home / "catalog", settings.catalog_path, k)
        simulator_port = free_port()
        settings = settings.model_copy(
            update={
                "temporal_address": servers.temporal_address,
                "mongodb_url": servers.mongodb_url,
                "mongodb_database": "onestop_bench",
                "catalog_path": home / "catalog",
                "simulator_port": simulator_port,
                "agency_base_url": f"http://127.0.0.1:{simulator_port}",
            }
        )
        client = await connect_temporal(settings)  # the engine's payloads are encrypted, as in production
        plain = await Client.connect(servers.temporal_address, data_converter=pydantic_data_converter)
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(running_stack(settings, api=False, worker=False))
            runners = {
                "bare Temporal": await stack.enter_async_context(_bare(plain, k)),
                LOCAL_BARE: await stack.enter_async_context(_bare(plain, k, local=True)),
                ENGINE: await stack.enter_async_context(_engine(client, settings, InProcessAgencies())),
                "engine, HTTP sims": await stack.enter_async_context(_engine(client, settings, None)),
            }
            samples: dict[str, list[Sample]] = {name: [] for name in runners}
            stack.enter_context(startup_heap_frozen())  # as `onestop worker` runs (`startup_heap`)
            for round_ in range(rounds):
                for name in _in_turn(list(runners), round_):
                    samples[name].append(
                        await measure(runners[name], n, concurrency, pids, settle_seconds, server)
                    )
            # Last: the timers its cases leave would be charged to no run's CPU.
            serial = await measure_serial(runners, SERIAL_RUNS * rounds)
            rss = rss_mb(os.getpid())
        results = [_median(name, runs, serial[name]) for name, runs in samples.items()]
        bare = results[0]
        bare_rates = [sample.rate for sample in samples[bare.name]]
        return ThroughputRun(
            machine=machine,
            cases=n,
            concurrency=concurrency,
            fan_out=k,
            rounds=rounds,
            results=results,
            throughput_ratio={
                r.name: round(
                    statistics.median(
                        sample.rate / b for sample, b in zip(samples[r.name], bare_rates, strict=True)
                    ),
                    3,
                )
                for r in results[1:]
            },
            serial_ratio={r.name: round(r.serial_ms / bare.serial_ms, 3) for r in results[1:]},
            worker_rss_mb=round(rss, 1),
        )
    finally:
        servers.stop()
        shutil.rmtree(home, ignore_errors=True)


def _in_turn(names: list[str], round_: int) -> list[str]:
    """Round `round_`'s order: each round starts with the next configuration, so none is always
    measured first, when the machine has just settled, or last."""
    start = round_ % len(names)
    return names[start:] + names[:start]


def _median(name: str, runs: list[Sample], serial_ms: float) -> BenchResult:
    """A configuration's median throughput, CPU per process and server requests over its rounds."""
    processes = runs[0].cpu_ms_per_case
    return BenchResult(
        name=name,
        workflows_per_s=round(statistics.median(r.rate for r in runs), 2),
        serial_ms=serial_ms,
        cpu_ms_per_case={
            p: round(statistics.median(r.cpu_ms_per_case[p] for r in runs), 1) for p in processes
        },
        temporal_requests_per_case=round(statistics.median(r.temporal_requests_per_case for r in runs), 1),
    )


def report(run: ThroughputRun) -> str:
    """One line per configuration, then CPU per case per process, then the run as JSON."""
    lines = []
    for r in run.results:
        ratio = run.throughput_ratio.get(r.name, 1.0)
        serial = run.serial_ratio.get(r.name, 1.0)
        lines.append(
            f"{r.name:>20}: {r.workflows_per_s:6.1f} workflows/s ({ratio:.2f}x bare) at concurrency"
            f" {run.concurrency}; serial {r.serial_ms:5.0f} ms ({serial:.2f}x bare)"
        )
    for r in run.results:
        cpu = ", ".join(f"{p} {ms:.1f}" for p, ms in r.cpu_ms_per_case.items())
        lines.append(f"{r.name:>20}: CPU ms per case: {cpu}")
    for r in run.results:
        if r.temporal_requests_per_case is not None:
            lines.append(
                f"{r.name:>20}: Temporal persistence requests per case: {r.temporal_requests_per_case:.1f}"
            )
    local = run.throughput_ratio.get(LOCAL_BARE)
    if local and ENGINE in run.throughput_ratio:
        lines.append(
            f"{ENGINE:>20}: {run.throughput_ratio[ENGINE] / local:.2f}x the throughput of bare Temporal"
            " with local activities, as the engine's calls are"
        )
    lines.append(f"{'':>20}  worker RSS {run.worker_rss_mb:.0f} MB on {run.machine.cores} cores")
    lines.append(run.model_dump_json())
    return "\n".join(lines)
