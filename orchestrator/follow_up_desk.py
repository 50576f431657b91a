"""A citizen's follow-ups: what is scheduled, sent or cancelled, and cancelling one.

The list is the read model the schedules project (`follow_ups`), found by the caller's
pseudonym. A cancel is the schedule workflow's Update, so its validator decides (a follow-up
sent already is 409) and the answer is its verdict; a schedule that has ended sent everything.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from pydantic import BaseModel
from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from orchestrator.anticipation import (
    FollowUpCancel,
    FollowUpItem,
    FollowUpState,
    FollowUpStatus,
    follow_ups_workflow_id,
)
from orchestrator.auth import Principal
from orchestrator.case_commands import CaseCommands
from orchestrator.contracts import Actor
from orchestrator.errors import COMMAND_REFUSED, CaseStateError, NotFound, Unavailable
from orchestrator.follow_up_store import FollowUpStore
from orchestrator.pseudonyms import Pseudonyms


class FollowUpView(BaseModel):
    case_id: str
    life_event: str
    id: str
    title: str
    due_at: datetime
    status: FollowUpStatus
    sent_at: datetime | None = None
    cancelled_at: datetime | None = None


def views(state: FollowUpState) -> list[FollowUpView]:
    return [_view(state, item) for item in state.items]


def _view(state: FollowUpState, item: FollowUpItem) -> FollowUpView:
    return FollowUpView(case_id=state.case_id, life_event=state.life_event, **item.model_dump())


class FollowUpDesk:
    def __init__(
        self,
        store: FollowUpStore,
        commands: CaseCommands,
        temporal: Client,
        answer_within: float = 5.0,
        *,
        pseudonyms: Pseudonyms,
    ) -> None:
        self._store = store
        self._commands = commands
        self._temporal = temporal
        self._answer_within = answer_within
        self._pseudonyms = pseudonyms

    async def list(self, principal: Principal) -> list[FollowUpView]:
        """Soonest first, over all the caller's cases."""
        schedules = await self._store.for_citizen(self._pseudonyms.of(principal.sub))
        return sorted((v for s in schedules for v in views(s)), key=lambda v: (v.due_at, v.case_id))

    async def cancel(self, case_id: str, follow_up_id: str, principal: Principal) -> FollowUpView:
        async with self._commands.audited(principal, "cancel_follow_up", case_id, reason=follow_up_id):
            await self._commands.visible_case(case_id, principal)  # another citizen's: 404
            stored = await self._store.get(case_id)
            if stored is not None and all(i.id != follow_up_id for i in stored.items):
                raise NotFound(f"case {case_id} has no follow-up {follow_up_id!r}")
            command = FollowUpCancel(
                follow_up_id=follow_up_id,
                by=Actor(subject=self._pseudonyms.of(principal.sub), role=principal.role.value),
            )
            state = await self._update(case_id, command, stored)
            item = next(i for i in state.items if i.id == follow_up_id)
            return _view(state, item)

    async def _update(
        self, case_id: str, command: FollowUpCancel, stored: FollowUpState | None
    ) -> FollowUpState:
        handle = self._temporal.get_workflow_handle(follow_ups_workflow_id(case_id))
        try:
            async with asyncio.timeout(self._answer_within):
                state: FollowUpState = await handle.execute_update(
                    "cancel", command, result_type=FollowUpState
                )
                return state
        except WorkflowUpdateFailedError as exc:
            cause = exc.cause
            if isinstance(cause, ApplicationError) and cause.type == COMMAND_REFUSED:
                raise CaseStateError(case_id, cause.message) from None
            raise
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            raise Unavailable("the follow-ups did not answer the cancel in time: retry") from None
        except RPCError as exc:
            if exc.status is not RPCStatusCode.NOT_FOUND:
                raise Unavailable(f"Temporal did not take the cancel ({exc.status.name}): retry") from exc
        # No running schedule: it has ended (each follow-up sent or cancelled), or there is none.
        item = next((i for i in stored.items if i.id == command.follow_up_id), None) if stored else None
        if stored is None or item is None:
            raise NotFound(f"case {case_id} has no follow-up {command.follow_up_id!r}")
        if item.status is FollowUpStatus.cancelled:
            return stored
        raise CaseStateError(case_id, f"follow-up {command.follow_up_id} was sent already")
