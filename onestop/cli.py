"""The `onestop` command line: run the stack, issue dev tokens, trigger and inspect cases."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated

import httpx
import typer
from temporalio.service import RPCError

from onestop import agency_cli, catalog_cli, chaos, replay_cli, simulate_cli, support_cli
from onestop.agency_worker import run_agency_worker
from onestop.bench import DEFERRED_SECONDS, report, run_bench
from onestop.bench_api_load import api_load_report, run_api_load
from onestop.bench_memory import memory_report, run_memory
from onestop.bench_results import DEFAULT_RESULTS, record
from onestop.priority import yield_to_interactive
from onestop.resync import resync
from onestop.serve import serve_in_process, serve_processes
from onestop.user_errors import INTERRUPTED, describe, refused
from orchestrator.auth import Principal, Role, issue_token
from orchestrator.catalog import AGENCIES_FILE, find_definition
from orchestrator.catalog_status import FileState, FileStatus
from orchestrator.diagram import mermaid
from orchestrator.drafts import check_paths, live_directory
from orchestrator.errors import DefinitionError, Unavailable
from orchestrator.logs import configure_logging
from orchestrator.search_attributes import REQUIRED, register, type_name
from orchestrator.settings import Settings
from orchestrator.temporal_client import connect_temporal

app = typer.Typer(help="OneStop: one report of a life event, every agency acts.", no_args_is_help=True)
cases_app = typer.Typer(
    help="Inspect cases, act on stuck ones (support) and rebuild them from Temporal.", no_args_is_help=True
)
catalog_app = typer.Typer(
    help="Validate, draw, try and compare life-event definitions.", no_args_is_help=True
)
temporal_app = typer.Typer(help="Prepare a Temporal cluster for OneStop.", no_args_is_help=True)
audit_app = typer.Typer(help="Check the audit trail.", no_args_is_help=True)
app.add_typer(cases_app, name="cases")
app.add_typer(catalog_app, name="catalog")
app.add_typer(temporal_app, name="temporal")
app.add_typer(audit_app, name="audit")


def _settings() -> Settings:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    return settings


def _out(text: str) -> None:
    """One line on stdout, at once: `onestop dev`'s ready line must reach a pipe as it happens."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


support_cli.register(cases_app, audit_app, _settings, _out)
replay_cli.register(app, _settings, _out)
simulate_cli.register(app, _settings, _out)
agency_cli.register(app, _settings, _out)
chaos.register(app, _out)


def _serve(
    settings: Settings, *, api: bool, worker: bool, simulators: bool, ui: bool
) -> Coroutine[None, None, None]:
    return serve_in_process(settings, _out, api=api, worker=worker, simulators=simulators, ui=ui)


def _run_forever(main: Coroutine[None, None, None]) -> None:
    asyncio.run(main)


@app.command()
def dev(
    one_process: Annotated[
        bool, typer.Option("--one-process", help="simulators, worker and API in this one process")
    ] = False,
) -> None:
    """Run the whole embedded stack: Temporal and the MongoDB-wire server, then the simulators,
    the worker and the API, each a process of its own (`onestop simulators`, `worker`, `api`).

    Example: onestop dev
    """
    settings = _settings()
    if one_process:
        _run_forever(_serve(settings, api=True, worker=True, simulators=True, ui=True))
    else:
        _run_forever(serve_processes(settings, _out))


@app.command()
def worker(
    agency: Annotated[
        str | None, typer.Option(help="serve only this agency's own task queue (agencies.yaml names it)")
    ] = None,
    app_ref: Annotated[
        str | None,
        typer.Option("--app", help="module:attribute of the agency's onestop.sdk.Agency (hosting: agency)"),
    ] = None,
    task_queue: Annotated[
        str | None,
        typer.Option(help="the agency's task queue, where no agencies.yaml is at hand (else it must agree)"),
    ] = None,
    onestop_url: Annotated[
        str | None, typer.Option(help="OneStop's API as this worker reaches it (default ONESTOP_API_URL)")
    ] = None,
) -> None:
    """Run a worker against ONESTOP_TEMPORAL_ADDRESS and ONESTOP_MONGODB_URL; with --agency, one
    agency's worker on its own task queue (with --app, the agency's own code: it needs Temporal and
    OneStop's API only, and with --task-queue no agencies.yaml either; its token comes from
    ONESTOP_AGENCY_TOKEN_FILE).

    Example: ONESTOP_TEMPORAL_ADDRESS=temporal:7233 onestop worker --agency tax_office --app tax_agency:tax --task-queue tax-office --onestop-url https://onestop.example
    """
    settings = _settings()
    yield_to_interactive(settings)
    if onestop_url is not None:
        settings.api_url = onestop_url
    if agency is None:
        for given, option in (
            (app_ref, "--app"),
            (task_queue, "--task-queue"),
            (onestop_url, "--onestop-url"),
        ):
            if given is not None:
                raise typer.BadParameter(
                    f"{option} is for one agency's worker: add --agency NAME", param_hint=option
                )
        _run_forever(_serve(settings, api=False, worker=True, simulators=False, ui=False))
    else:
        _run_forever(run_agency_worker(settings, agency, app_ref, _out, task_queue))


