"""Step conditions (`when:`) in CEL, the Common Expression Language.

CEL is side-effect free, terminates, and evaluates the same way on every replay, which is why
the workflow may evaluate it directly. A condition sees `data` (the case's non-personal facts)
and `steps` (each earlier step's `status` and `output`), nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import cel

ROOTS = ("data", "steps")
_DATA_FIELD = re.compile(r"\bdata\.([A-Za-z_][A-Za-z0-9_]*)")
_STEP_REF = re.compile(r"\bsteps\.([A-Za-z_][A-Za-z0-9_]*)")
# String literals (quoted, raw or triple-quoted) blanked out before looking for macros in the code.
_STRING = re.compile(r"""[rR]?('''[\s\S]*?'''|\"\"\"[\s\S]*?\"\"\"|'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")""")
_ORDERED_MACRO = re.compile(r"\.\s*(map|filter)\s*\(")
ORDER_PROBLEM = (
    "a condition may not depend on the order of a map (it differs between processes, so a replay could decide "
    "differently): use all(), exists() or exists_one() instead of map() or filter()"
)


class ConditionError(ValueError):
    """A condition that compiled but could not be evaluated on a case's data: the engine fails
    that step (and the case compensates) rather than the workflow task."""


def check(expression: str, facts: Mapping[str, object], step_outputs: Mapping[str, list[str]]) -> list[str]:
    """Problems with a condition: syntax, unknown roots, fields or steps, non-boolean result.

    `step_outputs` maps each step the condition may see to the reply keys it keeps.
    """
    try:
        program = cel.compile(expression)
    except Exception as exc:  # the binding raises its own error types for syntax errors
        return [f"does not compile: {exc}"]
    problems = [f"unknown name {name!r} (use data.* or steps.*)" for name in _roots(program)]
    if _order_dependent(expression):
        problems.append(ORDER_PROBLEM)
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
    if _order_dependent(expression):  # a definition pinned before the rule existed
        raise ConditionError(f"{expression!r}: {ORDER_PROBLEM}")
    try:
        result = cel.evaluate(expression, {"data": dict(facts), "steps": dict(steps)})
    except Exception as exc:
        raise ConditionError(f"{expression!r}: {exc}") from exc
    if not isinstance(result, bool):
        raise ConditionError(f"{expression!r} gave {result!r}, not a boolean")
    return result


def _order_dependent(expression: str) -> bool:
    """map() and filter() build lists, whose order over a map's keys is per-process: the only
    way a CEL condition's result can differ between a run and its replay. all(), exists() and
    exists_one() give the same boolean in any order."""
    return _ORDERED_MACRO.search(_STRING.sub("''", expression)) is not None


def _roots(program: cel.Program) -> list[str]:
    bound = set(ROOTS)
    return [v for v in program.variables() if v not in bound and not _is_comprehension_var(program, v)]


def _is_comprehension_var(program: cel.Program, name: str) -> bool:
    return (
        re.search(rf"\.(all|exists|exists_one|map|filter)\(\s*{re.escape(name)}\s*,", program.source)
        is not None
    )
