"""How an agency declares its actions: typed handlers, their data contracts, their compensations.

An action is an async function `(ctx, data) -> Reply` whose `data` parameter is a Pydantic model:
the fields it accepts and requires, and their types, are the agency's data contract
(`Agency.contract()` gives it in the shape of `agencies.yaml`, where the catalog validator checks
every step against it, and `onestop agency check` compares the two), and the reply's fields
beside `reference` are what the workflow may read as `outputs`.

The rules every handler may count on, and must keep:
- `ctx.idempotency_key` is the same for every attempt at one step's submission: act once per key
  and answer a repeat with the first record;
- `raise Rejected("reason_code")` is the agency's "no": never retried, the case rolls back;
- any other exception is "try again": OneStop retries durably (for the agency's `retry_for_hours`)
  and holds the step for support after that;
- a compensation is called with the key of the action it undoes, and must be idempotent too.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

_CODE = re.compile(r"^[a-z0-9_]{1,64}$")


class Reply(BaseModel):
    """What an action answers: the agency's record reference, plus any declared output fields."""

    reference: str


class Rejected(Exception):
    """The agency's explicit rejection, with a reason code (no personal data: it enters Temporal)."""

    def __init__(self, code: str) -> None:
        if not _CODE.match(code):
            raise ValueError(f"a reason code is 1-64 of a-z, 0-9 and _: {code!r}")
        self.code = code
        super().__init__(code)


@dataclass(frozen=True)
class ActionContext:
    agency: str
    action: str
    case_id: str
    step_id: str
    idempotency_key: str
    subject: str | None = None  # whom the case is about, as the agency knows them
    round: int = 0  # resubmissions of a review after the agency asked for more
    compensates: str | None = None  # for a compensation: the idempotency key of the action undone
    instance: str | None = None  # the agency's office, when it is split by jurisdiction


ActionHandler = Callable[[ActionContext, Any], Awaitable[Reply]]
CompensationHandler = Callable[[ActionContext], Awaitable[None]]


@dataclass(frozen=True)
class Action:
    name: str
    handler: ActionHandler
    input: type[BaseModel]
    output: type[Reply]
    compensation: str | None
    title: str


class Agency:
    def __init__(self, name: str, title: str = "") -> None:
        self.name = name
        self.title = title
        self.actions: dict[str, Action] = {}
        self.compensations: dict[str, CompensationHandler] = {}

    def action(
        self, name: str, *, compensation: str | None = None, title: str = ""
    ) -> Callable[[ActionHandler], ActionHandler]:
        """Declare an action; its `data` parameter's model is its contract, its return its reply."""

        def register(handler: ActionHandler) -> ActionHandler:
            hints = typing.get_type_hints(handler)
            data, reply = hints.get("data"), hints.get("return")
            if not (isinstance(data, type) and issubclass(data, BaseModel)):
                raise TypeError(f"{name}: the handler's `data` parameter needs a Pydantic model type")
            if not (isinstance(reply, type) and issubclass(reply, Reply)):
                raise TypeError(f"{name}: the handler returns a Reply (or a subclass with outputs)")
            self.actions[name] = Action(name, handler, data, reply, compensation, title)
            return handler

        return register

    def compensation(self, name: str) -> Callable[[CompensationHandler], CompensationHandler]:
        def register(handler: CompensationHandler) -> CompensationHandler:
            self.compensations[name] = handler
            return handler

        return register

    def contract(self) -> dict[str, dict[str, Any]]:
        """The actions as `agencies.yaml` lists them (accepts, requires, types, returns), so a
        designer's steps are checked against what this code really takes. A field whose type has
        no name in agencies.yaml's vocabulary (a list, a nested model) is left untyped."""
        # Here, not at the top: an agency's worker and work-list client import none of OneStop's
        # core (its catalog models pull in the condition language); only checking a contract does.
        from orchestrator.definition import field_type

        actions: dict[str, dict[str, Any]] = {}
        for action in self.actions.values():
            fields = action.input.model_fields
            typed = {n: field_type(f.annotation) for n, f in fields.items()}
            actions[action.name] = {
                "title": action.title,
                "accepts": list(fields),
                "requires": [n for n, f in fields.items() if f.is_required()],
                "types": {n: t.value for n, t in typed.items() if t is not None},
                "returns": [n for n in action.output.model_fields if n != "reference"],
            }
        for name in self.compensations:
            actions.setdefault(name, {"title": "", "accepts": [], "requires": [], "types": {}, "returns": []})
        return actions
