"""Offer and follow-up conditions (`when:` of `offers` and `follow_ups`), in the steps' CEL.

Unlike a step's condition, an offer's is decided OneStop-side (the `make_offers` activity), where
the case's data and the citizen's profile may be decrypted: so it may read every input (personal
ones too) as `data.<input>`, the profile as `profile.<field>`, and `steps.<step>.status`. Only its
result, true or false, ever goes back to the workflow. The same map-order rule as steps' applies,
so one condition means the same on every worker.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import cel

from orchestrator import condition_advice as advice
from orchestrator import condition_order
from orchestrator.conditions import ConditionError
from orchestrator.suggest import did_you_mean

ROOTS = ("data", "profile", "steps")
_REF = {root: re.compile(rf"\b{root}\.([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()") for root in ROOTS}


def check(
    expression: str, data: Mapping[str, object], profile: Mapping[str, object], steps: list[str]
) -> list[str]:
    """Problems with an offer's condition, each saying what to write instead. `data` and
    `profile` map each readable name to a sample value of its type."""
    allowed = "names allowed here: " + ", ".join(
        [f"data.{n}" for n in data] + [f"profile.{n}" for n in profile] + [f"steps.{s}.status" for s in steps]
    )
    try:
        program = cel.compile(expression)
    except Exception as exc:  # the binding raises its own error types for syntax errors
        return [f"{expression!r} does not compile {advice.syntax_error(expression, exc)}; {allowed}"]
    problems = condition_order.problems(expression)
    problems += [
        f"unknown name {name!r}: an offer's condition reads only data.<input>, profile.<field> and "
        f"steps.<step>.status{did_you_mean(name, ROOTS)}"
        for name in program.variables()
        if name not in ROOTS and not _is_comprehension_var(expression, name)
    ]
    known: dict[str, Mapping[str, object] | list[str]] = {"data": data, "profile": profile, "steps": steps}
    for root, names in known.items():
        for name in dict.fromkeys(_REF[root].findall(expression)):
            if name not in names:
                what = {
                    "data": "an input of this life event",
                    "profile": "a profile field",
                    "steps": "a step",
                }
                problems.append(f"{root}.{name} is not {what[root]}{did_you_mean(name, names)}; {allowed}")
    if problems:
        return problems
    try:
        result = program.execute(_variables(data, profile, dict.fromkeys(steps, "succeeded")))
    except Exception as exc:
        return [f"{expression!r} cannot be evaluated: {advice.evaluation_error(exc)}; {allowed}"]
    if not isinstance(result, bool):
        return [f"{expression!r} must be true or false, gives {type(result).__name__}; {allowed}"]
    return []


def evaluate(
    expression: str | None,
    data: Mapping[str, object],
    profile: Mapping[str, object],
    steps: Mapping[str, str],
) -> bool:
    """The condition's value (no condition: true), or a ConditionError."""
    if expression is None:
        return True
    order = condition_order.problems(expression)
    if order:
        raise ConditionError("; ".join(order))
    try:
        result = cel.evaluate(expression, _variables(data, profile, steps))
    except Exception as exc:
        raise ConditionError(f"{expression!r}: {type(exc).__name__}") from None  # never the values
    if not isinstance(result, bool):
        raise ConditionError(f"{expression!r} gave a {type(result).__name__}, not a boolean")
    return result


def _variables(
    data: Mapping[str, object], profile: Mapping[str, object], steps: Mapping[str, str]
) -> dict[str, object]:
    return {
        "data": dict(data),
        "profile": dict(profile),
        "steps": {s: {"status": status} for s, status in steps.items()},
    }


def _is_comprehension_var(expression: str, name: str) -> bool:
    pattern = rf"\.(all|exists|exists_one|map|filter)\(\s*{re.escape(name)}\s*,"
    return re.search(pattern, expression) is not None
