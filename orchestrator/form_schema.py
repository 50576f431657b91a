"""JSON Schemas of what a citizen fills in, so a form can be built from the catalog alone: a
life event's inputs as `POST /v1/life-events` takes them in `data`, and each step's question
as `POST /v1/cases/{id}/steps/{step}/input` takes it. Both come from the same models that
validate the request (`LifeEventDefinition.data_model`), so a form and the API cannot disagree.

Each property carries the input's title and, where the profile fills it in when left out,
`x-onestop-profile` naming the profile field (the form can pre-fill it from `GET /v1/me`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from orchestrator.definition import LifeEventDefinition


class FormSchemas(BaseModel):
    type: str
    version: int
    title: str
    inputs: dict[str, Any] = Field(description="JSON Schema of the life event's `data`")
    questions: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="step id -> JSON Schema of the answer's `data`"
    )


def form_schemas(definition: LifeEventDefinition) -> FormSchemas:
    inputs = _schema(definition, definition.data_model(), definition.title)
    questions = {
        step.id: _schema(definition, definition.data_model(only=step.asks), step.title or step.id)
        for step in definition.steps
        if step.asks
    }
    return FormSchemas(
        type=definition.type,
        version=definition.version,
        title=definition.title,
        inputs=inputs,
        questions=questions,
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
