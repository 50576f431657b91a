"""The long-running commands freeze what they built to start out of the collector's scans."""

from __future__ import annotations

import gc

from onestop.startup_heap import freeze_startup_heap, startup_heap_frozen


def test_startup_objects_are_frozen_and_later_garbage_is_still_collected() -> None:
    try:
        freeze_startup_heap()
        assert gc.get_freeze_count() > 0
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1  # what is made after the freeze is collected as before
    finally:
        gc.unfreeze()


def test_a_frozen_block_thaws_the_heap_when_it_ends() -> None:
    with startup_heap_frozen():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0  # the process that called the benchmark scans its heap again
