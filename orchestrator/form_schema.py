"""JSON Schemas of what a citizen fills in, so a form can be built from the catalog alone: a
life event's inputs as `POST /v1/life-events` takes them in `data`, and each step's question
as `POST /v1/cases/{id}/steps/{step}/input` takes it, and the shares a step may ask consent for
(a consents page can offer them ahead of any case). Both come from the same models that
validate the request (`LifeEventDefinition.data_model`), so a form and the API cannot disagree.

Each property carries the input's title and, where the profile fills it in when left out,
`x-onestop-profile` naming the profile field (the form can pre-fill it from `GET /v1/me`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from orchestrator.definition import Basis, LifeEventDefinition


class FormSchemas(BaseModel):
    type: str
    version: int
    title: str
    inputs: dict[str, Any] = Field(description="JSON Schema of the life event's `data`")
    questions: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="step id -> JSON Schema of the answer's `data`"
    )
    consents: dict[str, ConsentAsked] = Field(
        default_factory=dict,
        description="step id -> what it shares by consent: asked on the step unless given before",
    )


class ConsentAsked(BaseModel):
    """A share a life event may ask consent for (answered with `{"given": true|false}`)."""

    agency: str
    action: str
    fields: list[str]
    purpose: str


def form_schemas(definition: LifeEventDefinition) -> FormSchemas:
    inputs = _schema(definition, definition.data_model(), definition.title)
    questions = {
        step.id: _schema(definition, definition.data_model(only=step.asks), step.title or step.id)
        for step in definition.steps
        if step.asks
    }
    consents = {
        step.id: ConsentAsked(
            agency=step.agency,
            action=step.action,
            fields=step.sent,
            purpose=step.consent_purpose,
        )
        for step in definition.steps
        if step.legal_basis.basis is Basis.consent
    }
    return FormSchemas(
        type=definition.type,
        version=definition.version,
        title=definition.title,
        inputs=inputs,
        questions=questions,
        consents=consents,
    )


def _schema(definition: LifeEventDefinition, model: type[BaseModel], title: str) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema["title"] = title
    prefilled = definition.prefilled_from()
    for name, prop in schema.get("properties", {}).items():
        field = definition.field(name)
        if field is not None and field.title:
            prop["title"] = field.title
        if name in prefilled:
            prop["x-onestop-profile"] = prefilled[name]
    return schema
