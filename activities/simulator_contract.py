"""An action's input model, as a simulated registry checks it: built from the action's entry in
the directory (`accepts`, `requires`, `types`; `orchestrator/agencies.py`) and rebuilt when the
entry changes, since the directory reloads live.

A field outside `accepts` is refused as `field_not_accepted` (the data-minimisation breach a
registry must not store); a required field missing, null, or of the wrong type as
`invalid_request`. Both are 422, a rejection: OneStop does not retry them, as no retry sends
other data. Every bad field is named, never its value (it may be a citizen's personal data).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, JsonValue, ValidationError, create_model

from orchestrator.agencies import ActionSpec
from orchestrator.definition import python_type
from orchestrator.problem_details import FieldProblem

FIELD_NOT_ACCEPTED = "field_not_accepted"
INVALID_REQUEST = "invalid_request"


def _not_null(value: JsonValue) -> JsonValue:
    if value is None:
        raise ValueError("a value is required, not null")
    return value


_ANY_VALUE: Any = Annotated[JsonValue, AfterValidator(_not_null)]
"""An untyped field: any JSON value but null (null is not a value a registry can act on)."""


class ContractBreach(Exception):
    """What an agency answers to a request outside its input model: a code and every bad field."""

    def __init__(self, code: str, message: str, errors: list[FieldProblem]) -> None:
        self.code = code
        self.message = message
        self.errors = errors
        super().__init__(message)


def input_model(name: str, spec: ActionSpec) -> type[BaseModel]:
    """The Pydantic model of an action's fields: accepted ones only, required ones required."""
    fields: dict[str, Any] = {}
    for field in spec.accepts:
        declared = spec.types.get(field)
        py_type = python_type(declared) if declared is not None else _ANY_VALUE
        fields[field] = (py_type, ...) if field in spec.requires else (py_type | None, None)
    model: type[BaseModel] = create_model(name, __config__=ConfigDict(extra="forbid"), **fields)
    return model


class Contracts:
    """One model per action, kept while the action's entry stays the same."""

    def __init__(self) -> None:
        self._models: dict[tuple[str, str], tuple[ActionSpec, type[BaseModel]]] = {}

    def check(self, agency: str, action: str, spec: ActionSpec, fields: Mapping[str, object]) -> None:
        """Return if `fields` fit the action's input model, else raise a `ContractBreach`."""
        cached = self._models.get((agency, action))
        if cached is None or cached[0] != spec:
            cached = (spec, input_model(f"{agency}.{action}", spec))
            self._models[(agency, action)] = cached
        try:
            cached[1].model_validate(fields)
        except ValidationError as exc:
            raise _breach(agency, action, exc) from None


def _breach(agency: str, action: str, exc: ValidationError) -> ContractBreach:
    extra: list[str] = []
    errors: list[FieldProblem] = []
    for err in exc.errors():
        name = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            extra.append(name)
            errors.append(FieldProblem(field=f"fields.{name}", message="not accepted by the data contract"))
        else:
            errors.append(FieldProblem(field=f"fields.{name}", message=err["msg"]))
    if extra:
        message = f"{agency}.{action} does not accept field(s): {', '.join(sorted(extra))}"
        return ContractBreach(FIELD_NOT_ACCEPTED, message, errors)
    bad = ", ".join(dict.fromkeys(e.field.removeprefix("fields.") for e in errors))
    return ContractBreach(INVALID_REQUEST, f"{agency}.{action} cannot act on this request: {bad}", errors)
