"""The declarative life-event definition: what designers write, validated once at load.

The workflow only ever receives a `LifeEventDefinition` that passed `catalog.parse_definition`,
pinned into its input, so editing a YAML file changes new cases only.

Pinned into its input means recorded in every workflow history. The models therefore ignore keys
they do not know: a field removed later must not make an old history fail to decode on replay.
A designer's misspelt key is still an error, because the catalog parses designers' files with
`model_validate(..., extra="forbid")`, which applies to every nested model.
"""

from __future__ import annotations

import hashlib
import re
import types
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    PrivateAttr,
    ValidationError,
    create_model,
    model_validator,
)

from orchestrator.errors import InputError

IDENT = r"^[a-z][a-z0-9_]{0,62}$"
Ident = Annotated[str, Field(pattern=IDENT)]


class FieldType(StrEnum):
    string = "string"
    integer = "integer"
    number = "number"
    boolean = "boolean"
    date = "date"


_PYTHON_TYPES: dict[FieldType, Any] = {
    FieldType.string: Annotated[str, Field(min_length=1, max_length=2000)],
    # Bounded so every accepted value fits a BSON int64 and a JavaScript number.
    FieldType.integer: Annotated[int, Field(ge=-(2**53), le=2**53)],
    FieldType.number: Annotated[float, Field(allow_inf_nan=False)],
    FieldType.boolean: bool,
    FieldType.date: date,
}


DataModel = type[BaseModel]


def python_type(field_type: FieldType) -> Any:
    """The (bounded) Python type a value of `field_type` is validated as, wherever it arrives."""
    return _PYTHON_TYPES[field_type]


def _bare(annotation: Any) -> Any:
    return get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation


_FIELD_TYPES: dict[Any, FieldType] = {_bare(t): ft for ft, t in _PYTHON_TYPES.items()}


def field_type(annotation: Any) -> FieldType | None:
    """The type an agency's input model gives a field, in the vocabulary above (`Optional` and
    `Annotated` looked through), or None for one it has no word for (a list, a nested model): the
    SDK's contract then leaves the field untyped, as agencies.yaml may. Read off the same table
    `python_type` uses, so the two cannot disagree."""
    annotation = _bare(annotation)
    if get_origin(annotation) in (Union, types.UnionType):
        present = [a for a in get_args(annotation) if a is not type(None)]
        return field_type(present[0]) if len(present) == 1 else None
    return _FIELD_TYPES.get(annotation)


class ProfileLink(BaseModel):
    """Which profile field an input is (`orchestrator/profile.py`): with `prefill`, a case the
    citizen starts without the input takes the profile's value; with `update`, the value of a
    completed case becomes the profile's. `profile: address` is short for both."""

    model_config = ConfigDict(extra="ignore")

    field: str = Field(pattern=r"^[a-z][a-z_]*(\.[a-z][a-z_]*)?$", description="e.g. address, children.name")
    prefill: bool = True
    update: bool = True

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: object) -> object:
        return {"field": value} if isinstance(value, str) else value


class InputField(BaseModel):
    """One field the citizen gives. `personal` fields never enter a Temporal history."""

    model_config = ConfigDict(extra="ignore")

    name: Ident
    type: FieldType
    title: str = ""
    personal: bool = True
    required: bool = True
    default: JsonValue = None
    profile: ProfileLink | None = None


class StepKind(StrEnum):
    automatic = "automatic"
    citizen_input = "citizen_input"
    agency_review = "agency_review"


class RetrySpec(BaseModel):
    """The backoff between a step's attempts at a failing agency. How long to keep trying is the
    agency's policy (`retry_for_hours` in agencies.yaml), not the step's: a registry down for a day
    is down for every life event. `maximum_attempts` caps the attempts as well, where a designer
    knows more tries are pointless."""

    model_config = ConfigDict(extra="ignore")

    maximum_attempts: int | None = Field(default=None, ge=1, le=10_000)
    initial_interval_seconds: float = Field(default=1.0, gt=0, le=3600)
    backoff: float = Field(default=2.0, ge=1.0, le=10.0)
    maximum_interval_seconds: float = Field(default=3600.0, gt=0, le=86400)


