"""Step conditions (`when:`) in CEL, the Common Expression Language.

CEL is side-effect free and terminates, which is why the workflow may evaluate it directly. It
evaluates the same way on every replay only if it never depends on the order of a map, which the
library picks per process: `condition_order` rejects such a condition, at load and again at run
time. A condition sees `data` (the case's non-personal facts) and `steps` (each earlier step's
`status` and `output`), nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import cel

from orchestrator import condition_order

ROOTS = ("data", "steps")
# A name followed by `(` is a method (`data.exists(...)`), not a field or a step.
_DATA_FIELD = re.compile(r"\bdata\.([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()")
_STEP_REF = re.compile(r"\bsteps\.([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()")


class ConditionError(ValueError):
    """A condition that compiled but could not be evaluated on a case's data: the engine fails
    that step (and the case compensates) rather than the workflow task."""


def check(expression: str, facts: Mapping[str, object], step_outputs: Mapping[str, list[str]]) -> list[str]:
    """Problems with a condition: syntax, map order, unknown roots, fields or steps, non-boolean result.

    `step_outputs` maps each step the condition may see to the reply keys it keeps.
    """
    try:
        program = cel.compile(expression)
    except Exception as exc:  # the binding raises its own error types for syntax errors
        return [f"does not compile: {exc}"]
    # Static problems first: a sample evaluation could pass or fail by the order of a map.
    problems = condition_order.problems(expression)
    problems += [f"unknown name {name!r} (use data.* or steps.*)" for name in _roots(program)]
    problems += [
        f"data.{f} is not a non-personal input" for f in _DATA_FIELD.findall(expression) if f not in facts
    ]
    problems += [
        f"steps.{s} is not an earlier step" for s in _STEP_REF.findall(expression) if s not in step_outputs
    ]
    if problems:
        return problems
    sample_steps = {
        s: {"status": "succeeded", "output": dict.fromkeys(keys, "")} for s, keys in step_outputs.items()
    }
    try:
        result = program.execute({"data": dict(facts), "steps": sample_steps})
    except Exception as exc:
        return [f"cannot be evaluated: {exc}"]
    if not isinstance(result, bool):
        return [f"must be true or false, gives {type(result).__name__}"]
    return []


def evaluate(expression: str, facts: Mapping[str, object], steps: Mapping[str, object]) -> bool:
    """The condition's value, or a ConditionError. A condition that could depend on map order is
    refused here too, not only at load: a definition pinned before the rule existed, or read back
    from a history, never passed it."""
    order = condition_order.problems(expression)
    if order:
        raise ConditionError("; ".join(order))
    try:
        result = cel.evaluate(expression, {"data": dict(facts), "steps": dict(steps)})
    except Exception as exc:
        raise ConditionError(f"{expression!r}: {exc}") from exc
    if not isinstance(result, bool):
        raise ConditionError(f"{expression!r} gave {result!r}, not a boolean")
    return result


def _roots(program: cel.Program) -> list[str]:
    bound = set(ROOTS)
    return [v for v in program.variables() if v not in bound and not _is_comprehension_var(program, v)]


def _is_comprehension_var(program: cel.Program, name: str) -> bool:
    return (
        re.search(rf"\.(all|exists|exists_one|map|filter)\(\s*{re.escape(name)}\s*,", program.source)
        is not None
    )
