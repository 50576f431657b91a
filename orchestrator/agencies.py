"""The agency directory: which agencies exist and which actions each one offers.

Designers may only name agencies and actions listed here; the catalog validator checks it.
Each action lists the case fields the agency's data contract accepts, so a step cannot send
an agency more than it is entitled to (data minimisation). It may also say which of them the
agency cannot act without (`requires`) and of what type each is (`types`): the action's input
model, which the catalog validator checks steps against and the simulators validate requests
with, as the registry would. Both are optional: an entry that lists only `accepts` still means
what it always did.

As for definitions, the models ignore unknown keys (a value read back from a history or a store
must survive a removed field) and `load_directory` parses the designers' file strictly.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from orchestrator.definition import FieldType, Ident


class ActionSpec(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: str = ""
    accepts: list[Ident] = Field(default_factory=list)
    returns: list[Ident] = Field(default_factory=list, description="non-personal reply keys steps may keep")
    requires: list[Ident] = Field(
        default_factory=list, description="accepted fields without which the agency refuses to act"
    )
    types: dict[Ident, FieldType] = Field(
        default_factory=dict, description="the type the agency checks an accepted field against"
    )

    @model_validator(mode="after")
    def _within_accepts(self) -> ActionSpec:
        """A required or typed field the contract does not accept could never be sent."""
        outside = [n for n in [*self.requires, *self.types] if n not in self.accepts]
        if outside:
            raise ValueError(
                f"requires/types name field(s) outside accepts: {', '.join(dict.fromkeys(outside))}"
            )
        return self


class AgencySpec(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: str
    country_model: str = ""
    retry_for_hours: float = Field(
        default=168.0,
        gt=0,
        le=24 * 366,
        description="how long transient failures are retried before the step holds for support",
    )
    actions: dict[Ident, ActionSpec]


class AgencyDirectory(BaseModel):
    model_config = ConfigDict(extra="ignore")

    agencies: dict[Ident, AgencySpec]

    def action(self, agency: str, action: str) -> ActionSpec | None:
        spec = self.agencies.get(agency)
        return spec.actions.get(action) if spec else None


def load_directory(path: Path) -> AgencyDirectory:
    """The directory in `path`; an unknown (say misspelt) key is an error, not silently dropped."""
    return AgencyDirectory.model_validate(yaml.safe_load(path.read_text()), extra="forbid")
