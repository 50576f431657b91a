"""The stuck list's filters over HTTP, on cases of this test's own error code (the simulators'
failure injection): three held after two tries (waiting for support) and one backing off for an
hour (waiting for the agency). Whom a case waits for, how long it has been stuck, the failing step,
the created and updated ranges, sort, offset and count each narrow it as documented."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from orchestrator.settings import Settings
from tests.support import PATIENT_MOVE, CaseWatcher, add_definition
from tests.test_support_api import STEP, _held


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def test_each_filter_narrows_the_stuck_list(
    stack: Settings, watcher: CaseWatcher, citizen: str
) -> None:
    code = f"flt_{uuid.uuid4().hex[:8]}"
    held = [await _held(stack, watcher, citizen, code) for _ in range(3)]
    add_definition(stack.catalog_path, "patient_move", PATIENT_MOVE)
    retrying = await watcher.start(citizen, "patient_move", {"citizen_name": "Ana", "new_address": "1 Rua"})
    await watcher.wait_step(citizen, retrying, STEP, "agency")
    support = watcher.auth("support", "agent-filters")

    async def listed(**params: Any) -> tuple[list[str], int]:
        response = await watcher.http.get(
            "/v1/support/cases", params={"error": code, "limit": 500, **params}, headers=support
        )
        assert response.status_code == 200, response.text
        body = response.json()
        return [row["case_id"] for row in body["data"]], body["count"]

    every, count = await listed(sort="created_at")
    assert (every, count) == ([*held, retrying], 4)
    assert await listed(sort="-created_at") == ([retrying, *reversed(held)], 4)
    assert await listed(sort="created_at", limit=2, offset=1) == (held[1:3], 4)  # count is before paging
    assert await listed(sort="created_at", offset=4) == ([], 4)

    assert await listed(waiting_for="support", sort="created_at") == (held, 3)
    assert await listed(waiting_for="agency") == ([retrying], 1)
    assert await listed(waiting_for="citizen") == ([], 0)

    assert await listed(step=STEP, sort="created_at") == ([*held, retrying], 4)
    assert await listed(step="another_step") == ([], 0)

    # Held cases are stuck at once; one retrying for minutes is not stuck until its threshold.
    assert await listed(stuck_minutes=0, sort="created_at") == (held, 3)
    assert await listed(stuck="true", sort="created_at") == (held, 3)
    assert await listed(stuck_minutes=7 * 24 * 60) == ([], 0)

    rows = {r["case_id"]: r for r in (await _rows(watcher, support, code))}
    second = rows[held[1]]["created_at"]
    assert await listed(created_from=second, sort="created_at") == ([held[1], held[2], retrying], 3)
    assert await listed(created_to=second, sort="created_at") == ([held[0]], 1)  # the end is excluded
    updated = sorted(_at(rows[c]["updated_at"]) for c in held)  # held cases no longer change
    later = {c for c in held if _at(rows[c]["updated_at"]) >= updated[1]}
    found, _ = await listed(waiting_for="support", updated_from=updated[1].isoformat())
    assert set(found) == later
    past_all = (updated[-1] + timedelta(milliseconds=1)).isoformat()
    assert await listed(waiting_for="support", updated_from=past_all) == ([], 0)
    assert await listed(waiting_for="support", updated_to=updated[0].isoformat()) == ([], 0)

    bad = await watcher.http.get(
        "/v1/support/cases", params={"sort": "citizen", "offset": -1, "stuck_minutes": "x"}, headers=support
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"query.sort", "query.offset", "query.stuck_minutes"}
    await watcher.clear_faults()


async def _rows(watcher: CaseWatcher, support: dict[str, str], code: str) -> list[dict[str, Any]]:
    response = await watcher.http.get("/v1/support/cases", params={"error": code}, headers=support)
    rows: list[dict[str, Any]] = response.json()["data"]
    return rows
