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

from enum import StrEnum
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


class Hosting(StrEnum):
    """Who runs an agency's actions. `connector`: OneStop's worker calls the agency's REST
    endpoint. `agency`: the agency runs its own worker (the SDK, `onestop worker --agency X`) on
    its own task queue, behind its own firewall, and fetches each step's fields from OneStop."""

    connector = "connector"
    agency = "agency"


class InstanceSpec(BaseModel):
    """One office of an agency that is split by jurisdiction (a district's registry)."""

    model_config = ConfigDict(extra="ignore")

    title: str = ""
    base_url: str | None = Field(default=None, description="its REST endpoint; none: the agency's")
    task_queue: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,200}$")


class AgencySpec(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: str
    country_model: str = ""
    hosting: Hosting = Hosting.connector
    task_queue: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.-]{1,200}$",
        description="the agency's own Temporal task queue; none: OneStop's worker queue",
    )
    base_url: str | None = Field(default=None, description="a connector agency's REST endpoint")
    concurrency: int | None = Field(default=None, ge=1, le=10_000, description="actions at once")
    actions_per_second: float | None = Field(default=None, gt=0, description="rate limit")
    retry_for_hours: float = Field(
        default=168.0,
        gt=0,
        le=24 * 366,
        description="how long transient failures are retried before the step holds for support",
    )
    route_by: Ident | None = Field(
        default=None, description="a non-personal input whose value picks one of `instances`"
    )
    instances: dict[str, InstanceSpec] = Field(
        default_factory=dict, description="offices by the value of `route_by`; others: the agency itself"
    )
    actions: dict[Ident, ActionSpec]

    @model_validator(mode="after")
    def _own_queue_where_needed(self) -> AgencySpec:
        """An agency's own worker, or limits of its own, need a task queue of its own; instances
        need the fact that picks them, and the other way round."""
        if bool(self.route_by) != bool(self.instances):
            raise ValueError("route_by and instances go together: the fact, and the offices it picks")
        if self.task_queue is None:
            if self.hosting is Hosting.agency:
                raise ValueError("an agency that runs its own worker (hosting: agency) needs a task_queue")
            if self.concurrency is not None or self.actions_per_second is not None:
                raise ValueError("concurrency and actions_per_second apply to a task_queue of its own")
        return self


class AgencyDirectory(BaseModel):
    model_config = ConfigDict(extra="ignore")

    agencies: dict[Ident, AgencySpec]

    def own_queues(self, hosting: Hosting) -> list[tuple[str, str, AgencySpec]]:
        """(agency, task queue, spec) for every queue of its own an agency of `hosting` has: its
        own and its instances'."""
        found: list[tuple[str, str, AgencySpec]] = []
        for name, spec in self.agencies.items():
            if spec.hosting is not hosting:
                continue
            queues = [spec.task_queue, *(i.task_queue for i in spec.instances.values())]
            found += [(name, q, spec) for q in dict.fromkeys(queues) if q]
        return found

    def base_url(self, agency: str, instance: str | None) -> str | None:
        """Where a connector agency's (or one of its instances') REST endpoint is, if configured."""
        spec = self.agencies.get(agency)
        if spec is None:
            return None
        office = spec.instances.get(instance) if instance else None
        return (office.base_url if office else None) or spec.base_url

    def action(self, agency: str, action: str) -> ActionSpec | None:
        spec = self.agencies.get(agency)
        return spec.actions.get(action) if spec else None


def load_directory(path: Path) -> AgencyDirectory:
    """The directory in `path`; an unknown (say misspelt) key is an error, not silently dropped."""
    return AgencyDirectory.model_validate(yaml.safe_load(path.read_text()), extra="forbid")
