"""Why a case is stuck, decided on hand-made case views: an agency past its decision's deadline,
a citizen's question open past its threshold, an agency failing for longer than its threshold;
each only past its line, and none for a case that is over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from orchestrator.cases import CaseStatus, CaseView, StepStatus, StepView, WaitingFor
from orchestrator.stuck_reasons import StuckRules
from orchestrator.support_models import StuckCode

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
RULES = StuckRules(citizen_minutes=60, retrying_minutes=30)


def _case(*steps: StepView, status: CaseStatus = CaseStatus.waiting) -> CaseView:
    return CaseView(
        case_id="c-1", type="moving_house", version=1, status=status, steps=list(steps),
        created_at=NOW - timedelta(days=2), updated_at=NOW,
    )  # fmt: skip


def _waiting(waiting_for: WaitingFor, minutes: float, **fields: object) -> StepView:
    return StepView.model_validate(
        {
            "id": "s",
            "agency": "tax_office",
            "status": StepStatus.waiting,
            "waiting_for": waiting_for,
            "waiting_since": NOW - timedelta(minutes=minutes),
            **fields,
        }
    )


def test_an_agency_past_its_decisions_deadline() -> None:
    due = NOW - timedelta(seconds=1)
    [reason] = RULES.reasons(_case(_waiting(WaitingFor.agency, 5, due_at=due)), NOW)
    assert (reason.code, reason.step, reason.agency) == (StuckCode.agency_overdue, "s", "tax_office")
    assert reason.detail == f"decision due {due.isoformat()}" and reason.since == NOW - timedelta(minutes=5)
    assert RULES.reasons(_case(_waiting(WaitingFor.agency, 5, due_at=NOW + timedelta(days=1))), NOW) == []
    assert RULES.reasons(_case(_waiting(WaitingFor.agency, 5 * 24 * 60)), NOW) == []  # no deadline


def test_a_citizens_question_open_past_the_threshold() -> None:
    asked = {"asked_fields": ["chosen_school", "move_date"]}
    [reason] = RULES.reasons(_case(_waiting(WaitingFor.citizen, 61, **asked)), NOW)
    assert reason.code is StuckCode.citizen_unanswered
    assert reason.detail == "asked for chosen_school, move_date 1 h 1 min ago"
    assert RULES.reasons(_case(_waiting(WaitingFor.citizen, 60, **asked)), NOW)[0].detail.endswith(
        "1 h 0 min ago"
    )
    assert RULES.reasons(_case(_waiting(WaitingFor.citizen, 59, **asked)), NOW) == []


def test_an_agency_failing_for_longer_than_the_threshold() -> None:
    failing = {"next_attempt_at": NOW + timedelta(minutes=2), "attempts": 7, "last_error": "tax_down"}
    [reason] = RULES.reasons(_case(_waiting(WaitingFor.agency, 31, **failing)), NOW)
    assert (reason.code, reason.detail) == (StuckCode.retrying_long, "failing for 31 min")
    assert (reason.last_error, reason.attempts) == ("tax_down", 7)
    assert RULES.reasons(_case(_waiting(WaitingFor.agency, 29, **failing)), NOW) == []
    # Retrying, it is the outage that matters, not a decision deadline the retries outlive.
    overdue = {**failing, "due_at": NOW - timedelta(minutes=1)}
    assert RULES.reasons(_case(_waiting(WaitingFor.agency, 29, **overdue)), NOW) == []


def test_held_and_paused_steps_are_reasons_at_once_and_an_ended_case_has_none() -> None:
    held = StepView(
        id="h", agency="tax_office", status=StepStatus.needs_attention, waiting_for=WaitingFor.support,
        waiting_since=NOW, attention="tax_down: retried for 7 d",
    )  # fmt: skip
    paused = _waiting(WaitingFor.agency, 0, id="p", paused=True)
    reasons = RULES.reasons(_case(held, paused, status=CaseStatus.running), NOW)
    assert [(r.code, r.step, r.detail) for r in reasons] == [
        (StuckCode.needs_attention, "h", "tax_down: retried for 7 d"),
        (StuckCode.paused, "p", "paused by support"),
    ]
    assert RULES.reasons(_case(held, status=CaseStatus.cancelled), NOW) == []
    assert RULES.shortest == timedelta(minutes=30)
