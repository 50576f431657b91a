"""The readiness decision on its own: the rules the workflow and the dry run both follow, on
hand-made step statuses (no Temporal needed, since the module is pure)."""

from __future__ import annotations

from orchestrator.cases import StepStatus
from orchestrator.definition import LifeEventDefinition
from orchestrator.readiness import Verdict, decide

CHAIN = LifeEventDefinition.model_validate(
    {
        "type": "chain",
        "version": 1,
        "title": "Chain",
        "inputs": [{"name": "flag", "type": "boolean", "personal": False}],
        "steps": [
            {"id": "a", "agency": "x", "action": "go"},
            {"id": "b", "agency": "x", "action": "go", "depends_on": ["a"]},
            {"id": "c", "agency": "x", "action": "go", "depends_on": ["b"]},
            {"id": "d", "agency": "x", "action": "go", "depends_on": ["a"], "when": "data.flag"},
            {"id": "e", "agency": "x", "action": "go", "depends_on": ["d"]},
            {
                "id": "f",
                "agency": "x",
                "action": "go",
                "depends_on": ["a"],
                "when": "steps.a.output.code == 'ok'",
            },
        ],
    }
)


def _statuses(**given: StepStatus) -> dict[str, StepStatus]:
    return {s.id: given.get(s.id, StepStatus.pending) for s in CHAIN.steps}


def test_a_failed_dependency_blocks_its_whole_chain_in_one_call() -> None:
    """In definition order, a skip counting as ended at once for the steps after it."""
    pending = CHAIN.steps[1:]
    decisions = decide(pending, _statuses(a=StepStatus.failed), {}, {"flag": True})
    assert [(d.step.id, d.verdict, d.reason) for d in decisions] == [
        ("b", Verdict.blocked, "depends on failed step a"),
        ("c", Verdict.blocked, "depends on failed step b"),
        ("d", Verdict.blocked, "depends on failed step a"),
        ("e", Verdict.blocked, "depends on failed step d"),
        ("f", Verdict.blocked, "depends on failed step a"),
    ]
    assert decisions[1].dependency == "b"


def test_a_false_condition_skips_and_its_dependents_still_start() -> None:
    decisions = decide(
        CHAIN.steps[1:], _statuses(a=StepStatus.succeeded), {"a": {"code": "ok"}}, {"flag": False}
    )
    assert [(d.step.id, d.verdict) for d in decisions] == [
        ("b", Verdict.start),  # c waits: b has only been decided, not ended
        ("d", Verdict.condition_false),
        ("e", Verdict.start),
        ("f", Verdict.start),
    ]
    assert decisions[1].reason == "condition false: data.flag"


def test_a_condition_that_cannot_be_evaluated_fails_the_step() -> None:
    """`steps.a.output.code` with no output kept: the step fails rather than the workflow task."""
    decisions = decide(CHAIN.steps[5:], _statuses(a=StepStatus.succeeded), {}, {"flag": True})
    assert [d.verdict for d in decisions] == [Verdict.condition_error]
    assert decisions[0].reason.startswith("condition could not be evaluated: ")


def test_nothing_is_decided_before_dependencies_end_and_inputs_are_not_changed() -> None:
    statuses = _statuses(a=StepStatus.running)
    pending = list(CHAIN.steps[1:])
    assert decide(pending, statuses, {}, {"flag": True}) == []
    assert decide(pending, _statuses(a=StepStatus.skipped), {}, {"flag": True}, blocked=["a"])[0].verdict is (
        Verdict.blocked
    )
    assert statuses == _statuses(a=StepStatus.running) and pending == CHAIN.steps[1:]
