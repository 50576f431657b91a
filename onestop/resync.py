"""`onestop cases resync`: rebuild read-model cases from Temporal, the source of truth.

The read model is a projection the workflow writes; after a database restore, a crash that lost
a write, or an operator's `temporal workflow reset`, this writes each case's state as its
workflow holds it now (and starts orphans, as the worker's sweep does).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from orchestrator.catalog import CatalogSource
from orchestrator.errors import CaseNotFound
from orchestrator.mongo import connect
from orchestrator.profile_store import ProfileStore
from orchestrator.profile_updates import ProfileUpdates
from orchestrator.reconciler import Reconciler, Resynced
from orchestrator.settings import Settings
from orchestrator.stores import CaseStores
from orchestrator.temporal_client import connect_temporal

RESYNC_LIMIT = 100_000


@asynccontextmanager
async def reconciler(settings: Settings) -> AsyncIterator[tuple[Reconciler, CaseStores]]:
    mongo = connect(settings.mongodb_url, settings.mongodb_timeout_ms)
    try:
        db = mongo[settings.mongodb_database]
        stores = CaseStores.on(db, settings.vault_sealer())
        profiles = ProfileUpdates(stores, ProfileStore(db, settings.vault_sealer()), settings.pseudonyms())
        temporal = await connect_temporal(settings)
        catalog = CatalogSource(settings.catalog_path)
        yield (
            Reconciler(
                stores,
                temporal,
                settings.task_queue,
                catalog.directory,
                pseudonyms=settings.pseudonyms(),
                profiles=profiles,
            ),
            stores,
        )
    finally:
        await mongo.close()


async def resync(settings: Settings, case_ids: list[str], every: bool) -> dict[str, str]:
    """Case id -> what was done (projected, started, closed, unchanged, not found, or the error)."""
    outcomes: dict[str, str] = {}
    async with reconciler(settings) as (repair, stores):
        ids = await stores.cases.all_ids(RESYNC_LIMIT) if every else case_ids
        for case_id in ids:
            try:
                outcomes[case_id] = (await repair.resync(case_id)).value
            except CaseNotFound:
                outcomes[case_id] = "not found"
            except Exception as exc:  # one bad case must not stop the others
                outcomes[case_id] = f"failed: {type(exc).__name__}: {exc}"
    return outcomes


__all__ = ["Resynced", "resync"]
