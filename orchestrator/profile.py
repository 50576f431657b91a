"""The citizen's profile: what the state already knows, so a life event asks only for the rest
(the once-only principle). Its fields match what the catalog's life events ask for; a definition
links an input to a profile field with `profile:` (`ProfileLink` in `definition.py`).

A profile path is a field (`address`) or, for the lists a life event adds to, the field of one
record (`children.name`): the inputs linked to `children.*` of one case together make one child.
List paths only ever update the profile; a new birth is not pre-filled from an older child.

Every value is personal and sealed at rest (`orchestrator/profile_store.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from orchestrator.definition import FieldType

Text = Annotated[str, Field(min_length=1, max_length=2000)]


class Child(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text
    birth_date: date | None = None
    birth_place: Text | None = None


class Vehicle(BaseModel):
    model_config = ConfigDict(extra="forbid")

    registration: Annotated[str, Field(min_length=1, max_length=20)]
    kind: Annotated[str, Field(max_length=50)] = ""


class _Scalars(BaseModel):
    """The single-valued fields, alike in the stored profile and in a PATCH body."""

    name: Text | None = None
    date_of_birth: date | None = None
    address: Text | None = None
    previous_address: Text | None = None
    district: Text | None = None
    bank_account: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    spouse_name: Text | None = None
    household_size: Annotated[int, Field(ge=1, le=100)] | None = None
    owns_vehicle: bool | None = None


class CitizenProfile(_Scalars):
    """Tolerant when read back (a field removed later must not make a stored profile unreadable);
    the PATCH body (`ProfilePatch`) is strict."""

    model_config = ConfigDict(extra="ignore")

    children: list[Child] = Field(default_factory=list, max_length=50)
    vehicles: list[Vehicle] = Field(default_factory=list, max_length=50)

    def value(self, path: str) -> JsonValue:
        """A scalar field as JSON (what a life event's input takes), None when unknown."""
        if path not in SCALARS:
            return None
        dumped: JsonValue = self.model_dump(mode="json", include={path}).get(path)
        return dumped

    def updated(self, values: Mapping[str, JsonValue]) -> CitizenProfile:
        """This profile with a completed case's values: scalars replaced, and one new record per
        list the case adds to (unless the same record is there already)."""
        merged = self.model_dump(mode="json")
        records: dict[str, dict[str, JsonValue]] = {}
        for path, value in values.items():
            if path in SCALARS:
                merged[path] = value
            elif "." in path:
                list_name, field = path.split(".", 1)
                records.setdefault(list_name, {})[field] = value
        for list_name, record in records.items():
            # As stored (every key, dates as text), so a projection applied twice adds one record.
            [added] = CitizenProfile.model_validate({list_name: [record]}).model_dump(mode="json")[list_name]
            if added not in merged[list_name]:
                merged[list_name].append(added)
        return CitizenProfile.model_validate(merged)


class ProfilePatch(_Scalars):
    """`PATCH /v1/me`: the fields to change, as given (null clears one); the lists replace the
    stored ones whole. Strict: an unknown field is a 422, never silently dropped."""

    model_config = ConfigDict(extra="forbid")

    children: list[Child] | None = Field(default=None, max_length=50)
    vehicles: list[Vehicle] | None = Field(default=None, max_length=50)


SCALARS: dict[str, FieldType] = {
    "name": FieldType.string,
    "date_of_birth": FieldType.date,
    "address": FieldType.string,
    "previous_address": FieldType.string,
    "district": FieldType.string,
    "bank_account": FieldType.string,
    "spouse_name": FieldType.string,
    "household_size": FieldType.integer,
    "owns_vehicle": FieldType.boolean,
}
"""Profile fields an input may link to, with the input type each needs."""

RECORDS: dict[str, FieldType] = {
    "children.name": FieldType.string,
    "children.birth_date": FieldType.date,
    "children.birth_place": FieldType.string,
    "vehicles.registration": FieldType.string,
    "vehicles.kind": FieldType.string,
}
"""Fields of list records a completed case may add (never pre-filled)."""

RECORD_KEYS: dict[str, str] = {"children": "children.name", "vehicles": "vehicles.registration"}
"""The field a definition must link for each list it adds to: a record cannot be without it."""

PATHS: dict[str, FieldType] = {**SCALARS, **RECORDS}
