"""The bench measures its configurations in turns, so every one meets the same machine."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from onestop.bench import _in_turn, measure_serial


async def test_configurations_take_turns_and_each_turn_starts_with_the_next() -> None:
    order: list[str] = []

    def runner(name: str, seconds: float) -> Callable[[], Awaitable[None]]:
        async def one() -> None:
            order.append(name)
            await asyncio.sleep(seconds)

        return one

    medians = await measure_serial(
        {"a": runner("a", 0.001), "b": runner("b", 0.05), "c": runner("c", 0.001)}, runs=4
    )
    assert order == ["a", "b", "c", "b", "c", "a", "c", "a", "b", "a", "b", "c"]
    assert set(medians) == {"a", "b", "c"}
    assert medians["b"] >= 50 and medians["a"] < medians["b"]  # a sleep lasts at least its time


def test_each_round_starts_with_the_next_configuration() -> None:
    names = ["bare", "engine", "sims"]
    assert [_in_turn(names, r) for r in range(4)] == [
        ["bare", "engine", "sims"],
        ["engine", "sims", "bare"],
        ["sims", "bare", "engine"],
        ["bare", "engine", "sims"],
    ]
