"""The citizen API's polish: one 422 names every bad field, `GET /v1/cases` filters and pages,
and each life event publishes JSON Schemas of its inputs and of its steps' questions."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import TokenFactory
from tests.support import MOVE, CaseWatcher


async def test_five_missing_fields_are_five_errors(watcher: CaseWatcher, citizen: str) -> None:
    response = await watcher.trigger(citizen, "birth_registration", {"apply_for_child_benefit": False})
    assert response.status_code == 422, response.text
    fields = [e["field"] for e in response.json()["errors"]]
    assert sorted(fields) == sorted(
        f"data.{n}"
        for n in ("child_name", "child_birth_date", "birth_place", "parent_name", "parent_address")
    )


async def test_missing_and_bad_fields_together_and_no_value_echoed(
    watcher: CaseWatcher, citizen: str
) -> None:
    data = {"citizen_name": "Ana Lima", "move_date": "tomorrow-ish", "household_size": "many", "pets": 2}
    response = await watcher.trigger(citizen, "moving_house", data)
    assert response.status_code == 422, response.text
    body = response.json()
    assert {e["field"] for e in body["errors"]} == {
        "data.new_address",
        "data.move_date",
        "data.household_size",
        "data.pets",
    }
    assert body["field"] == body["errors"][0]["field"]
    assert "tomorrow-ish" not in response.text and "many" not in response.text


async def _list(watcher: CaseWatcher, citizen: str, **params: Any) -> httpx.Response:
    return await watcher.http.get("/v1/cases", params=params, headers=watcher.auth("citizen", citizen))


async def test_the_case_list_filters_and_pages(watcher: CaseWatcher, citizen: str) -> None:
    moves = [await watcher.start(citizen, "moving_house", {**MOVE, "district": f"d{i}"}) for i in range(3)]
    for case_id in moves:
        await watcher.wait(citizen, case_id)
    waiting = await watcher.start(citizen, "moving_house", {**MOVE, "school_age_children": 1})
    # The moves taught the profile the first spouse's name and address.
    married = await watcher.start(
        citizen, "marriage", {"spouse_b_name": "M S", "marriage_date": "2026-06-01"}
    )
    await watcher.wait(citizen, married)
    await watcher.wait_step(citizen, waiting, "transfer_school", "citizen")

    everything = (await _list(watcher, citizen)).json()
    newest_first = [married, waiting, *reversed(moves)]
    assert [c["case_id"] for c in everything["data"]] == newest_first
    assert everything.get("next_cursor") is None

    assert [c["case_id"] for c in (await _list(watcher, citizen, type="marriage")).json()["data"]] == [
        married
    ]
    assert [c["case_id"] for c in (await _list(watcher, citizen, status="waiting")).json()["data"]] == [
        waiting
    ]
    done = (await _list(watcher, citizen, status="completed", type="moving_house")).json()
    assert [c["case_id"] for c in done["data"]] == list(reversed(moves))

    seen: list[str] = []
    cursor: str | None = None
    for _ in range(5):  # 5 cases, 2 a page
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await _list(watcher, citizen, **params)).json()
        assert page["count"] == len(page["data"]) <= 2
        seen += [c["case_id"] for c in page["data"]]
        cursor = page.get("next_cursor")
        if cursor is None:
            break
    assert seen == newest_first

    paged = (await _list(watcher, citizen, status="completed", limit=1)).json()
    assert paged["count"] == 1 and paged["next_cursor"]
    rest = (await _list(watcher, citizen, status="completed", limit=10, cursor=paged["next_cursor"])).json()
    assert [c["case_id"] for c in paged["data"] + rest["data"]] == [married, *reversed(moves)]

    bad = await _list(watcher, citizen, status="asleep", limit=0)
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"query.status", "query.limit"}
    borrowed = await _list(watcher, f"{citizen}-other", cursor=moves[0])
    assert borrowed.status_code == 422 and borrowed.json()["field"] == "query.cursor"


async def test_each_life_event_publishes_form_schemas(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    response = await http.get("/v1/catalog/moving_house/schema", headers=auth("citizen"))
    assert response.status_code == 200, response.text
    body = response.json()
    inputs = body["inputs"]
    assert inputs["type"] == "object" and inputs["additionalProperties"] is False
    assert set(inputs["required"]) == {"citizen_name", "new_address", "move_date"}
    props = inputs["properties"]
    assert props["move_date"]["format"] == "date" and props["move_date"]["title"] == "Date of the move"
    assert props["citizen_name"]["x-onestop-profile"] == "name"
    assert "x-onestop-profile" not in props["new_address"]  # a new address is not the old one
    assert props["household_size"]["default"] == 1
    school = body["questions"]["transfer_school"]
    assert school["required"] == ["chosen_school"] and set(school["properties"]) == {"chosen_school"}

    birth = (await http.get("/v1/catalog/birth_registration/schema", headers=auth("designer"))).json()
    assert set(birth["questions"]) == {"review_birth_documents"}
    assert body["consents"] == {}  # a move shares by law only
    death = (await http.get("/v1/catalog/death_of_relative/schema", headers=auth("citizen"))).json()
    assert death["consents"] == {
        "grant_funeral_allowance": {
            "agency": "social_benefits",
            "action": "grant_funeral_allowance",
            "fields": ["deceased_name", "informant_name", "bank_account"],
            "purpose": "Pay the funeral allowance into your bank account",
        }
    }
    missing = await http.get("/v1/catalog/no_such_event/schema", headers=auth("citizen"))
    assert missing.status_code == 404
