"""Offer and follow-up rules in a definition, checked without any server: each mistake a designer
can make in `offers:` or `follow_ups:` is named with its line and JSON path, and the shipped
catalog's offers point at life events that exist."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import JsonValue

from orchestrator.catalog import CatalogSource, load_catalog, parse_definition
from orchestrator.definition import LifeEventDefinition
from orchestrator.dry_run import dry_run
from orchestrator.dry_run_plan import StepOutcome, TryRequest
from orchestrator.errors import DefinitionError
from tests.test_definition_validation import BASE, DIRECTORY, SOURCE, line_of

CATALOG = Path(__file__).parent.parent / "catalog"
SERVICES = load_catalog(CATALOG).definitions

OFFERED = (
    BASE
    + """\
offers:
  - id: permit
    service: resident_parking
    title: A parking permit
    after: second
    when: data.owns_vehicle && profile.household_size > 1
    prefill: {citizen_name: citizen_name, address: profile.address}
follow_ups:
  - {id: check, title: Check the permit, after_days: 30, when: "steps.second.status == 'succeeded'"}
"""
)


def _problems(text: str, services: dict[str, LifeEventDefinition] | None = SERVICES) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        parse_definition(text, SOURCE, DIRECTORY, services)
    return caught.value.problems


def _rejected(edit: tuple[str, str], path: str, message: str) -> None:
    text = OFFERED.replace(*edit)
    assert text != OFFERED, edit
    problems = _problems(text)
    where = f"{SOURCE}:{line_of(text, edit[1].splitlines()[0])}: {path}: "
    assert any(p.startswith(where) and message in p for p in problems), problems


def test_offers_and_follow_ups_parse() -> None:
    definition = parse_definition(OFFERED, SOURCE, DIRECTORY, SERVICES)
    [offer] = definition.offers
    assert (offer.service, offer.after, offer.expires_days) == ("resident_parking", "second", 30)
    assert [f.after_days for f in definition.follow_ups] == [30]


def test_unknown_service() -> None:
    _rejected(
        ("service: resident_parking", "service: resident_parkin"),
        "$.offers[0].service",
        "unknown life event 'resident_parkin'; did you mean 'resident_parking'?",
    )


def test_unknown_after_step() -> None:
    _rejected(
        ("after: second", "after: secnd"),
        "$.offers[0].after",
        "neither a step nor 'case_completed'; did you mean 'second'?",
    )


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("data.owns_vehicle &&", "does not compile"),
        (
            "data.owns_vehicles",
            "data.owns_vehicles is not an input of this life event; did you mean 'owns_vehicle'?",
        ),
        ("profile.adress == 'x'", "profile.adress is not a profile field; did you mean 'address'?"),
        ("citizen.name == 'x'", "unknown name 'citizen'"),
        ("data.citizen_name", "must be true or false"),
    ],
)
def test_bad_condition(when: str, message: str) -> None:
    _rejected(
        ("when: data.owns_vehicle && profile.household_size > 1", f"when: {when}"),
        "$.offers[0].when",
        message,
    )


def test_a_condition_may_read_personal_inputs_and_the_profile() -> None:
    """Unlike a step's, an offer's condition is decided OneStop-side: data.citizen_name is allowed."""
    text = OFFERED.replace("when: data.owns_vehicle &&", "when: data.citizen_name != '' &&")
    assert parse_definition(text, SOURCE, DIRECTORY, SERVICES).offers[0].when


def test_prefill_target_must_be_an_input_of_the_service() -> None:
    _rejected(
        ("citizen_name: citizen_name,", "citizen_nam: citizen_name,"),
        "$.offers[0].prefill.citizen_nam",
        "'citizen_nam' is not an input of 'resident_parking'; did you mean 'citizen_name'?",
    )


def test_prefill_source_must_exist() -> None:
    _rejected(
        ("{citizen_name: citizen_name,", "{citizen_name: citizen_nme,"),
        "$.offers[0].prefill.citizen_name",
        "'citizen_nme' is not an input of 'example' nor profile.<field>; did you mean 'citizen_name'?",
    )
    _rejected(
        ("address: profile.address}", "address: profile.adress}"),
        "$.offers[0].prefill.address",
        "no profile field 'adress'; did you mean 'address'?",
    )


def test_duplicate_ids_and_bad_follow_up() -> None:
    text = OFFERED.replace("id: check,", "id: check,", 1) + "  - {id: check, title: Again, after_days: 60}\n"
    assert any("$.follow_ups[1].id: duplicate id 'check'" in p for p in _problems(text))
    _rejected(
        ("when: \"steps.second.status == 'succeeded'\"", 'when: "steps.thrid.status == 1"'),
        "$.follow_ups[0].when",
        "steps.thrid is not a step",
    )
    with_zero = OFFERED.replace("after_days: 30", "after_days: 0")
    assert any("$.follow_ups[0].after_days" in p for p in _problems(with_zero))


def test_without_the_other_life_events_the_service_is_not_checked() -> None:
    """A single draft checked alone cannot know the catalog: its own rules are still checked."""
    text = OFFERED.replace("service: resident_parking", "service: no_such_event")
    assert parse_definition(text, SOURCE, DIRECTORY).offers[0].service == "no_such_event"
    assert any("unknown life event 'no_such_event'" in p for p in _problems(text))


def test_the_shipped_catalog_offers_services_it_has() -> None:
    offered = {d.type: [o.service for o in d.offers] for d in SERVICES.values() if d.offers}
    assert offered == {
        "birth_registration": ["child_benefit"],
        "moving_house": ["school_registration", "resident_parking"],
        "death_of_relative": ["survivors_pension", "inheritance_inquiry"],
    }
    birth = SERVICES["birth_registration"]
    assert [(f.id, f.after_days) for f in birth.follow_ups] == [
        ("vaccination_2_months", 60),
        ("vaccination_4_months", 120),
        ("vaccination_6_months", 180),
    ]


def test_the_live_catalog_rejects_a_file_whose_offer_names_a_missing_life_event(tmp_path: Path) -> None:
    for file in CATALOG.glob("*.yaml"):
        (tmp_path / file.name).write_text(file.read_text())
    (tmp_path / "resident_parking.yaml").unlink()
    source = CatalogSource(tmp_path)
    states = {f.file: f for f in source.files()}
    assert states["moving_house.yaml"].status.value == "rejected"
    assert any("unknown life event 'resident_parking'" in p for p in states["moving_house.yaml"].problems)
    assert "birth_registration" in source.current().definitions


def test_a_definition_without_offers_keeps_its_digest() -> None:
    """Cases are pinned by digest: adding the (empty) offer fields must not change old digests."""
    plain = parse_definition(BASE, SOURCE, DIRECTORY)
    dumped = plain.model_dump(exclude={"offers", "follow_ups"})
    assert LifeEventDefinition.model_validate(dumped).digest == plain.digest
    assert parse_definition(OFFERED, SOURCE, DIRECTORY, SERVICES).digest != plain.digest


def test_the_dry_run_lists_offers_and_follow_ups() -> None:
    birth = SERVICES["birth_registration"]
    data: dict[str, JsonValue] = {
        "child_name": "Minh",
        "child_birth_date": "2026-11-20",
        "birth_place": "Hanoi",
        "parent_name": "Lan",
        "parent_address": "15 Hang Bai",
        "apply_for_child_benefit": False,
    }
    plan = dry_run(birth, TryRequest(data=data), load_catalog(CATALOG).directory)
    assert [(o.id, o.service) for o in plan.offers] == [("child_benefit", "child_benefit")]
    assert plan.offers[0].prefilled == ["child_name", "child_birth_date", "parent_name", "bank_account"]
    assert [f.after_days for f in plan.follow_ups] == [60, 120, 180]
    applied = dry_run(birth, TryRequest(data={**data, "apply_for_child_benefit": True}), DIRECTORY)
    assert applied.offers == []
    assert applied.offers_not_made[0].reason == "condition false: !data.apply_for_child_benefit"
    failed = dry_run(
        birth, TryRequest(data=data, step_outcomes={"register_birth": StepOutcome.failed}), DIRECTORY
    )
    assert failed.offers == [] and failed.follow_ups == []
    assert failed.offers_not_made[0].reason == "case_completed is not reached"
