"""The trigger's request body as the OpenAPI document shows it: an example of each life event in
the live catalog, every required input with a value of its type, each accepted as it stands.

The document is rebuilt from the catalog on every request for it, so a life event added without a
restart appears. (A schema per life event, `anyOf` over the catalog, made schemathesis 4.32's
coverage phase fail with an internal error; `GET /v1/catalog/{type}` gives each event's inputs.)
"""

from __future__ import annotations

from typing import Any

from orchestrator.catalog import Catalog
from orchestrator.definition import FieldType, LifeEventDefinition

TRIGGER_PATH = "/v1/life-events"

_SAMPLES: dict[FieldType, Any] = {
    FieldType.string: "Ana Lima",
    FieldType.integer: 1,
    FieldType.number: 1.5,
    FieldType.boolean: True,
    FieldType.date: "2026-12-01",
}


def example(definition: LifeEventDefinition) -> dict[str, Any]:
    """Every required input, with a value of its type."""
    data = {f.name: _SAMPLES[f.type] for f in definition.inputs if f.required and f.default is None}
    return {"type": definition.type, "data": data}


def document_life_events(schema: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    operation = schema.get("paths", {}).get(TRIGGER_PATH, {}).get("post")
    definitions = sorted(catalog.definitions.values(), key=lambda d: d.type)
    if operation is None or not definitions:
        return schema
    content = operation["requestBody"]["content"]["application/json"]
    content["examples"] = {d.type: {"summary": d.title or d.type, "value": example(d)} for d in definitions}
    return schema
