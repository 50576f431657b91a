"""An action's input model (`accepts`, `requires`, `types` in agencies.yaml): the catalog
validator checks steps against it, the simulators refuse a request outside it as a registry
would (422, naming every bad field, never its value), and OneStop takes that refusal as a
rejection: the case rolls back, nothing is retried. An action that lists only `accepts` means
what it always did."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from activities.simulator_contract import FIELD_NOT_ACCEPTED, INVALID_REQUEST, ContractBreach, Contracts
from orchestrator.agencies import ActionSpec
from orchestrator.catalog import parse_definition
from orchestrator.definition_parse import parse_directory
from orchestrator.errors import DefinitionError
from orchestrator.settings import Settings
from tests import simulated_registries as sim
from tests.conftest import TokenFactory
from tests.support import CaseWatcher, step

SPEC = ActionSpec(
    accepts=["citizen_name", "new_address", "move_date", "household_size"],
    requires=["citizen_name", "new_address"],
    types={"move_date": "date", "household_size": "integer"},  # type: ignore[dict-item]
)
GOOD = {"citizen_name": "Ana Lima", "new_address": "1 Rua Nova", "move_date": "2026-12-01"}


def breach(fields: dict[str, Any], spec: ActionSpec = SPEC) -> ContractBreach:
    with pytest.raises(ContractBreach) as caught:
        Contracts().check("tax_office", "update_address", spec, fields)
    return caught.value


def test_a_request_within_the_model_passes() -> None:
    Contracts().check("tax_office", "update_address", SPEC, GOOD)
    Contracts().check("tax_office", "update_address", SPEC, {**GOOD, "household_size": 3, "move_date": None})


def test_every_missing_null_or_mistyped_field_is_named() -> None:
    found = breach({"citizen_name": None, "move_date": "next week", "household_size": "many"})
    assert found.code == INVALID_REQUEST
    assert sorted(e.field for e in found.errors) == [
        "fields.citizen_name",
        "fields.household_size",
        "fields.move_date",
        "fields.new_address",
    ]
    assert "next week" not in str(found) + str(found.errors)  # never the value sent


def test_a_field_outside_accepts_is_not_accepted() -> None:
    found = breach({**GOOD, "bank_account": "PT50 0000", "pet": "cat"})
    assert found.code == FIELD_NOT_ACCEPTED
    assert found.message == "tax_office.update_address does not accept field(s): bank_account, pet"
    assert "PT50" not in str(found.errors)


def test_an_action_with_accepts_only_takes_any_of_them() -> None:
    """Backward compatible: no `requires`, no `types`, as every entry was before."""
    plain = ActionSpec(accepts=["citizen_name", "new_address"])
    Contracts().check("national_id", "update_address", plain, {})
    Contracts().check("national_id", "update_address", plain, {"citizen_name": 42})
    assert breach({"x": 1}, plain).code == FIELD_NOT_ACCEPTED


def test_a_changed_entry_is_checked_with_its_new_model() -> None:
    """The directory reloads live: the model follows the entry."""
    contracts = Contracts()
    contracts.check("tax_office", "update_address", ActionSpec(accepts=["citizen_name"]), {})
    with pytest.raises(ContractBreach):
        contracts.check(
            "tax_office",
            "update_address",
            ActionSpec(accepts=["citizen_name"], requires=["citizen_name"]),
            {},
        )


def test_requires_and_types_stay_within_accepts() -> None:
    text = (
        "agencies:\n  registry:\n    title: Registry\n    actions:\n"
        "      register: {accepts: [name], requires: [name, age], types: {dob: date}}\n"
    )
    with pytest.raises(DefinitionError) as caught:
        parse_directory(text, "agencies.yaml")
    assert "requires/types name field(s) outside accepts: age, dob" in str(caught.value)


DIRECTORY = parse_directory(
    "agencies:\n  registry:\n    title: Registry\n    actions:\n"
    "      register: {accepts: [name, born], requires: [name], types: {born: date}}\n",
    "agencies.yaml",
)
EVENT = """\
type: example
version: 1
title: Example
inputs:
  - {name: name, type: string}
  - {name: born, type: date}
steps:
  - {id: register, agency: registry, action: register, inputs: [name, born]}
"""


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (("inputs: [name, born]", "inputs: [born]"), "registry.register requires 'name': add it"),
        (("{name: born, type: date}", "{name: born, type: string}"), "takes 'born' as date, but"),
    ],
    ids=["required-not-sent", "type-differs"],
)
def test_the_catalog_validator_checks_steps_against_the_input_model(
    edit: tuple[str, str], problem: str
) -> None:
    parse_definition(EVENT, "x.yaml", DIRECTORY)
    with pytest.raises(DefinitionError) as caught:
        parse_definition(EVENT.replace(*edit), "x.yaml", DIRECTORY)
    assert any(problem in p for p in caught.value.problems), caught.value.problems


async def test_the_simulator_refuses_a_request_outside_the_model(
    stack: Settings, simulators: httpx.AsyncClient, auth: TokenFactory
) -> None:
    """The shipped tax office checks the move date is a date; the simulated one (the tests' own)
    requires the name and address as well."""
    sim.install(stack.catalog_path)

    async def call(agency: str, action: str, fields: dict[str, Any]) -> httpx.Response:
        body = {"case_id": "c-contract", "step_id": "s", "subject": "s-1", "fields": fields}
        headers = {**auth("agency", "a-1", agency=agency), "Idempotency-Key": f"contract-{uuid.uuid4().hex}"}
        return await simulators.post(f"/agencies/{agency}/actions/{action}", json=body, headers=headers)

    mistyped = await call("tax_office", "update_address", {"citizen_name": "Ana", "move_date": "1 May"})
    assert mistyped.status_code == 422, mistyped.text
    detail = mistyped.json()["detail"]
    assert detail["code"] == INVALID_REQUEST
    assert [e["field"] for e in detail["errors"]] == ["fields.move_date"]
    assert "1 May" not in mistyped.text
    missing = await call("sim_tax", "notify", {"new_address": 7})
    assert missing.status_code == 422, missing.text
    assert [e["field"] for e in missing.json()["detail"]["errors"]] == [
        "fields.citizen_name",
        "fields.new_address",
    ]
    extra = await call("tax_office", "update_address", {**GOOD, "bank_account": "x"})
    assert extra.status_code == 422 and extra.json()["detail"]["code"] == FIELD_NOT_ACCEPTED
    assert (await call("tax_office", "update_address", {})).status_code == 200  # requires nothing


async def test_a_request_the_agency_cannot_act_on_rolls_the_case_back(
    stack: Settings, watcher: CaseWatcher, citizen: str
) -> None:
    """The citizen left out an address the tax office requires: a rejection, not an outage."""
    sim.install(stack.catalog_path)
    case_id = await watcher.start(citizen, "sim_contract", {"citizen_name": "Ana Lima"})
    case = await watcher.wait(citizen, case_id)
    assert case["status"] == "compensated", case
    notify = step(case, "notify_tax")
    assert notify["status"] == "failed" and INVALID_REQUEST in notify["error"]
    assert notify["attempts"] == 1  # never retried
    assert await watcher.records("sim_tax", case_id) == []
    [registered, undone] = await watcher.records("sim_registry", case_id)
    assert registered["state"] == "compensated" and undone["state"] == "compensation"
