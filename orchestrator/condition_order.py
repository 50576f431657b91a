"""Conditions may not depend on the order of a CEL map.

The CEL library keeps a map in a hash order chosen per process: `{'x': 1, 'y': 2}.map(k, k)[0]`
is 'x' in one worker and 'y' in another, so a replay on another worker could take the other branch
(a nondeterminism error, or a case that silently does something else). `data` and `steps` are maps
too. A comprehension macro is the only way CEL iterates a map, so macros are what this rule polices:

- `map()` and `filter()` build a list in iteration order: forbidden everywhere. A condition wants
  a boolean, which `all()`/`exists()` give without a list (and no list means no `[0]` to pick).
- `all()`, `exists()` and `exists_one()` would give the same boolean in any order, but the library
  (the Rust `cel` crate 0.14, unlike the CEL spec) aborts on the first error instead of letting
  a later false or true absorb it: `{'a': 0, 'b': 's'}.all(k, m[k] > 0)` is false in one process
  and a type error in another (measured across processes). They may range only over a list
  written in the condition, `[data.a, data.b]`, whose order is the text's.

The library exposes no syntax tree (it expands macros internally), so the rule reads tokens:
string literals and comments are skipped whole, so `'.map('` inside a string is no call.
"""

from __future__ import annotations

import re
from typing import NamedTuple

LIST_MACROS = frozenset({"map", "filter"})
BOOLEAN_MACROS = frozenset({"all", "exists", "exists_one"})

_TOKEN = re.compile(
    r"""
      (?P<skip> \s+ | //[^\n]* )
    | (?P<string>
          [bB]?[rR][bB]? (?: '''.*?''' | \"\"\".*?\"\"\" | '[^'\n]*' | "[^"\n]*" )
        | [bB]? (?: '''(?:\\.|[^\\])*?''' | \"\"\"(?:\\.|[^\\])*?\"\"\"
                  | '(?:\\.|[^'\\\n])*' | "(?:\\.|[^"\\\n])*" )
      )
    | (?P<name> [A-Za-z_][A-Za-z0-9_]* )
    | (?P<number> [0-9][A-Za-z0-9_.]* )
    | (?P<punct> . )
    """,
    re.VERBOSE | re.DOTALL,
)
_OPENING = {")": "(", "]": "[", "}": "{"}
_WHY = "conditions may not depend on the order of a map"


class _Token(NamedTuple):
    kind: str
    text: str


def problems(expression: str) -> list[str]:
    """Why `expression`'s value could depend on a map's iteration order; empty when it cannot."""
    tokens = _tokens(expression)
    found: list[str] = []
    for i, token in enumerate(tokens):
        if not _is_method_call(tokens, i):
            continue
        if token.text in LIST_MACROS:
            found.append(
                f"{expression!r} uses {token.text}(): {_WHY}: "
                "use all()/exists() over a list written in the condition instead of map()/filter()"
            )
        elif token.text in BOOLEAN_MACROS and not _follows_list_literal(tokens, i - 1):
            found.append(
                f"{expression!r} uses {token.text}() on a value that may be a map: {_WHY}: "
                f"{token.text}() may only range over a list written in the condition, "
                f"such as [data.a, data.b].{token.text}(x, x)"
            )
    return found


def _tokens(expression: str) -> list[_Token]:
    return [
        _Token(str(match.lastgroup), match.group())
        for match in _TOKEN.finditer(expression)
        if match.lastgroup != "skip"
    ]


def _is_method_call(tokens: list[_Token], i: int) -> bool:
    """`.name(`: how CEL writes a macro (a global `all(...)` is an unknown function, not a macro)."""
    return (
        tokens[i].kind == "name"
        and 0 < i < len(tokens) - 1
        and tokens[i - 1].text == "."
        and tokens[i + 1].text == "("
    )


def _follows_list_literal(tokens: list[_Token], dot: int) -> bool:
    """Whether the receiver ending just before `tokens[dot]` is a list literal `[...]`, not an
    index `x[...]`, a call, a name or a parenthesised expression (any of which may be a map)."""
    if dot == 0 or tokens[dot - 1].text != "]":
        return False
    depth = 0
    for j in range(dot - 1, -1, -1):
        text = tokens[j].text
        if text in _OPENING:
            depth += 1
        elif text in _OPENING.values():
            depth -= 1
            if depth == 0:
                return text == "[" and (j == 0 or not _ends_operand(tokens[j - 1]))
    return False


def _ends_operand(token: _Token) -> bool:
    """A `[` after this token indexes it; after anything else (an operator, `(`, `,`) it opens a list."""
    if token.kind == "name":
        return token.text != "in"
    return token.kind in ("number", "string") or token.text in _OPENING
