"""An agency's own worker, built with the SDK, in a process of its own on its own task queue: the
case waits for it while nobody serves that queue, it receives exactly its declared fields through
the data exchange, the history holds none of them, and each share is one data-use record."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient
from temporalio.client import Client

from orchestrator.mongo import Document
from orchestrator.settings import Settings
from orchestrator.temporal_client import workflow_id
from tests.conftest import TokenFactory
from tests.support import CaseWatcher, add_agency, add_definition, step, until_loaded
from tests.test_privacy import history_text, session_codec

ONESTOP = str(Path(sys.executable).parent / "onestop")
ROOT = Path(__file__).resolve().parent.parent
PERMIT = """\
type: parking_permit
version: 1
title: A residents' parking permit after a move
inputs:
  - {name: citizen_name, type: string}
  - {name: new_address, type: string}
  - {name: move_date, type: date, required: false}
steps:
  - id: register_residence
    agency: residence_registry
    action: register_address
    compensation: cancel_address_registration
    inputs: [citizen_name, new_address, move_date]
  - id: permit
    agency: permit_office
    action: issue_permit
    compensation: revoke_permit
    depends_on: [register_residence]
    inputs: [citizen_name, new_address]
    outputs: [zone]
"""
DATA = {"citizen_name": "Rosa Tamm", "new_address": "3 Pikk tänav, Tallinn", "move_date": "2019-03-07"}


PERMIT_OFFICE = {
    "title": "Parking permit office",
    "hosting": "agency",
    "task_queue": f"permit-office-{uuid.uuid4().hex[:8]}",
    "actions": {
        "issue_permit": {
            "title": "Issue a residents' parking permit",
            "accepts": ["citizen_name", "new_address"],
            "returns": ["zone"],
        },
        "revoke_permit": {"title": "Revoke a parking permit"},
    },
}


@pytest.fixture
async def permit_office(stack: Settings, http: httpx.AsyncClient, auth: TokenFactory) -> None:
    """The permit office joins the session's directory as an agency with its own worker."""
    add_agency(stack.catalog_path, "permit_office", PERMIT_OFFICE)
    add_definition(stack.catalog_path, "parking_permit", PERMIT)
    await until_loaded(http, auth("designer", "d"), "parking_permit")


