"""A consent question on the time-skipping server: unanswered within `wait_days` the step holds
for support (never fails by itself); support's retry tries the share again, which goes ahead once
the citizen has consented elsewhere; a cancel ends the question and undoes what was done."""

from __future__ import annotations

from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from orchestrator.cases import CaseStatus, StepStatus, WaitingFor, question_id
from orchestrator.contracts import CancelInput, ConsentInput, SupportInput
from tests.workflow_harness import (
    CITIZEN,
    SUPPORT,
    FakeAgencies,
    case,
    definition,
    step,
    timer_started,
    until,
    view,
)
from workflows.life_event import LifeEventCase

EVENT = definition(
    step("register", compensation="unregister"),
    step(
        "insure",
        compensation="uninsure",
        depends_on=["register"],
        inputs=["citizen_name"],
        legal_basis={"basis": "consent", "purpose": "Keep your insurance"},
        wait_days=7,
    ),
)


async def test_an_unanswered_consent_holds_for_support_and_a_retry_shares_once_consented(
    env: WorkflowEnvironment,
) -> None:
    fakes = FakeAgencies()
    fakes.no_consent.add("insure")
    async with case(env, fakes, EVENT) as handle:
        await timer_started(handle)
        state = await handle.query(LifeEventCase.state)
        asked = view(state, "insure")
        assert (asked.status, asked.waiting_for) == (StepStatus.waiting, WaitingFor.citizen)
        assert asked.consent is not None and asked.consent.fields == ["citizen_name"]
        assert asked.consent.purpose == "Keep your insurance" and asked.consent.agency_title == "The Agency"
        await env.sleep(timedelta(days=8))
        await until(lambda: fakes.held("insure"))
        held = view(await handle.query(LifeEventCase.state), "insure")
        assert held.attention == "no answer to the consent question within 7 days"
        assert held.consent is None  # the question is closed while support decides
        fakes.no_consent.clear()  # the citizen consented on their consents page meanwhile
        await handle.execute_update(
            LifeEventCase.retry_step, SupportInput(step_id="insure", reason="consented", by=SUPPORT)
        )
        assert (await handle.result()).status is CaseStatus.completed
    assert fakes.step_ids == ["register", "insure"]
    assert fakes.compensated_ids == []


async def test_a_cancel_ends_the_consent_question_and_undoes_the_case(env: WorkflowEnvironment) -> None:
    fakes = FakeAgencies()
    fakes.no_consent.add("insure")
    async with case(env, fakes, EVENT) as handle:
        await timer_started(handle)
        await handle.execute_update(LifeEventCase.cancel, CancelInput(reason="citizen_request", by=CITIZEN))
        result = await handle.result()
    assert result.status is CaseStatus.cancelled
    assert view(result, "insure").status is StepStatus.skipped
    assert fakes.compensated_ids == ["register"]


async def test_a_declined_consent_fails_an_optional_step_and_the_case_goes_on(
    env: WorkflowEnvironment,
) -> None:
    event = definition(
        step("register", compensation="unregister"),
        step(
            "insure",
            depends_on=["register"],
            required=False,
            inputs=["citizen_name"],
            legal_basis="consent",
        ),
    )
    fakes = FakeAgencies()
    fakes.no_consent.add("insure")
    async with case(env, fakes, event) as handle:
        await timer_started(handle)
        asked = view(await handle.query(LifeEventCase.state), "insure")
        answer = ConsentInput(step_id="insure", question=question_id(asked.asked_at), given=False, by=CITIZEN)
        await handle.execute_update(LifeEventCase.consent, answer)
        result = await handle.result()
    assert result.status is CaseStatus.completed
    assert view(result, "insure").status is StepStatus.failed
    assert "did not consent" in (view(result, "insure").error or "")
    assert fakes.compensated_ids == []
