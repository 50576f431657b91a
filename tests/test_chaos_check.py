"""`onestop chaos` can fail: its checker, handed what a broken run would leave (a duplicated agency
record, a lost case, a request without a field, a 500, a read model behind Temporal), says so."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from activities.simulator import RecordPublic
from onestop.chaos_check import CaseFacts, Contract, Expectation, judge, table
from onestop.chaos_load import MOVE, Accepted, Tally
from orchestrator.agencies import AgencyDirectory
from orchestrator.cases import CaseStatus, CaseView, StepStatus, StepView
from orchestrator.catalog import AGENCIES_FILE, find_definition, read_directory
from orchestrator.contracts import CaseState
from tests.conftest import CATALOG

NOW = datetime(2026, 12, 1, tzinfo=UTC)
DEFINITION = find_definition(CATALOG, "moving_house")
DIRECTORY: AgencyDirectory = read_directory(CATALOG / AGENCIES_FILE)
CONTRACT = Contract(DEFINITION, DIRECTORY, MOVE)
SKIPPED = {"transfer_school"}  # no school-age children in MOVE


def _steps() -> list[StepView]:
    return [
        StepView(
            id=s.id, agency=s.agency, status=StepStatus.skipped if s.id in SKIPPED else StepStatus.succeeded
        )
        for s in DEFINITION.steps
    ]


def _facts(case_id: str = "case-1") -> CaseFacts:
    view = CaseView(
        case_id=case_id,
        type="moving_house",
        version=1,
        status=CaseStatus.completed,
        steps=_steps(),
        created_at=NOW,
        updated_at=NOW,
    )
    truth = CaseState(case_id=case_id, status=CaseStatus.completed, steps=_steps(), timeline=[])
    return CaseFacts(Accepted("key-1", "citizen-1", case_id), view, truth)


def _records(case_id: str = "case-1") -> list[RecordPublic]:
    return [
        RecordPublic(
            agency=s.agency,
            action=s.action,
            idempotency_key=f"{case_id}-{s.id}",
            reference=f"ref-{s.id}",
            case_id=case_id,
            step_id=s.id,
            subject="p-1",
            fields={name: MOVE[name] for name in s.inputs if name in MOVE},
            created_at=NOW,
        )
        for s in DEFINITION.steps
        if s.id not in SKIPPED
    ]


def test_a_clean_run_passes() -> None:
    report = judge("drill", Expectation(), Tally(), [_facts()], _records(), CONTRACT)
    assert report.ok, report.problems
    assert (report.cases, report.completed, report.lost, report.duplicates) == (1, 1, 0, 0)
    assert "| drill | 1 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | ok |" in table([report])


def test_a_duplicated_agency_record_fails() -> None:
    records = _records()
    records.append(records[0].model_copy(update={"idempotency_key": "again", "reference": "ref-again"}))
    report = judge("drill", Expectation(), Tally(), [_facts()], records, CONTRACT)
    assert not report.ok
    assert report.duplicates == 1
    assert "register_residence: 2 agency records" in report.problems[0]
    assert "FAILED" in table([report])


def test_a_lost_case_fails() -> None:
    lost = _facts()
    report = judge(
        "drill", Expectation(), Tally(), [CaseFacts(lost.accepted, None, lost.truth)], _records(), CONTRACT
    )
    assert (report.ok, report.lost) == (False, 1)
    assert "missing from the read model" in report.problems[0]


def test_an_undone_step_still_held_by_its_agency_fails() -> None:
    facts = _facts()
    assert facts.truth is not None and facts.view is not None
    for steps in (facts.truth.steps, facts.view.steps):
        steps[1].status = StepStatus.compensated
    facts.truth.status = facts.view.status = CaseStatus.compensated
    expect = Expectation(ends=frozenset({CaseStatus.completed, CaseStatus.compensated}))
    report = judge("drill", expect, Tally(), [facts], _records(), CONTRACT)
    assert report.compensated == 1
    assert report.problems == [
        f"case case-1 step {DEFINITION.steps[1].id} is compensated, its agency still holds it"
    ]


def test_a_request_without_a_field_and_one_outside_the_contract_fail() -> None:
    records = _records()
    records[0].fields.pop("move_date")
    records[1].fields["move_date"] = "2026-12-01"
    report = judge("drill", Expectation(), Tally(), [_facts()], records, CONTRACT)
    assert not report.ok
    assert any("sent without ['move_date']" in p for p in report.problems)
    assert any("sent ['move_date'] outside its contract" in p for p in report.problems)


def test_a_read_model_behind_temporal_and_an_unexpected_end_fail() -> None:
    facts = _facts()
    assert facts.view is not None
    facts.view.status = CaseStatus.running
    report = judge(
        "drill", Expectation(ends=frozenset({CaseStatus.compensated})), Tally(), [facts], _records(), CONTRACT
    )
    assert "the read model says running, Temporal completed" in " ".join(report.problems)
    assert "is completed, expected compensated" in " ".join(report.problems)


@pytest.mark.parametrize(
    ("statuses", "allowed", "server_errors", "unavailable"),
    [({500: 1, 202: 3}, True, 1, 0), ({503: 2}, False, 2, 2), ({503: 2}, True, 0, 2), ({502: 1}, True, 1, 0)],
)
def test_server_errors_fail_unless_a_503_is_allowed(
    statuses: dict[int, int], allowed: bool, server_errors: int, unavailable: int
) -> None:
    tally = Tally(statuses=Counter(statuses))
    report = judge("drill", Expectation(unavailable_allowed=allowed), tally, [_facts()], _records(), CONTRACT)
    assert (report.server_errors, report.unavailable, report.ok) == (
        server_errors,
        unavailable,
        server_errors == 0,
    )


def test_one_key_that_made_two_cases_is_a_duplicate() -> None:
    tally = Tally(bursts=[{"case-1", "case-2"}])
    report = judge("drill", Expectation(), tally, [_facts()], _records(), CONTRACT)
    assert (report.duplicates, report.ok) == (1, False)
