"""Designers' commands on the running API's catalog: `onestop catalog try` (a dry run on sample
data) and `onestop catalog diff` (what changed between two versions of a life event, and the
open cases pinned to each). Both ask the API, so they judge the catalog that cases start with.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Annotated, Any

import httpx
import typer

from onestop.diff_text import diff_lines
from onestop.plan_text import plan_lines
from onestop.user_errors import refused
from orchestrator.auth import Principal, Role
from orchestrator.definition_diff import VersionsDiff
from orchestrator.dry_run_plan import Plan

Out = Callable[[str], None]
ClientFor = Callable[[Principal], httpx.Client]
_DESIGNER = Principal(sub="cli-designer", role=Role.designer)
_DATA_FIX = (
    """give the sample data as one JSON object in single quotes, e.g. --data '{"owns_vehicle": true}'"""
)
_OUTCOMES = ("failed", "skipped")


def register(catalog_app: typer.Typer, client_for: ClientFor, out: Out) -> None:
    """Add `try` and `diff` to the CLI's `catalog` group."""

    def answer(response: httpx.Response, fix: str) -> Any:
        if response.is_error:
            line, code = refused(response, fix)
            sys.stderr.write(f"error: {line}\n")
            raise typer.Exit(code)
        return response.json()

    @catalog_app.command("try")
    def catalog_try(
        type_: Annotated[str, typer.Argument(metavar="TYPE", help="life event type, e.g. moving_house")],
        data: Annotated[str, typer.Option(help="sample data as JSON, as a trigger would send it")],
        step_outcome: Annotated[
            list[str] | None,
            typer.Option(help="STEP=failed or STEP=skipped: the plan if that step fails (repeatable)"),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="print the whole plan as JSON")] = False,
        as_mermaid: Annotated[bool, typer.Option("--mermaid", help="print only the plan's diagram")] = False,
    ) -> None:
        """Dry-run a life event of the running catalog on sample data, calling no agency: the waves
        of steps, what each agency would receive, the skips and why, the citizen's questions.

        Example: onestop catalog try moving_house --data '{"citizen_name": "Ana Lima",
        "new_address": "12 Rua das Flores", "move_date": "2026-12-01", "owns_vehicle": true}'
        --step-outcome update_tax=failed
        """
        body = {"data": _object(data), "step_outcomes": _outcomes(step_outcome or [])}
        with client_for(_DESIGNER) as client:
            found = answer(
                client.post(f"/v1/catalog/{type_}:try", json=body), "correct TYPE, --data or --step-outcome"
            )
        plan = Plan.model_validate(found)
        if as_json:
            out(json.dumps(found, indent=2))
        elif as_mermaid:
            out(plan.mermaid.rstrip("\n"))
        else:
            for line in plan_lines(plan):
                out(line)

    @catalog_app.command("diff")
    def catalog_diff(
        type_: Annotated[str, typer.Argument(metavar="TYPE", help="life event type, e.g. moving_house")],
        from_: Annotated[
            str | None, typer.Option("--from", help="version number or digest (default: the second newest)")
        ] = None,
        to: Annotated[str | None, typer.Option(help="version number or digest (default: the newest)")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="print the diff as JSON")] = False,
    ) -> None:
        """What changed between two versions of a life event (steps, inputs, agencies, fields each
        agency receives), and how many open cases are pinned to each version.

        Example: onestop catalog diff moving_house --from 1 --to 2
        """
        params = {k: v for k, v in (("from", from_), ("to", to)) if v is not None}
        with client_for(_DESIGNER) as client:
            found = answer(
                client.get(f"/v1/catalog/{type_}/diff", params=params), "correct TYPE, --from or --to"
            )
        if as_json:
            out(json.dumps(found, indent=2))
            return
        for line in diff_lines(VersionsDiff.model_validate(found)):
            out(line)


def _object(data: str) -> dict[str, Any]:
    try:
        payload = json.loads(data)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"not JSON: {exc}: {_DATA_FIX}", param_hint="--data") from None
    if not isinstance(payload, dict):
        raise typer.BadParameter(f"not a JSON object: {_DATA_FIX}", param_hint="--data")
    return payload


def _outcomes(given: list[str]) -> dict[str, str]:
    outcomes: dict[str, str] = {}
    for item in given:
        step, _, outcome = item.partition("=")
        if not step or outcome not in _OUTCOMES:
            raise typer.BadParameter(
                f"{item!r}: write STEP=failed or STEP=skipped, e.g. --step-outcome update_tax=failed",
                param_hint="--step-outcome",
            )
        outcomes[step] = outcome
    return outcomes
