"""What a citizen does with consents: answer a step's consent question, and give or withdraw a
consent ahead of any case (their consents page).

A consent answer keeps the consent in the store first, then tells the workflow, whose validator
has the last word on whether the step still asks: the store is what the next attempt's data
exchange checks, the Update is what moves the step on. Each change is audited.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import Field

from orchestrator.agencies import AgencyDirectory
from orchestrator.audit_log import AuditLog
from orchestrator.auth import Principal
from orchestrator.case_commands import CaseCommands, merged, require_open
from orchestrator.cases import CaseView, StepStatus, WaitingFor, question_id
from orchestrator.catalog import Catalog
from orchestrator.consents import Consent, ConsentState, ConsentStore
from orchestrator.contracts import ConsentInput
from orchestrator.definition import Basis, StepDefinition
from orchestrator.errors import CaseNotFound, CaseStateError, InputError, NotFound
from orchestrator.pseudonyms import Pseudonyms


class ConsentView(Consent):
    agency_title: str = ""
    action_title: str = ""
    citizen: str = Field(default="", exclude=True)


class ConsentDesk:
    def __init__(
        self,
        store: ConsentStore,
        commands: CaseCommands,
        catalog: Callable[[], Catalog],
        audit: AuditLog,
        pseudonyms: Pseudonyms,
    ) -> None:
        self._store = store
        self._commands = commands
        self._catalog = catalog
        self._audit = audit
        self._pseudonyms = pseudonyms

    async def answer(self, case_id: str, step_id: str, principal: Principal, given: bool) -> CaseView:
        """The citizen's answer to the consent question a step asks now (409 if it asks none)."""
        async with self._commands.audited(
            principal, "consent" if given else "decline_consent", case_id, step_id
        ):
            record = await self._commands.visible_case(case_id, principal)
            require_open(record)
            view = next((v for v in record.steps if v.id == step_id), None)
            if view is None:
                raise CaseNotFound(f"{case_id}/steps/{step_id}")
            question = view.consent
            if (
                view.status is not StepStatus.waiting
                or view.waiting_for is not WaitingFor.citizen
                or not question
            ):
                raise CaseStateError(
                    case_id, f"step {step_id} is {view.status.value}, not asking for consent"
                )
            if given:
                await self._store.give(
                    self._pseudonyms.of(principal.sub),
                    question.agency,
                    question.action,
                    question.fields,
                    purpose=question.purpose,
                    case_id=case_id,
                )
            answer = ConsentInput(
                step_id=step_id,
                question=question_id(view.asked_at),
                given=given,
                by=self._commands.actor(principal),
            )
            return merged(record, await self._commands.update(record, "consent", answer))

    async def of(self, principal: Principal) -> list[ConsentView]:
        directory = self._catalog().directory
        consents = await self._store.for_citizen(self._pseudonyms.of(principal.sub))
        return [_view(c, directory) for c in consents]

    async def give(
        self, principal: Principal, agency: str, action: str, fields: list[str] | None
    ) -> ConsentView:
        """Consent ahead of a case: to the fields given, or to every field a life event in the
        catalog shares with this agency action by consent."""
        catalog = self._catalog()
        steps = _consent_steps(catalog, agency, action)
        asked = sorted({name for step in steps for name in step.sent})
        if catalog.directory.action(agency, action) is None:
            raise NotFound(f"no action {action!r} of agency {agency!r} in the directory")
        if not asked:
            raise InputError("path", f"no life event shares data with {agency}.{action} by consent")
        chosen = asked if fields is None else fields
        unknown = [
            (f"fields.{i}", f"{agency}.{action} is never sent {name!r} by consent")
            for i, name in enumerate(chosen)
            if name not in asked
        ]
        if unknown or not chosen:
            first, *more = unknown or [("fields", "name at least one field")]
            raise InputError(*first, more=more)
        purpose = next((s.legal_basis.purpose for s in steps if s.legal_basis.purpose), "")
        consent = await self._store.give(
            self._pseudonyms.of(principal.sub), agency, action, chosen, purpose=purpose
        )
        await self._audit.record(principal, "give_consent", "ok", reason=f"{agency}.{action}")
        return _view(consent, catalog.directory)

    async def withdraw(self, principal: Principal, agency: str, action: str) -> ConsentView:
        consent = await self._store.withdraw(self._pseudonyms.of(principal.sub), agency, action)
        if consent is None:
            raise NotFound(f"no consent for {agency}.{action}")
        await self._audit.record(principal, "withdraw_consent", "ok", reason=f"{agency}.{action}")
        return _view(consent, self._catalog().directory)


def _consent_steps(catalog: Catalog, agency: str, action: str) -> list[StepDefinition]:
    """Every step of a current life event that shares with this agency action by consent."""
    return [
        step
        for definition in catalog.definitions.values()
        for step in definition.steps
        if (step.agency, step.action) == (agency, action) and step.legal_basis.basis is Basis.consent
    ]


def _view(consent: Consent, directory: AgencyDirectory) -> ConsentView:
    spec = directory.agencies.get(consent.agency)
    action = directory.action(consent.agency, consent.action)
    return ConsentView(
        **consent.model_dump(),
        agency_title=spec.title if spec else consent.agency,
        action_title=action.title if action and action.title else consent.action,
    )


__all__ = ["ConsentDesk", "ConsentState", "ConsentView"]
