"""LifeEventCase: one generic engine that interprets any validated life-event definition.

After the Temporal samples' `dsl` workflow, plus what life events need: a dependency graph
(steps start as soon as their `depends_on` are done, in definition order), CEL conditions,
optional steps, durable waits for citizens and agencies, durable retries, holds for support, and
saga compensation.

A government case holds, it does not abort: an agency that stays unavailable is retried for as
long as its policy says (days), then the step holds in `needs_attention` until support retries or
skips it, or compensates the case. Only an agency's explicit rejection rolls the case back at
once. Failure and cancellation drain before they compensate: steps already at an agency finish,
then every step that may have reached one is undone in reverse completion order.

The workflow is the one author of case state: activities only talk to agencies. A projector
writes the state to the read model with one local activity per wake-up that changed something.

Versioning policy. Running cases replay this code, so:
- a change to the commands this workflow issues (activities, timers, local activities, search
  attribute upserts, their order) keeps the old branch and gets a new recorded history in
  `tests/histories/` beside the old ones. It goes behind a new engine revision
  (`CURRENT_ENGINE`, carried in the input: new cases only, no marker, `engine_patches.py`), or
  behind `workflow.patched("<change-id>")` where running cases must take it too;
- recorded histories are never re-recorded or deleted; `tests/test_replay.py` replays them all;
- a rewrite gets a new workflow type, as this one (`LifeEventCase`) replaced `LifeEventWorkflow`,
  whose frozen code stays in `workflows/legacy/` for as long as its histories are kept;
- payload models only gain fields with defaults; unknown keys are ignored when they are read.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any, NoReturn, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from orchestrator import readiness
    from orchestrator import search_attributes as attrs
    from orchestrator.anticipation import (
        FollowUpInput,
        FollowUpItem,
        OffersInput,
        OffersResult,
        follow_ups_workflow_id,
    )
    from orchestrator.cases import (
        FINAL_STEP_STATUSES,
        CaseStatus,
        StepStatus,
        StepView,
        WaitingFor,
        effective_status,
        question_id,
    )
    from orchestrator.contracts import (
        Actor,
        AgencyCall,
        AgencyRecovered,
        AgencyTerms,
        AgencyUndo,
        AnswerInput,
        CancelInput,
        CaseState,
        ConsentInput,
        DecisionInput,
        LifeEventInput,
        StepResult,
        SupportInput,
    )
    from orchestrator.definition import (
        CASE_COMPLETED,
        LegalBasis,
        LifeEventDefinition,
        StepDefinition,
        StepKind,
    )
    from orchestrator.errors import COMMAND_REFUSED
    from orchestrator.readiness import Verdict

# Deterministic and stateless: passed through, so a new run does not re-import them (py-spy: the
# sandbox's per-run imports were about 9% of the worker's samples).
with workflow.unsafe.imports_passed_through():
    from workflows.agency_calls import (
        StepEnded,
        StepFailed,
        StepInterrupted,
        StepSkippedBySupport,
        fail_with,
    )
    from workflows.case_book import CaseBook
    from workflows.engine_patches import OFFERS, QUIET_STEP_STARTS, EnginePatches
    from workflows.step_waits import RESOLVE, RESOLVED, RETRY, SKIP, StepWaits

T = TypeVar("T")
_PROJECTION_TIMEOUT = timedelta(seconds=30)
_PROJECTION_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))
_OFFERS_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30), maximum_attempts=10)
_MAX_RESUBMISSIONS = 5
_TEMPORAL = Actor(subject="temporal", role="system")
_BY_LAW = LegalBasis()  # the default basis travels as nothing: most steps pay no bytes for it


@workflow.defn(name="LifeEventCase")
class LifeEventCase(StepWaits):
    """One case of any life event. It receives its definition in its input, validated before the
    start and pinned for the case's lifetime, so a catalog edit never changes a running case."""

    @workflow.init
    def __init__(self, input: LifeEventInput) -> None:
        """State exists before the first command: an Update may arrive before `run` starts."""
        self._case_id = input.case_id
        self._definition: LifeEventDefinition = input.definition
        # Steps whose calls go to the case's own queue (no agency or office queue of their own).
        self._on_case_queue = {s.id for s in input.definition.steps if input.route(s.agency)[1] is None}
        self._updates_profile = bool(input.definition.profile_updates())
        self._status = CaseStatus.running
        self._book = CaseBook()
        self._patches = EnginePatches()
        self._outputs: dict[str, StepResult] = {}
        self._cancel: CancelInput | None = None
        self._support_compensates = False
        self._stopping = False  # a required step failed: the case is undone
        self._answers: dict[str, AnswerInput] = {}
        self._consents: dict[str, ConsentInput] = {}
        self._decisions: dict[str, DecisionInput] = {}
        self._awaiting_decision: set[str] = set()
        self._support: dict[str, str] = {}  # held step -> retry | skip | resolve
        self._retry_now: set[str] = set()
        self._paused: set[str] = set()
        self._resolvable: set[str] = set()
        self._calls: dict[str, str] = {}
        self._undoing: set[str] = set()
        self._blocked: list[str] = []
        self._rounds: dict[str, int] = {}
        self._running: dict[str, asyncio.Task[StepResult | None]] = {}
        self._graph_done = False
        self._anticipating: list[asyncio.Task[OffersResult]] = []  # offers made after a step
        self._projected = 0
        self._final = False
        given = workflow.info().typed_search_attributes  # set at the start (intake): not upserted again
        self._attributes: dict[str, object] = {
            k.name: given.get(k) for k in (*attrs.KEYWORDS, *attrs.DATETIMES)
        }
        self._open(input)

    @workflow.run
    async def run(self, input: LifeEventInput) -> CaseState:
        definition = input.definition
        self._patches.begin(input.engine)
        if self._patches.has(QUIET_STEP_STARTS):
            self._book.urgent = False  # the start is written with its first wave's next change
        projector = asyncio.ensure_future(self._project())
        done_order: list[StepDefinition] = []
        failure = await self._execute(input, done_order)
        self._graph_done = True  # from here a cancel could change nothing: it is refused
        if failure is not None or self._cancel is not None:
            self._status = CaseStatus.compensating
            await self._shielded(self._compensate(input, done_order))
            cancelled = failure is None and not self._support_compensates
            self._status = CaseStatus.cancelled if cancelled else CaseStatus.compensated
        else:
            # An optional step that failed after reaching its agency is undone on its own.
            leftovers = [s for s in done_order if self._book.steps[s.id].status is StepStatus.failed]
            if leftovers:
                await self._shielded(self._compensate(input, leftovers))
            # Before "completed" is projected: a citizen who reads it finds its offers there.
            if (definition.offers or definition.follow_ups) and self._patches.has(OFFERS):
                await self._shielded(self._on_completion(input))
            self._status = CaseStatus.completed
        if self._anticipating:
            await self._shielded(asyncio.gather(*self._anticipating))
        self._book.event(f"case_{self._status.value}", detail=f"{definition.type} v{definition.version}")
        self._final = True
        await self._shielded(projector)
        await self._shielded(workflow.wait_condition(workflow.all_handlers_finished))
        return self.state()

    def _open(self, input: LifeEventInput) -> None:
        definition = input.definition
        terms = input.agencies
        self._book.steps = {
            s.id: StepView(
                id=s.id,
                agency=s.agency,
                title=s.title,
                agency_title=terms.get(s.agency, AgencyTerms()).title,
                required=s.required,
            )
            for s in definition.steps
        }
        self._book.event("case_started", detail=f"{definition.type} v{definition.version}")

    async def _shielded(self, work: Awaitable[T]) -> T:
        """Finish `work` even if Temporal cancels the workflow meanwhile: an undo stopped half-way
        or a state never projected would leave agencies and the read model wrong."""
        task = asyncio.ensure_future(work)
        while True:
            try:
                return await asyncio.shield(task)
            except asyncio.CancelledError:
                self._temporal_cancel()

    def _temporal_cancel(self) -> None:
        """Temporal's own cancel cannot be refused: recorded, and honoured until every step
        has ended (after that the undo under way, or the outcome, stands)."""
        if self._cancel is None and not self._final:
            self._cancel = CancelInput(reason="temporal_cancel", by=_TEMPORAL)
            self._book.event("cancel_requested", detail="temporal_cancel", by=_TEMPORAL)

    # --- the read model -------------------------------------------------------------------------

    async def _project(self) -> None:
        """Write the state whenever it changed, once per wake-up: parallel steps that finish
        together cost one write, and the last write is the outcome."""
        while True:
            await workflow.wait_condition(self._projection_due)
            revision = self._book.revision
            self._book.urgent = False
            state = self.state()
            self._upsert_attributes(state)
            await workflow.execute_local_activity(
                "project_case",
                state,
                start_to_close_timeout=_PROJECTION_TIMEOUT,
                retry_policy=_PROJECTION_RETRY,
            )
            self._projected = revision
            if self._final and self._projected == self._book.revision:
                return

    def _projection_due(self) -> bool:
        book = self._book
        calling = self._calling(here=True) if self._patches.quiet_waves else self._calling()
        return book.revision > self._projected and (book.urgent or self._final or not calling)

    def _calling(self, *, here: bool = False) -> bool:
        """Some step is at its agency now (not waiting on anyone): its answer is due shortly.
        `here`: only calls on the case's own queue count, which its worker picks up at once, so
        the answer comes within the call's timeout. A call on another queue (an agency's own
        worker, an office's) may wait for a poller for as long as that worker is down: the read
        model is not held back for it."""
        return any(
            self._book.steps[s].status is StepStatus.running and (not here or s in self._on_case_queue)
            for s in self._running
        )

    def _upsert_attributes(self, state: CaseState) -> None:
        """Keep the case findable in Temporal's visibility; only changed values are sent."""
        held = [s for s in state.steps if s.status is StepStatus.needs_attention]
        waiting = held or [s for s in state.steps if s.status is StepStatus.waiting]
        first = waiting[0] if waiting else None
        keywords = {
            attrs.LIFE_EVENT: self._definition.type,
            attrs.STATUS: state.status.value,
            attrs.WAITING_FOR: first.waiting_for.value if first and first.waiting_for else None,
            attrs.AGENCY: first.agency if first else None,
        }
        since = held[0].waiting_since if held else None
        updates: list[SearchAttributeUpdate[Any]] = []
        for key, value in keywords.items():
            if self._attributes.get(key.name) != value:
                updates.append(key.value_set(value) if value is not None else key.value_unset())
                self._attributes[key.name] = value
        if self._attributes.get(attrs.ATTENTION_SINCE.name) != since:
            attention = attrs.ATTENTION_SINCE
            updates.append(attention.value_set(since) if since is not None else attention.value_unset())
            self._attributes[attention.name] = since
        if updates:
            workflow.upsert_search_attributes(updates)

    @workflow.query
    def state(self) -> CaseState:
        steps = self._book.step_list()
        return CaseState(
            case_id=self._case_id,
            status=effective_status(self._status, steps),
            steps=steps,
            timeline=self._book.timeline,
            revision=self._book.revision,
            as_of=self._book.as_of,
            updates_profile=self._updates_profile,
        )

    @workflow.signal
    def agency_recovered(self, signal: AgencyRecovered) -> None:
        """The agency answers again (its worker's one probe says so): its steps that are backing
        off try now instead of waiting out their backoff. A paused step stays paused."""
        woken = [
            view.id
            for view in self._book.steps.values()
            if view.agency == signal.agency
            and view.next_attempt_at is not None
            and view.id not in self._paused
        ]
        if woken:
            self._retry_now.update(woken)
            self._book.event("agency_recovered", detail=signal.agency)

    @workflow.query
    def agency_calls(self) -> dict[str, str]:
        """The agency calls running now, activity id -> step id: the data exchange releases a
        step's fields only to the call Temporal runs for it."""
        return dict(self._calls)

    # --- commands: Updates, answered with the workflow's own verdict ------------------------------

    @workflow.update
    def cancel(self, command: CancelInput) -> CaseState:
        self._cancel = command
        self._book.event("cancel_requested", detail=command.reason, by=command.by)
        return self.state()

    @cancel.validator
    def _check_cancel(self, command: CancelInput) -> None:
        self._require_open()
        if self._cancel is not None or self._stopping:
            _refuse("the case is already being undone")
        if self._graph_done:
            _refuse("every step has ended: the case is finishing")

    @workflow.update
    def answer(self, answer: AnswerInput) -> CaseState:
        self._answers[answer.step_id] = answer
        self._book.event("citizen_answered", answer.step_id, ", ".join(answer.fields), by=answer.by)
        return self.state()

    @answer.validator
    def _check_answer(self, answer: AnswerInput) -> None:
        view = self._waiting(answer.step_id, WaitingFor.citizen)
        if answer.question != question_id(view.asked_at) or answer.step_id in self._answers:
            _refuse(f"step {answer.step_id}'s question was answered already or has changed")
        if view.consent is not None:
            _refuse(f"step {answer.step_id} asks for consent: answer it with given true or false")
        if sorted(answer.fields) != sorted(view.asked_fields):
            _refuse(f"step {answer.step_id} asks for {', '.join(view.asked_fields)}")

    @workflow.update
    def consent(self, answer: ConsentInput) -> CaseState:
        self._consents[answer.step_id] = answer
        event = "citizen_consented" if answer.given else "citizen_declined_consent"
        self._book.event(event, answer.step_id, by=answer.by)
        return self.state()

    @consent.validator
    def _check_consent(self, answer: ConsentInput) -> None:
        view = self._waiting(answer.step_id, WaitingFor.citizen)
        if view.consent is None:
            _refuse(f"step {answer.step_id} asks for {', '.join(view.asked_fields)}, not for consent")
        if answer.question != question_id(view.asked_at) or answer.step_id in self._consents:
            _refuse(f"step {answer.step_id}'s consent question was answered already or has changed")

    @workflow.update
    def decide(self, decision: DecisionInput) -> CaseState:
        self._awaiting_decision.discard(decision.step_id)  # a verdict counts once
        self._decisions[decision.step_id] = decision
        verdict = (
            "asked for more" if decision.request_input else "approved" if decision.approved else "rejected"
        )
        self._book.event(
            "agency_decided", decision.step_id, f"{verdict} {decision.reason}".strip(), by=decision.by
        )
        return self.state()

    @decide.validator
    def _check_decision(self, decision: DecisionInput) -> None:
        self._require_open()
        if decision.step_id not in self._awaiting_decision:
            view = self._view(decision.step_id)
            _refuse(f"step {decision.step_id} is {_describe(view)}, not waiting for the agency's decision")
        step = self._step(decision.step_id)
        not_askable = sorted(set(decision.request_input) - set(step.asks))
        if not_askable:
            _refuse(f"{step.id} may ask only for {', '.join(step.asks) or 'nothing'}")
        if decision.approved and decision.request_input:
            _refuse("approve, or ask for more, not both")

    @workflow.update
    def retry_step(self, command: SupportInput) -> CaseState:
        step_id = command.step_id or ""
        if self._view(step_id).status is StepStatus.needs_attention:
            self._support[step_id] = RETRY
        else:
            self._retry_now.add(step_id)
        self._book.event("support_retry", step_id, command.reason, by=command.by)
        return self.state()

    @retry_step.validator
    def _check_retry(self, command: SupportInput) -> None:
        self._require_open()
        view = self._view(command.step_id or "")
        if view.status is not StepStatus.needs_attention and view.next_attempt_at is None:
            _refuse(f"step {view.id} is {_describe(view)}: neither held nor waiting to retry")

    @workflow.update
    def skip_step(self, command: SupportInput) -> CaseState:
        step_id = command.step_id or ""
        self._support[step_id] = SKIP
        self._book.event("support_skip", step_id, command.reason, by=command.by)
        return self.state()

    @skip_step.validator
    def _check_skip(self, command: SupportInput) -> None:
        self._require_open()
        view = self._view(command.step_id or "")
        if view.status is not StepStatus.needs_attention:
            _refuse(f"step {view.id} is {_describe(view)}: only a held step can be skipped")
        step = self._step(view.id)
        if view.id not in self._undoing and step.required and not step.skippable:
            _refuse(f"step {view.id} is required and its definition does not allow skipping it")

    @workflow.update
    def resolve_step(self, command: SupportInput) -> CaseState:
        step_id = command.step_id or ""
        self._support[step_id] = RESOLVE
        self._book.event("support_resolve", step_id, command.reason, by=command.by)
        return self.state()

    @resolve_step.validator
    def _check_resolve(self, command: SupportInput) -> None:
        """Support declares a held agency call done by hand (the agency acted outside OneStop):
        the step succeeds without output, or its undo counts as done."""
        self._require_open()
        view = self._view(command.step_id or "")
        if view.status is not StepStatus.needs_attention or view.id not in self._resolvable:
            _refuse(f"step {view.id} is {_describe(view)}: only a held agency call can be resolved")

    @workflow.update
    def pause_step(self, command: SupportInput) -> CaseState:
        """No further attempt until resumed; pausing a paused step changes nothing."""
        step_id = command.step_id or ""
        if step_id not in self._paused:
            self._paused.add(step_id)
            self._book.steps[step_id].paused = True
            self._book.event("support_pause", step_id, command.reason, by=command.by)
        return self.state()

    @pause_step.validator
    def _check_pause(self, command: SupportInput) -> None:
        self._require_open()
        view = self._view(command.step_id or "")
        if view.status in FINAL_STEP_STATUSES and view.id not in self._undoing:
            _refuse(f"step {view.id} is {view.status.value}: nothing left to pause")
        if view.status is StepStatus.needs_attention:
            _refuse(f"step {view.id} holds for support already: retry, skip or resolve it")

    @workflow.update
    def resume_step(self, command: SupportInput) -> CaseState:
        """The next attempt goes at once; resuming a step that is not paused changes nothing."""
        step_id = command.step_id or ""
        if step_id in self._paused:
            self._paused.discard(step_id)
            view = self._book.steps[step_id]
            view.paused = False
            if view.next_attempt_at is not None:
                self._retry_now.add(step_id)
            self._book.event("support_resume", step_id, command.reason, by=command.by)
        return self.state()

    @resume_step.validator
    def _check_resume(self, command: SupportInput) -> None:
        self._require_open()
        self._view(command.step_id or "")

    @workflow.update
    def compensate(self, command: SupportInput) -> CaseState:
        self._cancel = CancelInput(reason=command.reason or "support_compensate", by=command.by)
        self._support_compensates = True
        self._book.event("compensation_requested", detail=command.reason, by=command.by)
        return self.state()

    @compensate.validator
    def _check_compensate(self, command: SupportInput) -> None:
        self._check_cancel(CancelInput(by=command.by))

    def _require_open(self) -> None:
        if self._final:
            _refuse(f"the case is already {self._status.value}")

    def _view(self, step_id: str) -> StepView:
        view = self._book.steps.get(step_id)
        if view is None:
            _refuse(f"the case has no step {step_id}")
        return view

    def _step(self, step_id: str) -> StepDefinition:
        return self._definition.step(step_id)

    def _waiting(self, step_id: str, waiting_for: WaitingFor) -> StepView:
        self._require_open()
        view = self._view(step_id)
        if view.status is not StepStatus.waiting or view.waiting_for is not waiting_for:
            _refuse(f"step {step_id} is {_describe(view)}, not waiting for the {waiting_for.value}")
        return view

    def _stopped(self) -> bool:
        return self._cancel is not None or self._stopping

    # --- the graph --------------------------------------------------------------------------------

    async def _execute(self, input: LifeEventInput, done_order: list[StepDefinition]) -> StepEnded | None:
        """Run the graph until every step is final, a required step fails, or a cancel arrives."""
        pending = list(input.definition.steps)
        running = self._running
        failure: StepEnded | None = None
        while True:
            if not self._stopped():
                self._start_ready(input, pending, running)
            if not running:
                break
            try:
                await workflow.wait_condition(lambda: any(t.done() for t in running.values()))
            except asyncio.CancelledError:
                self._temporal_cancel()  # cancelled through Temporal itself (UI, CLI): drain, undo
            for step_id, task in list(running.items()):
                if not task.done():
                    continue
                del running[step_id]
                step = input.definition.step(step_id)
                try:
                    result = task.result()
                except StepEnded as exc:
                    if exc.submitted:
                        done_order.append(step)  # the agency may hold a submission: undo it too
                    if isinstance(exc, StepInterrupted | StepSkippedBySupport):
                        self._book.move(step_id, StepStatus.skipped, exc.reason)
                        continue
                    self._book.move(step_id, StepStatus.failed, exc.reason)
                    if step.required and failure is None:
                        failure = exc
                        self._stopping = True  # waiting steps stop waiting: the case is undone
                    continue
                if result is not None:
                    self._outputs[step_id] = result
                # With quiet waves the success is routine even as its wave's last: the next wave is
                # started below, in this wake-up, and the projector writes once no call on the
                # case's own queue is at its agency (nothing starts: at once).
                quiet = self._patches.quiet_waves or self._calling()
                self._book.succeed(step_id, self._book.steps[step_id].reference, wave_running=quiet)
                done_order.append(step)
                if input.definition.offers_after(step_id) and self._patches.has(OFFERS):
                    self._anticipating.append(asyncio.ensure_future(self._anticipate(input, step_id)))
        reason = f"case stopped: {failure.step_id} failed" if failure else "case stopped"
        for step in pending:
            self._book.move(step.id, StepStatus.skipped, reason)
        return failure

    def _start_ready(
        self,
        input: LifeEventInput,
        pending: list[StepDefinition],
        running: dict[str, asyncio.Task[StepResult | None]],
    ) -> None:
        """Start what `readiness.decide` says may start, and record its skips, in its order (the
        order this workflow has always issued its commands in)."""
        statuses = {sid: view.status for sid, view in self._book.steps.items()}
        outputs = {sid: result.output for sid, result in self._outputs.items()}
        for decision in readiness.decide(pending, statuses, outputs, input.facts, self._blocked):
            step = decision.step
            pending.remove(step)
            if decision.verdict is Verdict.blocked:
                self._blocked.append(step.id)  # its own dependents are blocked too
                self._book.move(step.id, StepStatus.skipped, decision.reason)
            elif decision.verdict is Verdict.condition_false:
                self._book.move(step.id, StepStatus.skipped, decision.reason)
            elif decision.verdict is Verdict.condition_error:
                running[step.id] = asyncio.ensure_future(fail_with(StepFailed(step.id, decision.reason)))
            else:
                running[step.id] = asyncio.ensure_future(self._run_step(input, step))

    # --- one step ---------------------------------------------------------------------------------

    async def _run_step(self, input: LifeEventInput, step: StepDefinition) -> StepResult | None:
        self._book.start(step.id, quiet=self._patches.has(QUIET_STEP_STARTS))
        if step.kind is StepKind.citizen_input:
            await self._wait_for_citizen(step, step.asks)
        result = await self._submit(input, step, 0)
        if step.kind is StepKind.agency_review:
            rounds = 1
            # The agency may ask the citizen for more (a missing document) before it decides.
            while asked := await self._wait_for_agency(step, rounds):
                if rounds > _MAX_RESUBMISSIONS:
                    raise StepFailed(step.id, f"asked for more {_MAX_RESUBMISSIONS} times", submitted=True)
                await self._wait_for_citizen(step, asked, submitted=True)
                result = await self._submit(input, step, rounds)
                rounds += 1
        return result

    async def _submit(self, input: LifeEventInput, step: StepDefinition, round_: int) -> StepResult:
        self._rounds[step.id] = round_ + 1
        data = input.definition
        inputs = step.sent
        required = [
            n for n in inputs if (f := data.field(n)) is not None and f.required and n not in step.asks
        ]
        instance, _ = input.route(step.agency)
        request = AgencyCall(
            case_id=input.case_id,
            citizen_id=input.citizen_id,
            step_id=step.id,
            agency=step.agency,
            action=step.action,
            inputs=inputs,
            required_inputs=required,
            round=round_,
            outputs=step.outputs,
            instance=instance,
            legal_basis=step.legal_basis if step.legal_basis != _BY_LAW else None,
        )
        result = await self._call(input, step, "call_agency", request, submitted=round_ > 0)
        if result is None:
            raise StepSkippedBySupport(step.id, "skipped by support", submitted=True)
        view = self._book.steps[step.id]
        view.reference = result.reference
        view.shared_fields = sorted(inputs)
        with self._book.routine(self._patches.quiet_successes):
            self._book.touch()
        return result

    # --- offers and follow-ups ------------------------------------------------------------------

    async def _anticipate(self, input: LifeEventInput, after: str) -> OffersResult:
        """OneStop decides the rules waiting for `after` on the case's data (`make_offers`): only
        ids come back. An offer is a courtesy: after its retries, the case goes on without it."""
        statuses = {sid: view.status.value for sid, view in self._book.steps.items()}
        request = OffersInput(case_id=input.case_id, citizen_id=input.citizen_id, after=after, steps=statuses)
        try:
            result: OffersResult = await workflow.execute_local_activity(
                "make_offers",
                request,
                result_type=OffersResult,
                start_to_close_timeout=_PROJECTION_TIMEOUT,
                retry_policy=_OFFERS_RETRY,
            )
        except ActivityError:
            self._book.event("offers_unavailable", detail=after)
            return OffersResult()
        if result.offers:
            self._book.event("offers_made", detail=", ".join(result.offers))
        return result

    async def _on_completion(self, input: LifeEventInput) -> None:
        """The completed case's offers, then its follow-ups on a schedule of their own, which
        outlives this workflow (ABANDON): reminders are due months after the case closed."""
        result = await self._anticipate(input, CASE_COMPLETED)
        rules = {f.id: f for f in input.definition.follow_ups}
        now = workflow.now()
        items = [
            FollowUpItem(id=r.id, title=r.title, due_at=now + timedelta(days=r.after_days))
            for fid in result.follow_ups
            if (r := rules.get(fid)) is not None
        ]
        if not items:
            return
        schedule = FollowUpInput(
            case_id=input.case_id, citizen_id=input.citizen_id, life_event=input.definition.type, items=items
        )
        with contextlib.suppress(WorkflowAlreadyStartedError):  # a reset's new run: it runs already
            await workflow.start_child_workflow(
                "FollowUpSchedule",
                schedule,
                id=follow_ups_workflow_id(input.case_id),
                task_queue=workflow.info().task_queue,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                static_summary=f"Follow-ups of {input.definition.title}",
            )
        self._book.event("follow_ups_scheduled", detail=", ".join(i.id for i in items))

    # --- compensation -----------------------------------------------------------------------------

    async def _compensate(self, input: LifeEventInput, done_order: list[StepDefinition]) -> None:
        """Undo newest first. An undo that keeps failing holds for support instead of giving up:
        a record left at an agency is worse than a case that waits."""
        self._book.event("compensation_started")
        for step in reversed(done_order):
            if step.compensation is None:
                continue
            request = AgencyUndo(
                case_id=input.case_id,
                citizen_id=input.citizen_id,
                step_id=step.id,
                agency=step.agency,
                action=step.compensation,
                rounds=self._rounds.get(step.id, 1),
                instance=input.route(step.agency)[0],
            )
            self._undoing.add(step.id)
            result = await self._call(input, step, "undo_agency", request, undo=True)
            self._undoing.discard(step.id)
            detail = (
                "resolved by support"
                if result and result.reference == RESOLVED
                else f"{step.agency}.{step.compensation}"
                if result
                else "marked undone by support"
            )
            self._book.move(step.id, StepStatus.compensated, detail)


def _refuse(message: str) -> NoReturn:
    raise ApplicationError(message, type=COMMAND_REFUSED, non_retryable=True)


def _describe(view: StepView) -> str:
    if view.waiting_for is not None and view.status is StepStatus.waiting:
        return f"waiting for the {view.waiting_for.value}"
    return view.status.value
