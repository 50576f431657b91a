"""OneStop's search attributes are registered wherever cases run: on the embedded dev server by
its start-up flags, elsewhere by `register`, which a second run leaves alone."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeIndexedValueType as IndexType
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from orchestrator.errors import SearchAttributeConflict
from orchestrator.search_attributes import STATUS, register, registered
from tests.search_attribute_workflow import UpsertStatus
from tests.workflow_harness import TEST_SERVER

# Spelled out rather than read from orchestrator.search_attributes: these names are what
# support staff type into the Temporal UI, so renaming one must fail a test.
EXPECTED = {
    "OneStopType": IndexType.KEYWORD,
    "OneStopStatus": IndexType.KEYWORD,
    "OneStopWaitingFor": IndexType.KEYWORD,
    "OneStopAgency": IndexType.KEYWORD,
    "OneStopAttentionSince": IndexType.DATETIME,
}


@pytest.fixture(scope="module")
async def bare_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of this module's own that nothing has registered attributes on
    (the shared `env` fixture may prepare its server for the engine)."""
    environment = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=TEST_SERVER)
    try:
        yield environment
    finally:
        await environment.shutdown()


async def test_embedded_server_starts_with_every_attribute(temporal: Client) -> None:
    present = await registered(temporal, "default")
    assert {name: present.get(name) for name in EXPECTED} == EXPECTED
    assert await register(temporal, "default") == []


async def test_register_adds_what_is_missing_then_nothing(temporal: Client, fresh_namespace: str) -> None:
    assert not set(EXPECTED) & set(await registered(temporal, fresh_namespace))

    assert sorted(await register(temporal, fresh_namespace)) == sorted(EXPECTED)
    assert await register(temporal, fresh_namespace) == []

    present = await registered(temporal, fresh_namespace)
    assert {name: present.get(name) for name in EXPECTED} == EXPECTED


async def test_register_refuses_an_attribute_of_another_type(temporal: Client, fresh_namespace: str) -> None:
    await temporal.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=fresh_namespace,
            search_attributes={"OneStopStatus": IndexedValueType.INDEXED_VALUE_TYPE_TEXT},
        )
    )
    with pytest.raises(SearchAttributeConflict, match="OneStopStatus is Text, OneStop needs Keyword"):
        await register(temporal, fresh_namespace)
    assert "OneStopType" not in await registered(temporal, fresh_namespace)


async def test_time_skipping_server_registers_and_accepts_upserts(bare_env: WorkflowEnvironment) -> None:
    """The test server cannot list attributes; `register` still adds each once and a workflow
    may then upsert them."""
    namespace = bare_env.client.namespace
    assert sorted(await register(bare_env.client, namespace)) == sorted(EXPECTED)
    assert await register(bare_env.client, namespace) == []

    task_queue = f"search-attributes-{uuid.uuid4().hex}"
    async with Worker(bare_env.client, task_queue=task_queue, workflows=[UpsertStatus]):
        handle = await bare_env.client.start_workflow(
            UpsertStatus.run, "waiting_for_agency", id=f"upsert-{uuid.uuid4().hex}", task_queue=task_queue
        )
        async with asyncio.timeout(10):  # an unknown attribute fails the task over and over
            assert await handle.result() == "waiting_for_agency"
    description = await handle.describe()
    assert description.typed_search_attributes.get(STATUS) == "waiting_for_agency"
