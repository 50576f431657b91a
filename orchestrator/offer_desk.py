"""A citizen answers an offer: accepting starts the offered life event as a case of its own,
pre-filled and linked to the first, in one call; declining is recorded. Both are audited.

Accepting is idempotent twice over: the new case's Idempotency-Key is the offer itself, so two
accepts (a double click, a retry after a lost answer) start one case, and an offer already
accepted answers with that case. The pre-filled values are read here, from the first case's
vault entry and the profile, and go to intake as if the citizen had typed them; what the
citizen sends in `data` wins. A case of another citizen is 404, as everywhere.
"""

from __future__ import annotations

from pydantic import Field, JsonValue

from orchestrator.audit_log import AuditLog
from orchestrator.auth import Principal
from orchestrator.case_commands import CaseCommands
from orchestrator.case_store import CaseRecord
from orchestrator.cases import CaseView
from orchestrator.errors import CaseStateError
from orchestrator.intake import CaseIntake
from orchestrator.offer_rules import PROFILE
from orchestrator.offers import OfferRecord, OfferStatus, OfferStore, OfferView, now
from orchestrator.profile_store import ProfileStore
from orchestrator.pseudonyms import Pseudonyms
from orchestrator.stores import CaseStores


class CaseDetail(CaseView):
    """`GET /v1/cases/{id}`: the case and what OneStop offers after it."""

    offers: list[OfferView] = Field(default_factory=list)


class OfferDesk:
    def __init__(
        self,
        commands: CaseCommands,
        offers: OfferStore,
        intake: CaseIntake,
        stores: CaseStores,
        profiles: ProfileStore,
        audit: AuditLog,
        *,
        pseudonyms: Pseudonyms,
    ) -> None:
        self._commands = commands
        self._offers = offers
        self._intake = intake
        self._stores = stores
        self._profiles = profiles
        self._audit = audit
        self._pseudonyms = pseudonyms

    async def read_case(self, case_id: str, principal: Principal) -> CaseDetail:
        view = await self._commands.read_case(case_id, principal)
        at = now()
        offers = [o.view(at) for o in await self._offers.for_case(case_id)]
        return CaseDetail(**view.model_dump(), offers=offers)

    async def accept(
        self, case_id: str, offer_id: str, principal: Principal, data: dict[str, JsonValue]
    ) -> CaseRecord:
        """The new case (or the one an earlier accept started)."""
        async with self._commands.audited(principal, "accept_offer", case_id, reason=offer_id):
            record, offer = await self._open(case_id, offer_id, principal, allow=OfferStatus.accepted)
            if offer.status is OfferStatus.accepted and offer.accepted_case_id:
                return await self._stores.cases.get(offer.accepted_case_id)
            filled = await self._prefilled(record, offer)
            new, _ = await self._intake.trigger(
                principal.sub,
                offer.service,
                {**filled, **data},
                f"offer:{case_id}:{offer_id}",
                linked_from=case_id,
            )
            decided = await self._offers.decide(offer, OfferStatus.accepted, now(), new.case_id)
            if decided is None:  # decided meanwhile: by an accept (this same case), or not
                again = await self._offers.get(case_id, offer_id)
                if again.accepted_case_id != new.case_id:
                    raise CaseStateError(case_id, f"offer {offer_id} is {again.status.value}")
            return new

    async def decline(self, case_id: str, offer_id: str, principal: Principal) -> OfferView:
        async with self._commands.audited(principal, "decline_offer", case_id, reason=offer_id):
            _, offer = await self._open(case_id, offer_id, principal, allow=OfferStatus.declined)
            if offer.status is OfferStatus.open:
                decided = await self._offers.decide(offer, OfferStatus.declined, now())
                offer = decided or await self._offers.get(case_id, offer_id)  # or decided meanwhile
                if offer.status is not OfferStatus.declined:
                    raise CaseStateError(case_id, f"offer {offer_id} is {offer.status.value}")
            return offer.view(now())

    async def _open(
        self, case_id: str, offer_id: str, principal: Principal, *, allow: OfferStatus
    ) -> tuple[CaseRecord, OfferRecord]:
        """The caller's case and its offer, if it is open (or already in the state `allow`,
        which makes a repeated answer the same answer)."""
        record = await self._commands.visible_case(case_id, principal)
        offer = await self._offers.get(case_id, offer_id)
        at = now()
        if offer.status is OfferStatus.open and offer.view(at).status is OfferStatus.expired:
            await self._offers.decide(offer, OfferStatus.expired, at)
            raise CaseStateError(case_id, f"offer {offer_id} expired at {offer.expires_at.isoformat()}")
        if offer.status not in (OfferStatus.open, allow):
            raise CaseStateError(case_id, f"offer {offer_id} is {offer.status.value}")
        return record, offer

    async def _prefilled(self, record: CaseRecord, offer: OfferRecord) -> dict[str, JsonValue]:
        """The offer's pre-filled inputs, from the first case's data and the profile; a value
        that is not known is left out (intake then names it, if the service requires it)."""
        from_case = {t: s for t, s in offer.prefill.items() if not s.startswith(PROFILE)}
        from_profile = {t: s.removeprefix(PROFILE) for t, s in offer.prefill.items() if s.startswith(PROFILE)}
        values = await self._stores.vault.fields(record.case_id, sorted(set(from_case.values())))
        filled: dict[str, JsonValue] = {t: values[s] for t, s in from_case.items() if s in values}
        if from_profile:
            profile = await self._profiles.get(self._pseudonyms.of(record.citizen_id))
            found = {t: profile.value(path) for t, path in from_profile.items()}
            filled |= {t: v for t, v in found.items() if v is not None}
        return filled
