"""How one step of a life-event case reaches its agency and waits: one attempt at a time with
durable backoff while the agency is down, holds for support when the budget or a wait runs out,
and the waits for a citizen's answer or an agency's decision.

Workflow code (deterministic), a mixin of `LifeEventCase`: it reads and changes the case's book
and the commands the workflow's Update handlers record; the graph and the handlers stay there.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from orchestrator.cases import ConsentQuestion, StepStatus, StepView, WaitingFor
    from orchestrator.contracts import (
        AgencyCall,
        AgencyUndo,
        AnswerInput,
        ConsentInput,
        DecisionInput,
        LifeEventInput,
        StepResult,
    )
    from orchestrator.definition import OnExhausted, StepDefinition
    from workflows.agency_calls import (
        FailureKind,
        StepFailed,
        StepInterrupted,
        StepSkippedBySupport,
        attempt,
        classify,
    )
    from workflows.case_book import CaseBook
    from workflows.engine_patches import STEP_ACTIVITY_IDS, EnginePatches

RETRY, SKIP, RESOLVE = "retry", "skip", "resolve"
RESOLVED = "resolved_by_support"
"""The reference of a step support resolved by hand: its agency acted outside OneStop."""


class StepWaits:
    """What a step does between being started and ending, on the state `LifeEventCase` keeps."""

    _book: CaseBook
    _patches: EnginePatches
    _answers: dict[str, AnswerInput]
    _consents: dict[str, ConsentInput]
    _decisions: dict[str, DecisionInput]
    _awaiting_decision: set[str]
    _support: dict[str, str]  # held step -> retry | skip | resolve
    _retry_now: set[str]
    _paused: set[str]  # steps whose agency calls support paused
    _resolvable: set[str]  # held agency calls: support may declare them done by hand
    _calls: dict[str, str]  # running agency calls: activity id -> step id

    def _stopped(self) -> bool:
        raise NotImplementedError

    async def _call(
        self,
        input: LifeEventInput,
        step: StepDefinition,
        activity: str,
        request: AgencyCall | AgencyUndo,
        *,
        submitted: bool = False,
        undo: bool = False,
    ) -> StepResult | None:
        """Call the agency until it answers: transient failures back off durably for as long as
        the agency's budget allows, then the step holds for support. None: support skipped it."""
        view = self._book.steps[step.id]
        terms = input.terms(step.agency)
        budget = timedelta(hours=terms.retry_for_hours)
        _, queue = input.route(step.agency)  # the agency's office for this case, if it is split
        title = f"{'undo ' if undo else ''}{step.title or step.id} · {terms.title or step.agency}"
        failing_since: datetime | None = None
        delay = step.retry.initial_interval_seconds
        tries = 0
        while True:
            if step.id in self._paused:
                await self._while_paused(step, submitted=submitted or tries > 0, undo=undo)
            tries += 1
            view.attempts += 1
            try:
                own_id = self._patches.has(STEP_ACTIVITY_IDS)
                result = await attempt(
                    activity,
                    request,
                    step,
                    title,
                    task_queue=queue,
                    calls=self._calls,
                    own_id=own_id,
                    local=self._patches.local_calls,
                    position=[s.id for s in input.definition.steps].index(step.id),
                )
            except ActivityError as exc:
                failure = classify(exc)
                if failure.kind is FailureKind.consent and isinstance(request, AgencyCall):
                    if not await self._ask_consent(input, step, request.inputs, submitted=submitted):
                        raise StepFailed(
                            step.id,
                            f"the citizen did not consent to share with {step.agency}",
                            submitted=submitted,
                        ) from exc
                    failing_since, delay, tries = None, step.retry.initial_interval_seconds, 0
                    continue
                if failure.kind is FailureKind.rejected and not undo:
                    raise StepFailed(
                        step.id, f"rejected by {step.agency}: {failure.code}", submitted=submitted
                    ) from exc
                now = workflow.now()
                view.last_error = failure.code
                if failing_since is None:
                    failing_since = now
                    if failure.kind is FailureKind.unavailable:  # once per outage, not per attempt
                        self._book.event("agency_unavailable", step.id, f"{step.agency}: {failure.code}")
                out_of_budget = now - failing_since >= budget or tries >= (
                    step.retry.maximum_attempts or tries + 1
                )
                if failure.kind is FailureKind.unavailable and not out_of_budget:
                    await self._back_off(step, view, delay, now, undo=undo)
                    delay = min(delay * step.retry.backoff, step.retry.maximum_interval_seconds)
                    continue
                if (
                    not undo
                    and failure.kind is FailureKind.unavailable
                    and step.on_exhausted is OnExhausted.compensate
                ):
                    raise StepFailed(
                        step.id, f"{step.agency} unavailable: {failure.code}", submitted=True
                    ) from exc
                what = "undo " if undo else ""
                reason = (
                    f"{what}{failure.code}: retried for {_duration(now - failing_since)}"
                    if failure.kind is FailureKind.unavailable
                    else f"{what}{failure.code}: needs a fix before a retry"
                )
                # An outage may hide an action the agency took; a fault no retry cures reached nobody.
                reached = submitted or failure.kind is FailureKind.unavailable
                self._resolvable.add(step.id)
                try:
                    choice = await self._hold(step, reason, submitted=reached, undo=undo)
                finally:
                    self._resolvable.discard(step.id)
                if choice == SKIP:
                    return None
                if choice == RESOLVE:
                    return StepResult(reference=RESOLVED)
                failing_since, delay, tries = None, step.retry.initial_interval_seconds, 0
                continue
            view.last_error = None
            # Quiet: whoever awaits this call changes the step next, in this same wake-up.
            with self._book.routine(self._patches.quiet_successes):
                self._book.settle(step.id)
            if view.status is not StepStatus.running and not undo:
                view.status = StepStatus.running
            return result

    async def _back_off(
        self, step: StepDefinition, view: StepView, seconds: float, now: datetime, *, undo: bool
    ) -> None:
        """Wait before the next attempt; support's retry-now ends it early, a stop ends the step."""
        self._book.wait(step.id, WaitingFor.agency)
        view.next_attempt_at = now + timedelta(seconds=seconds)

        def woken() -> bool:
            return step.id in self._retry_now or (not undo and self._stopped())

        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(woken, timeout=timedelta(seconds=seconds))
        self._retry_now.discard(step.id)
        view.next_attempt_at = None
        if not undo and self._stopped():
            raise StepInterrupted(step.id, "stopped while retrying the agency", submitted=True)
        view.status = StepStatus.running
        self._book.touch()

    async def _while_paused(self, step: StepDefinition, *, submitted: bool, undo: bool) -> None:
        """No attempt while support has the step paused (a known outage: no case probes the
        agency); a resume ends it, and so does a stop of the case, except during an undo."""
        self._book.wait(step.id, WaitingFor.agency)
        await workflow.wait_condition(lambda: step.id not in self._paused or (not undo and self._stopped()))
        if step.id in self._paused and not undo:
            raise StepInterrupted(step.id, "stopped while paused by support", submitted=submitted)
        self._book.resume(step.id)

    async def _hold(self, step: StepDefinition, reason: str, *, submitted: bool, undo: bool = False) -> str:
        """Hold the step for support; returns their choice (retry or skip). A stop of the case
        ends a hold too, except an undo's: nothing may stop an undo half-way."""
        view = self._book.wait(step.id, WaitingFor.support)
        view.attention = reason
        self._book.event("step_needs_attention", step.id, reason)
        self._support.pop(step.id, None)
        await workflow.wait_condition(lambda: step.id in self._support or (not undo and self._stopped()))
        choice = self._support.pop(step.id, None)
        self._book.resume(step.id)
        if choice is None:
            raise StepInterrupted(step.id, "stopped while held for support", submitted=submitted)
        return choice

    async def _wait_for_citizen(
        self, step: StepDefinition, asked: list[str], *, submitted: bool = False
    ) -> None:
        while True:
            view = self._book.wait(step.id, WaitingFor.citizen, due_days=step.wait_days)
            view.asked_fields, view.asked_at = list(asked), workflow.now()
            self._answers.pop(step.id, None)  # only an answer to this question counts
            self._book.event("step_waiting", step.id, f"waiting for the citizen: {', '.join(asked)}")
            if await self._wait(step, lambda: step.id in self._answers, "the citizen", submitted):
                self._answers.pop(step.id)
                self._book.resume(step.id)
                return
            reason = f"no answer from the citizen within {step.wait_days:g} days"
            if await self._hold(step, reason, submitted=submitted) == SKIP:
                raise StepSkippedBySupport(step.id, "skipped by support", submitted=submitted)

    async def _ask_consent(
        self, input: LifeEventInput, step: StepDefinition, fields: list[str], *, submitted: bool
    ) -> bool:
        """Ask the citizen to consent to the share (a share by consent with none given): True
        when they consent, or support retries after the question went unanswered (the citizen
        may have consented on their consents page meanwhile); False when they decline."""
        title = input.terms(step.agency).title
        view = self._book.wait(step.id, WaitingFor.citizen, due_days=step.wait_days)
        view.asked_at = workflow.now()
        view.consent = ConsentQuestion(
            agency=step.agency,
            agency_title=title,
            action=step.action,
            fields=list(fields),
            purpose=step.consent_purpose,
        )
        self._consents.pop(step.id, None)  # only an answer to this question counts
        self._book.event("consent_asked", step.id, f"{title or step.agency}: {', '.join(fields)}")
        if await self._wait(step, lambda: step.id in self._consents, "the citizen", submitted):
            given = self._consents.pop(step.id).given
            self._book.resume(step.id)
            return given
        reason = f"no answer to the consent question within {step.wait_days:g} days"
        view.consent = None  # held: the question is closed (support retries, skips or compensates)
        if await self._hold(step, reason, submitted=submitted) == SKIP:
            raise StepSkippedBySupport(step.id, "skipped by support", submitted=submitted)
        return True

    async def _wait_for_agency(self, step: StepDefinition, rounds: int) -> list[str]:
        """The agency's verdict: [] when approved, the fields it asks the citizen for, or a failure."""
        while True:
            self._book.wait(step.id, WaitingFor.agency, due_days=step.wait_days)
            self._decisions.pop(step.id, None)
            self._awaiting_decision.add(step.id)
            self._book.event("step_waiting", step.id, f"submitted to {step.agency}, waiting for its decision")
            try:
                decided = await self._wait(step, lambda: step.id in self._decisions, step.agency, True)
            finally:
                self._awaiting_decision.discard(step.id)  # a stop or a deadline ends the wait too
            if decided:
                break
            if (
                await self._hold(
                    step, f"no decision from {step.agency} within {step.wait_days:g} days", submitted=True
                )
                == SKIP
            ):
                raise StepSkippedBySupport(step.id, "skipped by support", submitted=True)
        decision = self._decisions.pop(step.id)
        self._book.resume(step.id)
        if decision.request_input:
            return decision.request_input
        if not decision.approved:
            # A rejection of a resubmission leaves the earlier rounds at the agency.
            raise StepFailed(
                step.id,
                f"rejected by {step.agency}: {decision.reason or 'no reason given'}",
                submitted=rounds > 1,
            )
        return []

    async def _wait(self, step: StepDefinition, done: Callable[[], bool], whom: str, submitted: bool) -> bool:
        """Wait durably for `done`: True when it came, False when the wait ran out. A stop of the
        case (a cancel, a required step failing elsewhere) ends the step."""
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                lambda: done() or self._stopped(), timeout=timedelta(days=step.wait_days)
            )
        if self._stopped():
            raise StepInterrupted(step.id, f"stopped while waiting for {whom}", submitted=submitted)
        return done()


def _duration(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} h" if hours >= 1 else f"{delta.total_seconds():.0f} s"
