"""Offers and follow-ups through the real stack: a completed birth registration offers the child
benefit (pre-filled) and schedules vaccination reminders; accepting starts a linked case that asks
nothing already known; declining is recorded; an expired offer is 409; another citizen sees 404."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from orchestrator.mongo import Document
from tests.support import MOVE, CaseWatcher, audited
from tests.test_life_events_e2e import BIRTH

NO_BENEFIT = {**BIRTH, "apply_for_child_benefit": False}


async def _completed_birth(watcher: CaseWatcher, citizen: str) -> dict[str, Any]:
    case_id = await watcher.start(citizen, "birth_registration", NO_BENEFIT)
    await watcher.wait_step(citizen, case_id, "review_birth_documents", "agency")
    decided = await watcher.http.post(
        f"/v1/cases/{case_id}/steps/review_birth_documents/decision",
        json={"approved": True},
        headers=watcher.auth("agency", "officer", agency="civil_registry"),
    )
    assert decided.status_code == 200, decided.text
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "completed", case
    return case


async def _offer(
    watcher: CaseWatcher, citizen: str, case_id: str, offer_id: str, verb: str, **body: Any
) -> Any:
    return await watcher.http.post(
        f"/v1/cases/{case_id}/offers/{offer_id}:{verb}",
        json=body or None,
        headers=watcher.auth("citizen", citizen),
    )


async def test_a_birth_offers_the_child_benefit_and_accepting_starts_a_linked_case(
    watcher: CaseWatcher, citizen: str
) -> None:
    case = await _completed_birth(watcher, citizen)
    [offer] = case["offers"]
    assert (offer["id"], offer["service"], offer["status"]) == ("child_benefit", "child_benefit", "open")
    assert offer["prefilled"] == ["child_name", "child_birth_date", "parent_name", "bank_account"]
    assert BIRTH["child_name"] not in str(offer)  # names of fields, never values
    assert any(e["event"] == "offers_made" and e["detail"] == "child_benefit" for e in case["timeline"])

    accepted = await _offer(watcher, citizen, case["case_id"], "child_benefit", "accept")
    assert accepted.status_code == 201, accepted.text
    linked = accepted.json()
    assert (linked["type"], linked["linked_from"]) == ("child_benefit", case["case_id"])
    again = await _offer(watcher, citizen, case["case_id"], "child_benefit", "accept")
    assert again.status_code == 201 and again.json()["case_id"] == linked["case_id"]  # the same case

    done = await watcher.wait(citizen, linked["case_id"])
    assert done["status"] == "completed" and done["linked_from"] == case["case_id"]
    [record] = await watcher.records("social_benefits", linked["case_id"])
    assert record["fields"] == {
        k: BIRTH[k] for k in ("child_name", "child_birth_date", "parent_name", "bank_account")
    }
    shown = (await watcher.case(citizen, case["case_id"]))["offers"][0]
    assert (shown["status"], shown["accepted_case_id"]) == ("accepted", linked["case_id"])
    declined = await _offer(watcher, citizen, case["case_id"], "child_benefit", "decline")
    assert declined.status_code == 409, declined.text
    trail = await watcher.audit_trail(case["case_id"])
    assert audited(trail, "accept_offer")[:4] == (citizen, "citizen", "accept_offer", case["case_id"])


async def test_declining_is_recorded_and_a_missing_input_is_named(watcher: CaseWatcher, citizen: str) -> None:
    case_id = await watcher.start(citizen, "moving_house", MOVE)
    case = await watcher.wait(citizen, case_id)
    assert [o["id"] for o in case["offers"]] == ["parking_permit"]  # a vehicle, no school-age children
    missing = await _offer(watcher, citizen, case_id, "parking_permit", "accept", data={"address": ""})
    assert missing.status_code == 422, missing.text
    assert {e["field"] for e in missing.json()["errors"]} == {"data.vehicle_registration", "data.address"}
    declined = await _offer(watcher, citizen, case_id, "parking_permit", "decline")
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert (await _offer(watcher, citizen, case_id, "parking_permit", "decline")).status_code == 200
    refused = await _offer(
        watcher, citizen, case_id, "parking_permit", "accept", data={"vehicle_registration": "AB-12"}
    )
    assert refused.status_code == 409, refused.text
    assert (await watcher.case(citizen, case_id))["offers"][0]["status"] == "declined"
    trail = await watcher.audit_trail(case_id)
    assert audited(trail, "decline_offer")[2:] == (
        "decline_offer",
        case_id,
        None,
        "parking_permit",
        "accepted",
    )


async def test_an_expired_offer_cannot_be_answered_and_another_citizen_sees_nothing(
    watcher: CaseWatcher, citizen: str, db: AsyncDatabase[Document]
) -> None:
    case_id = await watcher.start(citizen, "moving_house", MOVE)
    await watcher.wait(citizen, case_id)
    stranger = "citizen-stranger"
    assert (await _offer(watcher, stranger, case_id, "parking_permit", "accept")).status_code == 404
    assert (await _offer(watcher, stranger, case_id, "parking_permit", "decline")).status_code == 404
    assert (await _offer(watcher, citizen, case_id, "no_such_offer", "decline")).status_code == 404
    past = datetime.now(UTC) - timedelta(days=1)
    await db.offers.update_one({"case_id": case_id}, {"$set": {"expires_at": past}})
    assert (await watcher.case(citizen, case_id))["offers"][0]["status"] == "expired"
    for verb in ("accept", "decline"):
        answer = await _offer(
            watcher, citizen, case_id, "parking_permit", verb, data={"vehicle_registration": "X"}
        )
        assert answer.status_code == 409 and "expired" in answer.json()["detail"], answer.text


async def _follow_ups(watcher: CaseWatcher, citizen: str, case_id: str) -> list[dict[str, Any]]:
    """The case's follow-ups once their schedule has projected them (bounded wait)."""
    deadline = time.monotonic() + 30
    while True:
        listed = await watcher.http.get("/v1/me/follow-ups", headers=watcher.auth("citizen", citizen))
        assert listed.status_code == 200, listed.text
        found = [f for f in listed.json()["data"] if f["case_id"] == case_id]
        if found or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.1)


