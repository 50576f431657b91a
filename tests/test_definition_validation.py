"""The definition model and the catalog validator, without any server.

A definition that passes validation is pinned into every case started from it, so a mistake the
validator lets through becomes a stuck or leaking case in production. Each test starts from one
valid minimal definition, changes one thing, and checks that the validator names that rule with
the file line and JSON path a designer needs to fix it (`x.yaml:LINE: $.path: message`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from orchestrator.agencies import load_directory
from orchestrator.catalog import load_catalog, parse_definition
from orchestrator.definition import LifeEventDefinition
from orchestrator.definition_parse import parse_directory
from orchestrator.diagram import mermaid
from orchestrator.errors import DefinitionError

CATALOG = Path(__file__).parent.parent / "catalog"
DIRECTORY = load_directory(CATALOG / "agencies.yaml")
SOURCE = "x.yaml"

# Two steps, one condition, one optional field: every rule below is one edit away from this.
BASE = """\
type: example
version: 1
title: Example
inputs:
  - {name: citizen_name, type: string, title: Full name}
  - {name: new_address, type: string, title: New address}
  - {name: previous_address, type: string, title: Previous address, required: false}
  - {name: owns_vehicle, type: boolean, title: Keeps a vehicle, personal: false, default: false}
steps:
  - id: first
    agency: residence_registry
    action: register_address
    compensation: cancel_address_registration
    inputs: [citizen_name, new_address]
  - id: second
    agency: national_id
    action: update_address
    compensation: revert_address
    depends_on: [first]
    when: data.owns_vehicle
    inputs: [citizen_name, new_address]
