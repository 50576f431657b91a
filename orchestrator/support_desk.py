"""What support staff do: find stuck cases, read one with its history and audit trail, act on
one, or act on every case a filter matches with a dry run first and a re-checked report after.

Where each filter is answered: the read model (MongoDB `cases`), for every filter. Temporal's
visibility has the case's type, status, one waiting agency and `OneStopAttentionSince`, which
would answer four filters, but not a step's error code, attempts, failing step or every agency
a case waits on, and it is as eventually consistent as the projection; one source keeps paging
and counts exact. Visibility serves the Temporal UI and `onestop replay`. The stuck reasons are
computed from the steps (`StuckRules`) because they depend on thresholds and on now.

Every action and every read goes to the audit trail, with its outcome. A case's page is one
record per case read (it may show personal data). The stuck list and a batch report are one
record per request, naming the filter (or batch) and how many cases it matched, not one per
row: a row holds no personal data (ids, type, status, reason codes), and a page of 50 rows as 50
appends to one hash chain would make the list the slowest thing support does.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import structlog
from pymongo.asynchronous.database import AsyncDatabase

from orchestrator.audit_log import AuditLog
from orchestrator.auth import Principal
from orchestrator.case_commands import CaseCommands
from orchestrator.case_history import CaseHistory
from orchestrator.case_store import CaseRecord
from orchestrator.cases import CaseStatus, CaseView
from orchestrator.errors import CaseNotFound, CaseStateError, OneStopError, Unavailable
from orchestrator.mongo import Document
from orchestrator.stuck_reasons import StuckRules
from orchestrator.support_models import (
    BulkOutcome,
    BulkReport,
    BulkRequest,
    SupportCase,
    SupportCaseDetail,
    SupportCaseList,
    SupportFilter,
    SupportVerb,
)
from orchestrator.support_query import SCAN_LIMIT, mongo_query

log = structlog.get_logger(__name__)

_UPDATES: dict[str, str] = {
    "retry": "retry_step",
    "skip": "skip_step",
    "resolve": "resolve_step",
    "pause": "pause_step",
    "resume": "resume_step",
    "compensate": "compensate",
}
_BULK_CONCURRENCY = 8


class SupportDesk:
    def __init__(
        self,
        db: AsyncDatabase[Document],
        commands: CaseCommands,
        history: CaseHistory,
        audit: AuditLog,
        rules: StuckRules,
    ) -> None:
        self._cases = db.cases
        self._batches = db.support_batches
        self._commands = commands
        self._history = history
        self._audit = audit
        self._rules = rules

    async def find(self, filter: SupportFilter, principal: Principal) -> SupportCaseList:
        """Cases matching the filter, each with why it is stuck; `count` before paging. Audited."""
        found = await self._matching(filter)
        shown = filter.model_dump_json(exclude_defaults=True)
        await self._audit.record(principal, "list_cases", f"ok: {found.count} matched {shown}")
        return found

    async def _matching(self, filter: SupportFilter) -> SupportCaseList:
        now = datetime.now(UTC)
        query, order = mongo_query(filter, now, self._rules.shortest)
        cursor = self._cases.find(query, {"timeline": 0, "notes": 0}).sort(*order).limit(SCAN_LIMIT)
        rows: list[SupportCase] = []
        async for doc in cursor:
            row = self._row(CaseRecord.model_validate({**doc, "timeline": []}).view(), now)
            if _keeps(row, filter, now):
                rows.append(row)
        return SupportCaseList(data=rows[filter.offset : filter.offset + filter.limit], count=len(rows))

    async def detail(self, case_id: str, principal: Principal) -> SupportCaseDetail:
        """The case, why it is stuck, its Temporal history in summary, and its audit trail. A
        support read is itself audited (personal data may be on the page)."""
        view = (await self._commands.visible_case(case_id, principal)).view()
        history = await self._history.summary(case_id)
        await self._audit.record(principal, "read_case", "ok", case_id=case_id)
        return SupportCaseDetail(
            case=view,
            reasons=self._rules.reasons(view, datetime.now(UTC)),
            history=history,
            audit=await self._audit.for_case(case_id),
        )

    async def act(
        self,
        case_id: str,
        verb: SupportVerb,
        principal: Principal,
        reason: str,
        step_id: str | None,
        note: str | None = None,
    ) -> CaseView:
        """One support action; the workflow (or Temporal, for a reset) is the judge of whether it
        applies, and the audit trail records its verdict either way."""
        if verb != "reset":
            return await self._commands.support(case_id, _UPDATES[verb], principal, reason, step_id, note)
        async with self._commands.audited(principal, "reset", case_id, step_id, reason):
            if step_id is None:
                raise CaseStateError(case_id, "a reset goes back to before a step: name the step")
            record = await self._commands.visible_case(case_id, principal)
            if all(s.id != step_id for s in record.steps):
                raise CaseNotFound(f"{case_id}/steps/{step_id}")
            run_id = await self._history.reset_to_before(case_id, step_id, reason)
            if note:
                await self._commands.note(case_id, "support_note", note, step_id)
            log.info("support_reset", case_id=case_id, step=step_id, run_id=run_id)
            return record.view()

    async def bulk(self, request: BulkRequest, principal: Principal) -> BulkReport:
        """Every case the filter matches, up to `limit`: listed (dry run) or acted on, then each
        re-read from its workflow, so the report says what was reached, not what was sent."""
        matched = await self._matching(
            request.filter.model_copy(update={"limit": request.limit, "offset": 0})
        )
        rows = matched.data
        if request.dry_run:
            results = [
                BulkOutcome(
                    case_id=r.case_id,
                    outcome="planned",
                    detail="; ".join(f"{x.code.value} {x.step}" for x in r.reasons) or r.status.value,
                )
                for r in rows
            ]
        else:
            gate = asyncio.Semaphore(_BULK_CONCURRENCY)

            async def one(row: SupportCase) -> BulkOutcome:
                async with gate:
                    return await self._bulk_one(row, request, principal)

            results = list(await asyncio.gather(*(one(r) for r in rows)))
        report = BulkReport(
            batch_id=str(uuid.uuid4()),
            action=request.action,
            step=request.step,
            dry_run=request.dry_run,
            matched=matched.count,
            results=results,
            at=datetime.now(UTC),
        )
        await self._batches.insert_one(
            {
                "_id": report.batch_id,
                "by": principal.sub,
                **report.model_dump(mode="python", exclude={"batch_id"}),
            }
        )
        await self._audit.record(
            principal,
            f"bulk_{request.action}{'_dry_run' if request.dry_run else ''}",
            f"batch {report.batch_id}: {_tally(results)}",
            step=request.step,
            reason=request.reason,
        )
        return report

    async def batch(self, batch_id: str, principal: Principal) -> BulkReport:
        """A stored bulk report (it lists case ids); the read is audited, found or not."""
        doc = await self._batches.find_one({"_id": batch_id})
        outcome = f"ok: {len(doc['results'])} case(s)" if doc else "not found"
        await self._audit.record(principal, "read_batch", f"{outcome}: batch {batch_id[:64]}")
        if doc is None:
            raise CaseNotFound(f"batch {batch_id}")
        return BulkReport.model_validate({**doc, "batch_id": doc["_id"]})

    async def _bulk_one(self, row: SupportCase, request: BulkRequest, principal: Principal) -> BulkOutcome:
        step = request.step or _cause_step(row, request)
        outcome: BulkOutcome
        try:
            await self.act(row.case_id, request.action, principal, request.reason, step)
            outcome = BulkOutcome(case_id=row.case_id, outcome="applied", detail=step or "")
        except CaseStateError as exc:
            outcome = BulkOutcome(case_id=row.case_id, outcome="refused", detail=str(exc))
        except Unavailable as exc:
            outcome = BulkOutcome(case_id=row.case_id, outcome="unavailable", detail=str(exc))
        except OneStopError as exc:
            outcome = BulkOutcome(case_id=row.case_id, outcome="failed", detail=str(exc))
        try:
            state = await self._commands.current_state(row.case_id)
        except OneStopError as exc:
            outcome.detail = f"{outcome.detail} (not re-read: {exc})".strip()
            return outcome
        outcome.status_after = state.status
        if step is not None:
            after = next((s for s in state.steps if s.id == step), None)
            outcome.step_status_after = after.status.value if after else None
        return outcome

    def _row(self, view: CaseView, now: datetime) -> SupportCase:
        reasons = self._rules.reasons(view, now)
        starts = [r.since for r in reasons if r.since is not None]
        return SupportCase(
            case_id=view.case_id,
            type=view.type,
            version=view.version,
            status=view.status,
            created_at=view.created_at,
            updated_at=view.updated_at,
            reasons=reasons,
            stuck_since=min(starts) if starts else None,
        )


def _keeps(row: SupportCase, filter: SupportFilter, now: datetime) -> bool:
    """What the database query cannot say: the effective status, and stuck reasons and their age."""
    if filter.status is not None and row.status is not filter.status:
        return False
    if filter.stuck and not row.reasons:
        return False
    if filter.stuck_minutes is not None:
        if row.stuck_since is None:
            return False
        return (now - row.stuck_since).total_seconds() >= filter.stuck_minutes * 60
    return True


def _cause_step(row: SupportCase, request: BulkRequest) -> str | None:
    """A bulk step action without a named step acts on each case's own stuck step (of the
    filter's agency, when one is given): the cause the cases were chosen by."""
    if request.action == "compensate":
        return None
    for reason in row.reasons:
        if request.filter.agency in (None, reason.agency):
            return reason.step
    return None


def _tally(results: list[BulkOutcome]) -> str:
    counts: dict[str, int] = {}
    for r in results:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    return ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no case matched"


__all__ = ["CaseStatus", "SupportDesk"]
