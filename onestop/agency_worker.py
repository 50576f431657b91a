"""`onestop worker --agency NAME`: one agency's worker, on the task queue `agencies.yaml` names.

An agency that runs its own worker (`hosting: agency`) gives its SDK object with `--app
module:attribute`; the worker then needs Temporal and OneStop's API only, never OneStop's
database. A connector agency with a queue of its own gets OneStop's HTTP connector for that queue
alone, which reads the case data like the main worker does.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
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
from orchestrator.catalog import CatalogSource
from orchestrator.errors import InputError
from orchestrator.mongo import connect
from orchestrator.settings import Settings
from orchestrator.suggest import did_you_mean
from orchestrator.temporal_client import connect_temporal
from orchestrator.worker import build_connector_workers, http_agencies

log = structlog.get_logger(__name__)


def load_agency(ref: str) -> Agency:
    """`module:attribute` naming an `onestop.sdk.Agency`."""
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


@asynccontextmanager
async def serving_agency(
    settings: Settings, client: Client, directory: AgencyDirectory, name: str, app: str | None
) -> AsyncIterator[str]:
    """Run the agency's worker until the context ends; yields the task queue it polls."""
    spec = agency_spec(directory, name)
    if not spec.task_queue:
        raise InputError("--agency", f"{name} has no task_queue of its own: the case worker serves it")
    async with AsyncExitStack() as stack:
        if spec.hosting is Hosting.agency:
            if app is None:
                raise InputError("--app", f"{name} runs its own worker: give --app module:attribute")
            agency = load_agency(app)
            if agency.name != name:
                raise InputError("--app", f"{app} implements {agency.name}, not {name}")
            http = httpx.AsyncClient(timeout=settings.agency_timeout_seconds)
            stack.push_async_callback(http.aclose)
            exchange = ExchangeClient(http, settings.api_url, authorization(settings, name))
            workers = [
                agency_worker(
                    client,
                    agency,
                    exchange,
                    spec.task_queue,
                    concurrency=spec.concurrency,
                    actions_per_second=spec.actions_per_second,
                )
            ]
        else:
            mongo = connect(settings.mongodb_url, settings.mongodb_timeout_ms)
            stack.push_async_callback(mongo.close)
            port, http = http_agencies(settings, lambda: directory)
            stack.push_async_callback(http.aclose)
            workers = build_connector_workers(
                client,
                mongo[settings.mongodb_database],
                port,
                directory,
                name,
                sealer=settings.vault_sealer(),
            )
        for worker in workers:
            await stack.enter_async_context(worker)
        log.info("agency_worker_started", agency=name, task_queue=spec.task_queue, hosting=spec.hosting.value)
        yield spec.task_queue


async def run_agency_worker(
    settings: Settings, agency: str, app: str | None, out: Callable[[str], None]
) -> None:
    """Until SIGINT or SIGTERM; the directory comes from ONESTOP_CATALOG_PATH's `agencies.yaml`."""
    stop = stop_on_signals()
    client = await connect_temporal(settings)
    directory = CatalogSource(settings.catalog_path).directory()
    async with serving_agency(settings, client, directory, agency, app) as queue:
        out(f"{agency} worker on task queue {queue}")
        out("ready: press Ctrl-C to stop")
        await stop.wait()
        out("stopping")
    out("stopped")
