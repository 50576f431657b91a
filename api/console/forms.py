"""What the console's forms send, parsed with the same Pydantic models the JSON API uses.

HTML forms send every field, empty or not, as a string: empty ones mean "not given" and are
dropped before validation. A validation error becomes GOV.UK error-summary entries naming the
field (its `href` is the input's id), never echoing the value sent.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, Field, ValidationError, model_validator

from orchestrator.contracts import ReasonCode
from orchestrator.support_models import STEP_VERBS, SupportFilter, SupportVerb

PAGE_SIZE = 25

FILTER_FIELDS = ("type", "status", "agency", "waiting_for", "stuck_minutes", "step", "error")
"""The filter's fields the console offers, in the form's order (plus `stuck`, a checkbox)."""

ErrorItem = dict[str, str]


def errors_of(exc: ValidationError, prefix: str = "", whole: str = "step") -> list[ErrorItem]:
    """One entry per error; an error of the whole form (a model validator's) points at `whole`."""
    items = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"]) or whole
        message = str(error["msg"]).removeprefix("Value error, ")
        if field == "reason":
            message = (
                "enter a reason code of lower case letters, digits and underscores, like agency_recovered"
            )
        items.append(
            {"text": f"{field.replace('_', ' ').capitalize()}: {message}", "href": f"#{prefix}{field}"}
        )
    return items


def parse_filter(fields: Mapping[str, str], prefix: str = "") -> tuple[SupportFilter, list[ErrorItem]]:
    """The filter the form describes; before any search the list shows only stuck cases."""
    values: dict[str, object] = {k: fields[k] for k in FILTER_FIELDS if k in fields}
    values["stuck"] = fields.get("stuck") == "true" or "searched" not in fields
    page = fields.get("page", "1")
    values["offset"] = (int(page) - 1) * PAGE_SIZE if page.isdigit() and int(page) > 0 else 0
    values["limit"] = PAGE_SIZE
    try:
        return SupportFilter.model_validate(values), []
    except ValidationError as exc:
        return SupportFilter(stuck=bool(values["stuck"]), limit=PAGE_SIZE), errors_of(exc, prefix)


class ActionForm(BaseModel):
    """One support action on a case from its page: a reason code is required, a note is not."""

    verb: SupportVerb
    step: str | None = None
    reason: ReasonCode = Field(min_length=1)
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _step_for_step_actions(self) -> ActionForm:
        if self.verb in STEP_VERBS and not self.step:
            raise ValueError("choose the step to act on")
        return self
