"""Support's remaining actions end to end on real held cases: skip (where the definition allows),
resolve (done by hand at the agency), and reset after a code change: a release whose agency
adapter had a bug rolled a case back; the fixed release, after a reset to before the step,
completes it."""

from __future__ import annotations

import uuid
from typing import Any

from pymongo import AsyncMongoClient

from activities.agency_client import AgencyPort, AgencyReply, AgencyRequest
from orchestrator.case_starter import start_case
from orchestrator.catalog import CatalogSource
from orchestrator.contracts import LifeEventInput
from orchestrator.errors import AgencyError
from orchestrator.intake import agency_terms
from orchestrator.mongo import Document
from orchestrator.settings import Settings
from orchestrator.stores import CaseStores
from orchestrator.temporal_client import connect_temporal
from orchestrator.worker import build_worker, http_agencies
from tests.support import IMPATIENT_MOVE, CaseWatcher, add_definition, step
from tests.test_support_api import AGENCY, STEP, _clear_faults, _held

SKIPPABLE_MOVE = IMPATIENT_MOVE.replace("type: impatient_move", "type: skippable_move").replace(
    "    retry:", "    skippable: true\n    retry:"
)
DATA = {"citizen_name": "Ana", "new_address": "1 Rua"}


async def _act(watcher: CaseWatcher, case_id: str, action: str, reason: str) -> dict[str, Any]:
    response = await watcher.http.post(
        f"/v1/support/cases/{case_id}/steps/{STEP}:{action}",
        json={"reason": reason},
        headers=watcher.auth("support", "agent-e2e"),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_held_skippable_step_is_skipped_and_the_case_completes(
    stack: Settings, watcher: CaseWatcher, citizen: str
) -> None:
    add_definition(stack.catalog_path, "skippable_move", SKIPPABLE_MOVE)
    await watcher.fault(agency=AGENCY, subject=citizen, kind="error", code="registry_down")
    case_id = await watcher.start(citizen, "skippable_move", DATA)
    await watcher.wait(citizen, case_id, {"needs_attention"})
    await _act(watcher, case_id, "skip", "registered_elsewhere")
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "completed" and step(case, STEP)["status"] == "skipped"
    await _clear_faults(watcher)


async def test_a_held_call_resolved_by_hand_completes_without_an_agency_record(
    stack: Settings, watcher: CaseWatcher, citizen: str
) -> None:
    case_id = await _held(stack, watcher, citizen)
    await _act(watcher, case_id, "resolve", "registered_by_phone")
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "completed"
    assert (step(case, STEP)["status"], step(case, STEP)["reference"]) == ("succeeded", "resolved_by_support")
    await _clear_faults(watcher)
    assert await watcher.records(AGENCY, case_id) == []


class BuggyRelease:
    """The agency adapter of a release with a bug: it refuses every address registration."""

    def __init__(self, fixed: AgencyPort) -> None:
        self._fixed = fixed

    async def call(self, agency: str, action: str, key: str, request: AgencyRequest) -> AgencyReply:
        if action == "register_address":
            raise AgencyError(agency, 422, "address_unparsed", retryable=False)
        return await self._fixed.call(agency, action, key, request)


async def test_reset_after_a_code_change_reruns_the_step_on_the_fixed_release(
    stack: Settings, watcher: CaseWatcher, citizen: str
) -> None:
    add_definition(stack.catalog_path, "impatient_move", IMPATIENT_MOVE)
    source = CatalogSource(stack.catalog_path).current()
    definition = source.get("impatient_move")
    mongo: AsyncMongoClient[Document] = AsyncMongoClient(stack.mongodb_url, tz_aware=True)
    db = mongo[stack.mongodb_database]
    stores = CaseStores.on(db, stack.vault_sealer())
    case_id = str(uuid.uuid4())
    await stores.cases.create(case_id, citizen, definition, await stores.definitions.pin(definition), "hash")
    await stores.vault.put(case_id, citizen, DATA)
    temporal = await connect_temporal(stack)
    queue = f"release-{uuid.uuid4().hex[:6]}"  # this test's own workers: the old release, then the fix
    agencies, http = http_agencies(stack)
    try:
        async with build_worker(
            temporal,
            db,
            BuggyRelease(agencies),
            queue,
            sealer=stack.vault_sealer(),
            pseudonyms=stack.pseudonyms(),
        ):
            case = LifeEventInput(
                case_id=case_id,
                citizen_id=citizen,
                definition=definition,
                agencies=agency_terms(source.directory, definition),
            )
            await start_case(temporal, queue, case)
            rolled_back = await watcher.wait(citizen, case_id)
        assert rolled_back["status"] == "compensated", rolled_back
        assert "address_unparsed" in step(rolled_back, STEP)["error"]
        async with build_worker(
            temporal, db, agencies, queue, sealer=stack.vault_sealer(), pseudonyms=stack.pseudonyms()
        ):
            await _act(watcher, case_id, "reset", "adapter_fix_deployed")
            fixed = await watcher.wait(citizen, case_id, {"completed"})
        assert step(fixed, STEP)["status"] == "succeeded"
        assert len(await watcher.records(AGENCY, case_id)) == 1
    finally:
        await http.aclose()
        await mongo.close()
