"""Why a case needs a person, read off its steps: the first column of support's stuck list.

A step is a reason when it holds for support (`needs_attention`: budget exhausted, undo failed,
data missing, a wait run out), when support paused it, when an agency's decision is past its
deadline, when a citizen has left a question open past a threshold, or when an agency call has
been failing for longer than a threshold. Thresholds come from settings.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from orchestrator.cases import FINAL_CASE_STATUSES, CaseView, StepStatus, StepView, WaitingFor
from orchestrator.support_models import StuckCode, StuckReason


class StuckRules:
    def __init__(self, citizen_minutes: int, retrying_minutes: int) -> None:
        self.citizen = timedelta(minutes=citizen_minutes)
        self.retrying = timedelta(minutes=retrying_minutes)

    @property
    def shortest(self) -> timedelta:
        """No waiting step younger than this can be a reason (the list's pre-filter)."""
        return min(self.citizen, self.retrying)

    def reasons(self, case: CaseView, now: datetime) -> list[StuckReason]:
        if case.status in FINAL_CASE_STATUSES:
            return []
        found = (self._reason(step, now) for step in case.steps)
        return [r for r in found if r is not None]

    def _reason(self, step: StepView, now: datetime) -> StuckReason | None:
        code: StuckCode | None = None
        detail = ""
        since = step.waiting_since
        if step.status is StepStatus.needs_attention:
            code, detail = StuckCode.needs_attention, step.attention or "held for support"
        elif step.paused:
            code, detail = StuckCode.paused, "paused by support"
        elif step.status is StepStatus.waiting and since is not None:
            waited = now - since
            if step.waiting_for is WaitingFor.agency and step.next_attempt_at is not None:
                if waited >= self.retrying:
                    code, detail = StuckCode.retrying_long, f"failing for {_minutes(waited)}"
            elif step.waiting_for is WaitingFor.agency and step.due_at is not None and step.due_at < now:
                code, detail = StuckCode.agency_overdue, f"decision due {step.due_at.isoformat()}"
            elif step.waiting_for is WaitingFor.citizen and waited >= self.citizen:
                code = StuckCode.citizen_unanswered
                detail = f"asked for {', '.join(step.asked_fields)} {_minutes(waited)} ago"
        if code is None:
            return None
        return StuckReason(
            code=code,
            step=step.id,
            agency=step.agency,
            detail=detail,
            since=since,
            last_error=step.last_error,
            attempts=step.attempts,
        )


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
