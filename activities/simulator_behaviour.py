"""How a simulated registry misbehaves, per agency, set by an operator while OneStop runs.

Real registries fail in a few ways OneStop must survive, and each is a knob here: transient
errors (503, retried), explicit rejections (409 with a reason code, rolled back), latency, an
outage window (every call 503 `agency_down` until it ends), answers that come only after
OneStop's agency timeout (the agency acts, OneStop has given up and retries), and replies lost
after the agency acted (the retry is a duplicate delivery, answered from the first record).

Every call draws the same five numbers in the same order whatever the rates, from a generator
the composition root injects (or the agency's own, seeded by `seed`): the same calls meet the
same outcomes, so a test or a demo can be repeated.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Rate = Annotated[float, Field(ge=0, le=1, description="probability per call, 0..1")]
_WEEK = 7 * 86_400


class Latency(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fixed: float = Field(default=0, ge=0, le=60_000, description="ms every answer takes")
    jitter: float = Field(default=0, ge=0, le=60_000, description="up to this many ms more, uniformly")


class Behaviour(BaseModel):
    """What an operator sets (`PUT`, or `PATCH` for the fields given); all zero: a healthy agency."""

    model_config = ConfigDict(extra="forbid")

    error_rate: Rate = 0
    rejection_rate: Rate = 0
    rejection_code: str = Field(default="injected_rejection", pattern=r"^[a-z0-9_]{1,64}$")
    lost_reply_rate: Rate = Field(default=0, description="acted, but the reply is lost: a 503 after storing")
    slow_beyond_timeout: Rate = Field(default=0, description="answers after OneStop's agency timeout")
    latency_ms: Latency = Field(default_factory=Latency)
    outage_seconds: float = Field(default=0, ge=0, le=_WEEK, description="down from now for this long")
    seed: int | None = Field(default=None, description="the agency's own generator, for repeatable runs")


class Stats(BaseModel):
    """What the agency did to its callers since its behaviour was last reset."""

    calls: int = 0
    refused_in_outage: int = 0
    errors: int = 0
    rejections: int = 0
    slow: int = 0
    lost_replies: int = 0
    duplicates: int = 0
    in_flight: int = Field(default=0, description="calls it is answering now")
    peak_in_flight: int = Field(default=0, description="the most calls it answered at once")


class BehaviourView(Behaviour):
    """An agency's behaviour now: `outage_seconds` is what is left of the window."""

    agency: str
    outage_until: datetime | None = None
    stats: Stats


class Failure(StrEnum):
    error = "error"
    rejection = "rejection"


@dataclass(frozen=True)
class Plan:
    """One call's fate, drawn before it is served."""

    delay_seconds: float = 0.0
    failure: Failure | None = None
    code: str = ""  # a rejection's reason code
    lose_reply: bool = False


@dataclass
class _Conduct:
    behaviour: Behaviour
    rng: random.Random
    outage_until: datetime | None
    stats: Stats


class Behaviours:
    """Every agency's behaviour; an agency nobody set behaves well. `slow_seconds` is how long a
    slow answer takes: past OneStop's agency timeout, which the composition root knows."""

    def __init__(self, rng: random.Random, now: Callable[[], datetime], slow_seconds: float) -> None:
        self._rng = rng
        self._now = now
        self._slow_seconds = slow_seconds
        self._agencies: dict[str, _Conduct] = {}

    def view(self, agency: str) -> BehaviourView:
        conduct = self._conduct(agency)
        now = self._now()
        until = conduct.outage_until if conduct.outage_until and conduct.outage_until > now else None
        left = (until - now).total_seconds() if until else 0.0
        return BehaviourView(
            **conduct.behaviour.model_dump(exclude={"outage_seconds"}),
            outage_seconds=round(left, 3),
            agency=agency,
            outage_until=until,
            stats=conduct.stats.model_copy(),
        )

    def put(self, agency: str, behaviour: Behaviour) -> BehaviourView:
        """Replace the behaviour; the outage window, if any, starts now. Stats carry on."""
        conduct = self._conduct(agency)
        conduct.behaviour = behaviour
        conduct.outage_until = self._window(behaviour.outage_seconds)
        conduct.rng = self._generator(behaviour.seed)
        return self.view(agency)

    def patch(self, agency: str, changes: Behaviour) -> BehaviourView:
        """Change only the fields given: a running outage goes on unless `outage_seconds` is
        given, and the generator carries on unless `seed` is."""
        conduct = self._conduct(agency)
        given = changes.model_fields_set
        conduct.behaviour = conduct.behaviour.model_copy(update={k: getattr(changes, k) for k in given})
        if "outage_seconds" in given:
            conduct.outage_until = self._window(changes.outage_seconds)
        if "seed" in given:
            conduct.rng = self._generator(changes.seed)
        return self.view(agency)

    def _window(self, seconds: float) -> datetime | None:
        return self._now() + timedelta(seconds=seconds) if seconds else None

    def _generator(self, seed: int | None) -> random.Random:
        return random.Random(seed) if seed is not None else self._rng

    def reset(self, agency: str) -> None:
        self._agencies.pop(agency, None)

    def down(self, agency: str) -> bool:
        """In an outage window now (counted as a refused call)."""
        conduct = self._conduct(agency)
        conduct.stats.calls += 1
        if conduct.outage_until is None or conduct.outage_until <= self._now():
            return False
        conduct.stats.refused_in_outage += 1
        return True

    def plan(self, agency: str) -> Plan:
        conduct = self._conduct(agency)
        b, rng, stats = conduct.behaviour, conduct.rng, conduct.stats
        jitter, slow, error, reject, lost = (rng.random() for _ in range(5))
        delay = (b.latency_ms.fixed + jitter * b.latency_ms.jitter) / 1000
        if slow < b.slow_beyond_timeout:
            stats.slow += 1
            delay += self._slow_seconds
        failure = None
        if error < b.error_rate:
            failure, stats.errors = Failure.error, stats.errors + 1
        elif reject < b.rejection_rate:
            failure, stats.rejections = Failure.rejection, stats.rejections + 1
        lose = failure is None and lost < b.lost_reply_rate
        stats.lost_replies += lose
        return Plan(delay_seconds=delay, failure=failure, code=b.rejection_code, lose_reply=lose)

    def entered(self, agency: str) -> None:
        """A call arrived: counted in flight until `left` (what an agency's capacity limits)."""
        stats = self._conduct(agency).stats
        stats.in_flight += 1
        stats.peak_in_flight = max(stats.peak_in_flight, stats.in_flight)

    def left(self, agency: str) -> None:
        stats = self._conduct(agency).stats  # a reset while it was in flight zeroed the count
        stats.in_flight = max(0, stats.in_flight - 1)

    def duplicate(self, agency: str) -> None:
        self._conduct(agency).stats.duplicates += 1

    def _conduct(self, agency: str) -> _Conduct:
        if agency not in self._agencies:
            self._agencies[agency] = _Conduct(Behaviour(), self._rng, None, Stats())
        return self._agencies[agency]