@app.command()
def api() -> None:
    """Run the HTTP API alone.

    Example: ONESTOP_API_HOST=0.0.0.0 ONESTOP_API_PORT=8000 onestop api
    """
    _run_forever(_serve(_settings(), api=True, worker=False, simulators=False, ui=False))


@app.command()
def simulators() -> None:
    """Run the agency simulators alone, on ONESTOP_SIMULATOR_PORT with ONESTOP_MONGODB_URL as
    the agencies' registry.

    Example: ONESTOP_SIMULATOR_PORT=8100 onestop simulators
    """
    settings = _settings()
    yield_to_interactive(settings)
    _run_forever(_serve(settings, api=False, worker=False, simulators=True, ui=False))


@app.command()
def token(
    role: Annotated[Role, typer.Option(help="citizen, agency, designer or support")],
    sub: Annotated[str, typer.Option(help="subject: citizen id, staff id or agency id")],
    agency: Annotated[str | None, typer.Option(help="agency name, for agency tokens")] = None,
) -> None:
    """Print a development bearer token signed with the configured key.

    Example: onestop token --role agency --sub tax-1 --agency tax_office
    """
    if role is Role.agency and agency is None:
        raise typer.BadParameter("an agency token names its agency: add --agency NAME", param_hint="--agency")
    if role is not Role.agency and agency is not None:
        raise typer.BadParameter(
            "the agency claim goes with --role agency only: drop --agency", param_hint="--agency"
        )
    settings = _settings()
    principal = Principal(sub=sub, role=role, agency=agency)
    _out(issue_token(principal, settings.jwt_secret, settings.jwt_ttl_seconds, settings.token_rules))


def _api_client(settings: Settings, principal: Principal) -> httpx.Client:
    bearer = issue_token(principal, settings.jwt_secret, 300, settings.token_rules)
    base = f"http://{settings.api_host}:{settings.api_port}"
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {bearer}"}, timeout=30)


catalog_cli.register(catalog_app, lambda principal: _api_client(_settings(), principal), _out)


def _print_response(response: httpx.Response, fix: str = "") -> None:
    """The API's answer as JSON, or its refusal as one line on stderr (`fix`: what to change)."""
    if response.is_error:
        line, code = refused(response, fix)
        sys.stderr.write(f"error: {line}\n")
        raise typer.Exit(code)
    _out(json.dumps(response.json(), indent=2))


_DATA_FIX = (
    """give the citizen's data as one JSON object in single quotes, e.g. --data '{"owns_vehicle": true}'"""
)


@app.command()
def trigger(
    type_: Annotated[str, typer.Argument(metavar="TYPE", help="life event type, e.g. moving_house")],
    citizen: Annotated[str, typer.Option(help="citizen id")],
    data: Annotated[str, typer.Option(help="the citizen's data as JSON")] = "{}",
    idempotency_key: Annotated[str | None, typer.Option(help="Idempotency-Key header")] = None,
) -> None:
    """Report a life event for a citizen through the running API.

    Example: onestop trigger marriage --citizen c-42 --data '{"spouse_a_name": "Ana Lima",
    "spouse_b_name": "Rui Costa", "marriage_date": "2026-09-09", "household_address": "1 Rua Nova"}'
    """
    settings = _settings()
    try:
        payload = json.loads(data)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"not JSON: {exc}: {_DATA_FIX}", param_hint="--data") from None
    if not isinstance(payload, dict):
        raise typer.BadParameter(f"not a JSON object: {_DATA_FIX}", param_hint="--data")
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    with _api_client(settings, Principal(sub=citizen, role=Role.citizen)) as client:
        _print_response(
            client.post("/v1/life-events", json={"type": type_, "data": payload}, headers=headers),
            fix="correct TYPE or --data",
        )


