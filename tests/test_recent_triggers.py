"""The short window in which identical reports without a key are one case, on the real database."""

from __future__ import annotations

import asyncio
import uuid

from pymongo.asynchronous.database import AsyncDatabase

from orchestrator.mongo import Document
from orchestrator.recent_triggers import RecentTriggers


async def test_a_repeat_within_the_window_gets_the_first_case(db: AsyncDatabase[Document]) -> None:
    recent = RecentTriggers(db, window_seconds=600)
    citizen = f"c-{uuid.uuid4().hex}"
    assert await recent.claim(citizen, "h1", "case-1") == "case-1"
    assert await recent.claim(citizen, "h1", "case-2") == "case-1"
    assert await recent.claim(citizen, "h2", "case-3") == "case-3"  # another report
    assert await recent.claim(f"other-{citizen}", "h1", "case-4") == "case-4"  # another citizen


async def test_simultaneous_repeats_share_one_case(db: AsyncDatabase[Document]) -> None:
    recent = RecentTriggers(db, window_seconds=600)
    citizen = f"c-{uuid.uuid4().hex}"
    claimed = await asyncio.gather(*(recent.claim(citizen, "h", f"case-{i}") for i in range(8)))
    assert len(set(claimed)) == 1 and claimed[0] in {f"case-{i}" for i in range(8)}


async def test_after_the_window_the_same_report_is_a_new_case_once(db: AsyncDatabase[Document]) -> None:
    recent = RecentTriggers(db, window_seconds=1)
    citizen = f"c-{uuid.uuid4().hex}"
    assert await recent.claim(citizen, "h", "case-1") == "case-1"
    await asyncio.sleep(1.2)
    # Two repeats at once after the window: one takes the expired claim over, the other joins it.
    claimed = await asyncio.gather(recent.claim(citizen, "h", "case-2"), recent.claim(citizen, "h", "case-3"))
    assert len(set(claimed)) == 1 and claimed[0] in {"case-2", "case-3"}
    assert await recent.claim(citizen, "h", "case-4") == claimed[0]


async def test_no_window_means_no_claim(db: AsyncDatabase[Document]) -> None:
    recent = RecentTriggers(db, window_seconds=0)
    assert await recent.claim("c", "h", "case-1") == "case-1"
    assert await recent.claim("c", "h", "case-2") == "case-2"