"""


def variant(*edits: tuple[str, str], text: str = BASE) -> str:
    """BASE with each `old` replaced by `new`; `old` must occur once, so an edit cannot silently miss."""
    for old, new in edits:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        text = text.replace(old, new)
    return text


def line_of(text: str, snippet: str) -> int:
    """The 1-based line holding `snippet`, which must be on exactly one line."""
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if snippet in line]
    assert len(lines) == 1, f"{snippet!r} is on lines {lines}"
    return lines[0]


def problems_of(text: str) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        parse_definition(text, SOURCE, DIRECTORY)
    return caught.value.problems


def assert_rejected(text: str, *, message: str, path: str, at: str) -> None:
    """The validator reports `message` about `path`, on the line of the text holding `at`."""
    problems = problems_of(text)
    expected = f"{SOURCE}:{line_of(text, at)}: {path}: "
    matching = [p for p in problems if message in p]
    assert matching, f"no problem mentions {message!r}: {problems}"
    assert any(p.startswith(expected) for p in matching), f"expected {expected!r}...: {matching}"


def test_base_definition_is_valid() -> None:
    """Every rejection below must be caused by its one edit, not by a broken starting point."""
    definition = parse_definition(BASE, SOURCE, DIRECTORY)
    assert [s.id for s in definition.steps] == ["first", "second"]


def test_unknown_agency() -> None:
    """A step may only call an agency the directory knows, or the case fails at run time."""
    text = variant(("agency: national_id", "agency: ministry_of_magic"))
    assert_rejected(
        text, message="unknown agency 'ministry_of_magic'", path="$.steps[1].agency", at="ministry_of_magic"
    )


def test_unknown_action() -> None:
    """An action the agency does not offer would be a 404 at every attempt."""
    text = variant(("action: update_address", "action: frobnicate"))
    assert_rejected(
        text,
        message="agency 'national_id' has no action 'frobnicate'",
        path="$.steps[1].action",
        at="action: frobnicate",
    )


def test_unknown_compensation_action() -> None:
    """A compensation that does not exist would be found out only when a case needs undoing."""
    text = variant(("compensation: revert_address", "compensation: undo_everything"))
    assert_rejected(
        text,
        message="agency 'national_id' has no action 'undo_everything'",
        path="$.steps[1].compensation",
        at="undo_everything",
    )


@pytest.mark.parametrize(
    ("edit", "cycle"),
    [
        (("    compensation: cancel_address_registration\n", "    depends_on: [second]\n"), "first"),
        (("depends_on: [first]", "depends_on: [second]"), "second -> second"),
    ],
    ids=["two-steps", "self-dependency"],
)
def test_dependency_cycle(edit: tuple[str, str], cycle: str) -> None:
    """A cycle (even a step waiting for itself) means no step can ever start: the case hangs."""
    text = variant(edit)
    assert_rejected(text, message="dependency cycle: ", path="$.steps", at="- id: first")
    assert any(cycle in p for p in problems_of(text) if "dependency cycle" in p)


def test_unknown_depends_on() -> None:
    """Waiting for a step that does not exist would hold the dependent step forever."""
    text = variant(("depends_on: [first]", "depends_on: [zeroth]"))
    assert_rejected(text, message="unknown step 'zeroth'", path="$.steps[1].depends_on[0]", at="zeroth")


def test_condition_that_does_not_compile() -> None:
    """A syntax error in `when:` must surface at load time, not mid-case in the workflow."""
    text = variant(("when: data.owns_vehicle", "when: data.owns_vehicle &&"))
    assert_rejected(text, message="does not compile", path="$.steps[1].when", at="when:")


def test_condition_on_personal_field() -> None:
    """Personal data never enters a workflow history, so a condition cannot read it."""
    text = variant(("when: data.owns_vehicle", "when: data.citizen_name == 'Ann'"))
    assert_rejected(
        text,
        message="data.citizen_name is personal: conditions may not read it, because a condition is "
        "decided inside the case's workflow, whose history must never hold personal data",
        path="$.steps[1].when",
        at="when:",
    )


def test_condition_on_unknown_name() -> None:
    """A condition sees only `data` and `steps`; any other name is a typo or a leak."""
    text = variant(("when: data.owns_vehicle", "when: citizen.owns_vehicle"))
    assert_rejected(text, message="unknown name 'citizen'", path="$.steps[1].when", at="when:")


def test_condition_on_non_ancestor_step() -> None:
    """A step may only look at steps guaranteed to have finished before it starts."""
    text = variant(
        ("    compensation: cancel_address_registration\n", "    when: steps.second.status == 'succeeded'\n")
    )
    assert_rejected(
        text,
        message="steps.second is not an earlier step",
        path="$.steps[0].when",
        at="steps.second.status",
    )


def test_condition_that_depends_on_map_order() -> None:
    """CEL iterates a map in an order picked per process: replay on another worker could decide
    otherwise. tests/test_conditions.py covers each rule; here, that it reaches the designer."""
    text = variant(("when: data.owns_vehicle", "when: data.filter(k, data[k]).size() > 0"))
    assert_rejected(
        text,
        message="uses filter(): conditions may not depend on the order of a map: use all()/exists()",
        path="$.steps[1].when",
        at="when:",
    )


def test_condition_that_is_not_boolean() -> None:
    """A condition decides whether a step runs, so it must give true or false."""
    text = variant(("when: data.owns_vehicle", "when: 1 + 2"))
    assert_rejected(text, message="must be true or false", path="$.steps[1].when", at="when:")


def test_step_input_not_in_schema() -> None:
    """A step cannot send a field the citizen was never asked for."""
    text = variant(
        ("    inputs: [citizen_name, new_address]\n  - id: second", "    inputs: [shoe_size]\n  - id: second")
    )
    assert_rejected(
        text,
        message="'shoe_size' is not an input of 'example'",
        path="$.steps[0].inputs[0]",
        at="shoe_size",
    )


def test_step_input_not_accepted_by_agency() -> None:
    """Data minimisation: an agency gets no field outside its data contract."""
    text = variant(
        (
            "when: data.owns_vehicle\n    inputs: [citizen_name, new_address]",
            "when: data.owns_vehicle\n    inputs: [owns_vehicle]",
        )
    )
    assert_rejected(
        text,
        message="national_id.update_address does not accept 'owns_vehicle'",
        path="$.steps[1].inputs[0]",
        at="inputs: [owns_vehicle]",
    )


def test_duplicate_step_ids() -> None:
    """Step ids key the case's progress and the conditions; two steps cannot share one."""
    text = variant(("- id: second", "- id: first"), ("    depends_on: [first]\n", ""))
    problems = problems_of(text)
    expected = (
        f"{SOURCE}:{line_of(text, 'agency: national_id') - 1}: $.steps[1].id: duplicate step id 'first'"
    )
    assert expected in problems, problems