class OnExhausted(StrEnum):
    """What a step does when its agency stays unavailable past the retry budget."""

    hold = "hold"  # needs_attention: support retries, skips or compensates
    compensate = "compensate"  # roll the case back at once


class Basis(StrEnum):
    law = "law"  # a statute obliges or entitles the agency: no consent is asked
    consent = "consent"  # the citizen's consent: asked once, then kept until withdrawn


class LegalBasis(BaseModel):
    """Why an agency may receive a step's fields. A share `by consent` waits for the citizen's
    consent (asked on the step, kept for the next life event) instead of failing; a share by law
    goes ahead, and the citizen's data-use log names the law. `legal_basis: consent` is short
    for `{basis: consent}`."""

    model_config = ConfigDict(extra="ignore")

    basis: Basis = Basis.law
    reference: str = Field(default="", max_length=200, description="the statute, or the consent's terms")
    purpose: str = Field(
        default="", max_length=300, description="why the agency needs the data, shown to the citizen"
    )

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: object) -> object:
        return {"basis": value} if isinstance(value, str) else value

    def describe(self) -> str:
        """How the citizen's log names it: `consent`, or `law: <reference>`."""
        if self.basis is Basis.consent:
            return "consent"
        return f"law: {self.reference}" if self.reference else "law"


class StepDefinition(BaseModel):
    """One agency action in a life event; the README's designer guide explains each field."""

    model_config = ConfigDict(extra="ignore")

    id: Ident
    title: str = ""
    agency: Ident
    action: Ident
    compensation: Ident | None = None
    depends_on: list[Ident] = Field(default_factory=list)
    when: str | None = None
    required: bool = True
    inputs: list[Ident] = Field(default_factory=list)
    kind: StepKind = StepKind.automatic
    asks: list[Ident] = Field(
        default_factory=list,
        description="fields the citizen gives while the case runs (citizen_input), or that the "
        "reviewing agency may ask for (agency_review)",
    )
    outputs: list[Ident] = Field(
        default_factory=list, description="keys of the agency's reply kept for later `when` conditions"
    )
    retry: RetrySpec = Field(default_factory=RetrySpec)
    on_exhausted: OnExhausted = OnExhausted.hold
    skippable: bool = Field(
        default=False, description="support may skip it on hold (optional steps always may)"
    )
    timeout_seconds: float = Field(default=15.0, gt=0, le=3600, description="per attempt; agencies get 10 s")
    wait_days: float = Field(default=14.0, gt=0, le=366, description="longest durable wait (review/input)")
    legal_basis: LegalBasis = Field(default_factory=LegalBasis)

    @property
    def sent(self) -> list[str]:
        """The fields its agency receives: its inputs, then what it asks the citizen for."""
        return [*self.inputs, *self.asks]

    @property
    def consent_purpose(self) -> str:
        """What the citizen is told a consent to this step's share is for."""
        return self.legal_basis.purpose or self.title


CASE_COMPLETED = "case_completed"
"""An offer's `after` when it is made once the whole case has completed (the default)."""


class OfferRule(BaseModel):
    """A service OneStop offers the citizen once `after` is reached and `when` holds: the life
    event `service`, pre-filled (`prefill`: its input -> this case's input, or `profile.<field>`).
    `when` reads the case's data and profile, so it is decided OneStop-side, never in a workflow."""

    model_config = ConfigDict(extra="ignore")

    id: Ident
    service: Ident = Field(description="the life event type accepting the offer starts")
    title: str = Field(min_length=1)
    description: str = ""
    after: Ident = Field(default=CASE_COMPLETED, description="a step id, or case_completed")
    when: str | None = None
    prefill: dict[Ident, str] = Field(default_factory=dict, description="service input -> source")
    expires_days: int = Field(default=30, ge=1, le=366)


class FollowUpRule(BaseModel):
    """A reminder `after_days` after the case completed (vaccinations at 2, 4 and 6 months),
    kept by a durable timer; `when` is decided like an offer's, at completion."""

    model_config = ConfigDict(extra="ignore")

    id: Ident
    title: str = Field(min_length=1)
    after_days: float = Field(gt=0, le=3660)
    when: str | None = None


