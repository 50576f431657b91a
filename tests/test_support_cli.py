"""Support's CLI verbs on real stuck cases (the simulators' failure injection): `onestop cases
skip|resolve|compensate|pause|resume|reset` act through the API, so each reaches the outcome the
API's would and leaves its audit record (who, role, what, case, step, reason, outcome)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from orchestrator.settings import Settings
from tests.support import IMPATIENT_MOVE, MOVE, CaseWatcher, add_definition, audited, step
from tests.test_cli import run
from tests.test_support_actions_e2e import DATA, SKIPPABLE_MOVE
from tests.test_support_api import AGENCY, STEP, _held


async def _cli(stack: Settings, home: Path, *args: str) -> str:
    where = {"ONESTOP_API_PORT": str(stack.api_port), "ONESTOP_JWT_SECRET": stack.jwt_secret}
    result = await asyncio.to_thread(run, "cases", *args, home=home, extra=where)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


async def test_skip_and_resolve_from_the_cli(
    stack: Settings, watcher: CaseWatcher, citizen: str, tmp_path: Path
) -> None:
    add_definition(stack.catalog_path, "skippable_move", SKIPPABLE_MOVE)
    await watcher.fault(agency=AGENCY, subject=citizen, kind="error", code="registry_down")
    skippable = await watcher.start(citizen, "skippable_move", DATA)
    await watcher.wait(citizen, skippable, {"needs_attention"})
    out = await _cli(
        stack, tmp_path, "skip", skippable, STEP, "--reason", "registered_elsewhere", "--by", "ana"
    )
    assert out.startswith(f"skip: case {skippable} is ")
    case = await watcher.wait(citizen, skippable)
    assert case["status"] == "completed" and step(case, STEP)["status"] == "skipped"
    assert audited(await watcher.audit_trail(skippable), "skip_step") == (
        "ana", "support", "skip_step", skippable, STEP, "registered_elsewhere", "accepted",
    )  # fmt: skip

    resolvable = await _held(stack, watcher, citizen)
    await _cli(stack, tmp_path, "resolve", resolvable, STEP, "--reason", "registered_by_phone", "--by", "ana")
    case = await watcher.wait(citizen, resolvable)
    assert (case["status"], step(case, STEP)["reference"]) == ("completed", "resolved_by_support")
    assert audited(await watcher.audit_trail(resolvable), "resolve_step") == (
        "ana", "support", "resolve_step", resolvable, STEP, "registered_by_phone", "accepted",
    )  # fmt: skip
    await watcher.clear_faults()
    assert await watcher.records(AGENCY, resolvable) == []


async def test_compensate_from_the_cli(
    stack: Settings, watcher: CaseWatcher, citizen: str, tmp_path: Path
) -> None:
    case_id = await _held(stack, watcher, citizen)
    await watcher.clear_faults()  # the outage may have hidden a registration: its undo must reach it
    out = await _cli(stack, tmp_path, "compensate", case_id, "--reason", "duplicate_case", "--by", "bea")
    assert out.startswith(f"compensate: case {case_id} is ")
    assert (await watcher.wait(citizen, case_id))["status"] == "compensated"
    assert audited(await watcher.audit_trail(case_id), "compensate") == (
        "bea", "support", "compensate", case_id, None, "duplicate_case", "accepted",
    )  # fmt: skip


async def test_pause_and_resume_from_the_cli(
    stack: Settings, watcher: CaseWatcher, citizen: str, tmp_path: Path
) -> None:
    await watcher.fault(agency="tax_office", subject=citizen, kind="error", code="tax_down")
    case_id = await watcher.start(citizen, "moving_house", MOVE)
    await watcher.wait_step(citizen, case_id, "update_tax", "agency")
    await _cli(stack, tmp_path, "pause", case_id, "update_tax", "--reason", "known_outage", "--by", "cai")
    assert step(await watcher.case(citizen, case_id), "update_tax")["paused"] is True
    await watcher.clear_faults()
    await _cli(stack, tmp_path, "resume", case_id, "update_tax", "--reason", "outage_over", "--by", "cai")
    assert (await watcher.wait(citizen, case_id))["status"] == "completed"
    trail = await watcher.audit_trail(case_id)
    assert audited(trail, "pause_step") == (
        "cai", "support", "pause_step", case_id, "update_tax", "known_outage", "accepted",
    )  # fmt: skip
    assert audited(trail, "resume_step") == (
        "cai", "support", "resume_step", case_id, "update_tax", "outage_over", "accepted",
    )  # fmt: skip


async def test_reset_from_the_cli(
    stack: Settings, watcher: CaseWatcher, citizen: str, tmp_path: Path
) -> None:
    """A rejection rolled the case back; once the agency accepts again, a reset re-runs it."""
    add_definition(stack.catalog_path, "impatient_move", IMPATIENT_MOVE)
    await watcher.fault(agency=AGENCY, subject=citizen, kind="reject", code="bad_address_format", times=1)
    case_id = await watcher.start(citizen, "impatient_move", DATA)
    assert (await watcher.wait(citizen, case_id))["status"] == "compensated"
    await _cli(stack, tmp_path, "reset", case_id, STEP, "--reason", "address_parser_fixed", "--by", "dan")
    case = await watcher.wait(citizen, case_id, {"completed"})
    assert step(case, STEP)["status"] == "succeeded"
    assert audited(await watcher.audit_trail(case_id), "reset") == (
        "dan", "support", "reset", case_id, STEP, "address_parser_fixed", "accepted",
    )  # fmt: skip
