"""`onestop replay` on real cases: the session's cases replay against the current code and a
replay-safe variant, and are flagged against a variant that would break them; the CLI, as a
separate process, reports it with its exit code."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Replayer, Worker

from onestop.replay_cli import table
from orchestrator.auth import Principal, Role, issue_token
from orchestrator.cases import CaseStatus
from orchestrator.contracts import LifeEventInput
from orchestrator.replay_check import ReplayCheck, ReplayOutcome, case_query
from orchestrator.settings import Settings
from orchestrator.temporal_client import data_converter, workflow_id
from orchestrator.worker import WORKFLOWS
from tests.conftest import new_citizen
from tests.engine_variants import CaseWithStepCount, ReorderedCase, TimerOnlyCase
from tests.support import MOVE, CaseWatcher
from tests.test_cli import run


@pytest.fixture(scope="module")
async def cases(stack: Settings, temporal: Client) -> AsyncIterator[dict[str, str]]:
    """One finished moving_house case and one waiting for the citizen: name -> case id."""
    citizen = new_citizen()

    def auth(role: str = "citizen", sub: str | None = None, agency: str | None = None) -> dict[str, str]:
        principal = Principal(role=Role(role), sub=sub or citizen, agency=agency)
        return {"Authorization": f"Bearer {issue_token(principal, stack.jwt_secret, 600, stack.token_rules)}"}

    base = f"http://{stack.api_host}:{stack.api_port}"
    async with (
        httpx.AsyncClient(base_url=base, timeout=30) as http,
        httpx.AsyncClient(base_url=stack.agency_base_url, timeout=30) as simulators,
    ):
        watcher = CaseWatcher(http, simulators, auth)
        found = {
            "completed": await watcher.start(citizen, "moving_house", MOVE),
            "waiting": await watcher.start(citizen, "moving_house", {**MOVE, "school_age_children": 1}),
        }
        await watcher.wait(citizen, found["completed"])
        await watcher.wait_step(citizen, found["waiting"], "transfer_school", "citizen")
    await _visible(temporal, case_query(status=CaseStatus.waiting, raw=only(found["waiting"])), 1)
    await _visible(temporal, case_query(status=CaseStatus.completed, raw=only(found["completed"])), 1)
    yield found


def only(*case_ids: str) -> str:
    """A raw query that scopes the check to this test's own cases."""
    return " OR ".join(f"WorkflowId = '{workflow_id(c)}'" for c in case_ids)


async def _visible(temporal: Client, query: str, count: int, within: float = 15) -> None:
    """Visibility follows a workflow's upserts a moment later."""
    deadline = time.monotonic() + within
    while (await temporal.count_workflows(query)).count != count:
        if time.monotonic() > deadline:
            raise AssertionError(f"visibility never showed {count} for {query}")
        await asyncio.sleep(0.1)


def check(temporal: Client, stack: Settings, *workflows: type) -> ReplayCheck:
    return ReplayCheck(temporal, list(workflows) or WORKFLOWS, data_converter(stack))


async def test_current_code_replays_every_case(
    cases: dict[str, str], temporal: Client, stack: Settings, tmp_path: Path
) -> None:
    report = await check(temporal, stack).run(case_query(raw=only(*cases.values())), 10, save=tmp_path)
    assert (report.checked, report.ok, report.incompatible) == (2, 2, 0) and report.compatible
    assert {r.workflow_id for r in report.results} == {workflow_id(c) for c in cases.values()}
    assert {r.execution_status for r in report.results} == {"COMPLETED", "RUNNING"}
    assert all(r.result is ReplayOutcome.ok and r.reason is None for r in report.results)
    saved = await asyncio.to_thread(_saved, tmp_path)
    assert {h.run_id for h in saved} == {r.run_id for r in report.results}
    replayer = Replayer(workflows=WORKFLOWS, data_converter=data_converter(stack))
    for history in saved:  # the saved files are histories the Replayer reads back
        await replayer.replay_workflow(history)


def _saved(folder: Path) -> list[WorkflowHistory]:
    return [WorkflowHistory.from_json(p.stem, p.read_text()) for p in sorted(folder.glob("*.json"))]


async def test_an_incompatible_variant_is_flagged(
    cases: dict[str, str], temporal: Client, stack: Settings
) -> None:
    report = await check(temporal, stack, ReorderedCase).run(case_query(raw=only(*cases.values())), 10)
    assert (report.checked, report.ok, report.incompatible) == (2, 0, 2) and not report.compatible
    for result in report.results:
        assert result.result is ReplayOutcome.incompatible
        assert result.reason is not None and "\n" not in result.reason
        assert result.reason.startswith("[TMPRL1100] Nondeterminism error: "), result.reason
    lines = table(report)
    assert lines[-1] == "2 replayed: 0 ok, 2 incompatible (incompatible: do not deploy)"
    assert any(workflow_id(cases["completed"]) in line and "Nondeterminism error" in line for line in lines)


