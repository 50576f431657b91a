"""The designers' dry run: a life event evaluated on sample data, no agency called.

It walks the definition as a case would, asking `readiness.decide` (the workflow's own readiness
and conditions) which steps start, and assumes each step of a wave ends together, succeeding
unless the caller says it fails or is skipped. Steps that wait for the citizen or an agency's
review succeed in the plan too, which says who they would wait for. Because a condition may read
only the steps it depends on, the steps run and skipped do not depend on the order in which a
wave's steps end: the plan shows what a case does, only not when.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import JsonValue

from orchestrator import readiness
from orchestrator.agencies import AgencyDirectory
from orchestrator.cases import StepStatus
from orchestrator.definition import LifeEventDefinition, StepDefinition, StepKind, validate_data
from orchestrator.diagram import mermaid
from orchestrator.dry_run_offers import planned_follow_ups, planned_offers
from orchestrator.dry_run_plan import (
    AgencyShare,
    Plan,
    PlannedStep,
    PlannedUndo,
    Question,
    SharedField,
    SkipKind,
    SkippedStep,
    StepOutcome,
    TryRequest,
    Wait,
    Wave,
)
from orchestrator.errors import InputError
from orchestrator.readiness import Verdict
from orchestrator.suggest import did_you_mean

_ASSUMPTIONS = [
    "no agency was called: every step succeeds unless step_outcomes says otherwise",
    "the steps of a wave end together; a real case starts a step as soon as its own dependencies end",
    "steps that wait for the citizen or an agency's review succeed once answered or approved",
    "conditions read the replies given in outputs (none by default), as agencies reply nothing else",
]


def dry_run(definition: LifeEventDefinition, request: TryRequest, directory: AgencyDirectory) -> Plan:
    """The plan of a case of `definition` on `request.data`, or an InputError naming every bad
    field (of the data, the step outcomes and the outputs) at once."""
    clean = _checked(definition, request)
    facts = definition.facts(clean)
    statuses = {s.id: StepStatus.pending for s in definition.steps}
    kept: dict[str, Mapping[str, JsonValue]] = {}
    pending = list(definition.steps)
    blocked: list[str] = []
    done: list[StepDefinition] = []
    waves: list[Wave] = []
    skipped: list[SkippedStep] = []
    stopped_by: str | None = None
    while stopped_by is None:
        started: list[PlannedStep] = []
        for decision in readiness.decide(pending, statuses, kept, facts, blocked):
            step = decision.step
            pending.remove(step)
            if decision.verdict is Verdict.blocked:
                blocked.append(step.id)
                statuses[step.id] = StepStatus.skipped
                skipped.append(
                    SkippedStep(
                        id=step.id,
                        kind=SkipKind.dependency,
                        reason=decision.reason,
                        dependency=decision.dependency,
                    )
                )
            elif decision.verdict is Verdict.condition_false:
                statuses[step.id] = StepStatus.skipped
                skipped.append(
                    SkippedStep(
                        id=step.id, kind=SkipKind.condition, reason=decision.reason, condition=step.when
                    )
                )
            else:
                outcome, reason = _outcome(step, decision, request)
                called = decision.verdict is Verdict.start and outcome is not StepOutcome.skipped
                started.append(_planned(step, outcome, reason, called, clean, directory))
        if not started:
            break
        for planned in started:  # the wave ends: every step of it together
            step = definition.step(planned.id)
            statuses[step.id] = StepStatus(planned.outcome.value)
            if planned.outcome is StepOutcome.succeeded:
                done.append(step)
                kept[step.id] = {
                    k: v for k, v in request.outputs.get(step.id, {}).items() if k in step.outputs
                }
            elif planned.outcome is StepOutcome.failed and step.required and stopped_by is None:
                stopped_by = step.id
        waves.append(Wave(number=len(waves) + 1, steps=started))
    reason = f"case stopped: {stopped_by} failed"
    skipped += [SkippedStep(id=s.id, kind=SkipKind.case_stopped, reason=reason) for s in pending]
    undo = (
        [
            PlannedUndo(step=s.id, agency=s.agency, action=s.compensation)
            for s in reversed(done)
            if s.compensation
        ]
        if stopped_by
        else []
    )
    ran = [p for wave in waves for p in wave.steps]
    outcomes = {p.id: p.outcome.value for p in ran} | {s.id: "skipped" for s in skipped}
    offers, not_made = planned_offers(definition, clean, outcomes, completed=stopped_by is None)
    return Plan(
        type=definition.type,
        version=definition.version,
        digest=definition.digest,
        outcome="compensated" if stopped_by else "completed",
        waves=waves,
        skipped=skipped,
        agencies=_shares(ran),
        questions=_questions(definition, ran),
        compensations=undo,
        offers=offers,
        offers_not_made=not_made,
        follow_ups=planned_follow_ups(definition, clean, outcomes, completed=stopped_by is None),
        assumptions=_ASSUMPTIONS,
        mermaid=mermaid(
            definition,
            skipped=[s.id for s in skipped],
            failed=[p.id for p in ran if p.outcome is StepOutcome.failed],
            waves={p.id: w.number for w in waves for p in w.steps},
        ),
    )


def _checked(definition: LifeEventDefinition, request: TryRequest) -> dict[str, JsonValue]:
    """The validated data; every bad field of the request in one InputError otherwise."""
    problems: list[tuple[str, str]] = []
    clean: dict[str, JsonValue] = {}
    try:
        clean = validate_data(definition.data_model(), request.data)
    except InputError as exc:
        problems += exc.errors
    ids = [s.id for s in definition.steps]
    for name in [*request.step_outcomes, *request.outputs]:
        if name not in ids:
            where = "step_outcomes" if name in request.step_outcomes else "outputs"
            problems.append(
                (f"{where}.{name}", f"{definition.type} has no step {name!r}{did_you_mean(name, ids)}")
            )
    for name, reply in request.outputs.items():
        step = definition.step_or_none(name)
        for key in reply:
            if step is not None and key not in step.outputs:
                declared = ", ".join(step.outputs) or "none"
                problems.append(
                    (f"outputs.{name}.{key}", f"not a declared output of {name} (its outputs: {declared})")
                )
    if problems:
        raise InputError(*problems[0], more=problems[1:])
    return clean


def _outcome(
    step: StepDefinition, decision: readiness.Decision, request: TryRequest
) -> tuple[StepOutcome, str]:
    if decision.verdict is Verdict.condition_error:
        return StepOutcome.failed, decision.reason
    wanted = request.step_outcomes.get(step.id)
    if wanted is StepOutcome.failed:
        return StepOutcome.failed, f"rejected by {step.agency} (step_outcomes)"
    if wanted is StepOutcome.skipped:
        return StepOutcome.skipped, "skipped by support (step_outcomes)"
    return StepOutcome.succeeded, ""


def _planned(
    step: StepDefinition,
    outcome: StepOutcome,
    reason: str,
    called: bool,
    clean: Mapping[str, JsonValue],
    directory: AgencyDirectory,
) -> PlannedStep:
    """`called`: the agency is reached (not for a condition that cannot be evaluated, nor for a
    step support skips, which the plan assumes never reached its agency)."""
    spec = directory.agencies.get(step.agency)
    title = spec.title if spec else step.agency
    wait = None
    if step.kind is StepKind.citizen_input:
        wait = Wait(waits_for="citizen", whom="the citizen", days=step.wait_days, fields=step.asks)
    elif step.kind is StepKind.agency_review:
        wait = Wait(waits_for="agency", whom=title, days=step.wait_days, fields=step.asks)
    # What the engine sends (`_submit`): the step's inputs and asks, each only when the case data
    # has it; the answer to a citizen_input step's question is always there by then.
    answered = step.asks if step.kind is StepKind.citizen_input else []
    fields = [
        SharedField(
            name=n,
            sent=called and (n in answered or clean.get(n) is not None),
            value=clean.get(n),
            source="sample" if clean.get(n) is not None else None,
            asked=n in answered,
        )
        for n in sorted(step.sent)
    ]
    return PlannedStep(
        id=step.id,
        title=step.title,
        agency=step.agency,
        agency_title=title,
        action=step.action,
        kind=step.kind,
        required=step.required,
        outcome=outcome,
        reason=reason,
        wait=wait,
        fields=fields,
        legal_basis=step.legal_basis.describe(),
    )


def _shares(ran: list[PlannedStep]) -> list[AgencyShare]:
    shares: dict[str, AgencyShare] = {}
    for planned in ran:
        if not any(f.sent for f in planned.fields):
            continue
        share = shares.setdefault(
            planned.agency,
            AgencyShare(agency=planned.agency, title=planned.agency_title, steps=[], fields=[]),
        )
        share.steps.append(planned.id)
        share.fields = sorted({*share.fields, *(f.name for f in planned.fields if f.sent)})
    return list(shares.values())


def _questions(definition: LifeEventDefinition, ran: list[PlannedStep]) -> list[Question]:
    asked = [p for p in ran if p.wait is not None and p.wait.waits_for == "citizen"]
    return [
        Question(step=p.id, field=name, type=field.type, title=field.title)
        for p in asked
        for name in definition.step(p.id).asks
        if (field := definition.field(name)) is not None
    ]
