"""`make_offers`: the case's offer and follow-up rules, decided OneStop-side.

A local activity the workflow runs when a point that offers wait for is reached (a step
succeeded, or the case completed), and only when its definition declares offers or follow-ups,
so other cases (the benchmark's) pay nothing. Chosen over the projection activity, which sees
every state but would have to load each case's definition on every write to learn whether it has
offers, and could not tell the workflow which follow-ups to schedule. The conditions read the
decrypted case data and profile here; only the ids of what was offered and of the follow-ups
that are due go back into the history.
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog
from temporalio import activity

from orchestrator import offer_conditions
from orchestrator.anticipation import OffersInput, OffersResult
from orchestrator.conditions import ConditionError
from orchestrator.definition import CASE_COMPLETED
from orchestrator.offers import OfferStore, now
from orchestrator.profile import SCALARS
from orchestrator.profile_store import ProfileStore
from orchestrator.stores import CaseStores

log = structlog.get_logger(__name__)


class OfferMaker:
    def __init__(self, stores: CaseStores, offers: OfferStore, profiles: ProfileStore) -> None:
        self._stores = stores
        self._offers = offers
        self._profiles = profiles

    @activity.defn(name="make_offers")
    async def make_offers(self, request: OffersInput) -> OffersResult:
        record = await self._stores.cases.get(request.case_id)
        definition = await self._stores.definitions.get(record.definition_id)
        rules = definition.offers_after(request.after)
        follow_ups = definition.follow_ups if request.after == CASE_COMPLETED else []
        if not rules and not follow_ups:
            return OffersResult()
        data = await self._stores.vault.fields(request.case_id, [f.name for f in definition.inputs])
        known = (await self._profiles.get(request.citizen_id)).model_dump(mode="json")
        profile = {k: v for k, v in known.items() if k in SCALARS and v is not None}

        def holds(rule_id: str, when: str | None) -> bool:
            return _decided(request.case_id, rule_id, when, data, profile, request.steps)

        at = now()
        made = []
        for rule in rules:
            if holds(rule.id, rule.when):
                await self._offers.make(request.case_id, request.citizen_id, rule, at)
                made.append(rule.id)
        due = [f.id for f in follow_ups if holds(f.id, f.when)]
        log.info("offers_made", case_id=request.case_id, after=request.after, offers=made, follow_ups=due)
        return OffersResult(offers=made, follow_ups=due)


def _decided(
    case_id: str,
    rule_id: str,
    when: str | None,
    data: Mapping[str, object],
    profile: Mapping[str, object],
    steps: Mapping[str, str],
) -> bool:
    """A condition that cannot be evaluated on this case (a value it reads is not known) offers
    nothing: logged by rule id, never with the values."""
    try:
        return offer_conditions.evaluate(when, data, profile, steps)
    except ConditionError as exc:
        log.warning("offer_condition_failed", case_id=case_id, rule=rule_id, error=str(exc))
        return False
