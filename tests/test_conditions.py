"""Step conditions may not depend on the order of a CEL map.

The CEL library iterates a map in an order it picks per process, so a condition that depends on
it can decide differently when a history is replayed on another worker: a nondeterminism error,
or a case that silently runs a different set of steps. The validator (`conditions.check`) refuses
such a condition at load, and the workflow (`conditions.evaluate`) refuses it again at run time,
since a definition pinned before the rule existed never met it. Each case below is one rule.
"""

from __future__ import annotations

import pytest

from orchestrator import conditions

FACTS = {"owns_vehicle": True, "children": 2}
OUTPUTS = {"first": ["reference"]}
STEPS = {"first": {"status": "succeeded", "output": {"reference": "R-1"}}}
WHY = "conditions may not depend on the order of a map"


@pytest.mark.parametrize(
    "expression",
    [
        pytest.param("data.owns_vehicle && data.children > 0", id="no-macro"),
        pytest.param("[data.children, 1].all(n, n > 0)", id="all-over-a-written-list"),
        pytest.param("[data.owns_vehicle, false].exists(x, x)", id="exists-over-a-written-list"),
        pytest.param("[1, 2].exists_one(n, n == data.children)", id="exists_one-over-a-written-list"),
        pytest.param("data.owns_vehicle ? [1].all(n, n > 0) : false", id="written-list-after-an-operator"),
        pytest.param("'.map(k, k)' != '' && data.owns_vehicle", id="macro-name-inside-a-string"),
        pytest.param("{'a': 1, 'b': 2}['b'] == data.children", id="map-literal-read-by-key"),
        pytest.param(
            "size(steps.first.output) == 1 && 'reference' in steps.first.output", id="map-size-and-in"
        ),
    ],
)
def test_order_independent_condition_is_accepted(expression: str) -> None:
    """The rule must not refuse what cannot depend on order: no iteration, or a list's own order."""
    assert conditions.check(expression, FACTS, OUTPUTS) == []
    assert conditions.evaluate(expression, FACTS, STEPS) is True


@pytest.mark.parametrize(
    ("expression", "rule"),
    [
        # True in 1 of 6 processes before this rule: the list's first key is the map's hash order.
        pytest.param(
            "{'x': 1, 'y': 2, 'z': 3}.map(k, k)[0] == 'x' && data.owns_vehicle",
            "uses map()",
            id="map-over-a-map-literal",
        ),
        pytest.param("data.filter(k, data[k] == true).size() == 1", "uses filter()", id="filter-over-data"),
        pytest.param("[1, 2].map(n, n * 2)[0] == 2", "uses map()", id="map-over-a-list-too"),
        pytest.param("data . // a comment\n  map(k, k).size() > 0", "uses map()", id="spaced-and-commented"),
        # The library stops at the first false or error in map order: false here, a type error there.
        pytest.param(
            "data.all(k, data[k] > 0)", "uses all() on a value that may be a map", id="all-over-data"
        ),
        pytest.param(
            "data.exists(k, k == 'owns_vehicle')", "uses exists() on a value", id="exists-over-data"
        ),
        pytest.param(
            "{'a': 0, 'b': 's'}.all(k, k != '')", "uses all() on a value", id="all-over-a-map-literal"
        ),
        pytest.param(
            "steps.first.output.exists_one(k, true)", "uses exists_one() on", id="over-a-step-output"
        ),
        pytest.param("[{'a': 1}][0].exists(k, k == 'a')", "uses exists() on a value", id="over-an-index"),
        pytest.param("(data).exists(k, true)", "uses exists() on a value", id="over-parentheses"),
        pytest.param(
            "[[1], [2]].all(l, l.exists(n, n > 0))", "uses exists() on a value", id="over-a-variable"
        ),
    ],
)
def test_order_dependent_condition_is_refused(expression: str, rule: str) -> None:
    """Refused at load with the expression and the reason, and refused again by the workflow."""
    problems = conditions.check(expression, FACTS, OUTPUTS)
    assert [p for p in problems if rule in p and WHY in p and repr(expression) in p], problems
    with pytest.raises(conditions.ConditionError, match=WHY):
        conditions.evaluate(expression, FACTS, STEPS)


def test_map_and_filter_message_says_what_to_use() -> None:
    """A designer told only "no" would not know the order-independent way to say the same."""
    [problem] = conditions.check("data.filter(k, data[k] == true).size() > 0", FACTS, OUTPUTS)
    assert problem.endswith(
        f"{WHY}: use all()/exists() over a list written in the condition instead of map()/filter()"
    )


def test_other_problems_are_still_reported_with_the_order_problem() -> None:
    """A designer fixes a condition in one pass: the order rule does not hide an unknown field."""
    problems = conditions.check("data.exists(k, data.shoe_size > 0)", FACTS, OUTPUTS)
    assert any(WHY in p for p in problems), problems
    assert any(p.startswith("data.shoe_size is not an input") for p in problems), problems
