"""What changed between two versions of a life event, as a designer and a data protection officer
read it: steps, inputs, agencies, and the fields each agency receives.

Versions are the definitions cases were pinned to (by content digest, `definition_store`) and
the one the catalog serves now; a version is named by its number or a digest prefix. The diff is
pure: `definition_versions` finds the versions and counts the open cases on each.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from orchestrator.definition import LifeEventDefinition

_STEP_KEYS: tuple[str, ...] = (
    *("title", "agency", "action", "compensation", "depends_on", "when", "required", "inputs", "kind"),
    *("asks", "outputs", "retry", "on_exhausted", "skippable", "timeout_seconds", "wait_days"),
)
_INPUT_KEYS = ("type", "title", "personal", "required", "default")


class VersionInfo(BaseModel):
    version: int
    digest: str
    live: bool = Field(description="the catalog serves it to new cases now")
    open_cases: int = Field(description="cases not yet final that are pinned to it")
    first_pinned: datetime | None = Field(default=None, description="when a case was first pinned to it")


class Changed(BaseModel):
    """One step or input present in both versions, and which of its keys differ."""

    name: str
    keys: list[str]


class Changes(BaseModel):
    added: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    changed: list[Changed] = Field(default_factory=list)


class FieldsShared(BaseModel):
    """Fields an agency receives in one version and not the other."""

    agency: str
    added: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)


class VersionsDiff(BaseModel):
    type: str
    from_: VersionInfo = Field(alias="from")
    to: VersionInfo
    steps: Changes
    inputs: Changes
    agencies: Changes
    fields_shared: list[FieldsShared]
    versions: list[VersionInfo] = Field(description="every known version, oldest first")

    model_config = {"populate_by_name": True, "serialize_by_alias": True}


def diff(
    old: LifeEventDefinition,
    new: LifeEventDefinition,
    from_: VersionInfo,
    to: VersionInfo,
    known: list[VersionInfo],
) -> VersionsDiff:
    old_steps = {s.id: s.model_dump() for s in old.steps}
    new_steps = {s.id: s.model_dump() for s in new.steps}
    old_inputs = {f.name: f.model_dump() for f in old.inputs}
    new_inputs = {f.name: f.model_dump() for f in new.inputs}
    old_fields, new_fields = _fields_by_agency(old), _fields_by_agency(new)
    return VersionsDiff.model_validate(
        {
            "type": new.type,
            "from": from_,
            "to": to,
            "steps": _changes(old_steps, new_steps, _STEP_KEYS),
            "inputs": _changes(old_inputs, new_inputs, _INPUT_KEYS),
            "agencies": Changes(
                added=[a for a in new_fields if a not in old_fields],
                removed=[a for a in old_fields if a not in new_fields],
            ),
            "fields_shared": _fields_shared(old_fields, new_fields),
            "versions": known,
        }
    )


def _changes(
    old: dict[str, dict[str, object]], new: dict[str, dict[str, object]], keys: tuple[str, ...]
) -> Changes:
    return Changes(
        added=[n for n in new if n not in old],
        removed=[n for n in old if n not in new],
        changed=[
            Changed(name=n, keys=differ)
            for n in new
            if n in old and (differ := [k for k in keys if old[n].get(k) != new[n].get(k)])
        ],
    )


def _fields_by_agency(definition: LifeEventDefinition) -> dict[str, list[str]]:
    """Every field each agency may receive: its steps' inputs and asks, in definition order."""
    fields: dict[str, list[str]] = {}
    for step in definition.steps:
        known = fields.setdefault(step.agency, [])
        known += [n for n in step.sent if n not in known]
    return fields


def _fields_shared(old: dict[str, list[str]], new: dict[str, list[str]]) -> list[FieldsShared]:
    shared: list[FieldsShared] = []
    for agency in dict.fromkeys([*old, *new]):
        added = _minus(new.get(agency, []), old.get(agency, []))
        removed = _minus(old.get(agency, []), new.get(agency, []))
        if added or removed:
            shared.append(FieldsShared(agency=agency, added=added, removed=removed))
    return shared


def _minus(a: list[str], b: list[str]) -> list[str]:
    return [x for x in a if x not in b]
