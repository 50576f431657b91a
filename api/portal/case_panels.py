"""What a citizen may decide on a case besides answering a question: consents a step waits for
(give, refuse) and, the extension point for issue 17's offers, offers of a next service.

The case page asks `CasePanels.of` once per view and renders each panel it holds; `key` joins the
live key of the page's actions region, so the follow script swaps the region in when a panel
appears or goes. Consents are read off the case view (a step's `consent`, while it asks).
Offers (`offers` in the case view, accepted or declined by `POST /v1/cases/{id}/offers/{offer}
:accept|:decline`) are not in the API yet: the list stays empty and the page shows none until
`of` reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from api.portal.citizen_api import CitizenApi
from orchestrator.cases import CaseView, StepView


@dataclass(frozen=True)
class CasePanels:
    consents: list[StepView] = field(default_factory=list)
    """Steps asking the citizen's consent now (each with its `consent`: agency, fields, purpose)."""
    offers: list[object] = field(default_factory=list)

    @property
    def key(self) -> str:
        asking = ",".join(s.id for s in self.consents)
        return f"|consents:{asking}|offers:{len(self.offers)}"

    @classmethod
    async def of(cls, api: CitizenApi, case: CaseView) -> CasePanels:
        return cls(consents=[s for s in case.steps if s.consent is not None])
