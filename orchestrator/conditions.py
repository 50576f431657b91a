"""Step conditions (`when:`) in CEL, the Common Expression Language.

CEL is side-effect free and terminates, which is why the workflow may evaluate it directly. It
evaluates the same way on every replay only if it never depends on the order of a map, which the
library picks per process: `condition_order` rejects such a condition, at load and again at run
time. A condition sees `data` (the case's non-personal facts) and `steps` (each earlier step's
`status` and `output`), nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

import cel

from orchestrator import condition_advice as advice
from orchestrator import condition_order
from orchestrator.suggest import did_you_mean

ROOTS = ("data", "steps")
# A name followed by `(` is a method (`data.exists(...)`), not a field or a step.
_DATA_FIELD = re.compile(r"\bdata\.([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()")
_STEP_REF = re.compile(r"\bsteps\.([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()")
_OUTPUT_REF = re.compile(r"\bsteps\.([A-Za-z_][A-Za-z0-9_]*)\.output\.([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()")


class ConditionError(ValueError):
    """A condition that compiled but could not be evaluated on a case's data: the engine fails
    that step (and the case compensates) rather than the workflow task."""


def check(
    expression: str,
    facts: Mapping[str, object],
    step_outputs: Mapping[str, list[str]],
    *,
    personal: Collection[str] = (),
    steps: Collection[str] = (),
    types: Mapping[str, str] | None = None,
) -> list[str]:
    """Problems with a condition: syntax, map order, unknown roots, fields, steps or outputs,
    non-boolean result; each says what to write instead.

    `facts` are the non-personal inputs (with a sample value), `step_outputs` maps each step the
    condition may see to the reply keys it keeps; `personal` and `steps` (all of the definition's
    steps) tell a name that may not be read from a misspelt one; `types` names the inputs' types.
    """
    allowed = advice.allowed_names(facts, step_outputs, types or {})
    try:
        program = cel.compile(expression)
    except Exception as exc:  # the binding raises its own error types for syntax errors
        return [f"{expression!r} does not compile {advice.syntax_error(expression, exc)}; {allowed}"]
    # Static problems first: a sample evaluation could pass or fail by the order of a map.
    problems = condition_order.problems(expression)
    problems += [
        f"unknown name {name!r}: a condition reads only data.<input> and steps.<step>{did_you_mean(name, ROOTS)}"
        for name in _roots(program)
    ]
    problems += [
        _field_problem(f, facts, personal, allowed)
        for f in _unique(_DATA_FIELD, expression)
        if f not in facts
    ]
    problems += [
        _step_problem(s, step_outputs, steps) for s in _unique(_STEP_REF, expression) if s not in step_outputs
    ]
    problems += [
        _output_problem(s, key, step_outputs[s])
        for s, key in _unique_pairs(_OUTPUT_REF, expression)
        if s in step_outputs and key not in step_outputs[s]
    ]
    if problems:
        return problems
    sample_steps = {
        s: {"status": "succeeded", "output": dict.fromkeys(keys, "")} for s, keys in step_outputs.items()
    }
    try:
        result = program.execute({"data": dict(facts), "steps": sample_steps})
    except Exception as exc:
        return [f"{expression!r} cannot be evaluated: {advice.evaluation_error(exc)}; {allowed}"]
    if not isinstance(result, bool):
        return [
            f"{expression!r} must be true or false, gives {type(result).__name__}: "
            f"compare it (==, <, >, in) to make a condition; {allowed}"
        ]
    return []


def _field_problem(name: str, facts: Mapping[str, object], personal: Collection[str], allowed: str) -> str:
    if name in personal:
        return (
            f"data.{name} is personal: conditions may not read it, because a condition is decided "
            "inside the case's workflow, whose history must never hold personal data (only inputs "
            "marked `personal: false` reach it): condition on a non-personal flag or count instead, "
            f"or mark {name!r} `personal: false` if it identifies nobody"
        )
    return f"data.{name} is not an input of this life event{did_you_mean(name, facts)}; {allowed}"


def _step_problem(name: str, step_outputs: Mapping[str, list[str]], steps: Collection[str]) -> str:
    if name in steps:
        earlier = ", ".join(step_outputs) or "none"
        return (
            f"steps.{name} is not an earlier step: a condition may read only the steps this one "
            f"depends on, directly or through others (here: {earlier}); add {name!r} to its "
            "depends_on if it must finish first"
        )
    return f"steps.{name} is not an earlier step: there is no step {name!r}{did_you_mean(name, steps or step_outputs)}"


def _output_problem(step: str, key: str, outputs: list[str]) -> str:
    declared = f"its outputs are {', '.join(outputs)}" if outputs else "it declares no outputs"
    return (
        f"steps.{step}.output.{key} is not a declared output of step {step!r} ({declared}){did_you_mean(key, outputs)}; "
        f"to read it, add {key!r} to that step's outputs (its agency's action must return it)"
    )


def _unique(pattern: re.Pattern[str], expression: str) -> list[str]:
    return list(dict.fromkeys(pattern.findall(expression)))


def _unique_pairs(pattern: re.Pattern[str], expression: str) -> list[tuple[str, str]]:
    return list(dict.fromkeys(pattern.findall(expression)))


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
