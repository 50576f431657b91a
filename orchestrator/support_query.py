"""The stuck list's filter as a MongoDB query on the read model.

A case's status is derived from its steps when it is read (`effective_status`), and a projection
written before a step moved may store another open status, so open statuses are asked for
through the steps here and checked exactly on each row afterwards. The stuck and
age filters are pre-filtered here (a step held, paused, or waiting since before the shortest
threshold) and decided on each row by `StuckRules`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from orchestrator.cases import FINAL_CASE_STATUSES, CaseStatus, StepStatus
from orchestrator.mongo import Document
from orchestrator.support_models import SupportFilter

SCAN_LIMIT = 5_000
"""Rows read per list request at most: the count is exact below it."""

_OPEN = [s.value for s in CaseStatus if s not in FINAL_CASE_STATUSES]
_WAITING = [StepStatus.waiting.value, StepStatus.needs_attention.value]
_ACTIVE = [StepStatus.running.value, *_WAITING]
_HELD = StepStatus.needs_attention.value


def mongo_query(
    filter: SupportFilter, now: datetime, shortest: timedelta
) -> tuple[Document, tuple[str, int]]:
    clauses: list[Document] = []
    if filter.type:
        clauses.append({"type": filter.type})
    if filter.status is not None:
        clauses.append(_status(filter.status))
    if filter.agency:
        clauses.append({"steps": {"$elemMatch": {"agency": filter.agency, "status": {"$in": _ACTIVE}}}})
    if filter.waiting_for is not None:
        wanted = {"waiting_for": filter.waiting_for.value, "status": {"$in": _WAITING}}
        clauses.append({"steps": {"$elemMatch": wanted}})
    if filter.step:
        failing = {
            "id": filter.step,
            "status": {"$in": [_HELD, StepStatus.failed.value, StepStatus.waiting.value]},
        }
        clauses.append({"steps": {"$elemMatch": failing}})
    if filter.error:
        clauses.append({"steps.last_error": filter.error})
    if filter.stuck or filter.stuck_minutes is not None:
        age = max(shortest, timedelta(minutes=filter.stuck_minutes or 0))
        clauses.append({"status": {"$in": _OPEN}})
        clauses.append(
            {
                "$or": [
                    {"steps.status": _HELD},
                    {"steps.paused": True},
                    {
                        "steps": {
                            "$elemMatch": {
                                "status": StepStatus.waiting.value,
                                "waiting_since": {"$lte": now - age},
                            }
                        }
                    },
                    {"steps": {"$elemMatch": {"status": StepStatus.waiting.value, "due_at": {"$lt": now}}}},
                ]
            }
        )
    _range(clauses, "created_at", filter.created_from, filter.created_to)
    _range(clauses, "updated_at", filter.updated_from, filter.updated_to)
    query: Document = {"$and": clauses} if clauses else {}
    field = filter.sort.value.lstrip("-")
    return query, (field, -1 if filter.sort.value.startswith("-") else 1)


def status_clause(status: CaseStatus) -> Document:
    """Cases that may have `status` as read (a superset for open statuses: check each row)."""
    return _status(status)


def _status(status: CaseStatus) -> Document:
    if status in FINAL_CASE_STATUSES:
        return {"status": status.value}
    if status is CaseStatus.needs_attention:
        return {"status": {"$in": _OPEN}, "steps.status": _HELD}
    if status is CaseStatus.waiting:
        return {"status": {"$in": _OPEN}, "steps.status": StepStatus.waiting.value}
    return {"status": {"$in": _OPEN}}  # running or compensating: checked exactly on each row


def _range(clauses: list[Document], field: str, start: datetime | None, end: datetime | None) -> None:
    bounds: dict[str, Any] = {}
    if start is not None:
        bounds["$gte"] = start
    if end is not None:
        bounds["$lt"] = end
    if bounds:
        clauses.append({field: bounds})
