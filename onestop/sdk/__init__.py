"""The agency SDK: what an agency imports to implement actions and work its tasks, without OneStop's
API, database or catalog.

    tax = Agency("tax_office")

    @tax.action("update_address", compensation="revert_address")
    async def update_address(ctx: ActionContext, data: AddressChange) -> Filed: ...

    @tax.compensation("revert_address")
    async def revert_address(ctx: ActionContext) -> None: ...

`onestop worker --agency tax_office --app my_agency:tax` runs it on the agency's own task queue.
"""

from onestop.sdk.agency import ActionContext, Agency, Rejected
from onestop.sdk.exchange import ExchangeClient, StepData

__all__ = ["ActionContext", "Agency", "ExchangeClient", "Rejected", "StepData"]