@cases_app.command("show")
def cases_show(
    case_id: str,
    citizen: Annotated[str | None, typer.Option(help="read as this citizen instead of support")] = None,
) -> None:
    """Show a case: status, steps and timeline.

    Example: onestop cases show 6f1d3c1e-2b7a-4c55-9a43-0e5b8f7d2a10 --citizen c-42
    """
    settings = _settings()
    principal = (
        Principal(sub=citizen, role=Role.citizen) if citizen else Principal(sub="cli", role=Role.support)
    )
    with _api_client(settings, principal) as client:
        _print_response(client.get(f"/v1/cases/{case_id}"), fix="check the case id (and --citizen)")


@cases_app.command("resync")
def cases_resync(
    case_ids: Annotated[list[str] | None, typer.Argument(help="case ids to rebuild")] = None,
    all_: Annotated[bool, typer.Option("--all", help="rebuild every case in the read model")] = False,
) -> None:
    """Rebuild cases in the read model from their workflows in Temporal.

    Example: onestop cases resync 6f1d3c1e-2b7a-4c55-9a43-0e5b8f7d2a10
    """
    settings = _settings()
    if not case_ids and not all_:
        raise typer.BadParameter("name case ids, or pass --all", param_hint="CASE_IDS")
    outcomes = asyncio.run(resync(settings, case_ids or [], all_))
    for case_id, outcome in outcomes.items():
        _out(f"{case_id} {outcome}")
    if any(o.startswith("failed") or o == "not found" for o in outcomes.values()):
        raise typer.Exit(1)


@catalog_app.command("validate")
def catalog_validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[PATH]...",
            help="definition files, catalog folders or an agencies.yaml (default: the configured catalog)",
        ),
    ] = None,
) -> None:
    """Check drafts before they go live, against the configured catalog's agency directory (a
    folder's own agencies.yaml instead, if it has one); every problem, exit 1 if there is any.

    Example: onestop catalog validate ~/drafts/adoption.yaml catalog/
    """
    settings = _settings()
    for path in paths or []:
        if not path.exists():
            raise typer.BadParameter(
                f"{path} does not exist: name a definition file or a catalog folder", param_hint="PATH"
            )
    reports = check_paths(paths or [settings.catalog_path], live_directory(settings.catalog_path))
    for checked in reports:
        _out(checked.summary())
        for problem in checked.problems:
            _out(f"    {problem}")
    if not all(checked.valid for checked in reports):
        raise typer.Exit(1)


@catalog_app.command("status")
def catalog_status() -> None:
    """Show every file of the running API's catalog: loaded (type, version, digest, since when) or
    rejected (every problem, since when, and the version still live); exit 1 if one is rejected.

    Example: onestop catalog status
    """
    settings = _settings()
    with _api_client(settings, Principal(sub="cli", role=Role.designer)) as client:
        response = client.get("/v1/catalog")
    if response.is_error:
        _print_response(response)
    files = [FileState.model_validate(f) for f in response.json()["files"]]
    for state in files:
        _out(_file_line(state))
        for problem in state.problems:
            _out(f"    {problem}")
    if any(state.status is FileStatus.rejected for state in files):
        raise typer.Exit(1)


def _file_line(state: FileState) -> str:
    since = state.since.isoformat(timespec="seconds")
    live = state.live
    served = ""
    if live is not None:
        what = f"{live.type} v{live.version}" if live.type else "agency directory"
        served = f"{what} {live.digest[:12]}"
    if state.status is FileStatus.loaded:
        return f"loaded   {state.file}: {served} since {since}"
    kept = (
        f" (live: {served} since {live.since.isoformat(timespec='seconds')})" if live else " (nothing live)"
    )
    return f"rejected {state.file} since {since}: {len(state.problems)} problem(s){kept}"


@catalog_app.command("diagram")
def catalog_diagram(
    type_: Annotated[str, typer.Argument(metavar="TYPE", help="life event type, e.g. moving_house")],
    path: Annotated[Path | None, typer.Option(help="catalog folder (default: the configured one)")] = None,
) -> None:
    """Print a life event as a Mermaid flowchart (paste it into any Mermaid viewer).

    Example: onestop catalog diagram birth_registration > birth.mmd
    """
    settings = _settings()
    folder = path or settings.catalog_path
    if not folder.is_dir():
        raise typer.BadParameter(f"{folder} is not a folder: name the catalog folder", param_hint="--path")
    try:
        definition = find_definition(folder, type_)
    except DefinitionError:
        raise typer.BadParameter(
            f"{folder} has no valid {AGENCIES_FILE}: name a catalog folder (`onestop catalog validate {folder}`)",
            param_hint="--path",
        ) from None
    _out(mermaid(definition))


