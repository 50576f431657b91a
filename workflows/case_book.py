"""What a running case knows about itself: each step's view, the timeline, and a revision that
moves with every change, so the projector knows when the read model is behind.

Workflow code (deterministic, clock from `workflow.now()`), kept apart from the engine's control
flow in `life_event.py`. Every change goes through here, which is what makes the workflow the
one author of case state.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from orchestrator.cases import FINAL_STEP_STATUSES, StepStatus, StepView, TimelineEntry, WaitingFor
    from orchestrator.contracts import Actor


class CaseBook:
    def __init__(self) -> None:
        self.steps: dict[str, StepView] = {}
        self.timeline: list[TimelineEntry] = []
        self.revision = 0
        self.as_of: datetime | None = None
        self.urgent = False
        self._routine = False

    def touch(self) -> None:
        """Something changed: the next projection writes it. Anything but a routine change is
        urgent: the projector writes it at once rather than with the rest of its wave."""
        self.revision += 1
        self.as_of = workflow.now()
        if not self._routine:
            self.urgent = True

    @contextmanager
    def routine(self, quiet: bool) -> Iterator[None]:
        """Within it, changes are routine when `quiet`: written with the next urgent one, or
        once no step is at its agency, rather than at once."""
        before = self._routine
        self._routine = before or quiet
        try:
            yield
        finally:
            self._routine = before

    def succeed(self, step_id: str, detail: str | None, *, wave_running: bool) -> None:
        """A step succeeded. While others of its wave still run (`wave_running`; with the
        `engine-3` patch also as the next wave starts) this is routine: the read model learns it
        with the wave's next change (a fan-out costs one write, not one per step)."""
        with self.routine(wave_running):
            self.move(step_id, StepStatus.succeeded, detail)

    def start(self, step_id: str, *, quiet: bool) -> None:
        """A step starts. `quiet` (the `quiet-step-starts` patch): routine, so the read model
        learns it with the wave's next change (the step's answer, a wait, a skip) instead of with
        a write of its own: a 1 + 7 fan-out then projects twice, not three times. Meanwhile the
        read model shows the step pending and the timeline keeps its real start time."""
        with self.routine(quiet):
            self.move(step_id, StepStatus.running)

    def event(
        self, event: str, step: str | None = None, detail: str | None = None, *, by: Actor | None = None
    ) -> None:
        self.timeline.append(
            TimelineEntry(
                at=workflow.now(),
                event=event,
                step=step,
                detail=detail,
                by=by.subject if by else None,
                role=by.role if by else None,
            )
        )
        self.touch()

    def move(self, step_id: str, status: StepStatus, detail: str | None = None) -> None:
        """A step's transition, with its timeline entry; final ones close every wait."""
        view = self.steps[step_id]
        view.status = status
        now = workflow.now()
        if status is StepStatus.running and view.started_at is None:
            view.started_at = now
        if status in FINAL_STEP_STATUSES:
            view.finished_at = now
            self.settle(step_id)
            if status in (StepStatus.failed, StepStatus.skipped):
                view.error = detail
        name = "step_started" if status is StepStatus.running else f"step_{status.value}"
        self.event(name, step_id, detail)

    def wait(self, step_id: str, waiting_for: WaitingFor, *, due_days: float | None = None) -> StepView:
        view = self.steps[step_id]
        now = workflow.now()
        view.status = (
            StepStatus.waiting if waiting_for is not WaitingFor.support else StepStatus.needs_attention
        )
        if view.waiting_for is not waiting_for:
            view.waiting_since = now
        view.waiting_for = waiting_for
        view.due_at = now + timedelta(days=due_days) if due_days is not None else None
        self.touch()
        return view

    def settle(self, step_id: str) -> None:
        """The step waits for nobody any more."""
        view = self.steps[step_id]
        view.waiting_for = view.waiting_since = view.due_at = view.next_attempt_at = None
        view.asked_fields, view.asked_at, view.attention = [], None, None
        view.consent = None
        self.touch()

    def resume(self, step_id: str) -> StepView:
        """The step waits for nobody any more and is back at work."""
        self.settle(step_id)
        view = self.steps[step_id]
        view.status = StepStatus.running
        return view

    def step_list(self) -> list[StepView]:
        return list(self.steps.values())
