"""The dry run against the real thing: each life event of the catalog tried on sample data, then
run for real through the API with the simulators, and the plan must match what happened (the
same steps run, in the same waves, the same skips and reasons, the same fields per agency, the
same undo when a step fails). Reviews are approved and questions answered through the API."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.conftest import TokenFactory
from tests.support import MOVE, CaseWatcher, step
from tests.test_life_events_e2e import BIRTH, DEATH, MARRIAGE

README_MOVE = {
    "citizen_name": "Ana Lima",
    "new_address": "12 Rua das Flores",
    "move_date": "2026-12-01",
    "owns_vehicle": True,
}
SCENARIOS: list[tuple[str, dict[str, Any]]] = [
    ("moving_house", README_MOVE),
    ("moving_house", {**MOVE, "owns_vehicle": False, "school_age_children": 2}),
    ("birth_registration", BIRTH),
    ("birth_registration", {**BIRTH, "apply_for_child_benefit": False}),
    ("death_of_relative", DEATH),
    ("death_of_relative", {**DEATH, "eligible_for_funeral_allowance": True, "bank_account": "GB29 NWBK"}),
    ("marriage", MARRIAGE),
    ("marriage", {**MARRIAGE, "change_surname": True, "new_surname": "Park"}),
]
ANSWERS = {"chosen_school": "Escola Básica da Sé"}


async def _try(
    http: httpx.AsyncClient, auth: TokenFactory, type_: str, body: dict[str, Any]
) -> httpx.Response:
    return await http.post(f"/v1/catalog/{type_}:try", json=body, headers=auth("designer", "designer-1"))


async def _drive(watcher: CaseWatcher, citizen: str, case_id: str) -> dict[str, Any]:
    """Run the case to its end: approve each review, answer each question (bounded)."""
    for _ in range(20):
        case = await watcher.wait(citizen, case_id, {"waiting", "completed", "compensated", "failed"})
        if case["status"] != "waiting":
            return case
        waiting = next(s for s in case["steps"] if s["status"] == "waiting")
        if waiting["waiting_for"] == "citizen" and waiting["consent"]:
            response = await watcher.http.post(
                f"/v1/cases/{case_id}/steps/{waiting['id']}/consent",
                json={"given": True},
                headers=watcher.auth("citizen", citizen),
            )
        elif waiting["waiting_for"] == "citizen":
            answer = {name: ANSWERS[name] for name in waiting["asked_fields"]}
            response = await watcher.http.post(
                f"/v1/cases/{case_id}/steps/{waiting['id']}/input",
                json={"data": answer},
                headers=watcher.auth("citizen", citizen),
            )
        else:
            agency = waiting["agency"]
            response = await watcher.http.post(
                f"/v1/cases/{case_id}/steps/{waiting['id']}/decision",
                json={"approved": True},
                headers=watcher.auth("agency", f"{agency}-officer", agency=agency),
            )
        assert response.status_code == 200, response.text
        await _until_moved(watcher, citizen, case_id, waiting["id"])
    raise AssertionError(f"case {case_id} still waiting after 20 answers")


async def _until_moved(watcher: CaseWatcher, citizen: str, case_id: str, step_id: str) -> None:
    for _ in range(300):
        if step(await watcher.case(citizen, case_id), step_id)["status"] != "waiting":
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{step_id} still waits after its answer")


async def _compare(watcher: CaseWatcher, plan: dict[str, Any], case: dict[str, Any]) -> None:
    """The plan and the real case agree on steps run, order of starts, skips and fields."""
    planned = [s for wave in plan["waves"] for s in wave["steps"]]
    ran = {s["id"]: s for s in case["steps"] if s["status"] in ("succeeded", "failed", "compensated")}
    assert [s["id"] for s in planned] == [s["id"] for s in case["steps"] if s["id"] in ran], case
    started = list(dict.fromkeys(e["step"] for e in case["timeline"] if e["event"] == "step_started"))
    assert started == [s["id"] for s in planned]
    skipped = {s["id"]: s["error"] for s in case["steps"] if s["status"] == "skipped"}
    assert skipped == {s["id"]: s["reason"] for s in plan["skipped"]}
    for planned_step in planned:
        real = ran[planned_step["id"]]
        assert real["shared_fields"] == [f["name"] for f in planned_step["fields"]], planned_step["id"]
        records = [
            r
            for r in await watcher.records(planned_step["agency"], case["case_id"])
            if r["step_id"] == planned_step["id"] and not r["compensates"]
        ]
        sent = {f["name"]: f["value"] for f in planned_step["fields"] if f["sent"]}
        if planned_step["outcome"] == "failed":
            assert records == [], planned_step["id"]  # refused: the simulator keeps nothing
            continue
        assert len(records) == 1, planned_step["id"]
        expected = {k: (ANSWERS[k] if v is None else v) for k, v in sent.items()}
        assert records[0]["fields"] == expected, planned_step["id"]
    agencies = {a["agency"]: a["fields"] for a in plan["agencies"]}
    for agency, fields in agencies.items():
        received = {k for r in await watcher.records(agency, case["case_id"]) for k in r["fields"]}
        assert received == set(fields), agency


@pytest.mark.parametrize(("type_", "data"), SCENARIOS, ids=[f"{t}-{i}" for i, (t, _) in enumerate(SCENARIOS)])
async def test_the_plan_is_what_a_real_case_does(
    watcher: CaseWatcher, auth: TokenFactory, citizen: str, type_: str, data: dict[str, Any]
) -> None:
    tried = await _try(watcher.http, auth, type_, {"data": data})
    assert tried.status_code == 200, tried.text
    plan = tried.json()
    assert plan["outcome"] == "completed"
    case = await _drive(watcher, citizen, await watcher.start(citizen, type_, data))
    assert case["status"] == "completed", case
    await _compare(watcher, plan, case)
    # The offers the plan lists are the ones the case made (none reads the profile).
    assert [o["id"] for o in plan["offers"]] == [o["id"] for o in case["offers"]]


async def test_each_openapi_example_plans_what_it_runs(
    watcher: CaseWatcher, auth: TokenFactory, citizen: str
) -> None:
    """The per-life-event examples of the OpenAPI document, tried and run alike."""
    document = (await watcher.http.get("/openapi.json")).json()
    examples = document["paths"]["/v1/life-events"]["post"]["requestBody"]["content"]["application/json"]
    for type_ in ("moving_house", "birth_registration", "death_of_relative", "marriage"):
        data = examples["examples"][type_]["value"]["data"]
        tried = await _try(watcher.http, auth, type_, {"data": data})
        assert tried.status_code == 200, tried.text
        case = await _drive(watcher, citizen, await watcher.start(citizen, type_, data))
        await _compare(watcher, tried.json(), case)


async def test_a_failing_step_plans_the_same_undo_as_a_rejection(
    watcher: CaseWatcher, auth: TokenFactory, citizen: str
) -> None:
    """What-if: the tax office refuses. Dependents are skipped, the rest is undone newest first;
    a real refusal (an injected rejection) undoes the same steps."""
    tried = await _try(
        watcher.http, auth, "moving_house", {"data": README_MOVE, "step_outcomes": {"update_tax": "failed"}}
    )
    assert tried.status_code == 200, tried.text
    plan = tried.json()
    assert plan["outcome"] == "compensated"
    update_tax = next(s for s in plan["waves"][1]["steps"] if s["id"] == "update_tax")
    assert update_tax["outcome"] == "failed"
    undone = [u["step"] for u in plan["compensations"]]
    assert undone[-1] == "register_residence" and "update_tax" not in undone
    await watcher.fault(agency="tax_office", kind="reject", subject=citizen, times=1, code="not_resident")
    case = await watcher.wait(citizen, await watcher.start(citizen, "moving_house", README_MOVE))
    assert case["status"] == "compensated", case
    compensated = {s["id"] for s in case["steps"] if s["status"] == "compensated"}
    assert compensated == set(undone)
    assert "mermaid" in plan and "class update_tax failed" in plan["mermaid"]


async def test_a_skipped_dependency_lets_its_dependents_run_and_a_failed_one_skips_them(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    skip = (
        await _try(
            http,
            auth,
            "birth_registration",
            {"data": BIRTH, "step_outcomes": {"review_birth_documents": "skipped"}},
        )
    ).json()
    assert [s["id"] for s in skip["waves"][2]["steps"]] == ["apply_child_benefit"]
    fail = (
        await _try(
            http,
            auth,
            "birth_registration",
            {"data": BIRTH, "step_outcomes": {"review_birth_documents": "failed"}},
        )
    ).json()
    assert fail["outcome"] == "compensated"
    assert {s["id"]: s["kind"] for s in fail["skipped"]} == {"apply_child_benefit": "case_stopped"}
    assert [u["step"] for u in fail["compensations"]] == [
        "issue_health_card",
        "register_residence",
        "register_birth",
    ]
    optional = (
        await _try(
            http, auth, "death_of_relative", {"data": DEATH, "step_outcomes": {"notify_tax": "failed"}}
        )
    ).json()
    assert optional["outcome"] == "completed" and optional["compensations"] == []


async def test_the_plan_shows_waits_questions_and_sample_values(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    plan = (
        await _try(http, auth, "moving_house", {"data": {**README_MOVE, "school_age_children": 1}})
    ).json()
    school = next(s for s in plan["waves"][1]["steps"] if s["id"] == "transfer_school")
    assert school["wait"] == {
        "waits_for": "citizen",
        "whom": "the citizen",
        "days": 30.0,
        "fields": ["chosen_school"],
    }
    assert plan["questions"] == [
        {
            "step": "transfer_school",
            "field": "chosen_school",
            "type": "string",
            "title": "School chosen near the new address",
        }
    ]
    first = plan["waves"][0]["steps"][0]
    name = next(f for f in first["fields"] if f["name"] == "citizen_name")
    assert name == {
        "name": "citizen_name",
        "sent": True,
        "value": "Ana Lima",
        "source": "sample",
        "asked": False,
    }
    assert next(f for f in first["fields"] if f["name"] == "previous_address")["sent"] is False
    review = (await _try(http, auth, "birth_registration", {"data": BIRTH})).json()["waves"][1]["steps"][0]
    assert review["wait"]["waits_for"] == "agency" and review["wait"]["whom"] == "Civil status registry"
    mermaid = plan["mermaid"]
    assert "class update_electoral_roll" not in mermaid and "<b>wave 2</b>" in mermaid
    no_vehicle = (
        await _try(http, auth, "moving_house", {"data": {**README_MOVE, "owns_vehicle": False}})
    ).json()
    assert no_vehicle["skipped"] == [
        {
            "id": "update_vehicle",
            "kind": "condition",
            "reason": "condition false: data.owns_vehicle",
            "condition": "data.owns_vehicle",
            "dependency": None,
        },
        {
            "id": "transfer_school",
            "kind": "condition",
            "reason": "condition false: data.school_age_children > 0",
            "condition": "data.school_age_children > 0",
            "dependency": None,
        },
    ]
    assert "class update_vehicle,transfer_school skipped" in no_vehicle["mermaid"]


async def test_bad_requests_are_refused_naming_every_bad_field(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    unknown = await _try(http, auth, "movng_house", {"data": README_MOVE})
    assert unknown.status_code == 404 and "did you mean 'moving_house'?" in unknown.json()["detail"]
    bad = await _try(
        http,
        auth,
        "moving_house",
        {
            "data": {
                "new_address": "1 Rua",
                "move_date": "soon",
                "owns_vehicle": "perhaps-9",
                "colour": "vermilion-7",
            },
            "step_outcomes": {"update_taxes": "failed"},
            "outputs": {"update_tax": {"code": "x"}},
        },
    )
    assert bad.status_code == 422, bad.text
    assert bad.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"] for e in bad.json()["errors"]}
    assert fields == {
        "data.citizen_name",
        "data.move_date",
        "data.owns_vehicle",
        "data.colour",
        "step_outcomes.update_taxes",
        "outputs.update_tax.code",
    }
    assert "vermilion-7" not in bad.text and "perhaps-9" not in bad.text  # values are never echoed
    assert "did you mean 'update_tax'?" in bad.text
    shape = await _try(
        http, auth, "moving_house", {"data": README_MOVE, "step_outcomes": {"update_tax": "exploded"}}
    )
    assert shape.status_code == 422 and shape.json()["field"].startswith("body.step_outcomes")
    for role in ("citizen", "support", "agency"):
        refused = await http.post(
            "/v1/catalog/moving_house:try",
            json={"data": README_MOVE},
            headers=auth(role, "someone", agency="tax_office" if role == "agency" else None),
        )
        assert refused.status_code == 403, role
