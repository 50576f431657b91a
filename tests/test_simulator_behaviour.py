"""How a simulated agency misbehaves, drawn from a seeded generator: the same seed gives the
same outcomes, rates hold over many calls, an outage window ends by the clock, and a PATCH
changes only what it names. No server needed: `Behaviours` is the simulators' own object."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from activities.simulator_behaviour import Behaviour, Behaviours, Failure, Latency

START = datetime(2026, 1, 1, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def behaviours(seed: int = 7, clock: Clock | None = None) -> Behaviours:
    return Behaviours(random.Random(seed), clock or Clock(), slow_seconds=11.0)


def outcomes(b: Behaviours, agency: str, calls: int) -> Counter[str]:
    found: Counter[str] = Counter()
    for _ in range(calls):
        plan = b.plan(agency)
        found[plan.failure.value if plan.failure else "lost" if plan.lose_reply else "ok"] += 1
    return found


def test_an_agency_nobody_set_behaves_well() -> None:
    b = behaviours()
    assert outcomes(b, "tax_office", 200) == Counter(ok=200)
    assert not b.down("tax_office")
    assert b.plan("tax_office").delay_seconds == 0


def test_the_same_seed_gives_the_same_outcomes_and_rates_hold() -> None:
    rates = Behaviour(error_rate=0.3, rejection_rate=0.1, lost_reply_rate=0.2)
    first, second = behaviours(seed=1), behaviours(seed=1)
    first.put("tax_office", rates)
    second.put("tax_office", rates)
    a, b = outcomes(first, "tax_office", 2000), outcomes(second, "tax_office", 2000)
    assert a == b
    assert 0.27 < a["error"] / 2000 < 0.33  # errors first: 30% of calls
    assert 0.05 < a["rejection"] / 2000 < 0.09  # then 10% of the rest (7%)
    assert a["error"] + a["rejection"] + a["lost"] + a["ok"] == 2000
    stats = first.view("tax_office").stats
    assert (stats.errors, stats.rejections, stats.lost_replies) == (a["error"], a["rejection"], a["lost"])


def test_an_agencys_own_seed_repeats_whatever_the_others_draw() -> None:
    """A seeded agency has a generator of its own: calls to other agencies do not shift it."""
    quiet, busy = behaviours(seed=3), behaviours(seed=3)
    for b in (quiet, busy):
        b.put("tax_office", Behaviour(error_rate=0.5, seed=42))
        b.put("national_id", Behaviour(error_rate=0.5))
    outcomes(busy, "national_id", 37)
    assert [quiet.plan("tax_office") for _ in range(50)] == [busy.plan("tax_office") for _ in range(50)]


def test_latency_is_fixed_plus_uniform_jitter_and_slow_answers_pass_the_timeout() -> None:
    b = behaviours()
    b.put("tax_office", Behaviour(latency_ms=Latency(fixed=200, jitter=50)))
    delays = [b.plan("tax_office").delay_seconds for _ in range(500)]
    assert min(delays) >= 0.2 and max(delays) <= 0.25 and len(set(delays)) > 400
    b.put("tax_office", Behaviour(slow_beyond_timeout=1.0))
    assert {b.plan("tax_office").delay_seconds for _ in range(10)} == {11.0}
    assert b.view("tax_office").stats.slow == 10


def test_an_outage_refuses_every_call_until_its_window_ends() -> None:
    clock = Clock()
    b = behaviours(clock=clock)
    b.put("tax_office", Behaviour(outage_seconds=60))
    assert b.down("tax_office") and not b.down("national_id")
    clock.now += timedelta(seconds=45)
    view = b.view("tax_office")
    assert view.outage_seconds == 15 and view.outage_until == START + timedelta(seconds=60)
    assert b.down("tax_office")
    clock.now += timedelta(seconds=15)
    assert not b.down("tax_office")
    view = b.view("tax_office")
    assert view.outage_seconds == 0 and view.outage_until is None
    assert (view.stats.calls, view.stats.refused_in_outage) == (3, 2)


def test_a_patch_changes_only_what_it_names_and_keeps_a_running_outage() -> None:
    clock = Clock()
    b = behaviours(clock=clock)
    b.put("tax_office", Behaviour(outage_seconds=60, rejection_rate=0.5, rejection_code="closed"))
    clock.now += timedelta(seconds=20)
    view = b.patch("tax_office", Behaviour.model_validate({"error_rate": 0.3}))
    assert (view.error_rate, view.rejection_rate, view.rejection_code) == (0.3, 0.5, "closed")
    assert view.outage_seconds == 40  # not restarted
    view = b.patch("tax_office", Behaviour.model_validate({"outage_seconds": 0}))
    assert view.outage_until is None and not b.down("tax_office")
    b.reset("tax_office")
    assert b.view("tax_office").error_rate == 0 and b.view("tax_office").stats.calls == 0


def test_a_rejection_carries_its_code() -> None:
    b = behaviours()
    b.put("tax_office", Behaviour(rejection_rate=1.0, rejection_code="outside_jurisdiction"))
    plan = b.plan("tax_office")
    assert (plan.failure, plan.code) == (Failure.rejection, "outside_jurisdiction")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"error_rate": 1.5}, "error_rate"),
        ({"rejection_rate": -0.1}, "rejection_rate"),
        ({"latency_ms": {"fixed": -1}}, "latency_ms.fixed"),
        ({"outage_seconds": 10**9}, "outage_seconds"),
        ({"rejection_code": "Not A Code"}, "rejection_code"),
        ({"eror_rate": 0.3}, "eror_rate"),
    ],
)
def test_a_bad_behaviour_names_its_field(body: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Behaviour.model_validate(body)
    assert [".".join(map(str, e["loc"])) for e in caught.value.errors()] == [field]
