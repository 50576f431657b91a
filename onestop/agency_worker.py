"""`onestop worker --agency NAME`: one agency's worker, on the task queue `agencies.yaml` names.

An agency that runs its own worker (`hosting: agency`) gives its SDK object with `--app
module:attribute`; the worker then needs Temporal and OneStop's API only, never OneStop's
database. A connector agency with a queue of its own gets OneStop's HTTP connector for that queue
alone, which reads the case data like the main worker does.

An agency outside OneStop has no copy of `agencies.yaml`: it says its queue with `--task-queue`
(and where OneStop is with `--onestop-url`). Where the file is at hand (`ONESTOP_CATALOG_PATH`), it
is the one source of truth: an option that disagrees with it stops the command before it connects
anywhere, since a worker on a queue nobody sends to would wait for ever without a word.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import structlog
from temporalio.client import Client

from activities.agency_credentials import SelfIssuedTokens
from onestop.sdk.agency import Agency
from onestop.sdk.exchange import ExchangeClient
from onestop.sdk.worker import agency_worker
from onestop.stopping import stop_on_signals
from orchestrator.agencies import AgencyDirectory, AgencySpec, Hosting
from orchestrator.catalog import AGENCIES_FILE, read_directory
from orchestrator.errors import InputError
from orchestrator.mongo import connect
from orchestrator.settings import Settings
from orchestrator.suggest import did_you_mean
from orchestrator.temporal_client import connect_temporal
from orchestrator.worker import build_connector_workers, http_agencies

log = structlog.get_logger(__name__)


def load_agency(ref: str) -> Agency:
    """`module:attribute` naming an `onestop.sdk.Agency`, importable from the current directory
    too (as uvicorn finds `module:app`): the agency's code is where its developer runs this."""
    if "." not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, ".")
    module_name, _, attribute = ref.partition(":")
    if not module_name or not attribute:
        raise InputError("--app", f"{ref!r} is not module:attribute (e.g. my_agency.actions:tax)")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError("--app", f"cannot import {module_name}: {exc}") from None
    agency = getattr(module, attribute, None)
    if not isinstance(agency, Agency):
        raise InputError("--app", f"{ref} is not an onestop.sdk.Agency")
    return agency


def agency_spec(directory: AgencyDirectory, name: str) -> AgencySpec:
    spec = directory.agencies.get(name)
    if spec is None:
        raise InputError(
            "--agency", f"no agency {name!r} in agencies.yaml{did_you_mean(name, directory.agencies)}"
        )
    return spec


def authorization(settings: Settings, agency: str) -> Callable[[], str]:
    """The agency's bearer token: from `ONESTOP_AGENCY_TOKEN_FILE` (its identity provider's,
    re-read on every use so it may rotate), or signed with the dev key outside production."""
    if settings.agency_token_file:
        path = Path(settings.agency_token_file)
        return lambda: f"Bearer {path.read_text().strip()}"
    tokens = SelfIssuedTokens(settings.jwt_secret, settings.token_rules)
    return lambda: tokens.authorization(agency)


@dataclass(frozen=True)
class Placement:
    """Where an agency's worker runs: its queue, and its entry in the directory when there is one."""

    agency: str
    task_queue: str
    spec: AgencySpec | None
    directory: AgencyDirectory | None

    @property
    def hosting(self) -> Hosting:
        return self.spec.hosting if self.spec else Hosting.agency