async def test_a_compatible_variant_is_accepted(
    cases: dict[str, str], temporal: Client, stack: Settings
) -> None:
    report = await check(temporal, stack, CaseWithStepCount).run(case_query(raw=only(*cases.values())), 10)
    assert (report.checked, report.ok, report.incompatible) == (2, 2, 0)


async def test_search_attributes_and_limit_narrow_the_cases(
    cases: dict[str, str], temporal: Client, stack: Settings
) -> None:
    mine = only(*cases.values())
    waiting = await check(temporal, stack).run(case_query("moving_house", CaseStatus.waiting, mine), 10)
    assert [r.workflow_id for r in waiting.results] == [workflow_id(cases["waiting"])]
    other_type = await check(temporal, stack).run(case_query("marriage", raw=mine), 10)
    assert other_type.checked == 0 and table(other_type)[0].startswith("no case workflow matches: ")
    assert (await check(temporal, stack).run(case_query(raw=mine), 1)).checked == 1


def test_a_type_cannot_change_the_query() -> None:
    with pytest.raises(ValueError, match="not a life-event type"):
        case_query("x' OR WorkflowType = 'Other")


def _at(stack: Settings) -> dict[str, str]:
    """The CLI's environment: the session's Temporal and its payload keys."""
    return {
        "ONESTOP_TEMPORAL_ADDRESS": stack.temporal_address,
        "ONESTOP_PAYLOAD_KEYS": json.dumps(stack.payload_keys),
        "ONESTOP_PAYLOAD_KEY_ID": stack.payload_key_id,
    }


async def test_the_cli_replays_and_exits_0(cases: dict[str, str], stack: Settings, tmp_path: Path) -> None:
    args = ("replay", "--type", "moving_house", "--query", only(*cases.values()))
    result = await asyncio.to_thread(run, *args, home=tmp_path, extra=_at(stack))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["WORKFLOW", "ID", "TYPE", "RESULT", "REASON"]
    assert lines[-1] == "2 replayed: 2 ok, 0 incompatible (compatible)"
    assert sum(line.split()[1:3] == ["LifeEventCase", "ok"] for line in lines) == 2
    as_json = await asyncio.to_thread(run, *args, "--json", home=tmp_path, extra=_at(stack))
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)["ok"] == 2


@pytest.mark.parametrize(
    ("args", "address", "says"),
    [
        (["--limit", "0"], True, "Invalid value for '--limit'"),
        ([], False, "set ONESTOP_TEMPORAL_ADDRESS"),
        (["--type", "moving house"], True, "is not a life-event type"),
        (["--status", "stuck"], True, "Invalid value for '--status'"),
        (["--query", "WorkflowId = "], True, "refused the query"),
    ],
    ids=["limit-0", "no-address", "bad-type", "bad-status", "bad-query"],
)
async def test_a_user_error_is_one_line_and_exit_2(
    stack: Settings, tmp_path: Path, args: list[str], address: bool, says: str
) -> None:
    extra = _at(stack) if address else {}
    result = await asyncio.to_thread(run, "replay", *args, home=tmp_path, extra=extra)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert says in result.stderr and "Traceback" not in result.stderr


async def test_the_cli_exits_1_when_a_case_would_break(
    cases: dict[str, str], temporal: Client, stack: Settings, tmp_path: Path
) -> None:
    """A case recorded by another engine under the name `LifeEventCase` (as by an older release):
    the current code cannot carry it on, and the CLI says so with exit 1."""
    started = (await temporal.get_workflow_handle(workflow_id(cases["completed"])).fetch_history()).events[0]
    payloads = started.workflow_execution_started_event_attributes.input.payloads
    [case_input] = await data_converter(stack).decode(payloads, [LifeEventInput])
    queue = f"older-release-{uuid.uuid4().hex[:8]}"
    async with Worker(temporal, task_queue=queue, workflows=[TimerOnlyCase]):
        older = await temporal.start_workflow(
            TimerOnlyCase.run, case_input, id=f"case-older-{uuid.uuid4()}", task_queue=queue
        )
        await older.result()
    mine = f"WorkflowId = '{older.id}'"
    await _visible(temporal, f"{mine} AND ExecutionStatus = 'Completed'", 1)
    result = await asyncio.to_thread(run, "replay", "--query", mine, home=tmp_path, extra=_at(stack))
    assert result.returncode == 1, result.stdout + result.stderr
    _, row, totals = result.stdout.splitlines()
    assert row.split()[:3] == [older.id, "LifeEventCase", "incompatible"]
    assert "[TMPRL1100] Nondeterminism error: " in row
    assert totals == "1 replayed: 0 ok, 1 incompatible (incompatible: do not deploy)"
    assert result.stderr == ""
