"""Does an agency's code say what the directory says of it? `onestop agency check --app mod:attr`.

Designers' steps are checked against `agencies.yaml`, and the agency's worker validates what it
receives against its own input models: when the two drift apart a step that passed the catalog
validator is held at run time (`input_invalid`), or an action the code offers is never called.
This lists every difference, so the agency can mend its code or ask for the directory to change
before a citizen's case meets it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from onestop.sdk.agency import Agency
from orchestrator.agencies import ActionSpec, AgencyDirectory, Hosting


class Difference(BaseModel):
    where: str  # `agency`, or `action.key`
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


def _lists(where: str, code: list[str], directory: list[str]) -> list[Difference]:
    found = []
    if extra := [n for n in code if n not in directory]:
        found.append(
            Difference(where=where, problem=f"the code has {', '.join(extra)}; agencies.yaml does not")
        )
    if missing := [n for n in directory if n not in code]:
        found.append(
            Difference(where=where, problem=f"agencies.yaml has {', '.join(missing)}; the code does not")
        )
    return found


def _types(where: str, code: dict[str, str], directory: dict[str, str]) -> list[Difference]:
    found = []
    for name in dict.fromkeys([*code, *directory]):
        ours, theirs = code.get(name), directory.get(name)
        if ours != theirs:
            problem = f"the code says {ours or 'untyped'}, agencies.yaml {theirs or 'untyped'}"
            found.append(Difference(where=f"{where}.{name}", problem=problem))
    return found


def _action(name: str, code: dict[str, Any], spec: ActionSpec) -> list[Difference]:
    types = {field: kind.value for field, kind in spec.types.items()}
    return [
        *_lists(f"{name}.accepts", code["accepts"], spec.accepts),
        *_lists(f"{name}.requires", code["requires"], spec.requires),
        *_types(f"{name}.types", code["types"], types),
        *_lists(f"{name}.returns", code["returns"], spec.returns),
    ]


def differences(agency: Agency, directory: AgencyDirectory) -> list[Difference]:
    """Every way the agency's code and its entry in the directory disagree (none: they match)."""
    spec = directory.agencies.get(agency.name)
    if spec is None:
        return [Difference(where=agency.name, problem="not in agencies.yaml")]
    found: list[Difference] = []
    if spec.hosting is not Hosting.agency:
        problem = "agencies.yaml has it called by OneStop's connector: code with its own worker needs hosting: agency"
        found.append(Difference(where=agency.name, problem=problem))
    contract = agency.contract()
    for name, code in contract.items():
        entry = spec.actions.get(name)
        if entry is None:
            found.append(Difference(where=name, problem="in the code, not in agencies.yaml"))
        else:
            found += _action(name, code, entry)
    found += [
        Difference(where=name, problem="in agencies.yaml, not in the code")
        for name in spec.actions
        if name not in contract
    ]
    for action in agency.actions.values():
        if action.compensation is not None and action.compensation not in agency.compensations:
            problem = f"{action.compensation} has no handler: add one with @<agency>.compensation({action.compensation!r})"
            found.append(Difference(where=f"{action.name}.compensation", problem=problem))
    return found
