"""What a running case knows about itself: each step's view and the timeline, and which
timeline entries the read model has not heard yet.

Workflow code (deterministic, clock from `workflow.now()`), kept apart from the engine's control
flow in `life_event.py`. Entries an activity writes itself are marked `recorded`; the others
ride along with the next activity's read-model write (`drain`), so the journal costs no writes
of its own.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from orchestrator.cases import FINAL_STEP_STATUSES, StepStatus, StepView, TimelineEntry


class CaseJournal:
    def __init__(self) -> None:
        self.steps: dict[str, StepView] = {}
        self.timeline: list[TimelineEntry] = []
        self._unrecorded: list[TimelineEntry] = []
        self._announced: dict[str, StepStatus] = {}

    def event(
        self, event: str, step: str | None = None, detail: str | None = None, *, recorded: bool = False
    ) -> None:
        entry = TimelineEntry(at=workflow.now(), event=event, step=step, detail=detail)
        self.timeline.append(entry)
        if not recorded:
            self._unrecorded.append(entry)

    def finish(
        self, step_id: str, status: StepStatus, detail: str | None = None, *, recorded: bool = False
    ) -> None:
        """A step's final transition, once: a wait that ended already announced its own."""
        if self._announced.get(step_id) is status:
            return
        view = self.steps[step_id]
        view.status = status
        view.finished_at = workflow.now()
        if status in (StepStatus.failed, StepStatus.skipped):
            view.error = detail
        # Activities write their own step's success and compensation into the read model.
        self.event(
            f"step_{status.value}", step_id, detail, recorded=recorded or status is StepStatus.succeeded
        )

    def announce(self, step_id: str, status: StepStatus, detail: str) -> TimelineEntry:
        """A transition the workflow decides and writes itself (a wait begins or ends)."""
        view = self.steps[step_id]
        view.status = status
        if status is not StepStatus.waiting:
            view.waiting_for, view.asked_fields = None, []
        if status in FINAL_STEP_STATUSES:
            view.finished_at = workflow.now()
            view.error = detail if status is StepStatus.failed else None
            self._announced[step_id] = status
        self.event(f"step_{status.value}", step_id, detail, recorded=True)
        return self.timeline[-1]

    def drain(self) -> list[TimelineEntry]:
        """Entries not yet in the read model, handed to the next write."""
        events, self._unrecorded = self._unrecorded, []
        return events

    def requeue(self, events: list[TimelineEntry]) -> None:
        """Entries handed to an activity that failed before writing: the next write carries them."""
        self._unrecorded[:0] = events

    def step_list(self) -> list[StepView]:
        return list(self.steps.values())
