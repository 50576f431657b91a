"""The rules of a life-event definition that a schema cannot express.

Each problem comes with the path of the value it is about, so the parser can point the designer
at the line to fix; every rule is checked, so a designer sees every problem in one pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orchestrator import conditions, offer_rules
from orchestrator.agencies import ActionSpec, AgencyDirectory
from orchestrator.definition import Basis, FieldType, LifeEventDefinition, StepDefinition, StepKind
from orchestrator.profile import PATHS, RECORD_KEYS
from orchestrator.suggest import did_you_mean

_ZERO: dict[FieldType, object] = {
    FieldType.string: "",
    FieldType.integer: 0,
    FieldType.number: 0.0,
    FieldType.boolean: False,
    FieldType.date: "2000-01-01",
}


def check(
    definition: LifeEventDefinition,
    directory: AgencyDirectory,
    services: Mapping[str, LifeEventDefinition] | None = None,
) -> list[tuple[tuple[Any, ...], str]]:
    """The rules a schema cannot express; each problem with the path it is about. `services`:
    the other life events, which offers name (`orchestrator/offer_rules.py`)."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    field_names = [f.name for f in definition.inputs]
    for i, name in enumerate(field_names):
        if name in field_names[:i]:
            problems.append((("inputs", i, "name"), f"duplicate input {name!r}"))
    # Conditions are tried on the values a case may really carry: the default, a typed value
    # for a required field, and null for an optional field without a default.
    facts = {
        f.name: f.default if f.default is not None else (_ZERO[f.type] if f.required else None)
        for f in definition.inputs
        if not f.personal
    }
    problems += _profile_links(definition)
    personal = [f.name for f in definition.inputs if f.personal]
    types = {f.name: f.type.value for f in definition.inputs}
    ids = [s.id for s in definition.steps]
    for i, step in enumerate(definition.steps):
        at = ("steps", i)
        if step.id in ids[:i]:
            problems.append(((*at, "id"), f"duplicate step id {step.id!r}"))
        agency = directory.agencies.get(step.agency)
        if agency is None:
            problems.append(
                (
                    (*at, "agency"),
                    f"unknown agency {step.agency!r}{did_you_mean(step.agency, directory.agencies)}",
                )
            )
        else:
            routing = definition.field(agency.route_by) if agency.route_by else None
            if routing is not None and routing.personal:
                message = (
                    f"agency {step.agency!r} picks its office by {routing.name!r}, which is personal: "
                    f"the workflow routes the call, and it sees non-personal inputs only; declare "
                    f"{routing.name!r} with personal: false (a coarse fact, such as a district) or "
                    f"leave it out (calls then go to the agency itself)"
                )
                problems.append(((*at, "agency"), message))
            for key in ("action", "compensation"):
                name = getattr(step, key)
                if name is not None and name not in agency.actions:
                    message = (
                        f"agency {step.agency!r} has no action {name!r}{did_you_mean(name, agency.actions)}"
                    )
                    problems.append(((*at, key), message))
        accepts = directory.action(step.agency, step.action)
        for j, name in enumerate(step.inputs):
            if name not in field_names:
                message = f"{name!r} is not an input of {definition.type!r}{did_you_mean(name, field_names)}"
                problems.append(((*at, "inputs", j), message))
            elif accepts is not None and name not in accepts.accepts:
                message = (
                    f"{step.agency}.{step.action} does not accept {name!r}: its data contract accepts "
                    f"{', '.join(accepts.accepts) or 'no fields'} (agencies.yaml)"
                )
                problems.append(((*at, "inputs", j), message))
        problems += _input_model_problems(definition, step, at, accepts)
        for j, name in enumerate(step.asks):
            asked = definition.field(name)
            if asked is None:
                message = f"{name!r} is not an input of {definition.type!r}{did_you_mean(name, field_names)}"
                problems.append(((*at, "asks", j), message))
            elif asked.required:
                problems.append(
                    ((*at, "asks", j), f"{name!r} is asked during the case: make it required: false")
                )
        if step.asks and step.kind is StepKind.automatic:
            problems.append(
                ((*at, "asks"), "only citizen_input and agency_review steps ask the citizen for fields")
            )
        returns = accepts.returns if accepts is not None else []
        for j, key in enumerate(step.outputs):
            if accepts is not None and key not in returns:
                message = (
                    f"{step.agency}.{step.action} returns no {key!r}{did_you_mean(key, returns)}: it returns "
                    f"{', '.join(returns) or 'nothing a step may keep'} (agencies.yaml)"
                )
                problems.append(((*at, "outputs", j), message))
        if step.legal_basis.basis is Basis.consent and not step.sent:
            problems.append(
                (
                    (*at, "legal_basis"),
                    "a step shares by consent only if it sends fields: list them in its inputs, "
                    "or drop legal_basis",
                )
            )
        if step.kind is StepKind.citizen_input and not step.asks:
            problems.append(((*at, "asks"), "a citizen_input step must list the fields it asks for"))
        for j, dep in enumerate(step.depends_on):
            if dep not in ids:
                problems.append(((*at, "depends_on", j), f"unknown step {dep!r}{did_you_mean(dep, ids)}"))
        if step.when is not None:
            earlier = {s: definition.step(s).outputs for s in _ancestors(definition, step.id) if s in ids}
            found = conditions.check(step.when, facts, earlier, personal=personal, steps=ids, types=types)
            problems += [((*at, "when"), p) for p in found]
    cycle = _find_cycle(definition)
    if cycle:
        problems.append((("steps",), "dependency cycle: " + " -> ".join(cycle)))
    return problems + offer_rules.check(definition, services)


