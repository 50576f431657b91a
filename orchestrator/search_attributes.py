"""The custom search attributes that make a case findable in Temporal (UI, CLI, visibility API).

None carries personal data: a life-event type, OneStop's own status, whom the case waits for,
which agency, and since when it needs attention. The workflow upserts them when they change.
"""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.service import RPCError, RPCStatusCode

LIFE_EVENT = SearchAttributeKey.for_keyword("OneStopType")
STATUS = SearchAttributeKey.for_keyword("OneStopStatus")
WAITING_FOR = SearchAttributeKey.for_keyword("OneStopWaitingFor")
AGENCY = SearchAttributeKey.for_keyword("OneStopAgency")
ATTENTION_SINCE = SearchAttributeKey.for_datetime("OneStopAttentionSince")


KEYWORDS = (LIFE_EVENT, STATUS, WAITING_FOR, AGENCY)
DATETIMES = (ATTENTION_SINCE,)


def dev_server_args() -> list[str]:
    """`temporal server start-dev` flags that register every attribute at start."""
    pairs = [f"{k.name}=Keyword" for k in KEYWORDS] + [f"{k.name}=Datetime" for k in DATETIMES]
    return [arg for pair in pairs for arg in ("--search-attribute", pair)]


async def register(client: Client, namespace: str) -> list[str]:
    """Add the attributes a namespace lacks (a cluster's setup step); returns the names added.
    Idempotent: attributes already registered are left alone."""
    wanted = {k.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD for k in KEYWORDS}
    wanted |= {k.name: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME for k in DATETIMES}
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        missing = {n: t for n, t in wanted.items() if n not in listed.custom_attributes}
    except RPCError as exc:
        if exc.status is not RPCStatusCode.UNIMPLEMENTED:
            raise
        missing = wanted  # the time-skipping test server cannot list: adding is idempotent there
    if missing:
        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
            )
        except RPCError as exc:
            if exc.status is not RPCStatusCode.ALREADY_EXISTS:
                raise
    return sorted(missing)