def test_duplicate_input_names() -> None:
    """Two fields of the same name would make the citizen's data ambiguous."""
    text = variant(
        ("{name: new_address, type: string, title: New address}", "{name: citizen_name, type: string}")
    )
    assert_rejected(
        text,
        message="duplicate input 'citizen_name'",
        path="$.inputs[1].name",
        at="{name: citizen_name, type: string}",
    )


def test_unknown_top_level_key() -> None:
    """A misspelt key (say `step:`) must not be ignored silently."""
    text = variant(("title: Example\n", "title: Example\ncolour: blue\n"))
    assert_rejected(text, message="Extra inputs are not permitted", path="$.colour", at="colour: blue")


@pytest.mark.parametrize(
    ("edit", "path", "at"),
    [
        (
            ("    agency: national_id\n", "    agnecy: x\n    agency: national_id\n"),
            "$.steps[1].agnecy",
            "agnecy",
        ),
        (
            ("    depends_on: [first]\n", "    depends_on: [first]\n    retry: {max_tries: 3}\n"),
            "$.steps[1].retry.max_tries",
            "max_tries",
        ),
        (("default: false}", "default: false, hint: none}"), "$.inputs[3].hint", "hint: none"),
    ],
    ids=["step", "retry", "input"],
)
def test_unknown_nested_key(edit: tuple[str, str], path: str, at: str) -> None:
    """The models ignore unknown keys (for replay); a designer's file is parsed strictly all the way
    down, or a misspelt `retry:` setting would silently fall back to the default."""
    text = variant(edit)
    assert_rejected(text, message="Extra inputs are not permitted", path=path, at=at)


def test_unknown_key_in_agency_directory(tmp_path: Path) -> None:
    """A misspelt `retry_for_hours` would silently give an agency the default retry budget."""
    file = tmp_path / "agencies.yaml"
    file.write_text(
        "agencies:\n  registry:\n    title: Registry\n    retry_for_hour: 2\n"
        "    actions:\n      register: {accepts: [name], return: [reference]}\n"
    )
    with pytest.raises(ValidationError) as caught:
        load_directory(file)
    assert sorted(err["loc"] for err in caught.value.errors() if err["type"] == "extra_forbidden") == [
        ("agencies", "registry", "actions", "register", "return"),
        ("agencies", "registry", "retry_for_hour"),
    ]


def test_bad_step_kind() -> None:
    """The workflow only knows three kinds of step; any other would never run."""
    text = variant(("    agency: national_id\n", "    kind: telepathy\n    agency: national_id\n"))
    assert_rejected(text, message="automatic", path="$.steps[1].kind", at="kind: telepathy")


def test_citizen_input_without_asks() -> None:
    """A citizen_input step that asks for nothing would wait for nothing."""
    text = variant(("    agency: national_id\n", "    kind: citizen_input\n    agency: national_id\n"))
    assert_rejected(
        text, message="must list the fields it asks for", path="$.steps[1].asks", at="- id: second"
    )


def test_asks_on_automatic_step() -> None:
    """Only citizen_input and agency_review steps wait for the citizen; asks elsewhere would never be asked."""
    text = variant(("    agency: national_id\n", "    asks: [previous_address]\n    agency: national_id\n"))
    assert_rejected(
        text,
        message="only citizen_input and agency_review steps ask the citizen for fields",
        path="$.steps[1].asks",
        at="asks: [previous_address]",
    )


def test_asked_field_is_required() -> None:
    """A field given later in the case cannot be required when the case is filed."""
    text = variant(
        (
            "    agency: national_id\n",
            "    kind: citizen_input\n    asks: [new_address]\n    agency: national_id\n",
        )
    )
    assert_rejected(
        text,
        message="'new_address' is asked during the case: make it required: false",
        path="$.steps[1].asks[0]",
        at="asks: [new_address]",
    )