def place(
    name: str, app: str | None, task_queue: str | None, directory: AgencyDirectory | None, where: Path
) -> Placement:
    """The worker's queue from `--task-queue` and the directory at `where` (None: no file there),
    or an InputError naming the option to change."""
    if directory is None:
        if task_queue is None:
            raise InputError(
                "--task-queue",
                f"no {where}: give --task-queue (the queue OneStop's agencies.yaml names for {name}), "
                "or point ONESTOP_CATALOG_PATH at the catalog",
            )
        if app is None:
            raise InputError(
                "--app",
                f"no {where}: only an agency's own code runs without it; give --app module:attribute",
            )
        return Placement(name, task_queue, None, None)
    spec = agency_spec(directory, name)
    queues = [q for agency, q, _ in directory.own_queues(spec.hosting) if agency == name]
    if task_queue is None:
        if not spec.task_queue:
            offices = f" (its offices': {', '.join(queues)}; pick one with --task-queue)" if queues else ""
            raise InputError(
                "--agency", f"{name} has no task_queue of its own: the case worker serves it{offices}"
            )
        task_queue = spec.task_queue
    if task_queue not in queues:
        named = ", ".join(queues) or "none of its own"
        raise InputError(
            "--task-queue",
            f"{where} gives {name} the task queue {named}, not {task_queue}: change one of the two",
        )
    if spec.hosting is Hosting.agency and app is None:
        raise InputError("--app", f"{name} runs its own worker: give --app module:attribute")
    if spec.hosting is Hosting.connector and app is not None:
        raise InputError(
            "--app", f"{where} has {name} called by OneStop's connector (hosting: connector): drop --app"
        )
    return Placement(name, task_queue, spec, directory)


def local_directory(settings: Settings) -> AgencyDirectory | None:
    """The directory in ONESTOP_CATALOG_PATH, or None when that folder has no agencies.yaml."""
    file = settings.catalog_path / AGENCIES_FILE
    return read_directory(file) if file.exists() else None


@asynccontextmanager
async def serving_agency(
    settings: Settings, client: Client, placement: Placement, agency: Agency | None
) -> AsyncIterator[str]:
    """Run the agency's worker (its own code: `agency`) until the context ends; yields the task
    queue it polls."""
    name, queue, spec = placement.agency, placement.task_queue, placement.spec
    async with AsyncExitStack() as stack:
        if placement.hosting is Hosting.agency:
            assert agency is not None  # `place` refused it
            http = httpx.AsyncClient(timeout=settings.agency_timeout_seconds)
            stack.push_async_callback(http.aclose)
            exchange = ExchangeClient(http, settings.api_url, authorization(settings, name))
            workers = [
                agency_worker(
                    client,
                    agency,
                    exchange,
                    queue,
                    concurrency=spec.concurrency if spec else None,
                    actions_per_second=spec.actions_per_second if spec else None,
                )
            ]
        else:
            directory = placement.directory
            assert directory is not None  # a connector agency is known from the directory only
            mongo = connect(settings.mongodb_url, settings.mongodb_timeout_ms)
            stack.push_async_callback(mongo.close)
            port, http = http_agencies(settings, lambda: directory)
            stack.push_async_callback(http.aclose)
            db = mongo[settings.mongodb_database]
            workers = [
                w
                for w in build_connector_workers(
                    client, db, port, directory, name, sealer=settings.vault_sealer()
                )
                if w.task_queue == queue
            ]
        for worker in workers:
            await stack.enter_async_context(worker)
        log.info("agency_worker_started", agency=name, task_queue=queue, hosting=placement.hosting.value)
        yield queue


async def run_agency_worker(
    settings: Settings,
    agency: str,
    app: str | None,
    out: Callable[[str], None],
    task_queue: str | None = None,
) -> None:
    """Until SIGINT or SIGTERM. The options are checked against ONESTOP_CATALOG_PATH's
    `agencies.yaml`, if there is one, before anything connects."""
    where = settings.catalog_path / AGENCIES_FILE
    placement = place(agency, app, task_queue, local_directory(settings), where)
    code = load_agency(app) if app is not None else None  # told before anything connects
    if code is not None and code.name != agency:
        raise InputError("--app", f"{app} implements {code.name}, not {agency}")
    stop = stop_on_signals()
    client = await connect_temporal(settings)
    async with serving_agency(settings, client, placement, code) as queue:
        out(f"{agency} worker on task queue {queue}")
        out("ready: press Ctrl-C to stop")
        await stop.wait()
        out("stopping")
    out("stopped")
