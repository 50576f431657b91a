"""Accepting a life event: validate the citizen's data, store it, record the case, start the workflow.

Every step is idempotent and ordered so that a crash between any two of them is repaired by
retrying the same request: the case id is derived from the citizen and the Idempotency-Key, so
the retry finds the stored case and (re)starts the workflow under the same id.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable

import structlog
from pydantic import JsonValue
from temporalio.client import Client

from orchestrator.agencies import AgencyDirectory
from orchestrator.case_starter import CaseStarter, start_case
from orchestrator.case_store import CaseRecord
from orchestrator.catalog import CatalogSource
from orchestrator.contracts import CURRENT_ENGINE, AgencyTerms, LifeEventInput
from orchestrator.definition import LifeEventDefinition, validate_data
from orchestrator.errors import IdempotencyConflict, Unavailable
from orchestrator.profile_store import ProfileStore
from orchestrator.profile_updates import prefill
from orchestrator.pseudonyms import Pseudonyms
from orchestrator.recent_triggers import RecentTriggers
from orchestrator.stores import CaseStores
from orchestrator.temporal_client import workflow_id

log = structlog.get_logger(__name__)
_CASE_NAMESPACE = uuid.UUID("6f1d3c1e-2b7a-4c55-9a43-0e5b8f7d2a10")


class CaseIntake:
    """Accepts life events for the API (and the benchmark), so both take the same path."""

    def __init__(
        self,
        catalog: CatalogSource,
        stores: CaseStores,
        temporal: Client,
        task_queue: str,
        recent: RecentTriggers | None = None,
        *,
        pseudonyms: Pseudonyms,
        profiles: ProfileStore,
        starter: CaseStarter | None = None,
    ) -> None:
        """`profiles`: what pre-fills a life event's inputs the citizen leaves out. `starter`:
        the API's, which starts the workflow after the answer; without one (the benchmark, the
        offer tests) the trigger waits for the start."""
        self._starter = starter
        self._catalog = catalog
        self._profiles = profiles
        self._pseudonyms = pseudonyms
        self._recent = recent
        self._cases = stores.cases
        self._vault = stores.vault
        self._definitions = stores.definitions
        self._temporal = temporal
        self._task_queue = task_queue

    async def trigger(
        self,
        citizen_id: str,
        type_: str,
        data: dict[str, JsonValue],
        idempotency_key: str | None,
        *,
        linked_from: str | None = None,
    ) -> tuple[CaseRecord, bool]:
        """`linked_from`: the case whose offer this life event answers (shown on the new case)."""
        catalog = self._catalog.current()
        definition = catalog.get(type_)
        filled = await self._prefilled(citizen_id, definition, data)
        model = definition.data_model()
        optional = {k for k, f in model.model_fields.items() if not f.is_required()}
        clean = validate_data(model, {**data, **filled})  # what the case stores
        # Over what the citizen sent, each pre-filled input as if left empty: a retry with its key
        # is the same request, whatever the profile (a completed case) has learnt meanwhile.
        asked = {
            **clean,
            **{k: model.model_fields[k].get_default() if k in optional else None for k in filled},
        }
        request_hash = hashlib.sha256(json.dumps([type_, asked], sort_keys=True).encode()).hexdigest()
        if idempotency_key:
            case_id = str(uuid.uuid5(_CASE_NAMESPACE, f"{citizen_id}\x00{idempotency_key}"))
        elif self._recent is not None:  # an identical report moments ago is the same case
            case_id = await self._recent.claim(citizen_id, request_hash, str(uuid.uuid4()))
        else:
            case_id = str(uuid.uuid4())
        structlog.contextvars.bind_contextvars(case_id=case_id, workflow_id=workflow_id(case_id))
        definition_id = await self._definitions.pin(definition)
        terms = agency_terms(catalog.directory, definition)
        titles = {k: t.title for k, t in terms.items()}
        create = functools.partial(
            self._cases.create,
            case_id,
            citizen_id,
            definition,
            definition_id,
            request_hash,
            titles,
            linked_from,
        )
        if idempotency_key:
            record, created = await create()
        else:
            record, created = await self._create_with_data(create, case_id, citizen_id, clean, request_hash)
        if not created:
            if not record.asked_by(citizen_id, request_hash):
                raise IdempotencyConflict(idempotency_key or "")
            if record.started:
                return record, False  # its workflow ran (and may be long gone): never run it twice
            # A retry restarts the case exactly as it was pinned, even if the catalog changed since.
            definition = await self._definitions.get(record.definition_id)
            terms = agency_terms(catalog.directory, definition)
        if idempotency_key:
            # After the case: a key the citizen reused for other data finds the case of the first
            # request above, and must not store its data under it.
            await self._vault.put(case_id, citizen_id, clean)
        facts = definition.facts(clean)
        case = LifeEventInput(
            case_id=case_id,
            citizen_id=self._pseudonyms.of(citizen_id),  # Temporal never sees the identity number
            definition=definition,
            facts=facts,
            agencies=terms,
            engine=CURRENT_ENGINE,
        )
        if self._starter is not None:
            self._starter.start(case)  # accepted: the data is journaled, and the sweep backs the start
        else:
            await self._start_now(case, idempotency_key)
        log.info("case_accepted", case_id=case_id, type=type_, created=created)
        return record, created

    async def _create_with_data(
        self,
        create: Callable[..., Awaitable[tuple[CaseRecord, bool]]],
        case_id: str,
        citizen_id: str,
        data: dict[str, JsonValue],
        request_hash: str,
    ) -> tuple[CaseRecord, bool]:
        """The case and its data, written side by side: one database round trip on the citizen's
        wait instead of two (`onestop bench`). Only where no key names the case: its id is new, or
        an identical report's (the same citizen and data, `RecentTriggers`), so no other request's
        data can be under it. Both writes are journaled: neither follows the other.

        A case that could not be recorded keeps none of the data stored beside it; data already
        there (the identical report's) is left as it was."""
        created, stored = await asyncio.gather(
            create(journaled=True), self._vault.put(case_id, citizen_id, data), return_exceptions=True
        )
        recorded = not isinstance(created, BaseException) and (
            created[1] or created[0].asked_by(citizen_id, request_hash)
        )
        if stored is True and not recorded:
            try:
                await self._vault.discard(case_id)
            except Exception:  # the case's id alone: its data stays until a retry reuses the id
                log.warning("case_data_not_discarded", case_id=case_id)
        if isinstance(created, BaseException):
            raise created
        if isinstance(stored, BaseException):
            raise stored
        return created

    async def _start_now(self, case: LifeEventInput, idempotency_key: str | None) -> None:
        try:
            await start_case(self._temporal, self._task_queue, case)
        except Unavailable:
            if idempotency_key:
                raise  # the client retries with its key and repairs the case itself
            # Without a key a retry would be a second case: keep this one, the reconciler starts it.
            log.warning("case_start_deferred", case_id=case.case_id)

    async def _prefilled(
        self, citizen_id: str, definition: LifeEventDefinition, data: dict[str, JsonValue]
    ) -> dict[str, JsonValue]:
        """The profile's values for linked inputs left out; no read when nothing is missing."""
        if all(data.get(name) is not None for name in definition.prefilled_from()):
            return {}
        profile = await self._profiles.get(self._pseudonyms.of(citizen_id))
        return prefill(definition, profile, data)


def agency_terms(directory: AgencyDirectory, definition: LifeEventDefinition) -> dict[str, AgencyTerms]:
    """What a case pins of the agency directory, for the agencies its steps call only (it travels
    in the case's history): titles, how long each agency is retried, and the queue its calls go to."""
    used = dict.fromkeys(s.agency for s in definition.steps)
    return {
        name: AgencyTerms(
            title=spec.title,
            retry_for_hours=spec.retry_for_hours,
            task_queue=spec.task_queue,
            route_by=spec.route_by,
            instances={value: office.task_queue for value, office in spec.instances.items()},
        )
        for name in used
        if (spec := directory.agencies.get(name)) is not None
    }
