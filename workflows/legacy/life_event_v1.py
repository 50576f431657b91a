"""FROZEN: the v1 engine (`LifeEventWorkflow`), kept so its recorded histories replay.

New cases run `workflows.life_event.LifeEventCase`; see the versioning policy there. Never edit
this module: its command sequence is what `tests/histories/v1/*.json` recorded.

LifeEventWorkflow: one generic engine that interprets any validated life-event definition.

After the Temporal samples' `dsl` workflow, plus what life events need: a dependency graph
(steps start as soon as their `depends_on` are done, in definition order), CEL conditions,
optional steps, durable waits for citizens and agencies, and saga compensation.

Failure and cancellation drain before they compensate: steps already at an agency are allowed to
finish, then every succeeded step with a compensation is undone in reverse completion order.
Cancelling an activity mid-call could leave an agency record that nothing undoes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from orchestrator import conditions
    from orchestrator.cases import (
        FINAL_STEP_STATUSES,
        CaseStatus,
        StepStatus,
        StepView,
        WaitingFor,
        effective_status,
    )
    from orchestrator.contracts import CaseState, LifeEventInput, StepResult
    from orchestrator.definition import StepDefinition, StepKind
    from orchestrator.errors import AGENCY_REJECTED
    from workflows.legacy.contracts_v1 import (
        AnswerInput,
        CancelInput,
        CompensationInput,
        DecisionInput,
        OutcomeInput,
        ProgressInput,
        StepInput,
    )

from workflows.legacy.agency_calls_v1 import (
    RECORDED_BY_ACTIVITY,
    StepFailed,
    StepInterrupted,
    agency_call,
    fail_with,
    reason_of,
)
from workflows.legacy.journal_v1 import CaseJournal

T = TypeVar("T")
_BOOKKEEPING_TIMEOUT = timedelta(seconds=30)
_BOOKKEEPING_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))
_COMPENSATION_ATTEMPTS_FLOOR = 10
_MAX_RESUBMISSIONS = 5
_TEMPORAL_CANCEL = CancelInput(reason="temporal_cancel", requested_by="temporal")


@workflow.defn(name="LifeEventWorkflow")
class LifeEventWorkflow:
    """One case of any life event. It receives its definition in its input, validated before the
    start and pinned for the case's lifetime, so a catalog edit never changes a running case."""

    def __init__(self) -> None:
        self._case_id = ""
        self._status = CaseStatus.running
        self._journal = CaseJournal()
        self._outputs: dict[str, StepResult] = {}
        self._cancel: CancelInput | None = None
        self._inputs: dict[str, AnswerInput] = {}
        self._decisions: dict[str, DecisionInput] = {}
        self._blocked: list[str] = []
        self._stopping = False
        self._rounds: dict[str, int] = {}

    @workflow.run
    async def run(self, input: LifeEventInput) -> CaseState:
        self._case_id = input.case_id
        definition = input.definition
        self._journal.steps = {
            s.id: StepView(id=s.id, agency=s.agency, required=s.required) for s in definition.steps
        }
        self._journal.event("case_started", detail=f"{definition.type} v{definition.version}")
        done_order: list[StepDefinition] = []
        failure = await self._execute(input, done_order)
        compensation_failed: list[str] = []
        if failure is not None or self._cancel is not None:
            compensation_failed = await self._shielded(self._compensate(input, done_order))
            if compensation_failed:
                self._status = CaseStatus.failed
            elif failure is None:
                self._status = CaseStatus.cancelled
            else:
                self._status = CaseStatus.compensated
        else:
            # An optional step that failed after reaching its agency is undone on its own.
            leftovers = [s for s in done_order if self._journal.steps[s.id].status is StepStatus.failed]
            if leftovers:
                compensation_failed = await self._shielded(self._compensate(input, leftovers))
            self._status = CaseStatus.failed if compensation_failed else CaseStatus.completed
        left = f"not undone: {', '.join(compensation_failed)}" if compensation_failed else None
        self._journal.event(f"case_{self._status.value}", detail=left)
        outcome = OutcomeInput(
            case_id=self._case_id,
            status=self._status,
            steps=self._journal.step_list(),
            events=self._journal.drain(),
        )
        # A local activity: one database write needs no trip through a task queue (measured by
        # `onestop bench`), and the workflow completes in the same task that records it.
        await self._shielded(
            workflow.execute_local_activity(
                "record_outcome",
                outcome,
                start_to_close_timeout=_BOOKKEEPING_TIMEOUT,
                retry_policy=_BOOKKEEPING_RETRY,
            )
        )
        return self.state()

    async def _shielded(self, work: Awaitable[T]) -> T:
        """Finish `work` even if Temporal cancels the workflow meanwhile: an undo stopped half-way
        or an outcome never recorded would leave agencies and the read model wrong."""
        task = asyncio.ensure_future(work)
        while True:
            try:
                return await asyncio.shield(task)
            except asyncio.CancelledError:
                self.cancel(_TEMPORAL_CANCEL)

    @workflow.query
    def state(self) -> CaseState:
        steps = self._journal.step_list()
        status = effective_status(self._status, steps)
        return CaseState(case_id=self._case_id, status=status, steps=steps, timeline=self._journal.timeline)

    @workflow.signal
    def cancel(self, request: CancelInput) -> None:
        if self._cancel is None:
            self._cancel = request
            self._journal.event("cancel_requested", detail=request.reason)

    @workflow.signal
    def provide_input(self, provided: AnswerInput) -> None:
        """The first answer counts; the step consumes it, so an agency may ask again later."""
        self._inputs.setdefault(provided.step_id, provided)

    @workflow.signal
    def decide(self, decision: DecisionInput) -> None:
        self._decisions.setdefault(decision.step_id, decision)

    async def _execute(self, input: LifeEventInput, done_order: list[StepDefinition]) -> StepFailed | None:
        """Run the graph until every step is final, a required step fails, or a cancel arrives."""
        pending = list(input.definition.steps)
        running: dict[str, asyncio.Task[StepResult]] = {}
        failure: StepFailed | None = None
        while True:
            if failure is None and self._cancel is None:
                self._start_ready(input, pending, running)
            if not running:
                break
            try:
                # A cancel needs no wake-up of its own: no step starts while others run, and waiting
                # steps watch for the cancel themselves.
                await workflow.wait_condition(lambda: any(t.done() for t in running.values()))
            except asyncio.CancelledError:
                # Cancelled through Temporal itself (UI, CLI): treat it as a cancel request and drain.
                self.cancel(_TEMPORAL_CANCEL)
            for step_id, task in list(running.items()):
                if not task.done():
                    continue
                del running[step_id]
                step = input.definition.step(step_id)
                try:
                    self._outputs[step_id] = task.result()
                except StepFailed as exc:
                    if exc.submitted:
                        done_order.append(step)  # the agency holds a submission: undo it too
                    if isinstance(exc, StepInterrupted):
                        self._journal.finish(step_id, StepStatus.skipped, exc.reason)
                        continue
                    self._journal.finish(step_id, StepStatus.failed, exc.reason, recorded=exc.recorded)
                    if step.required and failure is None:
                        failure = exc
                        self._stopping = True  # waiting steps stop waiting: the case is undone
                    continue
                self._journal.finish(step_id, StepStatus.succeeded)
                done_order.append(step)
        reason = f"case stopped: {failure.step_id} failed" if failure else "case cancelled"
        for step in pending:
            self._journal.finish(step.id, StepStatus.skipped, reason)
        return failure

    def _start_ready(
        self,
        input: LifeEventInput,
        pending: list[StepDefinition],
        running: dict[str, asyncio.Task[StepResult]],
    ) -> None:
        progressed = True
        while progressed:
            progressed = False
            for step in list(pending):
                statuses = [self._journal.steps[d].status for d in step.depends_on]
                if not all(s in FINAL_STEP_STATUSES for s in statuses):
                    continue
                pending.remove(step)
                progressed = True
                failed = [
                    d
                    for d in step.depends_on
                    if self._journal.steps[d].status is StepStatus.failed or d in self._blocked
                ]
                if failed:
                    self._blocked.append(step.id)  # its own dependents are blocked too
                    self._journal.finish(step.id, StepStatus.skipped, f"depends on failed step {failed[0]}")
                    continue
                try:
                    skip = step.when is not None and not self._condition(input, step)
                except conditions.ConditionError as exc:
                    # A definition bug met at run time fails this step like an agency would, instead of
                    # failing the workflow task over and over.
                    error = StepFailed(step.id, f"condition could not be evaluated: {exc}")
                    running[step.id] = asyncio.ensure_future(fail_with(error))
                    continue
                if skip:
                    self._journal.finish(step.id, StepStatus.skipped, f"condition false: {step.when}")
                else:
                    running[step.id] = asyncio.ensure_future(self._run_step(input, step))

    def _condition(self, input: LifeEventInput, step: StepDefinition) -> bool:
        assert step.when is not None
        steps = {
            sid: {
                "status": view.status.value,
                "output": self._outputs[sid].output if sid in self._outputs else {},
            }
            for sid, view in self._journal.steps.items()
        }
        return conditions.evaluate(step.when, input.facts, steps)

    async def _run_step(self, input: LifeEventInput, step: StepDefinition) -> StepResult:
        view = self._journal.steps[step.id]
        view.status = StepStatus.running
        view.started_at = workflow.now()
        if step.kind is StepKind.citizen_input:
            await self._wait_for_citizen(input, step, step.asks)
        self._journal.event("step_started", step.id, recorded=True)
        result = await self._submit(input, step, 0)
        if step.kind is StepKind.agency_review:
            rounds = 1
            # The agency may ask the citizen for more (a missing document) before it decides.
            while asked := await self._wait_for_agency(input, step, rounds):
                if rounds > _MAX_RESUBMISSIONS:
                    reason = f"{step.agency} asked for more {_MAX_RESUBMISSIONS} times"
                    await self._progress(input, step, StepStatus.failed, reason)
                    raise StepFailed(step.id, reason, submitted=True)
                await self._wait_for_citizen(input, step, asked, submitted=True)
                result = await self._submit(input, step, rounds)
                rounds += 1
        return result

    async def _submit(self, input: LifeEventInput, step: StepDefinition, round_: int) -> StepResult:
        view = self._journal.steps[step.id]
        review = step.kind is StepKind.agency_review
        view.status = StepStatus.waiting if review else StepStatus.running
        view.waiting_for = WaitingFor.agency if review else None
        self._decisions.pop(step.id, None)  # a verdict sent twice must not decide the next round
        self._rounds[step.id] = round_ + 1
        request = StepInput(
            case_id=input.case_id,
            citizen_id=input.citizen_id,
            step_id=step.id,
            agency=step.agency,
            action=step.action,
            inputs=[*step.inputs, *step.asks],
            maximum_attempts=step.retry.maximum_attempts or 5,
            await_decision=review,
            round=round_,
            outputs=step.outputs,
            events=self._journal.drain(),
        )
        try:
            result = await agency_call("run_step", request, step)
        except ActivityError as exc:
            self._journal.requeue(request.events)  # nothing wrote them: the next write will
            kind = exc.cause.type if isinstance(exc.cause, ApplicationError) else None
            # Only a rejection proves the agency holds nothing; after a timeout or an outage it
            # may have acted, so the step is undone with the rest (undo is idempotent).
            raise StepFailed(
                step.id,
                reason_of(exc),
                submitted=round_ > 0 or kind != AGENCY_REJECTED,
                recorded=kind in RECORDED_BY_ACTIVITY,
            ) from exc
        view.reference = result.reference
        view.shared_fields = sorted(request.inputs)
        return result

    async def _wait_for_citizen(
        self, input: LifeEventInput, step: StepDefinition, asked: list[str], *, submitted: bool = False
    ) -> None:
        view = self._journal.steps[step.id]
        view.waiting_for, view.asked_fields = WaitingFor.citizen, list(asked)
        self._inputs.pop(step.id, None)  # only an answer to this question counts
        await self._progress(input, step, StepStatus.waiting, f"waiting for the citizen: {', '.join(asked)}")
        if not await self._wait(step, lambda: step.id in self._inputs):
            await self._progress(input, step, StepStatus.skipped, "stopped while waiting for the citizen")
            raise StepInterrupted(step.id, "stopped while waiting for the citizen", submitted=submitted)
        if self._inputs.pop(step.id, None) is None:
            reason = f"no answer from the citizen within {step.wait_days:g} days"
            await self._progress(input, step, StepStatus.failed, reason)
            raise StepFailed(step.id, reason, submitted=submitted)
        view.status, view.waiting_for, view.asked_fields = StepStatus.running, None, []

    async def _wait_for_agency(self, input: LifeEventInput, step: StepDefinition, rounds: int) -> list[str]:
        """The agency's verdict: [] when approved, the fields it asks the citizen for, or a failure."""
        if not await self._wait(step, lambda: step.id in self._decisions):
            await self._progress(input, step, StepStatus.skipped, "stopped while the agency reviewed it")
            raise StepInterrupted(step.id, "stopped while the agency reviewed it", submitted=True)
        decision = self._decisions.pop(step.id, None)
        if decision is None:
            reason = f"no decision from {step.agency} within {step.wait_days:g} days"
            await self._progress(input, step, StepStatus.failed, reason)
            raise StepFailed(step.id, reason, submitted=True)
        if decision.request_input:
            self._journal.event(
                "agency_asked", step.id, f"{step.agency} asks for: {', '.join(decision.request_input)}"
            )
            return decision.request_input
        if not decision.approved:
            reason = f"rejected by {step.agency}: {decision.reason or 'no reason given'}"
            await self._progress(input, step, StepStatus.failed, reason)
            # A rejection of a resubmission leaves the earlier rounds at the agency.
            raise StepFailed(step.id, reason, submitted=rounds > 1)
        await self._progress(input, step, StepStatus.succeeded, f"approved by {decision.decided_by}")
        return []

    async def _wait(self, step: StepDefinition, done: Callable[[], bool]) -> bool:
        """Wait durably for `done`; False when the case stops meanwhile (a cancel, or a required
        step failing elsewhere) even if `done` came in the same instant, True when done or when
        the wait times out."""

        def stopped() -> bool:
            return self._cancel is not None or self._stopping

        try:
            await workflow.wait_condition(lambda: done() or stopped(), timeout=timedelta(days=step.wait_days))
        except TimeoutError:
            return not stopped()
        return not stopped()

    async def _progress(
        self, input: LifeEventInput, step: StepDefinition, status: StepStatus, detail: str
    ) -> None:
        """Record a transition decided here (a wait begins or ends) with one read-model write."""
        entry = self._journal.announce(step.id, status, detail)
        view = self._journal.steps[step.id]
        progress = ProgressInput(
            case_id=input.case_id,
            step_id=step.id,
            status=status,
            error=detail if status is StepStatus.failed else None,
            waiting_for=view.waiting_for,
            asked_fields=view.asked_fields,
            asked_at=workflow.now() if view.waiting_for is WaitingFor.citizen else None,
            events=[*self._journal.drain(), entry],
        )
        await workflow.execute_activity(
            "record_progress",
            progress,
            start_to_close_timeout=_BOOKKEEPING_TIMEOUT,
            retry_policy=_BOOKKEEPING_RETRY,
        )

    async def _compensate(self, input: LifeEventInput, done_order: list[StepDefinition]) -> list[str]:
        """Undo succeeded steps newest first; returns the steps whose undo failed for good."""
        self._journal.event("compensation_started")
        failed: list[str] = []
        for step in reversed(done_order):
            if step.compensation is None:
                continue
            request = CompensationInput(
                case_id=input.case_id,
                citizen_id=input.citizen_id,
                step_id=step.id,
                agency=step.agency,
                action=step.compensation,
                maximum_attempts=max(step.retry.maximum_attempts or 5, _COMPENSATION_ATTEMPTS_FLOOR),
                rounds=self._rounds.get(step.id, 1),
                events=self._journal.drain(),
            )
            try:
                await agency_call("compensate_step", request, step, _COMPENSATION_ATTEMPTS_FLOOR)
            except ActivityError as exc:
                self._journal.requeue(request.events)
                failed.append(step.id)
                self._journal.steps[step.id].error = f"compensation failed: {reason_of(exc)}"
                self._journal.event("compensation_failed", step.id, reason_of(exc))
                continue
            self._journal.finish(step.id, StepStatus.compensated, recorded=True)
        return failed
