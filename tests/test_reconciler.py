"""A case accepted but never started (a crash between intake's write and the workflow start)
is found by the sweep and runs to completion, once."""

from __future__ import annotations

import uuid
from datetime import timedelta

from pymongo.asynchronous.database import AsyncDatabase

from orchestrator.catalog import CatalogSource
from orchestrator.definition import validate_data
from orchestrator.mongo import Document
from orchestrator.reconciler import Reconciler
from orchestrator.settings import Settings
from orchestrator.stores import CaseStores
from orchestrator.temporal_client import connect_temporal
from tests.support import MOVE, CaseWatcher


async def test_orphan_case_is_started_once(
    stack: Settings, db: AsyncDatabase[Document], watcher: CaseWatcher, citizen: str
) -> None:
    definition = CatalogSource(stack.catalog_path).current().get("moving_house")
    stores = CaseStores.on(db, stack.vault_sealer())
    cases, vault, definitions = stores.cases, stores.vault, stores.definitions
    case_id = str(uuid.uuid4())
    clean = validate_data(definition.data_model(), MOVE)
    await cases.create(case_id, citizen, definition, await definitions.pin(definition), "hash")
    await vault.put(case_id, citizen, clean)  # ... and the process died before starting the workflow

    temporal = await connect_temporal(stack)
    reconciler = Reconciler(
        stores,
        temporal,
        stack.task_queue,
        CatalogSource(stack.catalog_path).directory,
        pseudonyms=stack.pseudonyms(),
    )
    assert case_id in await reconciler.sweep(timedelta(0))
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "completed", case
    assert case_id not in await reconciler.sweep(timedelta(0))
    assert len(await watcher.records("vehicle_registry", case_id)) == 1  # owns_vehicle reached the facts


async def test_orphan_without_personal_data_is_closed_not_run(
    stack: Settings, db: AsyncDatabase[Document], watcher: CaseWatcher, citizen: str
) -> None:
    """Intake died between the case and its data: the sweep fails the case instead of calling
    agencies with nothing."""
    definition = CatalogSource(stack.catalog_path).current().get("moving_house")
    stores = CaseStores.on(db, stack.vault_sealer())
    case_id = str(uuid.uuid4())
    await stores.cases.create(case_id, citizen, definition, await stores.definitions.pin(definition), "hash")
    temporal = await connect_temporal(stack)
    directory = CatalogSource(stack.catalog_path).directory
    sweeper = Reconciler(stores, temporal, stack.task_queue, directory, pseudonyms=stack.pseudonyms())
    assert case_id not in await sweeper.sweep(timedelta(0))
    case = await watcher.case(citizen, case_id)
    assert case["status"] == "failed"
    assert case["timeline"][-1]["detail"] == "intake_incomplete"
    assert await watcher.records("residence_registry", case_id) == []
