"""The citizens' side of `onestop chaos`: life events reported through the API over real HTTP,
as a careful client does (its own Idempotency-Key per report, the same key again after a 503 or
a 429, after `Retry-After`), with every answer's status counted.

Besides the good reports: bursts of concurrent reports with one key (one case, whatever the
race), and malformed or oversized requests that must each be a 4xx.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from orchestrator.auth import Principal, Role, issue_token
from orchestrator.settings import Settings

MOVE: dict[str, Any] = {
    "citizen_name": "Ana Lima",
    "new_address": "12 Rua das Flores, Porto",
    "move_date": "2026-12-01",
    "owns_vehicle": True,
}
LIFE_EVENT = "moving_house"
RETRY_CAP_SECONDS = 2.0
BURST = 20


@dataclass(frozen=True)
class Accepted:
    key: str
    citizen: str
    case_id: str


@dataclass
class Tally:
    """What the API answered: statuses seen (a 503 counted only with `Retry-After`), the cases
    accepted, the reports never accepted before the deadline, and refusals that were wrong."""

    statuses: Counter[int] = field(default_factory=Counter)
    unavailable_without_retry_after: int = 0
    accepted: list[Accepted] = field(default_factory=list)
    unaccepted: list[str] = field(default_factory=list)
    bursts: list[set[str]] = field(default_factory=list)  # case ids per same-key burst
    wrong: list[str] = field(default_factory=list)  # a bad request not answered 4xx, or a good one refused

    def count(self, response: httpx.Response) -> None:
        self.statuses[response.status_code] += 1
        if response.status_code == 503 and "retry-after" not in response.headers:
            self.unavailable_without_retry_after += 1


class Citizens:
    """Reports life events to one stack's API; `answered` counts reports done, for faults that
    wait until a share of the load has gone through."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient, deadline: float) -> None:
        self._settings = settings
        self._http = http
        self._deadline = deadline
        self.tally = Tally()
        self.answered = 0
        self._progress = asyncio.Condition()

    async def until_answered(self, reports: int) -> None:
        """Until `reports` good reports have been answered (accepted or given up on)."""
        async with self._progress:
            await self._progress.wait_for(lambda: self.answered >= reports)

    def headers(self, citizen: str) -> dict[str, str]:
        token = issue_token(
            Principal(sub=citizen, role=Role.citizen),
            self._settings.jwt_secret,
            3600,
            self._settings.token_rules,
        )
        return {"Authorization": f"Bearer {token}"}

    async def report(self, citizen: str, key: str) -> str | None:
        """One report, repeated with its key while the API is unavailable; its case id."""
        headers = {**self.headers(citizen), "Idempotency-Key": key}
        body = {"type": LIFE_EVENT, "data": MOVE}
        while time.monotonic() < self._deadline:
            try:
                response = await self._http.post("/v1/life-events", json=body, headers=headers)
            except httpx.TransportError:
                await asyncio.sleep(0.5)  # the API restarting or overloaded: the same key again
                continue
            self.tally.count(response)
            if response.status_code == 202:
                case_id: str = response.json()["case_id"]
                return case_id
            if response.status_code not in (429, 503):
                self.tally.wrong.append(f"{key}: a good report answered {response.status_code}")
                return None
            await asyncio.sleep(min(float(response.headers.get("retry-after", 1)), RETRY_CAP_SECONDS))
        return None

    async def good(self, prefix: str, cases: int, per_second: float, concurrency: int = 8) -> None:
        """`cases` reports, each from its own citizen with its own key, paced."""
        gate = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            citizen, key = f"{prefix}-citizen-{i}", f"{prefix}-{i}"
            async with gate:
                case_id = await self.report(citizen, key)
            async with self._progress:
                self.answered += 1
                self._progress.notify_all()
            if case_id is None:
                self.tally.unaccepted.append(key)
            else:
                self.tally.accepted.append(Accepted(key, citizen, case_id))

        tasks = []
        for i in range(cases):
            tasks.append(asyncio.create_task(one(i)))
            await asyncio.sleep(1 / per_second)
        await asyncio.gather(*tasks)

    async def burst(self, citizen: str, key: str) -> None:
        """BURST concurrent reports with one key: every answer names the same case."""
        ids = await asyncio.gather(*(self.report(citizen, key) for _ in range(BURST)))
        seen = {i for i in ids if i is not None}
        self.tally.bursts.append(seen)
        if seen:
            self.tally.accepted.append(Accepted(key, citizen, sorted(seen)[0]))
        else:
            self.tally.unaccepted.append(key)

    async def bad(self, citizen: str) -> None:
        """Every kind of bad request once; each must be a 4xx (never a 5xx, never accepted)."""
        for name, request in bad_requests(self._http, self.headers(citizen)):
            try:
                response = await self._http.send(request)
            except httpx.TransportError as exc:
                self.tally.wrong.append(f"bad request {name}: {type(exc).__name__}")
                continue
            self.tally.count(response)
            if not 400 <= response.status_code < 500:
                self.tally.wrong.append(f"bad request {name} answered {response.status_code}")


def bad_requests(http: httpx.AsyncClient, auth: dict[str, str]) -> list[tuple[str, httpx.Request]]:
    """Malformed, oversized, unauthenticated and invalid reports, named for the report."""
    path = "/v1/life-events"
    as_json = {**auth, "Content-Type": "application/json"}

    def post(headers: dict[str, str], **kw: Any) -> httpx.Request:
        return http.build_request("POST", path, headers=headers, **kw)

    good = {"type": LIFE_EVENT, "data": MOVE}
    return [
        ("not-json", post(as_json, content=b'{"type": "moving_house", "data": {')),
        ("no-type", post(auth, json={"data": MOVE})),
        ("unknown-type", post(auth, json={"type": "moving_castle", "data": MOVE})),
        ("long-type", post(auth, json={"type": "x" * 65, "data": MOVE})),
        ("data-not-object", post(auth, json={"type": LIFE_EVENT, "data": [1, 2]})),
        (
            "wrong-types",
            post(
                auth,
                json={"type": LIFE_EVENT, "data": {**MOVE, "move_date": "soon", "owns_vehicle": "maybe"}},
            ),
        ),
        ("missing-fields", post(auth, json={"type": LIFE_EVENT, "data": {"owns_vehicle": True}})),
        (
            "oversized",
            post(as_json, content=b'{"type": "moving_house", "data": {"x": "' + b"x" * 70_000 + b'"}}'),
        ),
        ("bad-key", post({**auth, "Idempotency-Key": "has space"}, json=good)),
        ("long-key", post({**auth, "Idempotency-Key": "k" * 201}, json=good)),
        ("no-token", post({}, json=good)),
        ("bad-token", post({"Authorization": "Bearer not.a.token"}, json=good)),
        ("text-body", post({**auth, "Content-Type": "text/plain"}, content=b"moving house")),
    ]