def test_citizen_input_with_optional_field_is_valid() -> None:
    """The counterpart of the asks rules: a well-formed citizen_input step is accepted."""
    text = variant(
        (
            "    agency: national_id\n",
            "    kind: citizen_input\n    asks: [previous_address]\n    agency: national_id\n",
        )
    )
    assert parse_definition(text, SOURCE, DIRECTORY).steps[1].asks == ["previous_address"]


def test_invalid_yaml_reports_line() -> None:
    """A designer needs to know where the syntax breaks, not only that it does."""
    text = variant(("title: Example", "title: Example: oops"))
    problems = problems_of(text)
    assert len(problems) == 1
    assert problems[0].startswith(f"{SOURCE}:{line_of(text, 'Example: oops')}: not valid YAML"), problems


def test_every_problem_is_reported_at_once() -> None:
    """A designer fixes a definition in one pass instead of one error per run."""
    text = variant(
        ("agency: national_id", "agency: ministry_of_magic"),
        (
            "    inputs: [citizen_name, new_address]\n  - id: second",
            "    inputs: [shoe_size]\n  - id: second",
        ),
        ("when: data.owns_vehicle", "when: data.citizen_name == 'Ann'"),
    )
    problems = problems_of(text)
    for message in ("unknown agency", "'shoe_size' is not an input", "data.citizen_name is personal"):
        assert any(message in p for p in problems), (message, problems)
    assert len(problems) >= 3


def test_shipped_catalog_loads() -> None:
    """The catalog the service starts with must validate, with every life event it promises."""
    catalog = load_catalog(CATALOG)
    assert {"moving_house", "birth_registration", "death_of_relative", "marriage"} <= set(catalog.definitions)


def test_data_model_rejects_wrong_type_naming_field() -> None:
    """Bad citizen data must be a 422 that says which field is wrong."""
    definition = parse_definition(BASE, SOURCE, DIRECTORY)
    model = definition.data_model()
    model.model_validate({"citizen_name": "Ann", "new_address": "1 Main St", "owns_vehicle": True})
    with pytest.raises(ValidationError) as caught:
        model.model_validate({"citizen_name": "Ann", "new_address": "1 Main St", "owns_vehicle": "perhaps"})
    assert [err["loc"] for err in caught.value.errors()] == [("owns_vehicle",)]


def test_mermaid_diagram() -> None:
    """Designers review a life event as a flowchart; its edges must follow depends_on and when."""
    definition: LifeEventDefinition = parse_definition(BASE, SOURCE, DIRECTORY)
    diagram = mermaid(definition)
    assert diagram.startswith("flowchart TD\n")
    assert "    start --> first\n" in diagram
    assert '    first -- "data.owns_vehicle" --> second\n' in diagram


def test_output_the_action_does_not_return() -> None:
    """Only reply keys the agency's contract declares (non-personal) may enter the workflow."""
    text = variant(("    agency: national_id\n", "    outputs: [home_address]\n    agency: national_id\n"))
    assert_rejected(
        text,
        message="returns no 'home_address'",
        path="$.steps[1].outputs[0]",
        at="outputs: [home_address]",
    )


@pytest.mark.parametrize(
    "condition",
    [
        "{'x': 1, 'y': 2, 'z': 3}.map(k, k)[0] == 'x' && data.owns_vehicle",
        "data.owns_vehicle && [1, 2].filter(x, x > 1).size() > 0",
    ],
)
def test_condition_that_could_depend_on_map_order(condition: str) -> None:
    """A CEL map iterates in a per-process order: map()/filter() could decide one way on the run
    and another on its replay (the first was true in 1 of 6 processes)."""
    text = variant(("when: data.owns_vehicle", f'when: "{condition}"'))
    assert_rejected(
        text, message="may not depend on the order of a map", path="$.steps[1].when", at=condition
    )


@pytest.mark.parametrize(
    "condition",
    ["data.owns_vehicle && [1, 2].exists(x, x > 1)", "data.owns_vehicle || 'a.map(b)' == 'c'"],
)
def test_order_independent_conditions_are_accepted(condition: str) -> None:
    text = variant(("when: data.owns_vehicle", f'when: "{condition}"'))
    assert parse_definition(text, SOURCE, DIRECTORY).steps[1].when == condition