@contextlib.asynccontextmanager
async def agency_process(
    stack: Settings, log: Path, *options: str, env: dict[str, str] | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    """The permit office's worker as the agency runs it; `options` and `env` add to or replace the
    command's options and environment."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PERMIT_OFFICE_LOG": str(log),
        "ONESTOP_ENVIRONMENT": "test",
        "ONESTOP_HOME": str(stack.home),
        "ONESTOP_TEMPORAL_ADDRESS": stack.temporal_address,
        "ONESTOP_CATALOG_PATH": str(stack.catalog_path),
        "ONESTOP_API_URL": f"http://{stack.api_host}:{stack.api_port}",
        "ONESTOP_JWT_SECRET": stack.jwt_secret,
        "ONESTOP_PAYLOAD_KEYS": json.dumps(stack.payload_keys),
        "ONESTOP_PAYLOAD_KEY_ID": stack.payload_key_id,
        "ONESTOP_LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    process = await asyncio.create_subprocess_exec(
        ONESTOP,
        "worker",
        "--agency",
        "permit_office",
        "--app",
        "tests.sdk_agency:permits",
        *options,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    try:
        lines: list[str] = []
        while not lines or "ready" not in lines[-1]:
            line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
            assert line, "the agency worker exited: " + "".join(lines)
            lines.append(line.decode())
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        await asyncio.wait_for(process.wait(), timeout=30)


async def data_uses(stack: Settings, case_id: str) -> list[Document]:
    mongo: AsyncMongoClient[Document] = AsyncMongoClient(stack.mongodb_url, tz_aware=True)
    try:
        db = mongo[stack.mongodb_database]
        return [d async for d in db.data_uses.find({"case_id": case_id}).sort("at")]
    finally:
        await mongo.close()


async def test_an_agency_worker_of_its_own_receives_exactly_its_fields_through_the_exchange(
    stack: Settings,
    permit_office: None,
    watcher: CaseWatcher,
    citizen: str,
    temporal: Client,
    tmp_path: Path,
) -> None:
    case_id = await watcher.start(citizen, "parking_permit", DATA)
    # Nobody serves the permit office's queue yet: the main worker leaves it to the agency.
    deadline = time.monotonic() + 30
    while (
        step(waiting := await watcher.case(citizen, case_id), "register_residence")["status"] != "succeeded"
    ):
        assert time.monotonic() < deadline, waiting
        await asyncio.sleep(0.1)
    await asyncio.sleep(1)  # time for the main worker to take the permit, were it to
    waiting = await watcher.case(citizen, case_id)
    assert step(waiting, "permit")["status"] in {"pending", "running"}
    assert waiting["status"] == "running"

    log = tmp_path / "permit_office.jsonl"
    async with agency_process(stack, log):
        case = await watcher.wait(citizen, case_id)
    assert case["status"] == "completed", case
    assert step(case, "permit")["reference"].startswith("PRM-")

    received = [json.loads(line) for line in log.read_text().splitlines()]
    assert received == [
        {
            "key": f"{case_id}:permit",
            "subject": citizen,
            "fields": {"citizen_name": DATA["citizen_name"], "new_address": DATA["new_address"]},
        }
    ]
    history = await temporal.get_workflow_handle(workflow_id(case_id)).fetch_history()
    decoded = history_text(json.dumps(history.to_json_dict()), session_codec(stack))
    for value in DATA.values():
        assert value not in decoded
    assert citizen not in decoded

    uses = await data_uses(stack, case_id)
    by_step: dict[str, Any] = {u["step_id"]: u for u in uses}
    assert len(uses) == 2, uses
    assert by_step["permit"]["channel"] == "exchange"
    assert by_step["permit"]["fields"] == ["citizen_name", "new_address"]
    assert by_step["permit"]["agency_title"] == "Parking permit office"
    assert by_step["permit"]["purpose"] == "Issue a residents' parking permit"
    assert by_step["register_residence"]["channel"] == "connector"
    assert by_step["register_residence"]["fields"] == ["citizen_name", "move_date", "new_address"]
    assert all("Rosa" not in json.dumps(u, default=str) for u in uses)  # names, never values


CONSENTED_PERMIT = PERMIT.replace("type: parking_permit", "type: consented_permit").replace(
    "    outputs: [zone]\n",
    "    outputs: [zone]\n    legal_basis: {basis: consent, purpose: Issue your parking permit}\n",
)


async def test_an_agency_worker_gets_a_share_by_consent_only_after_the_citizen_consents(
    stack: Settings, permit_office: None, watcher: CaseWatcher, citizen: str, tmp_path: Path
) -> None:
    """The exchange refuses the fetch (403 consent-missing), the SDK says so, and the workflow
    asks the citizen; once they consent, the next attempt's fetch is released."""
    assert "basis: consent" in CONSENTED_PERMIT
    add_definition(stack.catalog_path, "consented_permit", CONSENTED_PERMIT)
    await until_loaded(watcher.http, watcher.auth("designer", "d"), "consented_permit")
    log = tmp_path / "permit_office.jsonl"
    async with agency_process(stack, log):
        case_id = await watcher.start(citizen, "consented_permit", DATA)
        asked = await watcher.wait_step(citizen, case_id, "permit", "citizen", within=60)
        assert asked["consent"]["agency_title"] == "Parking permit office", asked
        assert not log.exists() or log.read_text() == ""  # the agency received nothing yet
        answered = await watcher.http.post(
            f"/v1/cases/{case_id}/steps/permit/consent",
            json={"given": True},
            headers=watcher.auth("citizen", citizen),
        )
        assert answered.status_code == 200, answered.text
        case = await watcher.wait(citizen, case_id)
    assert case["status"] == "completed", case
    [received] = [json.loads(line) for line in log.read_text().splitlines()]
    assert received["fields"] == {"citizen_name": DATA["citizen_name"], "new_address": DATA["new_address"]}
    uses = {u["step_id"]: u for u in await data_uses(stack, case_id)}
    assert (uses["permit"]["channel"], uses["permit"]["legal_basis"]) == ("exchange", "consent")


async def test_a_fetch_outside_the_bounds_is_refused_and_recorded(
    stack: Settings,
    permit_office: None,
    watcher: CaseWatcher,
    citizen: str,
    http: httpx.AsyncClient,
    auth: TokenFactory,
) -> None:
    case_id = await watcher.start(citizen, "parking_permit", DATA)
    await watcher.wait(citizen, case_id, {"running"})
    for _ in range(300):  # the first step's share is the one data-use record this case will have
        if step(await watcher.case(citizen, case_id), "register_residence")["status"] == "succeeded":
            break
        await asyncio.sleep(0.1)
    path = f"/v1/agency/cases/{case_id}/steps/permit/data"
    call = {"activity_id": "call_agency:permit:r0:a1"}
    office = auth("agency", "permit-office-worker", agency="permit_office")

    # The step's own agency, but its call is not running (nobody serves the queue): 403.
    refused = await http.get(path, params=call, headers=office)
    assert refused.status_code == 403, refused.text
    # Another agency learns nothing, not even that the step exists: 404.
    other = await http.get(path, params=call, headers=auth("agency", "tax-1", agency="tax_office"))
    assert other.status_code == 404, other.text
    # A step of another agency in the same case: 404 too.
    residence = await http.get(
        f"/v1/agency/cases/{case_id}/steps/register_residence/data", params=call, headers=office
    )
    assert residence.status_code == 404
    # Citizens and support do not fetch agency data at all.
    for role in ("citizen", "support", "designer"):
        assert (await http.get(path, params=call, headers=auth(role, citizen))).status_code == 403

    audit = await http.get(f"/v1/support/cases/{case_id}", headers=auth("support", "s-1"))
    assert audit.status_code == 200
    refusals = [e for e in audit.json()["audit"] if e["action"] == "fetch_step_data"]
    assert len(refusals) == 3, refusals
    assert all(e["outcome"].startswith("refused") for e in refusals)
    assert [u["step_id"] for u in await data_uses(stack, case_id)] == ["register_residence"]

    # Cancel, so the case does not wait for the permit office for the rest of the session.
    cancel = await http.post(f"/v1/cases/{case_id}:cancel", json={}, headers=auth("citizen", citizen))
    assert cancel.status_code in (200, 409)


def test_the_sdk_needs_neither_the_api_nor_the_database_nor_the_catalog() -> None:
    probe = (
        "import sys, onestop.sdk, onestop.sdk.worker, tests.sdk_agency; "
        "print(sorted(m for m in ('fastapi', 'pymongo', 'api', 'orchestrator.catalog', 'cel') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_an_agencys_contract_is_read_off_its_models() -> None:
    from tests.sdk_agency import permits

    assert permits.contract() == {
        "issue_permit": {
            "title": "Issue a residents' parking permit",
            "accepts": ["citizen_name", "new_address"],
            "requires": ["citizen_name", "new_address"],
            "types": {"citizen_name": "string", "new_address": "string"},
            "returns": ["zone"],
        },
        "revoke_permit": {"title": "", "accepts": [], "requires": [], "types": {}, "returns": []},
    }
