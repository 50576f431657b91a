"""Test helpers that speak to the running stack only through its HTTP APIs."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import yaml

MOVE: dict[str, Any] = {
    "citizen_name": "Ana Lima",
    "new_address": "12 Rua das Flores, Porto",
    "move_date": "2026-12-01",
    "district": "porto",
    "owns_vehicle": True,
}
FINAL = {"completed", "compensated", "failed", "cancelled"}


class CaseWatcher:
    def __init__(
        self, http: httpx.AsyncClient, simulators: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
    ) -> None:
        self.http = http
        self.simulators = simulators
        self.auth = auth

    async def trigger(
        self, citizen: str, type_: str, data: dict[str, Any], key: str | None = None
    ) -> httpx.Response:
        headers = self.auth("citizen", citizen)
        if key is not None:
            headers["Idempotency-Key"] = key
        return await self.http.post("/v1/life-events", json={"type": type_, "data": data}, headers=headers)

    async def start(self, citizen: str, type_: str, data: dict[str, Any], key: str | None = None) -> str:
        """A new case: with a key of its own unless given one, since identical reports without a
        key are one case for a while (`orchestrator/recent_triggers.py`)."""
        response = await self.trigger(citizen, type_, data, key or f"test-{uuid.uuid4().hex}")
        assert response.status_code == 202, response.text
        case_id: str = response.json()["case_id"]
        return case_id

    async def case(self, citizen: str, case_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/v1/cases/{case_id}", headers=self.auth("citizen", citizen))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def wait(
        self, citizen: str, case_id: str, statuses: set[str] | None = None, within: float = 60
    ) -> dict[str, Any]:
        """Poll the read model until the case reaches one of `statuses` (default: any final one)."""
        wanted = statuses or FINAL
        deadline = time.monotonic() + within
        while True:
            case = await self.case(citizen, case_id)
            if case["status"] in wanted:
                return case
            if time.monotonic() > deadline:
                raise AssertionError(f"case {case_id} still {case['status']} after {within}s: {case}")
            await asyncio.sleep(0.1)

    async def wait_step(
        self, citizen: str, case_id: str, step_id: str, waiting_for: str, within: float = 30
    ) -> dict[str, Any]:
        """Poll until a step waits for `waiting_for` (citizen or agency)."""
        deadline = time.monotonic() + within
        while (found := step(await self.case(citizen, case_id), step_id))["waiting_for"] != waiting_for:
            if time.monotonic() > deadline:
                raise AssertionError(f"{step_id} not waiting for the {waiting_for} after {within}s: {found}")
            await asyncio.sleep(0.1)
        return found

    async def records(self, agency: str, case_id: str) -> list[dict[str, Any]]:
        """What the agency holds for the case, read with that agency's own token."""
        response = await self.simulators.get(
            f"/agencies/{agency}/records",
            params={"case_id": case_id},
            headers=self.auth("agency", f"{agency}-inspector", agency=agency),
        )
        assert response.status_code == 200, response.text
        data: list[dict[str, Any]] = response.json()["data"]
        return data

    async def audit_trail(self, case_id: str) -> list[dict[str, Any]]:
        """The case's audit records, as support reads them (a read that is itself audited)."""
        response = await self.http.get(
            f"/v1/support/cases/{case_id}", headers=self.auth("support", "support-tests")
        )
        assert response.status_code == 200, response.text
        trail: list[dict[str, Any]] = response.json()["audit"]
        return trail

    async def fault(self, **fault: Any) -> None:
        """Inject a fault, as support."""
        headers = self.auth("support", "support-tests")
        response = await self.simulators.post("/admin/faults", json=fault, headers=headers)
        assert response.status_code == 201, response.text

    async def clear_faults(self) -> None:
        response = await self.simulators.delete(
            "/admin/faults", headers=self.auth("support", "support-tests")
        )
        assert response.status_code == 204, response.text


async def console_sign_in(
    client: httpx.AsyncClient, token: str, prefix: str = "/support"
) -> tuple[str, httpx.Response]:
    """Sign in to the support console (or, with prefix "", the citizen portal) as a browser
    does (its CSRF token first): the form's token, for later posts, and the sign-in's answer,
    with its cookies."""
    csrf = await csrf_of(client, f"{prefix}/sign-in")
    signed = await client.post(f"{prefix}/sign-in", data={"token": token, "csrf_token": csrf})
    assert signed.status_code == 303, signed.text
    return csrf, signed


async def csrf_of(client: httpx.AsyncClient, path: str) -> str:
    """The CSRF token a page's forms carry (the client keeps the nonce cookie it came with)."""
    page = await client.get(path)
    return page.text.split('name="csrf_token" value="')[1].split('"')[0]


def audited(trail: list[dict[str, Any]], action: str) -> tuple[object, ...]:
    """The last record of `action`: who, role, what, case, step, reason and outcome (its kind)."""
    entry = next(e for e in reversed(trail) if e["action"] == action)
    outcome = entry["outcome"].split(":")[0]
    return (
        entry["subject"],
        entry["role"],
        entry["action"],
        entry["case_id"],
        entry["step"],
        entry["reason"],
        outcome,
    )


def step(case: dict[str, Any], step_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in case["steps"] if s["id"] == step_id)
    return found


IMPATIENT_MOVE = """\
type: impatient_move
version: 1
title: A move whose registry gets two tries before support is asked
inputs:
  - {name: citizen_name, type: string}
  - {name: new_address, type: string}
steps:
  - id: register_residence
    agency: residence_registry
    action: register_address
    compensation: cancel_address_registration
    inputs: [citizen_name, new_address]
    retry: {maximum_attempts: 2, initial_interval_seconds: 0.1}
"""


PATIENT_MOVE = """\
type: patient_move
version: 1
title: A move whose registry is retried an hour after a failure (a step that backs off, stably)
inputs:
  - {name: citizen_name, type: string}
  - {name: new_address, type: string}
steps:
  - id: register_residence
    agency: residence_registry
    action: register_address
    compensation: cancel_address_registration
    inputs: [citizen_name, new_address]
    retry: {initial_interval_seconds: 3600}
"""


def add_definition(catalog: Path, name: str, text: str) -> None:
    """A life event only the tests use, added to the session's catalog (hot-reloaded)."""
    target = catalog / f"{name}.yaml"
    if not target.exists():
        target.write_text(text)


def add_agency(catalog: Path, name: str, spec: dict[str, Any]) -> None:
    """An agency only the tests use, added to the session's directory (hot-reloaded) once."""
    path = catalog / "agencies.yaml"
    directory = yaml.safe_load(path.read_text())
    if name not in directory["agencies"]:
        directory["agencies"][name] = spec
        path.write_text(yaml.safe_dump(directory, sort_keys=False))


async def until_loaded(
    http: httpx.AsyncClient, headers: dict[str, str], type_: str, within: float = 30
) -> None:
    """Wait for the running catalog to serve `type_` (files reload on the next look)."""
    deadline = time.monotonic() + within
    while (await http.get(f"/v1/catalog/{type_}", headers=headers)).status_code != 200:
        assert time.monotonic() < deadline, f"the catalog did not load {type_}"
        await asyncio.sleep(0.2)