def test_a_pinned_order_dependent_condition_fails_its_step_at_run_time() -> None:
    """A definition pinned before the rule existed: the engine fails that step, never evaluates."""
    from orchestrator import conditions

    with pytest.raises(conditions.ConditionError, match="order of a map"):
        conditions.evaluate("{'x': 1}.map(k, k)[0] == 'x'", {}, {})


def test_definitions_from_histories_ignore_unknown_keys() -> None:
    """A case's history holds its definition: one written before a field was removed must still
    parse on replay, while the same key in a designer's file is reported (above)."""
    definition = parse_definition(BASE, SOURCE, DIRECTORY)
    recorded = definition.model_dump(mode="json")
    recorded["retired_field"] = 1
    recorded["steps"][0]["old_knob"] = True
    assert LifeEventDefinition.model_validate(recorded) == definition


# --- messages that say what to do ---------------------------------------------------------------

# The directory with one action that returns reply keys, so conditions may read outputs.
RETURNING = parse_directory(
    (CATALOG / "agencies.yaml")
    .read_text()
    .replace(
        "register_address: {title: Register move-in at the new address, ",
        "register_address: {title: Register move-in at the new address, returns: [reference, district], ",
    ),
    "agencies.yaml",
)
WITH_OUTPUT = variant(
    (
        "    inputs: [citizen_name, new_address]\n  - id: second",
        "    inputs: [citizen_name, new_address]\n    outputs: [reference]\n  - id: second",
    )
)


def problems_with_outputs(text: str) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        parse_definition(text, SOURCE, RETURNING)
    return caught.value.problems


def one(problems: list[str], fragment: str) -> str:
    """The one problem holding `fragment`."""
    found = [p for p in problems if fragment in p]
    assert len(found) == 1, (fragment, problems)
    return found[0]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ("agency: national_id", "agency: national_ib"),
            "unknown agency 'national_ib'; did you mean 'national_id'?",
        ),
        (
            ("action: update_address", "action: update_adress"),
            "agency 'national_id' has no action 'update_adress'; did you mean 'update_address'?",
        ),
        (
            ("compensation: revert_address", "compensation: revert_adress"),
            "has no action 'revert_adress'; did you mean 'revert_address'?",
        ),
        (
            (
                "    inputs: [citizen_name, new_address]\n  - id: second",
                "    inputs: [citizen_nam]\n  - id: second",
            ),
            "'citizen_nam' is not an input of 'example'; did you mean 'citizen_name'?",
        ),
        (("depends_on: [first]", "depends_on: [frist]"), "unknown step 'frist'; did you mean 'first'?"),
        (
            ("when: data.owns_vehicle", "when: data.owns_vehicel"),
            "data.owns_vehicel is not an input of this life event; did you mean 'owns_vehicle'?",
        ),
        (
            ("when: data.owns_vehicle", "when: steps.frist.status == 'succeeded'"),
            "there is no step 'frist'; did you mean 'first'?",
        ),
        (("when: data.owns_vehicle", "when: date.owns_vehicle"), "unknown name 'date'"),
    ],
    ids=[
        "agency",
        "action",
        "compensation",
        "input",
        "depends_on",
        "condition-input",
        "condition-step",
        "root",
    ],
)
def test_an_unknown_name_suggests_the_closest_known_one(edit: tuple[str, str], expected: str) -> None:
    problem = one(problems_of(variant(edit)), expected)
    if "unknown name" in expected:
        assert problem.endswith("; did you mean 'data'?")


def test_an_asked_field_and_an_output_that_do_not_exist_suggest_the_closest() -> None:
    asks = variant(
        ("kind: automatic", "kind: citizen_input"),
        ("asks: []", "asks: [previous_adress]"),
        text=BASE.replace(
            "    depends_on: [first]\n", "    depends_on: [first]\n    kind: automatic\n    asks: []\n"
        ),
    )
    one(problems_of(asks), "'previous_adress' is not an input of 'example'; did you mean 'previous_address'?")
    outputs = WITH_OUTPUT.replace("outputs: [reference]", "outputs: [referenc]")
    problem = one(problems_with_outputs(outputs), "returns no 'referenc'")
    assert problem.endswith("; did you mean 'reference'?: it returns reference, district (agencies.yaml)")


