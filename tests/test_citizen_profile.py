"""The once-only vault: a completed case fills the citizen's profile, a second life event asks
nothing already known, `PATCH /v1/me` names every bad field, and the profile is sealed at rest."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import bson
import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from orchestrator.agencies import load_directory
from orchestrator.catalog import parse_definition
from orchestrator.errors import DefinitionError
from orchestrator.mongo import Document, connect
from orchestrator.profile import CitizenProfile
from orchestrator.profile_store import ProfileStore
from orchestrator.settings import Settings
from tests.conftest import TokenFactory
from tests.support import MOVE, CaseWatcher, add_definition

# A life event that needs only what a move tells the state: given nothing, it takes the profile's.
ADDRESS_CONFIRMATION = """\
type: address_confirmation
version: 1
title: Confirm the address on the national ID
inputs:
  - {name: citizen_name, type: string, profile: name}
  - {name: new_address, type: string, profile: address}
steps:
  - id: confirm
    agency: national_id
    action: update_address
    compensation: revert_address
    inputs: [citizen_name, new_address]
"""


@pytest.fixture
async def db(stack: Settings) -> AsyncIterator[AsyncDatabase[Document]]:
    mongo = connect(stack.mongodb_url)
    yield mongo[stack.mongodb_database]
    await mongo.close()


async def test_a_second_life_event_asks_nothing_already_known(
    stack: Settings, watcher: CaseWatcher, citizen: str, db: AsyncDatabase[Document]
) -> None:
    add_definition(stack.catalog_path, "address_confirmation", ADDRESS_CONFIRMATION)
    moved = await watcher.start(citizen, "moving_house", MOVE)
    assert (await watcher.wait(citizen, moved))["status"] == "completed"
    me = await watcher.http.get("/v1/me", headers=watcher.auth("citizen", citizen))
    assert me.status_code == 200, me.text
    profile = me.json()
    assert profile["name"] == MOVE["citizen_name"] and profile["address"] == MOVE["new_address"]
    assert profile["owns_vehicle"] is True and profile["district"] == MOVE["district"]

    second = await watcher.start(citizen, "address_confirmation", {})  # nothing supplied
    assert (await watcher.wait(citizen, second))["status"] == "completed"
    [record] = await watcher.records("national_id", second)
    assert MOVE["citizen_name"] in str(record) and MOVE["new_address"] in str(record)

    doc = await db.profiles.find_one({"_id": stack.pseudonyms().of(citizen)})
    assert doc is not None and moved in doc["applied"]
    raw = bson.encode(doc)
    assert all(str(MOVE[k]).encode() not in raw for k in ("citizen_name", "new_address", "district"))
    assert citizen.encode() not in raw  # keyed by pseudonym


async def test_a_marriage_is_prefilled_and_names_the_spouse_afterwards(
    watcher: CaseWatcher, citizen: str
) -> None:
    headers = watcher.auth("citizen", citizen)
    given = {"name": "Rui Costa", "address": "3 Rua Nova, Braga"}
    patched = await watcher.http.patch("/v1/me", json=given, headers=headers)
    assert patched.status_code == 200, patched.text
    data = {"spouse_b_name": "Marta Sousa", "marriage_date": "2026-06-01"}
    case_id = await watcher.start(citizen, "marriage", data)
    assert (await watcher.wait(citizen, case_id))["status"] == "completed"
    [registered] = await watcher.records("civil_registry", case_id)
    assert "Rui Costa" in str(registered)
    profile = (await watcher.http.get("/v1/me", headers=headers)).json()
    assert profile["spouse_name"] == "Marta Sousa" and profile["address"] == given["address"]


async def test_what_the_citizen_gives_wins_over_the_profile(watcher: CaseWatcher, citizen: str) -> None:
    headers = watcher.auth("citizen", citizen)
    await watcher.http.patch("/v1/me", json={"name": "Old Name", "address": "1 Old Street"}, headers=headers)
    case_id = await watcher.start(citizen, "moving_house", {**MOVE, "citizen_name": "New Name"})
    await watcher.wait(citizen, case_id)
    [registered] = await watcher.records("residence_registry", case_id)
    assert "New Name" in str(registered) and "1 Old Street" in str(registered)  # previous_address
    profile = (await watcher.http.get("/v1/me", headers=headers)).json()
    assert profile["name"] == "New Name" and profile["address"] == MOVE["new_address"]


async def test_a_bad_patch_names_every_field_and_echoes_no_value(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    body = {
        "date_of_birth": "19-75-04-12",
        "household_size": 0,
        "children": [{"name": "Ana", "birth_date": "soon-ish"}],
        "vehicles": [{"kind": "car"}],
        "favourite_colour": "teal",
    }
    response = await http.patch("/v1/me", json=body, headers=auth("citizen"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {
        "body.date_of_birth",
        "body.household_size",
        "body.children.0.birth_date",
        "body.vehicles.0.registration",
        "body.favourite_colour",
    }
    for value in ("19-75-04-12", "soon-ish", "teal"):
        assert value not in response.text


async def test_only_a_citizen_has_a_profile(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    assert (await http.get("/v1/me", headers=auth("support", "s-1"))).status_code == 403
    assert (await http.get("/v1/me")).status_code == 401
    empty = await http.get("/v1/me", headers=auth("citizen"))
    assert empty.status_code == 200 and empty.json()["children"] == []


async def test_a_case_applied_twice_adds_one_child(stack: Settings, db: AsyncDatabase[Document]) -> None:
    store = ProfileStore(db, stack.vault_sealer())
    who = f"p-{uuid.uuid4().hex}"
    birth = {"children.name": "Lia", "children.birth_date": "2026-03-01", "bank_account": "PT50 0002"}
    for _ in range(2):
        await store.change(who, lambda p: p.updated(birth), case_id="case-1")
    await store.change(who, lambda p: p.updated(birth), case_id="case-2")  # the same child again
    profile = await store.get(who)
    assert [(c.name, str(c.birth_date)) for c in profile.children] == [("Lia", "2026-03-01")]
    assert profile.bank_account == "PT50 0002"


def test_profile_links_are_checked_against_the_profile() -> None:
    directory = load_directory(Path(__file__).parent.parent / "catalog" / "agencies.yaml")
    bad = ADDRESS_CONFIRMATION.replace("profile: name}", "profile: nmae}").replace(
        "{name: new_address, type: string, profile: address}",
        "{name: new_address, type: date, profile: address}\n  - {name: kid, type: date, profile: children.birth_date}",
    )
    with pytest.raises(DefinitionError) as raised:
        parse_definition(bad, "x.yaml", directory)
    problems = " ".join(raised.value.problems)
    assert "no profile field 'nmae'; did you mean 'name'?" in problems
    assert "profile field 'address' is a string, not a date" in problems
    assert "link one to 'children.name'" in problems
    assert CitizenProfile().value("children.name") is None
