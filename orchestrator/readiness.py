"""Which pending steps of a case may start now: the one readiness decision of OneStop.

The workflow (`LifeEventCase`) and the designers' dry run (`orchestrator.dry_run`) both ask
`decide`, so a plan shown to a designer cannot drift from what a case does. It is pure and
deterministic (no clock, no I/O, lists in definition order), which is also what lets the workflow
call it: a replay gets the same decisions in the same order.

A pending step whose dependencies have all ended is decided, in definition order, as one of:
- `blocked`: a dependency failed, or was itself blocked (skipped because one failed);
- `condition_false`: its `when` is false (a skip that its own dependents treat as done);
- `condition_error`: its `when` could not be evaluated (the step fails, as an agency's refusal);
- `start`.
A skip counts as ended at once, so one call decides a whole chain of skips, as the engine did.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from pydantic import JsonValue

from orchestrator import conditions
from orchestrator.cases import FINAL_STEP_STATUSES, StepStatus
from orchestrator.definition import StepDefinition


class Verdict(StrEnum):
    start = "start"
    blocked = "blocked"
    condition_false = "condition_false"
    condition_error = "condition_error"


@dataclass(frozen=True)
class Decision:
    step: StepDefinition
    verdict: Verdict
    reason: str = ""  # the words the case's timeline (and the plan) give a skip or a failure
    dependency: str | None = None  # the failed (or blocked) dependency, for `blocked`


def decide(
    pending: Sequence[StepDefinition],
    statuses: Mapping[str, StepStatus],
    outputs: Mapping[str, Mapping[str, JsonValue]],
    facts: Mapping[str, JsonValue],
    blocked: Collection[str] = (),
) -> list[Decision]:
    """The decisions for every pending step that can be decided now, in the order to apply them.

    `statuses` holds every step of the case (definition order), `outputs` the kept reply keys of
    the steps that succeeded, `facts` the case's non-personal inputs (`case_facts`), `blocked` the
    steps already skipped because a dependency failed. Nothing passed in is changed."""
    seen = dict(statuses)
    stopped = set(blocked)
    left = list(pending)
    decisions: list[Decision] = []
    progressed = True
    while progressed:
        progressed = False
        for step in list(left):
            if not all(seen[d] in FINAL_STEP_STATUSES for d in step.depends_on):
                continue
            left.remove(step)
            progressed = True
            decision = _decide_one(step, seen, outputs, facts, stopped)
            if decision.verdict is Verdict.blocked:
                stopped.add(step.id)
            if decision.verdict in (Verdict.blocked, Verdict.condition_false):
                seen[step.id] = StepStatus.skipped
            decisions.append(decision)
    return decisions


def _decide_one(
    step: StepDefinition,
    statuses: Mapping[str, StepStatus],
    outputs: Mapping[str, Mapping[str, JsonValue]],
    facts: Mapping[str, JsonValue],
    blocked: Collection[str],
) -> Decision:
    failed = [d for d in step.depends_on if statuses[d] is StepStatus.failed or d in blocked]
    if failed:
        return Decision(step, Verdict.blocked, f"depends on failed step {failed[0]}", failed[0])
    if step.when is None:
        return Decision(step, Verdict.start)
    try:
        holds = conditions.evaluate(step.when, facts, condition_steps(statuses, outputs))
    except conditions.ConditionError as exc:
        # A definition bug met at run time fails this step like an agency would, instead of
        # failing the workflow task over and over.
        return Decision(step, Verdict.condition_error, f"condition could not be evaluated: {exc}")
    if holds:
        return Decision(step, Verdict.start)
    return Decision(step, Verdict.condition_false, f"condition false: {step.when}")


def condition_steps(
    statuses: Mapping[str, StepStatus], outputs: Mapping[str, Mapping[str, JsonValue]]
) -> dict[str, object]:
    """What a condition sees as `steps`: every step's status, and its kept output (or none)."""
    return {
        sid: {"status": status.value, "output": dict(outputs.get(sid, {}))}
        for sid, status in statuses.items()
    }
