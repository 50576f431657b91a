"""The embedded MongoDB-wire server writes its journal to the operating system at each journaled
write, without an fsync (`orchestrator/embedded.py`, `JOURNAL_WRITE_ONLY`), and an acknowledged
journaled write still outlives a kill -9 of the server under concurrent writers."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from orchestrator.embedded import JOURNAL_WRITE_ONLY, EmbeddedServers
from orchestrator.mongo import connect

WRITERS = 6
WRITE_SECONDS = 2.5


def _environment(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
    return dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)


def test_the_sessions_database_server_journals_without_fsync(servers: EmbeddedServers) -> None:
    assert _environment(servers.named["secantusdb"].pid)["WIREDTIGER_CONFIG"] == JOURNAL_WRITE_ONLY


async def test_the_fsync_setting_leaves_the_servers_own_configuration(tmp_path: Path) -> None:
    database = EmbeddedServers.mongodb_only(tmp_path, fsync=True)
    database.start_mongodb()
    try:
        await database.wait_ready()
        given = _environment(database.named["secantusdb"].pid).get("WIREDTIGER_CONFIG")
        assert given == os.environ.get("WIREDTIGER_CONFIG")
    finally:
        database.stop()


async def test_every_acknowledged_journaled_write_outlives_a_kill_9(tmp_path: Path) -> None:
    database = EmbeddedServers.mongodb_only(tmp_path)
    database.start_mongodb()
    try:
        await database.wait_ready()
        acknowledged: list[str] = []
        client = connect(database.mongodb_url)
        writes = client.onestop.journal_probe
        await writes.insert_one({"_id": "first"})  # the collection exists before the race
        acknowledged.append("first")
        deadline = time.monotonic() + WRITE_SECONDS

        async def write(writer: int) -> None:
            n = 0
            while time.monotonic() < deadline:
                key = f"{writer}-{n}"
                await writes.insert_one({"_id": key, "padding": "x" * 300})
                acknowledged.append(key)
                n += 1

        tasks = [asyncio.create_task(write(w)) for w in range(WRITERS)]
        await asyncio.sleep(WRITE_SECONDS / 2)
        database.kill("secantusdb")  # mid-stream: writes are in flight
        await asyncio.gather(*tasks, return_exceptions=True)  # the rest fail: unacknowledged
        await client.close()
        assert len(acknowledged) > 100, "too few writes before the kill to prove anything"

        database.start_mongodb()
        await database.wait_ready()
        client = connect(database.mongodb_url)
        kept = {doc["_id"] async for doc in client.onestop.journal_probe.find({}, {"_id": 1})}
        await client.close()
        assert [key for key in acknowledged if key not in kept] == []
    finally:
        database.stop()
