"""Per-subject rate limits on triggers and commands: 429 with `Retry-After` past the budget.

A token bucket per (kind, subject): `per_minute` requests refill evenly over a minute and up to
`burst` may come at once. A citizen's client in a loop, or a stolen token, then costs the stack a
bounded rate instead of every agency a flood of actions. The buckets live in this API process
(bounded in number, least recently used dropped first); several API processes each apply the
limit, which bounds a subject to N times the rate: a shared store is the step after that.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from orchestrator.errors import RateLimited

MAX_SUBJECTS = 100_000


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    def __init__(self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, subject: str, what: str) -> None:
        """Spend one request of `subject`'s budget, or raise RateLimited saying when to retry."""
        now = self._clock()
        bucket = self._buckets.pop(subject, None) or _Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.at) * self._rate)
        bucket.at = now
        self._buckets[subject] = bucket
        if len(self._buckets) > MAX_SUBJECTS:
            self._buckets.popitem(last=False)
        if bucket.tokens < 1:
            raise RateLimited(what, max(1, math.ceil((1 - bucket.tokens) / self._rate)))
        bucket.tokens -= 1


@dataclass(frozen=True)
class RateLimits:
    triggers: RateLimiter
    commands: RateLimiter