def test_a_personal_field_and_a_misspelt_one_get_different_messages() -> None:
    """Both were "is not a non-personal input": one needs another field, the other a spelling."""
    personal = one(
        problems_of(variant(("when: data.owns_vehicle", "when: data.new_address == 'x'"))), "data.new_address"
    )
    assert personal.endswith(
        "data.new_address is personal: conditions may not read it, because a condition is decided inside "
        "the case's workflow, whose history must never hold personal data (only inputs marked "
        "`personal: false` reach it): condition on a non-personal flag or count instead, or mark "
        "'new_address' `personal: false` if it identifies nobody"
    )
    misspelt = one(
        problems_of(variant(("when: data.owns_vehicle", "when: data.new_adress == 'x'"))), "data.new_adress"
    )
    assert "is not an input of this life event" in misspelt and "personal:" not in misspelt
    assert misspelt.endswith(
        "names allowed here: data.owns_vehicle (boolean), steps.first.status (string: "
        "'succeeded' or 'skipped')"
    )


def test_an_undeclared_output_names_the_step_and_its_outputs() -> None:
    """It used to say only `cannot be evaluated: 'secret'`."""
    text = variant(("when: data.owns_vehicle", "when: steps.first.output.secret == 'x'"), text=WITH_OUTPUT)
    problem = one(problems_with_outputs(text), "steps.first.output.secret")
    assert problem.endswith(
        "$.steps[1].when: steps.first.output.secret is not a declared output of step 'first' (its outputs "
        "are reference); to read it, add 'secret' to that step's outputs (its agency's action must return it)"
    )
    misspelt = text.replace("output.secret", "output.referense")
    one(problems_with_outputs(misspelt), "(its outputs are reference); did you mean 'reference'?")
    none = variant(("when: data.owns_vehicle", "when: steps.first.output.reference == 'x'"))
    one(problems_of(none), "is not a declared output of step 'first' (it declares no outputs)")


def test_a_step_that_is_not_earlier_says_how_to_make_it_so() -> None:
    text = variant(
        ("    compensation: cancel_address_registration\n", "    when: steps.second.status == 'succeeded'\n")
    )
    problem = one(problems_of(text), "steps.second is not an earlier step")
    assert problem.endswith(
        "a condition may read only the steps this one depends on, directly or through others (here: none); "
        "add 'second' to its depends_on if it must finish first"
    )


def test_a_syntax_error_names_the_expression_the_position_and_the_names_allowed() -> None:
    problem = one(
        problems_of(variant(("when: data.owns_vehicle", "when: data.owns_vehicle &&"))), "does not compile"
    )
    assert problem.endswith(
        "$.steps[1].when: 'data.owns_vehicle &&' does not compile at column 21 (after 'data.owns_vehicle &&'): "
        "mismatched input '<EOF>'; names allowed here: data.owns_vehicle (boolean), "
        "steps.first.status (string: 'succeeded' or 'skipped')"
    )


def test_a_type_error_names_the_expression_the_reason_and_the_typed_names_allowed() -> None:
    """It used to be the library's paragraph on coercion, without the condition or its scope."""
    text = variant(("when: data.owns_vehicle", "when: data.owns_vehicle + 1 > 0"), text=WITH_OUTPUT)
    problem = one(problems_with_outputs(text), "cannot be evaluated")
    assert problem.endswith(
        "'data.owns_vehicle + 1 > 0' cannot be evaluated: Unsupported operation: bool + int (CEL never "
        "converts types: compare like with like, or convert with int(), double() or string()); names allowed "
        "here: data.owns_vehicle (boolean), steps.first.status (string: 'succeeded' or 'skipped'), "
        "steps.first.output.reference (the agency's reply value)"
    )
    overload = variant(("when: data.owns_vehicle", "when: data.owns_vehicle > 'yes'"))
    assert "no operation is defined for these operand types" in one(
        problems_of(overload), "cannot be evaluated"
    )
    not_boolean = one(
        problems_of(variant(("when: data.owns_vehicle", "when: 1 + 2"))), "must be true or false"
    )
    assert (
        "'1 + 2' must be true or false, gives int: compare it (==, <, >, in) to make a condition"
        in not_boolean
    )
