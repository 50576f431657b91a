"""The workflow's start after the answer (`CaseStarter`): Temporal's latency is not the
citizen's, and a start Temporal refuses is not lost, the worker's sweep makes it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pymongo.asynchronous.database import AsyncDatabase
from temporalio.client import Client

from orchestrator.audit_log import AuditLog
from orchestrator.auth import Principal, Role
from orchestrator.case_commands import CaseCommands
from orchestrator.case_starter import CaseStarter
from orchestrator.catalog import CatalogSource
from orchestrator.embedded import free_port
from orchestrator.errors import Unavailable
from orchestrator.intake import CaseIntake
from orchestrator.mongo import Document
from orchestrator.profile_store import ProfileStore
from orchestrator.reconciler import Reconciler
from orchestrator.settings import Settings
from orchestrator.stores import CaseStores
from orchestrator.temporal_client import data_converter, workflow_id
from tests.support import MOVE, CaseWatcher


async def test_a_cancel_right_after_the_answer_waits_for_the_start(
    watcher: CaseWatcher, citizen: str
) -> None:
    """The API answers before the workflow exists; a command sent at once still reaches it."""
    case_id = await watcher.start(citizen, "moving_house", {**MOVE, "school_age_children": 1})
    cancelled = await watcher.http.post(
        f"/v1/cases/{case_id}:cancel", headers=watcher.auth("citizen", citizen)
    )
    assert cancelled.status_code == 200, cancelled.text
    case = await watcher.wait(citizen, case_id)
    assert case["status"] in {"cancelled", "compensated"}, case


async def test_a_start_temporal_refuses_is_accepted_and_made_by_the_sweep(
    stack: Settings, db: AsyncDatabase[Document], watcher: CaseWatcher, citizen: str, temporal: Client
) -> None:
    """Temporal unreachable at the trigger: the case is accepted all the same (its data is
    stored), a command meanwhile is a retryable 503, and the worker's sweep starts it later."""
    stores = CaseStores.on(db, stack.vault_sealer())
    catalog = CatalogSource(stack.catalog_path)
    nowhere = await Client.connect(
        f"127.0.0.1:{free_port()}", lazy=True, data_converter=data_converter(stack)
    )
    starter = CaseStarter(nowhere, stack.task_queue, backoff=(0.01, 0.01))
    intake = CaseIntake(
        catalog,
        stores,
        nowhere,
        stack.task_queue,
        pseudonyms=stack.pseudonyms(),
        profiles=ProfileStore(db, stack.vault_sealer()),
        starter=starter,
    )
    record, created = await intake.trigger(citizen, "moving_house", MOVE, "starter-test-key")
    assert created
    await starter.started(record.case_id)  # every attempt refused: left to the sweep
    assert await stores.vault.exists(record.case_id)

    commands = CaseCommands(stores, temporal, AuditLog(db), 5.0, pseudonyms=stack.pseudonyms())
    with pytest.raises(Unavailable, match="still starting"):
        await commands.cancel(record.case_id, Principal(sub=citizen, role=Role.citizen), None)

    sweeper = Reconciler(stores, temporal, stack.task_queue, catalog.directory, pseudonyms=stack.pseudonyms())
    assert record.case_id in await sweeper.sweep(timedelta(0))
    case = await watcher.wait(citizen, record.case_id)
    assert case["status"] == "completed", case
    description = await temporal.get_workflow_handle(workflow_id(record.case_id)).describe()
    assert description.workflow_type == "LifeEventCase"
