"""A form built from a JSON Schema the API publishes (a life event's inputs, a step's question,
the profile), and read back into the JSON the API takes.

The portal validates nothing itself: it turns what the browser sent into typed JSON where the
text plainly is one (digits into an integer, yes/no into a boolean, day/month/year into a
date), sends it, and shows the API's 422 field by field. So a form and the API cannot disagree on
what is valid, and a rule added to a model shows up on the page with no change here.

A form's values travel as the browser sends them: one string per input, a date as three
(`<name>-day`, `-month`, `-year`), as the GOV.UK date input names them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, JsonValue

from orchestrator.problem_details import Problem
from orchestrator.profile import CitizenProfile

FieldKind = Literal["text", "date", "integer", "number", "boolean"]
DATE_PARTS = ("day", "month", "year")
ErrorItem = dict[str, str]


class FormField(BaseModel):
    name: str
    id: str
    title: str
    kind: FieldKind
    required: bool
    profile: str | None = None
    """The profile field that pre-fills it (left empty, the API fills it from there too)."""
    prefilled: bool = False
    """Whether the value shown came from the profile."""
    value: str = ""
    parts: dict[str, str] = {}
    """A date's day, month and year, as typed."""
    error: str | None = None

    @property
    def href(self) -> str:
        """Where the error summary's link lands: the input, or a date's first box."""
        return f"#{self.id}-day" if self.kind == "date" else f"#{self.id}"


class SchemaForm:
    def __init__(self, schema: Mapping[str, Any], prefix: str = "", only: list[str] | None = None) -> None:
        """`prefix` keeps ids apart when a page holds several forms; `only` keeps those fields."""
        properties: Mapping[str, Any] = schema.get("properties", {})
        self.prefix = prefix
        self.required = set(schema.get("required", []))
        self.properties = {name: prop for name, prop in properties.items() if only is None or name in only}

    def kind(self, name: str) -> FieldKind:
        prop = self.properties[name]
        options = [o for o in prop.get("anyOf", [prop]) if o.get("type") != "null"]
        typed = options[0] if options else prop
        if typed.get("type") == "string" and typed.get("format") == "date":
            return "date"
        found = typed.get("type")
        return found if found in ("integer", "number", "boolean") else "text"

    def fields(
        self,
        values: Mapping[str, str],
        errors: Mapping[str, str] | None = None,
        profile: CitizenProfile | None = None,
    ) -> list[FormField]:
        """The fields with the values given; with the `profile`, those it pre-fills are marked."""
        errors = errors or {}
        known = self.known(profile)
        return [
            FormField(
                name=name,
                id=f"{self.prefix}{name}",
                title=str(prop.get("title") or name.replace("_", " ").capitalize()),
                kind=self.kind(name),
                required=name in self.required,
                profile=prop.get("x-onestop-profile"),
                value=values.get(name, ""),
                parts={p: values.get(f"{name}-{p}", "") for p in DATE_PARTS},
                error=errors.get(name),
                prefilled=name in known,
            )
            for name, prop in self.properties.items()
        ]

    def known(self, profile: CitizenProfile | None) -> dict[str, JsonValue]:
        """The values the profile holds for the fields linked to it."""
        if profile is None:
            return {}
        found = {name: prop.get("x-onestop-profile") for name, prop in self.properties.items()}
        values = {name: profile.value(path) for name, path in found.items() if isinstance(path, str)}
        return {name: value for name, value in values.items() if value is not None}

    def initial(self, profile: CitizenProfile | None = None) -> dict[str, str]:
        """What the form shows before the citizen types: each default, then what the profile
        knows for the fields linked to it."""
        values: dict[str, str] = {}
        known = self.known(profile)
        for name, prop in self.properties.items():
            value: JsonValue = known.get(name, prop.get("default"))
            if value is not None:
                values.update(self._as_form(name, value))
        return values

    def _as_form(self, name: str, value: JsonValue) -> dict[str, str]:
        if self.kind(name) == "date" and isinstance(value, str) and value.count("-") == 2:
            year, month, day = value.split("-")
            return {f"{name}-day": day, f"{name}-month": month, f"{name}-year": year}
        if isinstance(value, bool):
            return {name: "true" if value else "false"}
        return {name: str(value)}

    def read(self, form: Mapping[str, str]) -> dict[str, JsonValue]:
        """The data to send: each field given, typed where its text plainly is that type (else
        sent as typed, for the API to name); a field left empty is not sent."""
        data: dict[str, JsonValue] = {}
        for name in self.properties:
            kind = self.kind(name)
            if kind == "date":
                day, month, year = (form.get(f"{name}-{p}", "").strip() for p in DATE_PARTS)
                if day or month or year:
                    numeric = day.isdigit() and month.isdigit() and year.isdigit()
                    data[name] = f"{year:0>4}-{month:0>2}-{day:0>2}" if numeric else f"{year}-{month}-{day}"
                continue
            text = form.get(name, "").strip()
            if text:
                data[name] = _typed(kind, text)
        return data

    def errors(self, problem: Problem) -> tuple[dict[str, str], list[ErrorItem]]:
        """The API's refusal as the page shows it: a message per field it names (found by the
        last part of its path: `data.child_name`, `body.name`), and the error summary's entries,
        linked to their inputs; a refusal naming no field is one entry of its own."""
        by_field: dict[str, str] = {}
        summary: list[ErrorItem] = []
        titles = {f.name: f for f in self.fields({})}
        for error in problem.errors or []:
            name = error.field.rsplit(".", 1)[-1]
            field = titles.get(name)
            if field is None:
                summary.append({"text": error.message})
                continue
            message = _message(field, error.message)
            if name not in by_field:
                by_field[name] = message
                summary.append({"text": message, "href": field.href})
        if not summary:
            summary.append({"text": problem.detail})
        return by_field, summary


def _typed(kind: FieldKind, text: str) -> JsonValue:
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except ValueError:
        return text
    if kind == "boolean" and text in ("true", "false"):
        return text == "true"
    return text


def _message(field: FormField, message: str) -> str:
    """The API's words, said of the field the citizen sees (GOV.UK's "Enter …", "… must be a
    real date"), never echoing the value."""
    named = field.title[:1].lower() + field.title[1:]
    if message == "Field required":
        return f"{field.title}: select yes or no" if field.kind == "boolean" else f"Enter {named}"
    if field.kind == "date" and "date" in message:
        return f"{field.title} must be a real date"
    return f"{field.title}: {message[:1].lower() + message[1:]}"
