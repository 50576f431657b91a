"""`onestop chaos`: run life events through a fresh stack of real processes while one fault at
a time is injected, then check that nothing was lost, duplicated or left inconsistent.

Each scenario (`onestop/chaos_scenarios.py`) gets its own stack (`chaos_stack.py`), its own
citizens (`chaos_load.py`) and the same checks (`chaos_observe.py`, `chaos_check.py`); the
output is one table, and the exit status is 1 when any scenario failed. Every wait has a
deadline that grows with `--cases`; everything listens on loopback only.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Annotated

import httpx
import typer

from onestop.chaos_check import Contract, Report, judge, table
from onestop.chaos_load import LIFE_EVENT, MOVE, Citizens
from onestop.chaos_observe import Observer
from onestop.chaos_scenarios import SCENARIOS, Scenario
from onestop.chaos_stack import ChaosStack
from orchestrator.catalog import CatalogSource
from orchestrator.logs import configure_logging
from orchestrator.temporal_client import connect_temporal

Out = Callable[[str], None]

REPORTS_PER_SECOND = 10.0
CHECK_SECONDS = 30.0  # for the read model to agree with Temporal once cases rest


def budget_seconds(cases: int) -> float:
    """How long a scenario may take to report and settle its cases (2 cores, shared)."""
    return 90.0 + 1.5 * cases


async def run_scenario(scenario: Scenario, cases: int, keep: Path | None) -> Report:
    deadline = time.monotonic() + budget_seconds(cases)
    async with ChaosStack(workers=scenario.workers, keep=keep) as stack:
        settings = stack.settings
        catalog = CatalogSource(settings.catalog_path)
        contract = Contract(catalog.current().get(LIFE_EVENT), catalog.directory(), MOVE)
        base = f"http://{settings.api_host}:{settings.api_port}"
        async with (
            httpx.AsyncClient(base_url=base, timeout=30) as api,
            httpx.AsyncClient(base_url=settings.agency_base_url, timeout=30) as agencies,
        ):
            citizens = Citizens(settings, api, deadline)
            await asyncio.gather(
                citizens.good(scenario.name, cases, REPORTS_PER_SECOND),
                scenario.fault(stack, citizens, cases),
            )
            temporal = await connect_temporal(settings)
            observer = Observer(settings, api, agencies, temporal)
            accepted = citizens.tally.accepted
            await observer.settle(accepted, deadline)
            facts = await observer.facts(accepted, time.monotonic() + CHECK_SECONDS)
            records = await observer.records(sorted({s.agency for s in contract.definition.steps}))
    return judge(scenario.name, scenario.expectation, citizens.tally, facts, records, contract)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def register(app: typer.Typer, out: Out) -> None:
    """Add `chaos` to the CLI."""

    @app.command()
    def chaos(
        cases: Annotated[int, typer.Option(min=1, max=1000, help="cases per scenario")] = 100,
        scenario: Annotated[
            list[str] | None,
            typer.Option(help=f"repeatable; default all: {', '.join(SCENARIOS)}"),
        ] = None,
        keep: Annotated[
            Path | None, typer.Option(help="keep each scenario's data and logs under this folder")
        ] = None,
    ) -> None:
        """Inject faults into fresh stacks of real processes and check every case afterwards:
        none lost, no duplicate agency effect, read model equal to Temporal, no 5xx but 503.

        Example: onestop chaos --cases 20 --scenario worker-kill --scenario mongo-restart
        """
        names = scenario or list(SCENARIOS)
        if unknown := [n for n in names if n not in SCENARIOS]:
            raise typer.BadParameter(
                f"no scenario {', '.join(unknown)}: choose from {', '.join(SCENARIOS)}",
                param_hint="--scenario",
            )
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
        configure_logging("WARNING")  # the table is the output; the stack's logs are in its files
        signal.signal(signal.SIGTERM, _interrupt)  # stop every process we started, as on Ctrl-C
        reports = []
        for name in names:
            started = time.monotonic()
            out(f"{name}: {SCENARIOS[name].what} ({cases} cases)")
            report = asyncio.run(run_scenario(SCENARIOS[name], cases, keep))
            reports.append(report)
            out(f"{name}: {'ok' if report.ok else 'FAILED'} in {time.monotonic() - started:.0f}s")
            for problem in report.problems[:10]:
                out(f"    {problem}")
            if len(report.problems) > 10:
                out(f"    … and {len(report.problems) - 10} more")
        out(table(reports))
        if not all(r.ok for r in reports):
            raise typer.Exit(1)
