"""`GET /v1/me/data-uses`: every share of a citizen's data with an agency, their own only, paged,
with titles from the directory and field names, never values; and nothing can change the log."""

from __future__ import annotations

import inspect

from api.app import create_app
from orchestrator.catalog import CatalogSource
from orchestrator.data_exchange import DataUseLog
from orchestrator.settings import Settings
from tests.support import MOVE, CaseWatcher
from tests.test_permissions import _matrix


async def test_the_citizen_sees_every_share_of_their_case(
    stack: Settings, watcher: CaseWatcher, citizen: str
) -> None:
    case_id = await watcher.start(citizen, "moving_house", MOVE)
    case = await watcher.wait(citizen, case_id)
    shared = [s for s in case["steps"] if s["status"] == "succeeded"]
    response = await watcher.http.get("/v1/me/data-uses", headers=watcher.auth("citizen", citizen))
    assert response.status_code == 200, response.text
    uses = response.json()["data"]
    assert sorted(u["step_id"] for u in uses) == sorted(s["id"] for s in shared)
    directory = CatalogSource(stack.catalog_path).directory()
    definition = CatalogSource(stack.catalog_path).current().get("moving_house")
    for use in uses:
        step = definition.step(use["step_id"])
        assert use["case_id"] == case_id and use["agency"] == step.agency
        assert use["agency_title"] == directory.agencies[step.agency].title
        action = directory.action(step.agency, step.action)
        assert action is not None and use["purpose"] == action.title
        assert set(use["fields"]) <= set(step.inputs) and use["fields"]
    assert all(MOVE[k] not in response.text for k in ("citizen_name", "new_address", "district"))


async def test_pages_cover_the_log_once_and_stay_the_citizens_own(watcher: CaseWatcher, citizen: str) -> None:
    for _ in range(2):
        await watcher.wait(citizen, await watcher.start(citizen, "moving_house", MOVE))
    headers = watcher.auth("citizen", citizen)
    everything = (await watcher.http.get("/v1/me/data-uses", headers=headers)).json()
    assert everything["count"] == 12 and everything.get("next_cursor") is None
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(10):  # 12 records, 5 a page
        params: dict[str, str | int] = {"limit": 5, **({"cursor": cursor} if cursor else {})}
        page = (await watcher.http.get("/v1/me/data-uses", params=params, headers=headers)).json()
        seen += [u["id"] for u in page["data"]]
        cursor = page.get("next_cursor")
        if cursor is None:
            break
    assert seen == [u["id"] for u in everything["data"]]

    stranger = watcher.auth("citizen", f"{citizen}-other")
    assert (await watcher.http.get("/v1/me/data-uses", headers=stranger)).json()["data"] == []
    borrowed = await watcher.http.get("/v1/me/data-uses", params={"cursor": seen[0]}, headers=stranger)
    assert borrowed.status_code == 422 and borrowed.json()["errors"][0]["field"] == "query.cursor"
    bad = await watcher.http.get("/v1/me/data-uses", params={"limit": 0}, headers=headers)
    assert bad.status_code == 422
    support = watcher.auth("support", "s-1")
    assert (await watcher.http.get("/v1/me/data-uses", headers=support)).status_code == 403


def test_the_log_is_append_only(settings: Settings) -> None:
    """No route writes to it and its store has no way to change or delete a record."""
    ruled, _ = _matrix(create_app(settings))
    assert {(method, path) for (method, path) in ruled if "data-uses" in path} == {
        ("GET", "/v1/me/data-uses"),
        ("GET", "/data-uses"),  # the portal's page of it
    }
    methods = {name for name, _ in inspect.getmembers(DataUseLog, inspect.isfunction)}
    assert methods - {"__init__"} == {"append", "for_citizen", "get"}
    source = inspect.getsource(DataUseLog)
    assert not any(verb in source for verb in ("update_", "delete_", "replace_", "find_one_and"))