@temporal_app.command("setup")
def temporal_setup() -> None:
    """Register OneStop's search attributes in ONESTOP_TEMPORAL_NAMESPACE; safe to rerun.

    Run it once on a cluster before the first worker: a workflow cannot upsert an attribute the
    namespace does not know. The embedded dev server registers them itself at start.
    Example: ONESTOP_TEMPORAL_ADDRESS=temporal:7233 onestop temporal setup
    """
    settings = _settings()
    if not settings.temporal_address:  # never guess: a local server is not the cluster meant
        raise typer.BadParameter("set ONESTOP_TEMPORAL_ADDRESS to the cluster to prepare")
    address, namespace = settings.temporal_address, settings.temporal_namespace
    try:
        added = asyncio.run(_register_search_attributes(settings))
    except RPCError as exc:  # e.g. no such namespace, or not allowed to change it
        sys.stderr.write(f"error: Temporal at {address} refused ({exc.status.name}): {exc.message}\n")
        raise typer.Exit(1) from None
    for name in added:
        _out(f"added {name}={type_name(REQUIRED[name])} in namespace {namespace}")
    if not added:
        _out(f"nothing to add: all {len(REQUIRED)} search attributes are in namespace {namespace}")


async def _register_search_attributes(settings: Settings) -> list[str]:
    try:
        client = await connect_temporal(settings)
    except RuntimeError as exc:  # the SDK's "Failed client connect", with the cause inside
        raise Unavailable(f"cannot reach Temporal at {settings.temporal_address}: {exc}") from None
    return await register(client, settings.temporal_namespace)


@app.command()
def bench(
    cases: Annotated[int, typer.Option(min=10, max=5000, help="cases per throughput run")] = 200,
    concurrency: Annotated[int, typer.Option(min=1, max=500)] = 50,
    fan_out: Annotated[int, typer.Option(min=1, max=7, help="parallel steps after the first")] = 7,
    rounds: Annotated[int, typer.Option(min=1, max=9, help="interleaved repetitions; medians reported")] = 3,
    settle: Annotated[
        float,
        typer.Option(min=0, max=600, help="seconds each run waits for the server work its cases leave"),
    ] = DEFERRED_SECONDS,
    memory: Annotated[
        int | None,
        typer.Option(min=10, max=100_000, help="instead: this many cases waiting for a review, worker RSS"),
    ] = None,
    cache_size: Annotated[int, typer.Option(min=2, help="with --memory: the worker's workflow cache")] = 1000,
    api_load: Annotated[bool, typer.Option("--api-load", help="instead: trigger latency under load")] = False,
    rate: Annotated[float, typer.Option(min=0.1, max=1000, help="with --api-load: triggers per second")] = 50,
    seconds: Annotated[float, typer.Option(min=0.1, max=600, help="with --api-load: how long")] = 30,
    out: Annotated[
        Path, typer.Option(help="where the latest figures of each kind are kept")
    ] = DEFAULT_RESULTS,
) -> None:
    """Measure the engine against bare Temporal with the same fan-out, in one run, on fresh servers,
    with the CPU each process spends per case (the figure to judge a change by on a busy machine);
    or, with --memory, a worker's memory with many open cases; or, with --api-load, the API's
    trigger latency with the worker in its own process.

    Example: onestop bench --cases 200 --concurrency 50 --rounds 3
    Example: onestop bench --memory 10000
    Example: onestop bench --api-load --rate 50 --seconds 30
    """
    settings = _settings()
    if memory is not None and api_load:
        raise typer.BadParameter("one benchmark at a time: --memory or --api-load", param_hint="--memory")
    if memory is not None:
        kept = asyncio.run(run_memory(settings, memory, cache_size))
        record(out, memory=kept)
        _out(memory_report(kept))
    elif api_load:
        loaded = asyncio.run(run_api_load(settings, rate, seconds))
        record(out, api_load=loaded)
        _out(api_load_report(loaded))
    else:
        run = asyncio.run(run_bench(settings, cases, concurrency, fan_out, rounds, settle))
        record(out, throughput=run)
        _out(report(run))


def main() -> None:
    """Entry point; exits with os._exit so the Temporal SDK's exit-time abort (sdk-python #300) cannot
    turn a finished command into a crash. Errors a user can meet are one line (`user_errors`)."""
    code = 0
    try:
        result = app(standalone_mode=False)
        code = result if isinstance(result, int) else 0  # click returns Exit codes in this mode
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        code = INTERRUPTED
    except Exception as exc:
        told = describe(exc)
        if told is None:
            raise
        line, code = told
        sys.stderr.write(f"error: {line}\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
