"""Worker bootstrap: the life-event workflow, its projection and OneStop's agency connector on the
case queue, and a connector worker for each agency that has a task queue of its own (kept in step
with the live directory by `orchestrator/connector_queues.py`).

Activities get their dependencies (stores, agency client) through the constructor, so tests
and the dev stack wire the same classes to different servers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import httpx
from pymongo.asynchronous.database import AsyncDatabase
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.agency_actions import AgencyActions
from activities.agency_client import AgencyClient, AgencyPort
from activities.agency_credentials import SelfIssuedTokens
from activities.agency_health import AgencyHealth
from activities.follow_up_outbox import FollowUpOutbox
from activities.offer_maker import OfferMaker
from activities.projection import CaseProjection
from orchestrator.agencies import AgencyDirectory, AgencySpec, Hosting
from orchestrator.agency_recovery import CaseWaker
from orchestrator.case_store import CaseStore
from orchestrator.connector_queues import ConnectorQueues
from orchestrator.consents import ConsentStore
from orchestrator.data_exchange import DataExchange, DataUseLog
from orchestrator.follow_up_store import FollowUpStore
from orchestrator.mongo import Document
from orchestrator.offers import OfferStore
from orchestrator.profile_store import ProfileStore
from orchestrator.profile_updates import ProfileUpdates
from orchestrator.pseudonyms import Pseudonyms
from orchestrator.sealing import FieldSealer
from orchestrator.settings import Settings
from orchestrator.stores import CaseStores
from orchestrator.vault import CaseDataStore
from workflows.follow_ups import FollowUpSchedule
from workflows.life_event import LifeEventCase

WORKFLOWS: list[type] = [LifeEventCase, FollowUpSchedule]
"""The workflow classes a worker runs; `onestop replay` replays running cases against these."""

ENGINE_SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("workflows")
)
"""The sandbox, with the engine's own workflow package passed through: otherwise every new run
re-executes `workflows/life_event.py` (its class body and the SDK's checks of ~20 handlers), about
6-15% of the worker's CPU per case. The package is deterministic and keeps no module state."""


def engine_runner(sandboxed: bool) -> WorkflowRunner:
    """How the case worker runs workflow code (`ONESTOP_WORKER_SANDBOX`).

    By default without the SDK's sandbox. Every module the engine's workflows import is passed
    through already (`workflows`, `orchestrator`), so the sandbox isolates nothing between runs;
    what it still does is check each activation's builtins and imports (and run an `exec` for
    each payload the SDK's visitor passes), which cost the worker 4-9 ms of its 100-120 ms of CPU
    per case (three A/B pairs of the engine alone, 300 cases each). That check guards the code, not the data, so it runs where
    the code is tested: the time-skipping workflow tests (`tests/workflow_harness.py`) run the
    engine under the SDK's default sandbox, every restriction on and nothing passed through, and
    the replays (`tests/test_replay.py`, `onestop replay`) do too. A nondeterministic call in the
    engine fails there, before it ships. `sandboxed=True` brings the check back at run time."""
    return ENGINE_SANDBOX if sandboxed else UnsandboxedWorkflowRunner()


@dataclass(frozen=True)
class WorkerCapacity:
    """How much one case-queue worker takes on at once (`ONESTOP_WORKER_*`): a machine with more
    cores runs more, a small one fewer, without a code change. The defaults are the SDK's, except
    activities (agency calls mostly wait on the network)."""

    max_concurrent_workflow_tasks: int = 100
    max_concurrent_activities: int = 200
    max_cached_workflows: int = 1_000

    @classmethod
    def of(cls, settings: Settings) -> WorkerCapacity:
        return cls(
            max_concurrent_workflow_tasks=settings.worker_max_concurrent_workflow_tasks,
            max_concurrent_activities=settings.worker_max_concurrent_activities,
            max_cached_workflows=settings.worker_max_cached_workflows,
        )


def connector(
    db: AsyncDatabase[Document], agencies: AgencyPort, health: AgencyHealth | None, sealer: FieldSealer
) -> AgencyActions:
    """OneStop's HTTP connector activities, sharing one data exchange."""
    return AgencyActions(
        DataExchange(CaseDataStore(db, sealer), DataUseLog(db), ConsentStore(db)), agencies, health
    )


def build_worker(
    client: Client,
    db: AsyncDatabase[Document],
    agencies: AgencyPort,
    task_queue: str,
    health: AgencyHealth | None = None,
    capacity: WorkerCapacity = WorkerCapacity(),
    *,
    sealer: FieldSealer,
    pseudonyms: Pseudonyms,
    sandboxed: bool = False,
) -> Worker:
    """The case queue: workflows, their projection, offers and follow-ups, and the calls to
    agencies without a queue of their own (on the workflow's queue an activity can start eagerly,
    without a round trip). `capacity.max_cached_workflows` bounds the worker's memory: a run out
    of the cache is replayed when it wakes."""
    actions = connector(db, agencies, health, sealer)
    stores = CaseStores.on(db, sealer)
    profiles = ProfileStore(db, sealer)
    projection = CaseProjection(stores.cases, ProfileUpdates(stores, profiles, pseudonyms))
    offers = OfferMaker(stores, OfferStore(db), profiles)
    outbox = FollowUpOutbox(FollowUpStore(db))
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        workflow_runner=engine_runner(sandboxed),
        activities=[
            actions.call_agency,
            actions.undo_agency,
            projection.project_case,
            offers.make_offers,
            outbox.send_follow_up,
            outbox.project_follow_ups,
        ],
        max_concurrent_workflow_tasks=capacity.max_concurrent_workflow_tasks,
        max_concurrent_activities=capacity.max_concurrent_activities,
        # Agency calls start as local activities (`workflows.agency_calls.attempt`): as many slots.
        max_concurrent_local_activities=capacity.max_concurrent_activities,
        max_cached_workflows=capacity.max_cached_workflows,
    )


