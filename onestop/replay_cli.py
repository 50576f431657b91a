"""`onestop replay`: the pre-deploy check that the workflow code in this checkout still replays
the cases Temporal holds. Exit 0 when every one replays, 1 when any is incompatible (or Temporal
fails), 2 for what the user typed."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from temporalio.service import RPCError, RPCStatusCode

from orchestrator.cases import CaseStatus
from orchestrator.errors import Unavailable
from orchestrator.replay_check import ReplayCheck, ReplayOutcome, ReplayReport, case_query, quiet_runtime
from orchestrator.settings import Settings
from orchestrator.temporal_client import connect_temporal, data_converter
from orchestrator.worker import WORKFLOWS

Out = Callable[[str], None]


def register(app: typer.Typer, settings: Callable[[], Settings], out: Out) -> None:
    """Add `replay` to the CLI."""

    @app.command()
    def replay(
        type_: Annotated[str | None, typer.Option("--type", help="only cases of this life event")] = None,
        status: Annotated[CaseStatus | None, typer.Option(help="only cases with this OneStop status")] = None,
        query: Annotated[
            str | None, typer.Option(help="a Temporal visibility query ANDed to the others")
        ] = None,
        limit: Annotated[int, typer.Option(min=1, max=10000, help="at most this many, newest first")] = 100,
        save: Annotated[
            Path | None, typer.Option(help="also write each history there as JSON (payloads encrypted)")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="the report as JSON")] = False,
    ) -> None:
        """Replay the histories of matching cases against this checkout's workflow code, before a
        deploy: exit 1 naming each case the new code could not carry on.

        Example: ONESTOP_TEMPORAL_ADDRESS=temporal:7233 onestop replay --status waiting --limit 500
        """
        current = settings()
        if not current.temporal_address:  # never guess: a local server is not the cluster meant
            raise typer.BadParameter("set ONESTOP_TEMPORAL_ADDRESS to the Temporal whose cases to replay")
        try:
            visibility = case_query(type_, status, query)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--type") from None
        if save is not None and save.exists() and not save.is_dir():
            raise typer.BadParameter(f"{save} is a file: name a folder", param_hint="--save")
        try:
            report = asyncio.run(_check(current, visibility, limit, save))
        except RPCError as exc:
            where = f"Temporal at {current.temporal_address}"
            if exc.status == RPCStatusCode.INVALID_ARGUMENT:  # a query the server cannot parse
                sys.stderr.write(f"error: {where} refused the query: {exc.message}: correct --query\n")
                raise typer.Exit(2) from None
            sys.stderr.write(f"error: {where} refused ({exc.status.name}): {exc.message}\n")
            raise typer.Exit(1) from None
        if as_json:
            out(report.model_dump_json(indent=2))
        else:
            for line in table(report):
                out(line)
        if not report.compatible:
            raise typer.Exit(1)


async def _check(settings: Settings, query: str, limit: int, save: Path | None) -> ReplayReport:
    try:
        client = await connect_temporal(settings)
    except RuntimeError as exc:  # the SDK's "Failed client connect", with the cause inside
        raise Unavailable(f"cannot reach Temporal at {settings.temporal_address}: {exc}") from None
    check = ReplayCheck(client, WORKFLOWS, data_converter(settings), quiet_runtime())
    return await check.run(query, limit, save)


def table(report: ReplayReport) -> list[str]:
    """One line per execution (workflow id, type, result, reason), then the totals."""
    rows = [("WORKFLOW ID", "TYPE", "RESULT", "REASON")]
    rows += [(r.workflow_id, r.workflow_type, r.result.value, r.reason or "") for r in report.results]
    id_width = max(len(row[0]) for row in rows)
    type_width = max(len(row[1]) for row in rows)
    lines = [
        f"{wid:<{id_width}}  {wtype:<{type_width}}  {result:<12}  {reason}".rstrip()
        for wid, wtype, result, reason in rows
    ]
    if not report.results:
        lines = [f"no case workflow matches: {report.query}"]
    verdict = "compatible" if report.compatible else f"{ReplayOutcome.incompatible.value}: do not deploy"
    lines.append(f"{report.checked} replayed: {report.ok} ok, {report.incompatible} incompatible ({verdict})")
    return lines
