"""Per-subject rate limits: a burst is allowed, then 429 with Retry-After; other subjects are not
affected; the budget refills with time. Commands have one budget per person, spent alike by the
JSON API's commands and the support console's action forms (an API of their own with a budget
of two, so the third command is refused whatever the clock does)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from api.rate_limits import RateLimiter
from onestop.stack import running_stack
from orchestrator.embedded import free_port
from orchestrator.errors import RateLimited
from orchestrator.settings import Settings
from tests.conftest import TokenFactory
from tests.support import MOVE, console_sign_in


def test_a_bucket_allows_its_burst_then_refills() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=3, clock=lambda: now[0])
    for _ in range(3):
        limiter.take("a", "reports")
    try:
        limiter.take("a", "reports")
        raise AssertionError("the fourth request in the same instant must be refused")
    except RateLimited as refused:
        assert refused.retry_after == 1
    limiter.take("b", "reports")  # another subject has its own budget
    now[0] += 1.0
    limiter.take("a", "reports")  # one request refilled per second at 60/min


@asynccontextmanager
async def _own_api(stack: Settings, **limits: int) -> AsyncIterator[httpx.AsyncClient]:
    """An API of its own on the session's servers, with `limits` for its rate settings."""
    settings = stack.model_copy(update={"api_port": free_port(), **limits})
    async with (
        running_stack(settings, worker=False, simulators=False),
        httpx.AsyncClient(base_url=f"http://{settings.api_host}:{settings.api_port}", timeout=30) as client,
    ):
        yield client


@pytest.fixture
async def tight_triggers(stack: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An API on the session's servers whose reports refill one a minute, three at once: the
    fourth is refused however slowly the machine answers (at the default 30 a minute, a trigger
    taking 0.4 s on a loaded machine refilled a token before the twelfth)."""
    async with _own_api(stack, rate_triggers_per_minute=1, rate_triggers_burst=3) as client:
        yield client


async def test_the_api_answers_429_with_retry_after(
    tight_triggers: httpx.AsyncClient, auth: TokenFactory, citizen: str
) -> None:
    headers = auth("citizen", citizen)
    statuses = []
    for i in range(4):
        body = {"type": "moving_house", "data": {**MOVE, "new_address": f"{i} Rua"}}
        refused = await tight_triggers.post("/v1/life-events", json=body, headers=headers)
        statuses.append(refused.status_code)
    assert statuses == [202, 202, 202, 429]
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["type"] == "urn:onestop:problem:rate-limited"
    other = await tight_triggers.post(
        "/v1/life-events", json={"type": "moving_house", "data": MOVE}, headers=auth("citizen")
    )
    assert other.status_code == 202


@pytest.fixture
async def tight_api(stack: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An API on the session's servers whose commands refill one a minute, two at once."""
    async with _own_api(stack, rate_commands_per_minute=1, rate_commands_burst=2) as client:
        yield client


def _refused(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert int(response.headers["retry-after"]) >= 1


async def test_a_command_past_its_budget_is_429_with_retry_after(
    tight_api: httpx.AsyncClient, auth: TokenFactory, citizen: str
) -> None:
    """The budget is spent before the case is looked at: probing case ids costs it too."""
    me = auth("citizen", citizen)
    for _ in range(2):
        assert (await tight_api.post("/v1/cases/no-such-case:cancel", headers=me)).status_code == 404
    answer = await tight_api.post(
        "/v1/cases/no-such-case/steps/s/input", json={"data": {"x": 1}}, headers=me
    )  # another command: the same budget
    _refused(answer)
    assert answer.json()["type"] == "urn:onestop:problem:rate-limited"
    assert "commands" in answer.json()["detail"]
    officer = auth("agency", "registrar-9", agency="civil_registry")
    decision = await tight_api.post(
        "/v1/cases/no-such-case/steps/s/decision", json={"approved": True}, headers=officer
    )
    assert decision.status_code == 404  # another person has a budget of their own
    reads = await tight_api.get("/v1/cases", headers=me)
    assert reads.status_code == 200  # reads are not commands


async def test_the_consoles_action_forms_spend_the_same_budget(
    tight_api: httpx.AsyncClient, auth: TokenFactory
) -> None:
    support = auth("support", "agent-budget")
    csrf, _ = await console_sign_in(tight_api, support["Authorization"].removeprefix("Bearer "))
    action = {"verb": "compensate", "reason": "duplicate_case", "csrf_token": csrf}
    first = await tight_api.post("/support/cases/no-such-case/actions", data=action)
    assert first.status_code == 404, first.text  # spent, and answered as usual
    api = await tight_api.post(
        "/v1/support/cases/no-such-case:compensate", json={"reason": "x"}, headers=support
    )
    assert api.status_code == 404  # the JSON API spends the second
    page = await tight_api.post("/support/cases/no-such-case/actions", data=action)
    _refused(page)
    assert page.headers["content-type"].startswith("text/html") and "Too many actions" in page.text
    bulk = {"action": "retry", "reason": "agency_recovered", "filter-stuck": "true", "csrf_token": csrf}
    _refused(await tight_api.post("/support/bulk", data=bulk))
    body = {"action": "retry", "reason": "agency_recovered", "filter": {"stuck": True}}
    _refused(await tight_api.post("/v1/support/cases:bulk", json=body, headers=support))
    listed = await tight_api.get("/support/cases")
    assert listed.status_code == 200  # reading the stuck list is not a command
