"""Personal data at rest: a direct look at MongoDB finds no value of a real case, data sealed
under an old key still opens after rotation, and a value moved to another case does not open."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import bson
import pytest
from pydantic import ValidationError
from pymongo.asynchronous.database import AsyncDatabase

from orchestrator.mongo import Document, connect
from orchestrator.payload_codec import new_key
from orchestrator.sealing import FieldSealer, VaultKeyError, parse_vault_keys
from orchestrator.settings import Settings
from orchestrator.vault import CaseDataStore
from tests.support import MOVE, CaseWatcher


@pytest.fixture
async def db(stack: Settings) -> AsyncIterator[AsyncDatabase[Document]]:
    mongo = connect(stack.mongodb_url)
    yield mongo[stack.mongodb_database]
    await mongo.close()


def _sealer(current: str, **keys: str) -> FieldSealer:
    return FieldSealer(parse_vault_keys(keys), current)


def _raw(doc: Document) -> bytes:
    return bson.encode(doc)


async def test_the_database_holds_no_personal_value_of_a_case(
    watcher: CaseWatcher, citizen: str, db: AsyncDatabase[Document]
) -> None:
    case_id = await watcher.start(citizen, "moving_house", MOVE)
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "completed", case
    [record] = await watcher.records("national_id", case_id)  # the agency got the plain values
    assert MOVE["new_address"] in str(record)
    doc = await db.case_data.find_one({"_id": case_id})
    assert doc is not None
    raw = _raw(doc)
    for value in [citizen, *(v for v in MOVE.values() if isinstance(v, str))]:
        assert value.encode() not in raw, value
    assert set(doc["data"]) >= {"citizen_name", "new_address", "owns_vehicle"}
    assert all(set(v) == {"kid", "box"} for v in doc["data"].values())


async def test_a_rotated_key_still_opens_what_the_old_one_sealed(db: AsyncDatabase[Document]) -> None:
    k1, k2 = new_key(), new_key()
    case_id, citizen = str(uuid.uuid4()), f"citizen-{uuid.uuid4().hex[:8]}"
    data: dict[str, Any] = {"citizen_name": "Rui Costa", "household_size": 3, "owns_vehicle": False}
    await CaseDataStore(db, _sealer("k1", k1=k1)).put(case_id, citizen, data)
    rotated = CaseDataStore(db, _sealer("k2", k1=k1, k2=k2))
    assert await rotated.request(case_id, list(data)) == (citizen, data)
    assert await rotated.answer(case_id, "q@1", {"chosen_school": "Escola B"})  # sealed under k2
    doc = await db.case_data.find_one({"_id": case_id})
    assert doc is not None
    assert doc["data"]["citizen_name"]["kid"] == "k1" and doc["data"]["chosen_school"]["kid"] == "k2"
    assert await rotated.answer(case_id, "q@1", {"chosen_school": "Escola B"})  # the same answer again
    assert not await rotated.answer(case_id, "q@1", {"chosen_school": "Escola C"})
    without_k1 = CaseDataStore(db, _sealer("k2", k2=k2))
    with pytest.raises(VaultKeyError, match="no vault key 'k1'"):
        await without_k1.fields(case_id, ["citizen_name"])


async def test_a_value_moved_to_another_case_or_field_does_not_open(db: AsyncDatabase[Document]) -> None:
    sealer = _sealer("k1", k1=new_key())
    store = CaseDataStore(db, sealer)
    mine, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    await store.put(mine, "citizen-a", {"citizen_name": "Ana Lima", "new_address": "1 Rua A"})
    await store.put(theirs, "citizen-b", {"citizen_name": "Rui Costa", "new_address": "2 Rua B"})
    doc = await db.case_data.find_one({"_id": mine})
    assert doc is not None
    await db.case_data.update_one(
        {"_id": theirs}, {"$set": {"data.citizen_name": doc["data"]["citizen_name"]}}
    )
    with pytest.raises(VaultKeyError, match="does not open"):
        await store.fields(theirs, ["citizen_name"])
    await db.case_data.update_one({"_id": mine}, {"$set": {"data.new_address": doc["data"]["citizen_name"]}})
    with pytest.raises(VaultKeyError, match="does not open"):
        await store.fields(mine, ["new_address"])


async def test_plain_values_written_before_encryption_still_read(db: AsyncDatabase[Document]) -> None:
    case_id = str(uuid.uuid4())
    await db.case_data.insert_one({"_id": case_id, "citizen_id": "c-1", "data": {"citizen_name": "Ana"}})
    store = CaseDataStore(db, _sealer("k1", k1=new_key()))
    assert await store.request(case_id, ["citizen_name", "district"]) == ("c-1", {"citizen_name": "Ana"})


def test_vault_keys_are_checked_and_production_requires_them(tmp_path: Any) -> None:
    with pytest.raises(VaultKeyError, match="32 bytes"):
        FieldSealer({"k": b"short"}, "k")
    with pytest.raises(VaultKeyError, match="not base64"):
        parse_vault_keys({"k": "***"})
    with pytest.raises(VaultKeyError, match="current vault key"):
        _sealer("k2", k1=new_key())
    production: dict[str, Any] = {
        "environment": "production",
        "home": tmp_path,
        "payload_keys": {"p": new_key()},
        "pseudonym_key": "x" * 40,
        "jwt_jwks_url": "http://127.0.0.1:1/",
    }
    with pytest.raises(ValidationError, match="ONESTOP_VAULT_KEYS"):
        Settings.model_validate(production)
    with pytest.raises(ValidationError, match="ONESTOP_VAULT_KEY_ID"):
        Settings(home=tmp_path, vault_keys={"a": new_key(), "b": new_key()})
    dev = Settings(home=tmp_path)
    assert Settings(home=tmp_path).vault_keys == dev.vault_keys != dev.payload_keys  # per machine, apart
