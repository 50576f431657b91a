"""The audit trail: one chain whatever the number of concurrent writers, and `onestop audit verify`
names the first record edited or removed directly in MongoDB. Support's CLI commands act through
the API, so they are authorised and audited like the console."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pymongo import AsyncMongoClient

from orchestrator.audit_log import AuditLog
from orchestrator.mongo import Document
from orchestrator.settings import Settings
from tests.support import IMPATIENT_MOVE, CaseWatcher, add_definition
from tests.test_cli import run


@pytest.fixture
async def scratch_db(stack: Settings) -> AsyncIterator[tuple[str, AsyncMongoClient[Document]]]:
    """An audit trail of its own, so tampering with it cannot break the session's."""
    name = f"audit_{uuid.uuid4().hex[:8]}"
    mongo: AsyncMongoClient[Document] = AsyncMongoClient(stack.mongodb_url, tz_aware=True)
    try:
        yield name, mongo
    finally:
        await mongo.drop_database(name)
        await mongo.close()


def _verify(stack: Settings, home: Path, database: str) -> tuple[int, str]:
    result = run(
        "audit",
        "verify",
        home=home,
        extra={"ONESTOP_MONGODB_URL": stack.mongodb_url, "ONESTOP_MONGODB_DATABASE": database},
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, result.stdout.strip()


async def test_concurrent_appends_make_one_chain_and_an_edit_is_found(
    stack: Settings, scratch_db: tuple[str, AsyncMongoClient[Document]], tmp_path: Path
) -> None:
    name, mongo = scratch_db
    audit = AuditLog(mongo[name])
    await asyncio.gather(
        *(
            audit.append(
                subject=f"agent-{i}", role="support", action="retry_step", case_id="c", outcome="accepted"
            )
            for i in range(20)
        )
    )
    assert (await audit.verify()).model_dump() == {"checked": 20, "broken_at": None, "problem": None}
    assert _verify(stack, tmp_path, name) == (0, "intact: 20 record(s)")

    await mongo[name].audit.update_one({"_id": 7}, {"$set": {"outcome": "refused"}})
    code, out = _verify(stack, tmp_path, name)
    assert code == 1 and out.startswith("broken at record 7: its content does not match its hash"), out


async def test_a_removed_record_is_found(
    stack: Settings, scratch_db: tuple[str, AsyncMongoClient[Document]], tmp_path: Path
) -> None:
    name, mongo = scratch_db
    audit = AuditLog(mongo[name])
    for i in range(5):
        await audit.append(subject="agent", role="support", action=f"a{i}", outcome="accepted")
    await mongo[name].audit.delete_one({"_id": 3})
    code, out = _verify(stack, tmp_path, name)
    assert code == 1 and out.startswith("broken at record 3: record 3 is missing"), out


async def test_support_cli_finds_a_stuck_case_and_retries_it(
    stack: Settings, watcher: CaseWatcher, citizen: str, tmp_path: Path
) -> None:
    add_definition(stack.catalog_path, "impatient_move", IMPATIENT_MOVE)
    await watcher.fault(agency="residence_registry", subject=citizen, kind="error", code="cli_outage")
    case_id = await watcher.start(citizen, "impatient_move", {"citizen_name": "Ana", "new_address": "1 Rua"})
    await watcher.wait(citizen, case_id, {"needs_attention"})
    where = {
        "ONESTOP_API_PORT": str(stack.api_port),
        "ONESTOP_JWT_SECRET": stack.jwt_secret,
    }
    stuck = await asyncio.to_thread(
        run, "cases", "stuck", "--error", "cli_outage", "--by", "agent-cli", home=tmp_path, extra=where
    )
    assert stuck.returncode == 0, stuck.stderr
    assert case_id in stuck.stdout and "needs_attention register_residence" in stuck.stdout
    dry = await asyncio.to_thread(
        run,
        "cases",
        "bulk",
        "retry",
        "--error",
        "cli_outage",
        "--reason",
        "fixed",
        home=tmp_path,
        extra=where,
    )
    assert (
        dry.returncode == 0
        and "planned" in dry.stdout
        and dry.stdout.strip().splitlines()[-1].startswith("dry run")
    )
    await watcher.clear_faults()
    retried = await asyncio.to_thread(
        run,
        "cases",
        "retry",
        case_id,
        "register_residence",
        "--reason",
        "agency_recovered",
        "--by",
        "agent-cli",
        home=tmp_path,
        extra=where,
    )
    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert (await watcher.wait(citizen, case_id))["status"] == "completed"
    refused = await asyncio.to_thread(
        run, "cases", "retry", case_id, "register_residence", "--reason", "again", home=tmp_path, extra=where
    )
    assert refused.returncode == 1 and '"detail"' in refused.stdout
    missing = await asyncio.to_thread(run, "cases", "retry", case_id, home=tmp_path, extra=where)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
