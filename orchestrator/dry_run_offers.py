"""The offers and follow-ups of a dry run: which rules a case on the sample data would act on.

Decided as `make_offers` decides them (`orchestrator/offer_conditions.py`), on the sample data
and the plan's step statuses; a dry run has no profile, so a condition that reads one cannot be
decided and the offer is listed as not made, saying so.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import JsonValue

from orchestrator import offer_conditions
from orchestrator.conditions import ConditionError
from orchestrator.definition import CASE_COMPLETED, LifeEventDefinition, OfferRule
from orchestrator.dry_run_plan import Offer, PlannedFollowUp


def planned_offers(
    definition: LifeEventDefinition,
    data: Mapping[str, JsonValue],
    statuses: Mapping[str, str],
    completed: bool,
) -> tuple[list[Offer], list[Offer]]:
    """(made, not made) in definition order."""
    made: list[Offer] = []
    not_made: list[Offer] = []
    for rule in definition.offers:
        reached = completed if rule.after == CASE_COMPLETED else statuses.get(rule.after) == "succeeded"
        reason = None if reached else f"{rule.after} is not reached"
        if reason is None:
            reason = _refusal(rule.when, data, statuses)
        (made if reason is None else not_made).append(_offer(rule, reason))
    return made, not_made


def planned_follow_ups(
    definition: LifeEventDefinition,
    data: Mapping[str, JsonValue],
    statuses: Mapping[str, str],
    completed: bool,
) -> list[PlannedFollowUp]:
    if not completed:
        return []
    return [
        PlannedFollowUp(id=f.id, title=f.title, after_days=f.after_days)
        for f in definition.follow_ups
        if _refusal(f.when, data, statuses) is None
    ]


def _refusal(when: str | None, data: Mapping[str, JsonValue], statuses: Mapping[str, str]) -> str | None:
    try:
        holds = offer_conditions.evaluate(
            when, {k: v for k, v in data.items() if v is not None}, {}, statuses
        )
    except ConditionError:
        return f"condition not decided on the sample (a dry run has no profile): {when}"
    return None if holds else f"condition false: {when}"


def _offer(rule: OfferRule, reason: str | None) -> Offer:
    return Offer(
        id=rule.id,
        service=rule.service,
        title=rule.title,
        after=rule.after,
        prefilled=list(rule.prefill),
        reason=reason,
    )