def connector_worker(
    client: Client, actions: AgencyActions, queue: str, spec: AgencySpec, grace: timedelta = timedelta(0)
) -> Worker:
    """The connector on one agency's own queue, with that agency's concurrency and rate limit: a
    slow registry cannot starve the others. The rate holds for the whole queue (Temporal's
    task-queue limit, whichever workers poll it) and for this worker; `grace` lets calls in flight
    finish when it stops."""
    return Worker(
        client,
        task_queue=queue,
        activities=[actions.call_agency, actions.undo_agency],
        max_concurrent_activities=spec.concurrency or 200,
        max_activities_per_second=spec.actions_per_second,
        max_task_queue_activities_per_second=spec.actions_per_second,
        graceful_shutdown_timeout=grace,
    )


def build_connector_workers(
    client: Client,
    db: AsyncDatabase[Document],
    agencies: AgencyPort,
    directory: AgencyDirectory,
    only: str | None = None,
    health: AgencyHealth | None = None,
    *,
    sealer: FieldSealer,
) -> list[Worker]:
    """One worker per connector agency with a task queue of its own (or just `only`'s)."""
    actions = connector(db, agencies, health, sealer)
    return [
        connector_worker(client, actions, queue, spec)
        for name, queue, spec in directory.own_queues(Hosting.connector)
        if only in (None, name)
    ]


def connector_queues(
    settings: Settings,
    client: Client,
    db: AsyncDatabase[Document],
    agencies: AgencyPort,
    directory: Callable[[], AgencyDirectory],
    health: AgencyHealth | None = None,
    *,
    sealer: FieldSealer,
) -> ConnectorQueues:
    """The connector workers of the live directory's own queues, started and stopped as it
    changes; a stopped one has the agency timeout to finish its calls in flight."""
    actions = connector(db, agencies, health, sealer)
    grace = timedelta(seconds=settings.agency_timeout_seconds + 1)
    return ConnectorQueues(
        directory, lambda queue, spec: connector_worker(client, actions, queue, spec, grace)
    )


def agency_health(
    settings: Settings, agencies: AgencyClient, db: AsyncDatabase[Document], temporal: Client
) -> AgencyHealth:
    """One probe per agency that is down; when it answers, its waiting cases are woken."""
    waker = CaseWaker(CaseStore(db), temporal)
    return AgencyHealth(
        agencies.probe,
        waker.wake,
        interval_seconds=settings.agency_probe_seconds,
        threshold=settings.agency_down_after_failures,
    )


def http_agencies(
    settings: Settings, directory: Callable[[], AgencyDirectory] | None = None
) -> tuple[AgencyClient, httpx.AsyncClient]:
    """The HTTP agency adapter and the client it owns (close it on shutdown); it signs its calls
    with a short-lived token per agency."""
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
    http = httpx.AsyncClient(timeout=settings.agency_timeout_seconds, limits=limits)
    credentials = SelfIssuedTokens(settings.jwt_secret, settings.token_rules)

    def base_url(agency: str, instance: str | None) -> str | None:
        return directory().base_url(agency, instance) if directory else None

    client = AgencyClient(http, base_url, settings.agency_base_url, credentials)
    return client, http
