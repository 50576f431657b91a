"""One real stack per test session: a Temporal dev server and a SecantusDB server (the same
embedded servers `make run` starts), the agency simulators, a worker and the API on loopback
ports. Tests talk to it over HTTP and keep apart by using their own citizen ids.
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from google.protobuf.duration_pb2 import Duration
from pymongo.asynchronous.database import AsyncDatabase
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.client import Client

from onestop.stack import running_stack
from orchestrator.auth import Principal, Role, issue_token
from orchestrator.embedded import EmbeddedServers, free_port
from orchestrator.mongo import Document, connect
from orchestrator.settings import Settings
from orchestrator.temporal_client import connect_temporal
from tests.support import CaseWatcher

# The time-skipping `env` fixture for workflow tests lives beside its fakes; the browser for the
# page tests in its own module.
pytest_plugins = ["tests.workflow_harness", "tests.browser"]

_exit_status: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _exit_status.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave with os._exit once pytest has printed its summary: the Temporal SDK can abort at
    interpreter exit after a successful run (sdk-python #300), which would turn CI red."""
    if _exit_status:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status[0])


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServers]:
    home = tmp_path_factory.mktemp("onestop")
    embedded = EmbeddedServers.scratch(home)
    try:
        yield embedded
    finally:
        embedded.stop()


@pytest.fixture(scope="session")
def settings(servers: EmbeddedServers, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The session's catalog is a copy of the shipped one, so tests may add and edit definitions."""
    catalog = tmp_path_factory.mktemp("catalog")
    for file in CATALOG.glob("*.yaml"):
        shutil.copy(file, catalog / file.name)
    return make_settings(servers, catalog_path=catalog)


def make_settings(servers: EmbeddedServers, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "test",
        "home": servers.home,
        "temporal_address": servers.temporal_address,
        "mongodb_url": servers.mongodb_url,
        "mongodb_database": "onestop_test",
        "api_port": free_port(),
        "simulator_port": free_port(),
        "task_queue": f"onestop-test-{uuid.uuid4().hex[:8]}",
        "jwt_secret": "test-secret-" + uuid.uuid4().hex,
        **overrides,
    }
    return Settings.model_validate(values)


@pytest.fixture(scope="session")
async def stack(servers: EmbeddedServers, settings: Settings) -> AsyncIterator[Settings]:
    await servers.wait_ready()
    async with running_stack(settings):
        yield settings


@pytest.fixture(scope="session")
async def temporal(stack: Settings) -> Client:
    return await connect_temporal(stack)


@pytest.fixture
async def fresh_namespace(temporal: Client) -> str:
    """A namespace of its own on the session's server, with no custom search attributes yet
    (the server's start-up flags register them in `default` only)."""
    name = f"onestop-test-{uuid.uuid4().hex[:8]}"
    await temporal.workflow_service.register_namespace(
        RegisterNamespaceRequest(namespace=name, workflow_execution_retention_period=Duration(seconds=86400))
    )
    return name


@pytest.fixture
async def db(stack: Settings) -> AsyncIterator[AsyncDatabase[Document]]:
    """The session's database, for tests that set up or inspect what the API cannot reach."""
    mongo = connect(stack.mongodb_url)
    yield mongo[stack.mongodb_database]
    await mongo.close()


@pytest.fixture
async def http(stack: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"http://{stack.api_host}:{stack.api_port}", timeout=30) as client:
        yield client


@pytest.fixture
async def simulators(stack: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The agency simulators, as support: failure injection is an operator's tool."""
    principal = Principal(role=Role.support, sub="support-tests")
    token = issue_token(principal, stack.jwt_secret, 600, stack.token_rules)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=stack.agency_base_url, timeout=30, headers=headers) as client:
        yield client


TokenFactory = Callable[..., dict[str, str]]


@pytest.fixture
def auth(stack: Settings) -> TokenFactory:
    """auth(role, sub, agency=None) -> Authorization header for that principal."""

    def make(role: str = "citizen", sub: str | None = None, agency: str | None = None) -> dict[str, str]:
        principal = Principal(role=Role(role), sub=sub or new_citizen(), agency=agency)
        return {"Authorization": f"Bearer {issue_token(principal, stack.jwt_secret, 600, stack.token_rules)}"}

    return make


def new_citizen() -> str:
    return f"citizen-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def citizen() -> str:
    return new_citizen()


@pytest.fixture
def watcher(http: httpx.AsyncClient, simulators: httpx.AsyncClient, auth: TokenFactory) -> CaseWatcher:
    return CaseWatcher(http, simulators, auth)


CATALOG = Path(__file__).resolve().parent.parent / "catalog"
Poller = Callable[[], Awaitable[bool]]
