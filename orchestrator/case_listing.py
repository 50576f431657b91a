"""A citizen's own cases, filtered by status and life event and read a page at a time.

Status is what a reader sees (`effective_status`, derived from the steps), so the query asks
for a superset (`support_query.status_clause`) and each row is checked exactly; a page is
filled from a bounded number of reads, and its cursor is the last case read, so the next page
starts after it whether or not that case matched.
"""

from __future__ import annotations

from pydantic import BaseModel

from orchestrator.case_store import CaseRecord, CaseStore
from orchestrator.cases import CaseStatus, CaseView
from orchestrator.errors import CaseNotFound, InputError
from orchestrator.mongo import Document
from orchestrator.support_query import status_clause

_READS = 5


class CasePage(BaseModel):
    views: list[CaseView]
    next_cursor: str | None


async def own_cases(
    cases: CaseStore,
    citizen_id: str,
    *,
    status: CaseStatus | None,
    type_: str | None,
    limit: int,
    cursor: str | None,
) -> CasePage:
    after = await _cursor(cases, citizen_id, cursor) if cursor else None
    where: list[Document] = [
        *([{"type": type_}] if type_ else []),
        *([status_clause(status)] if status else []),
    ]
    query = {"$and": where} if where else None
    matched: list[CaseRecord] = []
    full = False
    for _ in range(_READS):
        batch = await cases.list_for_citizen(citizen_id, limit + 1, where=query, after=after)
        for record in batch:
            after = record
            if status is None or record.view().status is status:
                matched.append(record)
                if len(matched) > limit:
                    break
        full = len(batch) == limit + 1
        if len(matched) > limit or not full:
            break
    page = matched[:limit]
    if len(matched) > limit:
        next_cursor: str | None = page[-1].case_id
    else:  # every read came back full and the page is not: go on after the last case read
        next_cursor = after.case_id if full and after is not None else None
    return CasePage(views=[r.view() for r in page], next_cursor=next_cursor)


async def _cursor(cases: CaseStore, citizen_id: str, cursor: str) -> CaseRecord:
    try:
        record = await cases.get(cursor)
    except CaseNotFound:
        record = None
    if record is None or record.citizen_id != citizen_id:
        raise InputError("query.cursor", "not a cursor of this list: start again without one")
    return record
