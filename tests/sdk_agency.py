"""An agency built with the SDK, as an agency would write it: run by the tests in a process of its
own (`onestop worker --agency permit_office --app tests.sdk_agency:permits`).

It keeps what it was given in a JSON-lines file (`PERMIT_OFFICE_LOG`) so the test can check that
it received exactly the step's declared fields, and one record per idempotency key, as a registry
would."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from pydantic import BaseModel

from onestop.sdk import ActionContext, Agency, Rejected
from onestop.sdk.agency import Reply

permits = Agency("permit_office", title="Parking permit office")


class PermitApplication(BaseModel):
    citizen_name: str
    new_address: str


class Permit(Reply):
    zone: str


def _log() -> Path:
    return Path(os.environ["PERMIT_OFFICE_LOG"])


def _seen(key: str) -> bool:
    path = _log()
    return path.exists() and any(json.loads(line)["key"] == key for line in path.read_text().splitlines())


def _write(entry: dict[str, object]) -> None:
    with _log().open("a") as out:
        out.write(json.dumps(entry) + "\n")


@permits.action("issue_permit", compensation="revoke_permit", title="Issue a residents' parking permit")
async def issue_permit(ctx: ActionContext, data: PermitApplication) -> Permit:
    if data.new_address.startswith("Nowhere"):
        raise Rejected("address_outside_district")
    if not _seen(ctx.idempotency_key):  # once per key: a repeated delivery answers the same
        _write({"key": ctx.idempotency_key, "subject": ctx.subject, "fields": data.model_dump()})
    return Permit(reference="PRM-" + hashlib.sha256(ctx.idempotency_key.encode()).hexdigest()[:8], zone="Z1")


@permits.compensation("revoke_permit")
async def revoke_permit(ctx: ActionContext) -> None:
    if not _seen(ctx.idempotency_key):
        _write({"key": ctx.idempotency_key, "compensates": ctx.compensates})
