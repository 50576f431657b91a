"""The custom search attributes that make a case findable in Temporal (UI, CLI, visibility API).

None carries personal data: a life-event type, OneStop's own status, whom the case waits for,
which agency, and since when it needs attention. The workflow upserts them when they change.

A server rejects an upsert of an attribute it does not know, so each must be registered before
the first case runs: the embedded dev server gets them as start-up flags (`dev_server_args`), a
cluster through `register` (`onestop temporal setup`). Both read the keys below, so a new key is
registered everywhere by adding it here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.common import SearchAttributeIndexedValueType, SearchAttributeKey
from temporalio.service import RPCError, RPCStatusCode

from orchestrator.errors import SearchAttributeConflict

if TYPE_CHECKING:
    from temporalio.client import Client

LIFE_EVENT = SearchAttributeKey.for_keyword("OneStopType")
STATUS = SearchAttributeKey.for_keyword("OneStopStatus")
WAITING_FOR = SearchAttributeKey.for_keyword("OneStopWaitingFor")
AGENCY = SearchAttributeKey.for_keyword("OneStopAgency")
ATTENTION_SINCE = SearchAttributeKey.for_datetime("OneStopAttentionSince")


KEYWORDS = (LIFE_EVENT, STATUS, WAITING_FOR, AGENCY)
DATETIMES = (ATTENTION_SINCE,)

REQUIRED: dict[str, SearchAttributeIndexedValueType] = {
    key.name: key.indexed_value_type for key in (*KEYWORDS, *DATETIMES)
}
"""Every attribute OneStop upserts, by name, with the type the server must index it as."""

# The type names `temporal server start-dev --search-attribute NAME=TYPE` accepts.
_TYPE_NAMES: dict[int, str] = {
    SearchAttributeIndexedValueType.TEXT: "Text",
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.INT: "Int",
    SearchAttributeIndexedValueType.DOUBLE: "Double",
    SearchAttributeIndexedValueType.BOOL: "Bool",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
    SearchAttributeIndexedValueType.KEYWORD_LIST: "KeywordList",
}


def type_name(indexed_value_type: int) -> str:
    """A server's index type as people and the `temporal` CLI write it (`Keyword`, `Datetime`)."""
    return _TYPE_NAMES.get(indexed_value_type, f"type {indexed_value_type}")


def dev_server_args() -> list[str]:
    """Flags for `temporal server start-dev` that register every attribute as the server starts,
    so the embedded server needs no setup step (it accepts them again over an existing database)."""
    args: list[str] = []
    for name, indexed_value_type in REQUIRED.items():
        args += ["--search-attribute", f"{name}={type_name(indexed_value_type)}"]
    return args


async def registered(client: Client, namespace: str) -> dict[str, int]:
    """The namespace's custom search attributes and their index types, as the server lists them."""
    response = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    return dict(response.custom_attributes)


async def register(client: Client, namespace: str) -> list[str]:
    """Add whichever of OneStop's attributes the namespace lacks and return their names: safe to
    run on every deploy, a second call adds nothing.

    An attribute already registered with another type is refused (`SearchAttributeConflict`)
    rather than left alone: the server would keep the old type and reject every upsert of it.
    Temporal's time-skipping test server cannot list attributes; there every one is offered and
    the server's "already exists" answer taken as registered.
    """
    try:
        present = await registered(client, namespace)
    except RPCError as exc:
        if exc.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        return await _add_each(client, namespace, list(REQUIRED))
    conflicts = [
        f"{name} is {type_name(present[name])}, OneStop needs {type_name(wanted)}"
        for name, wanted in REQUIRED.items()
        if name in present and present[name] != wanted
    ]
    if conflicts:
        raise SearchAttributeConflict(namespace, conflicts)
    return await _add_each(client, namespace, [name for name in REQUIRED if name not in present])


async def _add_each(client: Client, namespace: str, names: list[str]) -> list[str]:
    """One request per attribute, so one that exists (registered meanwhile by another setup, or
    on a server that cannot list) does not fail the others."""
    added: list[str] = []
    for name in names:
        request = AddSearchAttributesRequest(
            namespace=namespace,
            search_attributes={name: IndexedValueType.ValueType(REQUIRED[name])},
        )
        try:
            await client.operator_service.add_search_attributes(request)
        except RPCError as exc:
            if exc.status != RPCStatusCode.ALREADY_EXISTS:
                raise
        else:
            added.append(name)
    return added