async def test_follow_ups_are_listed_and_cancelled_through_the_api(
    watcher: CaseWatcher, citizen: str
) -> None:
    case = await _completed_birth(watcher, citizen)
    found = await _follow_ups(watcher, citizen, case["case_id"])
    assert [(f["id"], f["status"]) for f in found] == [
        ("vaccination_2_months", "scheduled"),
        ("vaccination_4_months", "scheduled"),
        ("vaccination_6_months", "scheduled"),
    ]
    due = [datetime.fromisoformat(f["due_at"]) for f in found]
    assert [(d - due[0]).days for d in due] == [0, 60, 120]
    path = f"/v1/me/follow-ups/{case['case_id']}/vaccination_4_months:cancel"
    cancelled = await watcher.http.post(path, headers=watcher.auth("citizen", citizen))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled", cancelled.text
    assert (await watcher.http.post(path, headers=watcher.auth("citizen", citizen))).status_code == 200
    assert (
        await watcher.http.post(path, headers=watcher.auth("citizen", "citizen-other"))
    ).status_code == 404
    unknown = f"/v1/me/follow-ups/{case['case_id']}/vaccination_9_months:cancel"
    assert (await watcher.http.post(unknown, headers=watcher.auth("citizen", citizen))).status_code == 404
    deadline = time.monotonic() + 30
    while (await _follow_ups(watcher, citizen, case["case_id"]))[1]["status"] != "cancelled":
        assert time.monotonic() < deadline, "the cancel was never projected"
        await asyncio.sleep(0.1)
    trail = await watcher.audit_trail(case["case_id"])
    cancels = [
        (e["subject"], e["reason"], e["outcome"].split(":")[0])
        for e in trail
        if e["action"] == "cancel_follow_up"
    ]
    assert cancels == [
        (citizen, "vaccination_4_months", "accepted"),
        (citizen, "vaccination_4_months", "accepted"),
        ("citizen-other", "vaccination_4_months", "CaseNotFound"),
        (citizen, "vaccination_9_months", "NotFound"),
    ]
