"""What `onestop chaos` checks once a scenario's faults are over, as one pure judgement over what
was observed (so a test can hand it a duplicated record or a lost case and see it fail):

- every accepted report has its case, in the read model and in Temporal (else: lost);
- every case ended (or waits) as the scenario expects, and the read model says what the
  workflow says (status and every step's status);
- each agency holds exactly one record per succeeded step, none active for a step that did not
  succeed or was undone, and one undo per undone step (more: duplicate effects);
- each record carries every field of its step the citizen gave, and none outside the action's
  `accepts` (no request with missing fields, no field the contract does not allow);
- no 5xx but a 503 with `Retry-After` where the scenario allows one, and no wrong answer.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from activities.simulator import RecordPublic, RecordState
from onestop.chaos_load import Accepted, Tally
from orchestrator.agencies import AgencyDirectory
from orchestrator.cases import CaseStatus, CaseView, StepStatus, effective_status
from orchestrator.contracts import CaseState
from orchestrator.definition import LifeEventDefinition


@dataclass(frozen=True)
class Expectation:
    ends: frozenset[CaseStatus] = frozenset({CaseStatus.completed})
    unavailable_allowed: bool = False  # 503 with Retry-After while a server is down


@dataclass(frozen=True)
class CaseFacts:
    """One accepted report as the API (`view`) and Temporal (`truth`) see it; None: not found."""

    accepted: Accepted
    view: CaseView | None
    truth: CaseState | None


@dataclass
class Report:
    scenario: str
    cases: int = 0
    completed: int = 0
    compensated: int = 0
    held: int = 0
    lost: int = 0
    duplicates: int = 0
    unavailable: int = 0  # 503 answers with Retry-After
    server_errors: int = 0  # every other 5xx, and a 503 where none is allowed
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicates or self.server_errors or self.problems)


@dataclass(frozen=True)
class Contract:
    """What the checker knows of the life event: its steps and the agencies' contracts."""

    definition: LifeEventDefinition
    directory: AgencyDirectory
    sent: Mapping[str, Any]  # the data every good report carried


def judge(
    scenario: str,
    expectation: Expectation,
    tally: Tally,
    facts: list[CaseFacts],
    records: list[RecordPublic],
    contract: Contract,
) -> Report:
    report = Report(scenario, cases=len(facts))
    _answers(report, expectation, tally)
    by_case: dict[str, list[RecordPublic]] = defaultdict(list)
    for record in records:
        by_case[record.case_id].append(record)
    known = {f.accepted.case_id for f in facts}
    for case_id in sorted(set(by_case) - known):
        report.duplicates += len(by_case[case_id])
        report.problems.append(f"records for case {case_id}, which no report was answered with")
    for fact in facts:
        _case(report, expectation, fact, by_case.get(fact.accepted.case_id, []), contract)
    return report


def _answers(report: Report, expectation: Expectation, tally: Tally) -> None:
    for status, n in sorted(tally.statuses.items()):
        if status == 503:
            report.unavailable += n - tally.unavailable_without_retry_after
            report.server_errors += tally.unavailable_without_retry_after
            if not expectation.unavailable_allowed:
                report.server_errors += n - tally.unavailable_without_retry_after
        elif status >= 500:
            report.server_errors += n
    if tally.unavailable_without_retry_after:
        report.problems.append(f"{tally.unavailable_without_retry_after} answers 503 without Retry-After")
    report.problems += tally.wrong
    report.problems += [f"report {key} never accepted before the deadline" for key in tally.unaccepted]
    for ids in tally.bursts:
        if len(ids) > 1:
            report.duplicates += len(ids) - 1
            report.problems.append(f"one idempotency key made {len(ids)} cases: {sorted(ids)}")


def _case(
    report: Report, expectation: Expectation, fact: CaseFacts, records: list[RecordPublic], contract: Contract
) -> None:
    case_id = fact.accepted.case_id
    if fact.view is None or fact.truth is None:
        report.lost += 1
        where = "the read model" if fact.view is None else "Temporal"
        report.problems.append(f"case {case_id} (report {fact.accepted.key}) missing from {where}")
        return
    truth = fact.truth
    status = effective_status(truth.status, truth.steps)
    report.completed += status is CaseStatus.completed
    report.compensated += status is CaseStatus.compensated
    report.held += status is CaseStatus.needs_attention
    if status not in expectation.ends:
        report.problems.append(f"case {case_id} is {status.value}, expected {_names(expectation.ends)}")
    seen = (fact.view.status, [(s.id, s.status) for s in fact.view.steps])
    if seen != (status, [(s.id, s.status) for s in truth.steps]):
        report.problems.append(
            f"case {case_id}: the read model says {fact.view.status.value}, Temporal {status.value}"
        )
    _effects(report, case_id, {s.id: s.status for s in truth.steps}, records, contract)


def _effects(
    report: Report,
    case_id: str,
    steps: dict[str, StepStatus],
    records: list[RecordPublic],
    contract: Contract,
) -> None:
    done = Counter(r.step_id for r in records if r.state is not RecordState.compensation)
    undone = Counter(r.compensates for r in records if r.state is RecordState.compensation)
    for step_id, n in done.items():
        if n > 1:
            report.duplicates += n - 1
            report.problems.append(f"case {case_id} step {step_id}: {n} agency records, one expected")
        if step_id not in steps:
            report.duplicates += n
            report.problems.append(f"case {case_id}: a record for step {step_id}, which it does not have")
    for key, n in undone.items():
        if n > 1:
            report.duplicates += n - 1
            report.problems.append(f"case {case_id}: {n} undos of {key}, one expected")
    active = {r.step_id for r in records if r.state is RecordState.active}
    for step_id, status in steps.items():
        if status is StepStatus.succeeded and step_id not in active:
            report.problems.append(
                f"case {case_id} step {step_id} succeeded, its agency holds no active record"
            )
        if status is not StepStatus.succeeded and step_id in active:
            report.problems.append(
                f"case {case_id} step {step_id} is {status.value}, its agency still holds it"
            )
    _fields(report, case_id, records, contract)


def _fields(report: Report, case_id: str, records: list[RecordPublic], contract: Contract) -> None:
    steps = {s.id: s for s in contract.definition.steps}
    for record in records:
        step = steps.get(record.step_id)
        if step is None or record.state is RecordState.compensation:
            continue
        wanted = {name for name in step.inputs if name in contract.sent}
        if missing := wanted - set(record.fields):
            report.problems.append(f"case {case_id} step {step.id}: sent without {sorted(missing)}")
        spec = contract.directory.action(step.agency, step.action)
        allowed = set(spec.accepts) if spec else set()
        if extra := set(record.fields) - allowed:
            report.problems.append(
                f"case {case_id} step {step.id}: sent {sorted(extra)} outside its contract"
            )


def _names(statuses: frozenset[CaseStatus]) -> str:
    return " or ".join(sorted(s.value for s in statuses))


def table(reports: list[Report]) -> str:
    """The reports as one Markdown table, a line per scenario."""
    head = "| scenario | cases | completed | compensated | held | lost | duplicate effects | 503 | 5xx | result |"
    lines = [head, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in reports:
        result = "ok" if r.ok else f"FAILED ({len(r.problems)} problems)"
        lines.append(
            f"| {r.scenario} | {r.cases} | {r.completed} | {r.compensated} | {r.held} | {r.lost} "
            f"| {r.duplicates} | {r.unavailable} | {r.server_errors} | {result} |"
        )
    return "\n".join(lines)
