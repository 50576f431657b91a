"""What a citizen may decide on a case besides answering a question: consents a step waits for
(give, refuse) and the offers of a next service OneStop made after the case (accept, decline).

The case page asks `CasePanels.of` once per view and renders each panel it holds; `key` joins the
live key of the page's actions region, so the follow script swaps the region in when a panel
appears or goes. Consents are read off the case view (a step's `consent`, while it asks), offers
off its `offers` (`POST /v1/cases/{id}/offers/{offer}:accept|:decline`).

An offer whose service needs an input neither the case nor the profile gives is refused by the
API with a 422 naming each; the panel then holds that offer's `missing` fields as a form, so the
citizen completes them and accepts in one step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from api.portal.citizen_api import CitizenApi
from api.portal.schema_form import FormField
from orchestrator.cases import StepView
from orchestrator.offer_desk import CaseDetail
from orchestrator.offers import OfferStatus, OfferView


@dataclass(frozen=True)
class OfferPanel:
    offer: OfferView
    service_title: str
    missing: list[FormField] = field(default_factory=list)
    """After a refused accept: the inputs the service still needs, as form fields."""


@dataclass(frozen=True)
class CasePanels:
    consents: list[StepView] = field(default_factory=list)
    """Steps asking the citizen's consent now (each with its `consent`: agency, fields, purpose)."""
    offers: list[OfferPanel] = field(default_factory=list)
    """Every offer made after the case, open ones first."""

    @property
    def key(self) -> str:
        asking = ",".join(s.id for s in self.consents)
        offered = ",".join(f"{p.offer.id}:{p.offer.status.value}" for p in self.offers)
        return f"|consents:{asking}|offers:{offered}"

    @classmethod
    async def of(
        cls, api: CitizenApi, case: CaseDetail, missing: tuple[str, list[FormField]] | None = None
    ) -> CasePanels:
        """`missing`: an offer id and the fields its refused accept named."""
        offers = case.offers
        titles = {e.type: e.title for e in (await api.catalog()).data} if offers else {}
        panels = [
            OfferPanel(
                offer=o,
                service_title=titles.get(o.service, o.title),
                missing=missing[1] if missing and missing[0] == o.id else [],
            )
            for o in sorted(offers, key=lambda o: o.status is not OfferStatus.open)
        ]
        return cls(consents=[s for s in case.steps if s.consent is not None], offers=panels)