class LifeEventDefinition(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Ident
    version: int = Field(ge=1)
    title: str = Field(min_length=1)
    description: str = ""
    inputs: list[InputField] = Field(default_factory=list)
    steps: list[StepDefinition] = Field(min_length=1)
    offers: list[OfferRule] = Field(default_factory=list)
    follow_ups: list[FollowUpRule] = Field(default_factory=list)

    _models: dict[tuple[str, ...] | None, DataModel] = PrivateAttr(default_factory=dict)

    @property
    def digest(self) -> str:
        """Content address of this exact definition: what a case is pinned to. Empty offers and
        follow-ups are left out, so a definition written before they existed keeps its digest."""
        empty = {name for name in ("offers", "follow_ups") if not getattr(self, name)}
        return hashlib.sha256(self.model_dump_json(exclude=empty).encode()).hexdigest()[:32]

    def step(self, step_id: str) -> StepDefinition:
        return next(s for s in self.steps if s.id == step_id)

    def step_or_none(self, step_id: str) -> StepDefinition | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def offers_after(self, point: str) -> list[OfferRule]:
        """The offers made when `point` (a step id, or case_completed) is reached."""
        return [o for o in self.offers if o.after == point]

    def field(self, name: str) -> InputField | None:
        return next((f for f in self.inputs if f.name == name), None)

    def prefilled_from(self) -> dict[str, str]:
        """Input name -> the profile field that fills it when the citizen leaves it out; a list
        record's field (`children.name`) never does: a new birth is not an older child."""
        links = [f for f in self.inputs if f.profile and f.profile.prefill and "." not in f.profile.field]
        return {f.name: f.profile.field for f in links if f.profile}

    def profile_updates(self) -> dict[str, str]:
        """Input name -> the profile field a completed case sets (or adds a record to)."""
        return {f.name: f.profile.field for f in self.inputs if f.profile and f.profile.update}

    @property
    def fact_names(self) -> list[str]:
        """Non-personal inputs: the only case data the workflow (and its conditions) may see."""
        return [f.name for f in self.inputs if not f.personal]

    def facts(self, data: Mapping[str, JsonValue]) -> dict[str, JsonValue]:
        """What a case's workflow and its conditions see of validated data: every non-personal
        input, null when not given. Intake and the dry run both derive facts here."""
        return {name: data.get(name) for name in self.fact_names}

    def data_model(self, only: list[str] | None = None) -> DataModel:
        """A Pydantic model of the citizen's data, so bad input is a 422 naming the field.

        With `only`, a model of just those fields, all required: what a citizen_input step asks.
        """
        key = tuple(only) if only is not None else None
        if key in self._models:
            return self._models[key]
        fields: dict[str, Any] = {}
        for f in self.inputs:
            if only is not None and f.name not in only:
                continue
            py_type = _PYTHON_TYPES[f.type]
            if only is not None or (f.required and f.default is None):
                fields[f.name] = (py_type, ...)
            elif f.default is not None:
                fields[f.name] = (py_type, f.default)  # null is not a value: it would hide the default
            else:
                fields[f.name] = (py_type | None, None)
        model_name = "".join(part.title() for part in re.split(r"_+", self.type)) + "Data"
        model: DataModel = create_model(model_name, __config__=ConfigDict(extra="forbid"), **fields)
        self._models[key] = model
        return model


def validate_data(model: DataModel, data: Mapping[str, object]) -> dict[str, JsonValue]:
    """Validated data as JSON values, or an InputError naming every bad field as `data.<name>`
    (five missing fields are five entries: a form can mark them all at once)."""
    try:
        validated = model.model_validate(data)
    except ValidationError as exc:
        found = [(".".join(str(p) for p in ("data", *e["loc"])), e["msg"]) for e in exc.errors()]
        raise InputError(*found[0], more=found[1:]) from None
    clean: dict[str, JsonValue] = validated.model_dump(mode="json")
    return clean
