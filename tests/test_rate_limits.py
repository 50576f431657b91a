"""Per-subject rate limits: a burst is allowed, then 429 with Retry-After; other subjects are not
affected; the budget refills with time."""

from __future__ import annotations

import httpx

from api.rate_limits import RateLimiter
from orchestrator.errors import RateLimited
from orchestrator.settings import Settings
from tests.conftest import TokenFactory
from tests.support import MOVE


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


async def test_the_api_answers_429_with_retry_after(
    stack: Settings, http: httpx.AsyncClient, auth: TokenFactory, citizen: str
) -> None:
    headers = auth("citizen", citizen)
    statuses = []
    for i in range(stack.rate_triggers_burst + 2):
        body = {"type": "moving_house", "data": {**MOVE, "new_address": f"{i} Rua"}}
        response = await http.post("/v1/life-events", json=body, headers=headers)
        statuses.append(response.status_code)
    assert statuses[: stack.rate_triggers_burst] == [202] * stack.rate_triggers_burst
    assert statuses[-1] == 429
    refused = await http.post("/v1/life-events", json={"type": "moving_house", "data": MOVE}, headers=headers)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert refused.json()["type"] == "urn:onestop:problem:rate-limited"
    other = await http.post(
        "/v1/life-events", json={"type": "moving_house", "data": MOVE}, headers=auth("citizen")
    )
    assert other.status_code == 202