def _input_model_problems(
    definition: LifeEventDefinition, step: StepDefinition, at: tuple[Any, ...], spec: ActionSpec | None
) -> list[tuple[tuple[Any, ...], str]]:
    """A step must send what its action requires, each field of the type the agency checks: the
    agency would refuse the request (`invalid_request`) and the case would roll back."""
    if spec is None:
        return []
    problems: list[tuple[tuple[Any, ...], str]] = []
    sent = step.sent
    absent = [n for n in spec.requires if n not in sent]
    if absent:
        problems.append(
            (
                (*at, "inputs"),
                f"{step.agency}.{step.action} requires {', '.join(map(repr, absent))}: add "
                f"{'it' if len(absent) == 1 else 'them'} to the step's inputs (agencies.yaml)",
            )
        )
    for j, name in enumerate(step.inputs):
        field, wanted = definition.field(name), spec.types.get(name)
        if field is None or wanted is None or field.type in (wanted, *_WIDENS.get(wanted, ())):
            continue
        problems.append(
            (
                (*at, "inputs", j),
                f"{step.agency}.{step.action} takes {name!r} as {wanted.value}, "
                f"but {definition.type!r} gives a {field.type.value}",
            )
        )
    return problems


_WIDENS: dict[FieldType, tuple[FieldType, ...]] = {FieldType.number: (FieldType.integer,)}
"""Field types an agency's type accepts besides itself: an integer is a number."""


def _profile_links(definition: LifeEventDefinition) -> list[tuple[tuple[Any, ...], str]]:
    """A link names a profile field of the input's type, and each list record a case adds to
    the profile has its key field (a child's name)."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    linked: list[str] = []
    for i, f in enumerate(definition.inputs):
        if f.profile is None:
            continue
        at = ("inputs", i, "profile")
        path = f.profile.field
        linked.append(path)
        wanted = PATHS.get(path)
        if wanted is None:
            problems.append(((*at, "field"), f"no profile field {path!r}{did_you_mean(path, PATHS)}"))
        elif wanted is not f.type:
            problems.append(
                ((*at, "field"), f"profile field {path!r} is a {wanted.value}, not a {f.type.value}")
            )
    for list_name, key in RECORD_KEYS.items():
        if any(p.startswith(f"{list_name}.") for p in linked) and key not in linked:
            problems.append((("inputs",), f"inputs add to the profile's {list_name}: link one to {key!r}"))
    return problems


def _ancestors(definition: LifeEventDefinition, step_id: str) -> list[str]:
    """Steps guaranteed to have finished before `step_id` starts: the only ones it may refer to."""
    deps = {s.id: s.depends_on for s in definition.steps}
    seen: list[str] = []
    stack = list(deps.get(step_id, []))
    while stack:
        current = stack.pop()
        if current in seen or current not in deps:
            continue
        seen.append(current)
        stack.extend(deps[current])
    return seen


def _find_cycle(definition: LifeEventDefinition) -> list[str]:
    deps = {s.id: list(s.depends_on) for s in definition.steps}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for dep in deps.get(node, []):
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            if dep in deps and dep not in state:
                found = visit(dep)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return []

    for step in definition.steps:
        if step.id not in state:
            found = visit(step.id)
            if found:
                return found
    return []
