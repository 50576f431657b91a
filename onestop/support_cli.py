"""Support staff's commands: `onestop cases stuck|retry|skip|resolve|pause|resume|reset|compensate|bulk`
through the running API (so they are authorised and audited like the console), and
`onestop audit verify` against the database itself.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Annotated, Any

import httpx
import typer

from orchestrator.audit_log import AuditLog
from orchestrator.auth import Principal, Role, issue_token
from orchestrator.cases import CaseStatus, WaitingFor
from orchestrator.embedded import local_mongodb_url
from orchestrator.mongo import connect
from orchestrator.settings import Settings

Out = Callable[[str], None]

By = Annotated[
    str, typer.Option("--by", envvar="USER", help="your staff id: it is recorded in the audit trail")
]
Reason = Annotated[str, typer.Option(help="reason code, e.g. agency_recovered")]
Note = Annotated[str | None, typer.Option(help="free text kept with the case (never in Temporal)")]
TypeOpt = Annotated[str | None, typer.Option("--type", help="life-event type")]
StatusOpt = Annotated[CaseStatus | None, typer.Option(help="case status")]
AgencyOpt = Annotated[str | None, typer.Option(help="a step of this agency is open or held")]
WaitingOpt = Annotated[WaitingFor | None, typer.Option(help="citizen, agency or support")]
MinutesOpt = Annotated[int | None, typer.Option(min=0, help="stuck for at least this many minutes")]
StepOpt = Annotated[str | None, typer.Option(help="this step holds or fails")]
ErrorOpt = Annotated[str | None, typer.Option(help="a step's last error code")]
LimitOpt = Annotated[int, typer.Option(min=1, max=500)]


def _filter(**values: Any) -> dict[str, Any]:
    return {k: (v.value if hasattr(v, "value") else v) for k, v in values.items() if v not in (None, False)}


def register(
    cases_app: typer.Typer, audit_app: typer.Typer, settings: Callable[[], Settings], out: Out
) -> None:
    """Add the support commands to the CLI's `cases` and `audit` groups."""

    def client(by: str) -> httpx.Client:
        current = settings()
        bearer = issue_token(Principal(sub=by, role=Role.support), current.jwt_secret, 300)
        base = f"http://{current.api_host}:{current.api_port}"
        return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {bearer}"}, timeout=60)

    def answer(response: httpx.Response) -> Any:
        body = response.json()
        if response.is_error:
            out(json.dumps(body, indent=2))
            raise typer.Exit(1)
        return body

    @cases_app.command("stuck")
    def stuck(
        type_: TypeOpt = None,
        status: StatusOpt = None,
        agency: AgencyOpt = None,
        waiting_for: WaitingOpt = None,
        stuck_minutes: MinutesOpt = None,
        step: StepOpt = None,
        error: ErrorOpt = None,
        every: Annotated[bool, typer.Option("--all", help="every matching case, stuck or not")] = False,
        limit: LimitOpt = 50,
        as_json: Annotated[bool, typer.Option("--json")] = False,
        by: By = "support",
    ) -> None:
        """List cases that need a person, with why. Example: onestop cases stuck --agency tax_office"""
        params = _filter(
            type=type_, status=status, agency=agency, waiting_for=waiting_for, stuck_minutes=stuck_minutes,
            step=step, error=error, limit=limit, stuck=not every,
        )  # fmt: skip
        with client(by) as api:
            body = answer(api.get("/v1/support/cases", params=params))
        if as_json:
            out(json.dumps(body, indent=2))
            return
        for row in body["data"]:
            why = "; ".join(
                f"{r['code']} {r['step']} ({r['agency']}) {r['last_error'] or ''} x{r['attempts']} since {r['since']}"
                for r in row["reasons"]
            )
            out(f"{row['case_id']}  {row['type']:<20} {row['status']:<16} {why or '-'}")
        out(f"{body['count']} case(s)")

    def step_command(verb: str, doc: str) -> None:
        def command(case_id: str, step: str, reason: Reason, note: Note = None, by: By = "support") -> None:
            with client(by) as api:
                url = f"/v1/support/cases/{case_id}/steps/{step}:{verb}"
                body = answer(api.post(url, json=_filter(reason=reason, note=note)))
            held = next((s["status"] for s in body["steps"] if s["id"] == step), None)
            out(f"{verb}: case {case_id} is {body['status']}, step {step} is {held}")

        command.__doc__ = doc
        cases_app.command(verb)(command)

    step_command(
        "retry", "Retry a held step now. Example: onestop cases retry CASE STEP --reason agency_recovered"
    )
    step_command(
        "skip", "Skip a held step the definition allows. Example: onestop cases skip CASE STEP --reason x"
    )
    step_command(
        "resolve",
        "Declare a held agency call done by hand. Example: onestop cases resolve CASE STEP --reason done_by_phone",
    )
    step_command(
        "pause", "Pause a step's agency calls. Example: onestop cases pause CASE STEP --reason known_outage"
    )
    step_command(
        "resume", "Resume a paused step. Example: onestop cases resume CASE STEP --reason outage_over"
    )
    step_command(
        "reset",
        "Reset to before a step, on new code. Example: onestop cases reset CASE STEP --reason fix_1234",
    )

    @cases_app.command("compensate")
    def compensate(case_id: str, reason: Reason, note: Note = None, by: By = "support") -> None:
        """Undo a whole case. Example: onestop cases compensate CASE --reason duplicate_case"""
        with client(by) as api:
            body = answer(
                api.post(f"/v1/support/cases/{case_id}:compensate", json=_filter(reason=reason, note=note))
            )
        out(f"compensate: case {case_id} is {body['status']}")

    @cases_app.command("bulk")
    def bulk(
        action: Annotated[
            str, typer.Argument(help="retry, skip, resolve, pause, resume, reset or compensate")
        ],
        reason: Reason,
        step: Annotated[str | None, typer.Option(help="the step; default: each case's stuck step")] = None,
        apply: Annotated[
            bool, typer.Option("--apply", help="act; without it, a dry run lists the cases")
        ] = False,
        type_: TypeOpt = None,
        status: StatusOpt = None,
        agency: AgencyOpt = None,
        waiting_for: WaitingOpt = None,
        stuck_minutes: MinutesOpt = None,
        error: ErrorOpt = None,
        limit: LimitOpt = 50,
        by: By = "support",
    ) -> None:
        """One action on every stuck case a filter matches; a dry run unless --apply.
        Example: onestop cases bulk retry --agency tax_office --reason agency_recovered --apply"""
        filter_ = _filter(
            type=type_, status=status, agency=agency, waiting_for=waiting_for, stuck_minutes=stuck_minutes,
            error=error, stuck=True,
        )  # fmt: skip
        request = _filter(action=action, reason=reason, step=step, filter=filter_, limit=limit)
        with client(by) as api:
            body = answer(api.post("/v1/support/cases:bulk", json={**request, "dry_run": not apply}))
        for r in body["results"]:
            after = f" -> {r['status_after']}/{r['step_status_after']}" if r["status_after"] else ""
            out(f"{r['case_id']}  {r['outcome']:<11} {r['detail']}{after}")
        mode = "dry run" if body["dry_run"] else "applied"
        out(f"{mode}: {len(body['results'])} of {body['matched']} matching case(s); batch {body['batch_id']}")

    @audit_app.command("verify")
    def verify() -> None:
        """Check the audit trail's hash chain; exit 1 naming the first broken record.
        Example: ONESTOP_MONGODB_URL=mongodb://db:27017 onestop audit verify"""
        finding = asyncio.run(_verify(settings()))
        if finding.broken_at is not None:
            out(f"broken at record {finding.broken_at}: {finding.problem} ({finding.checked} checked)")
            raise typer.Exit(1)
        out(f"intact: {finding.checked} record(s)")


async def _verify(settings: Settings) -> Any:
    url = settings.mongodb_url or local_mongodb_url(settings.mongodb_port)  # a running `onestop dev`
    mongo = connect(url, settings.mongodb_timeout_ms)
    try:
        return await AuditLog(mongo[settings.mongodb_database]).verify()
    finally:
        await mongo.close()
