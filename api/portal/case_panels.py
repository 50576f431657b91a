"""What a citizen may decide on a case besides answering a question: the extension point for
offers of a next service (accept, decline) and consents a step waits for (give, refuse).

The case page asks `CasePanels.of` once per view and renders each panel it holds; `key` joins the
live key of the page's actions region, so the follow script swaps the region in when a panel
appears or goes. Each panel reads what the API puts on the case view (`offers`, a step's
`consent`) as soon as those APIs land; until then the panels are empty and the page shows none.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from api.portal.citizen_api import CitizenApi
from orchestrator.cases import CaseView


@dataclass(frozen=True)
class CasePanels:
    offers: list[object] = field(default_factory=list)
    consents: list[object] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"|offers:{len(self.offers)}|consents:{len(self.consents)}"

    @classmethod
    async def of(cls, api: CitizenApi, case: CaseView) -> CasePanels:
        return cls()
