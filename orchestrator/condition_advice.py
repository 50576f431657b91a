"""What a designer is told about a condition that does not pass: where it breaks, why, and which
names may be read at that place, with their types, so the fix needs no second look elsewhere.

The CEL library explains its errors generically (a paragraph on type coercion, a parser's token
set); this keeps the part that is about the condition and adds what only OneStop knows: the
inputs and earlier steps in scope.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_SYNTAX = re.compile(r"<input>:(\d+):(\d+): (?:Syntax error: )?(.+)")
_EXPECTING = re.compile(r" expecting (\{[^}]*\}|\S+)")


def allowed_names(
    facts: Mapping[str, object], step_outputs: Mapping[str, list[str]], types: Mapping[str, str]
) -> str:
    """`names allowed here: data.x (boolean), steps.y.status (string), ...`."""
    names = [f"data.{name} ({types.get(name) or _type_of(value)})" for name, value in facts.items()]
    for step, outputs in step_outputs.items():
        names.append(f"steps.{step}.status (string: 'succeeded' or 'skipped')")
        names += [f"steps.{step}.output.{key} (the agency's reply value)" for key in outputs]
    if not names:
        return (
            "no names are allowed here: declare a non-personal input (personal: false), "
            "or make this step depend on the step it looks at"
        )
    return "names allowed here: " + ", ".join(names)


def syntax_error(expression: str, error: Exception) -> str:
    """Each parse error with its line and column and the text before it, without the parser's
    list of every token it could have taken instead."""
    found = []
    for line, column, message in _SYNTAX.findall(str(error)):
        before = expression.splitlines()[int(line) - 1][: int(column) - 1] if expression else ""
        where = f"line {line}, column {column}" if "\n" in expression else f"column {column}"
        found.append(f"at {where} (after {before[-24:]!r}): {_EXPECTING.sub('', message).strip()}")
    return "; ".join(found) or str(error).split("\n")[0]


def evaluation_error(error: Exception) -> str:
    """The library's reason in one clause, with the one fix CEL's strict typing needs."""
    if isinstance(error, KeyError):
        return f"no key {error.args[0]!r} in the map it reads"
    first = str(error).split(". ")[0].rstrip(".")
    if first.startswith("No such overload"):
        first = "no operation is defined for these operand types"
    if isinstance(error, TypeError):
        first += (
            " (CEL never converts types: compare like with like, or convert with int(), double() or string())"
        )
    return first


def _type_of(value: object) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string"}.get(type(value), "value")
