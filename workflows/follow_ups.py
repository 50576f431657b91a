"""FollowUpSchedule: a completed case's follow-ups over months, on durable timers.

A workflow of its own (`follow-ups-<case id>`), started by the case when it completes and left
running when the case closes, because a case is done when its agencies are, while a vaccination
reminder is due half a year later. It sleeps until each due time (a timer survives worker and
server restarts), then has a notification written to the outbox, in due order. The citizen can
cancel one that is still scheduled: an Update whose validator refuses one already sent. The
schedule is projected to the read model (`follow_ups`) whenever it changes; it is its only author.

Versioning: as the case engine's (`workflows/life_event.py`), changes to the commands it issues
go behind `workflow.patched`.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import NoReturn

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from orchestrator.anticipation import (
        FollowUpCancel,
        FollowUpInput,
        FollowUpItem,
        FollowUpNotice,
        FollowUpState,
        FollowUpStatus,
    )
    from orchestrator.errors import COMMAND_REFUSED

_LOCAL_TIMEOUT = timedelta(seconds=30)
_LOCAL_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))


@workflow.defn(name="FollowUpSchedule")
class FollowUpSchedule:
    @workflow.init
    def __init__(self, input: FollowUpInput) -> None:
        self._input = input
        self._items = [item.model_copy() for item in input.items]
        self._revision = 1
        self._projected = 0

    @workflow.run
    async def run(self, input: FollowUpInput) -> FollowUpState:
        while True:
            if self._projected < self._revision:
                await self._project()
                continue  # a cancel may have arrived while projecting
            due = self._next()
            if due is None:
                break
            wait = due.due_at - workflow.now()
            if wait > timedelta(0):
                with contextlib.suppress(TimeoutError):  # woken early by a cancel, projected at once
                    await workflow.wait_condition(lambda: self._projected < self._revision, timeout=wait)
                continue
            await workflow.execute_local_activity(
                "send_follow_up",
                FollowUpNotice(
                    case_id=input.case_id,
                    citizen_id=input.citizen_id,
                    follow_up_id=due.id,
                    title=due.title,
                    due_at=due.due_at,
                ),
                start_to_close_timeout=_LOCAL_TIMEOUT,
                retry_policy=_LOCAL_RETRY,
            )
            due.status = FollowUpStatus.sent
            due.sent_at = workflow.now()
            self._revision += 1
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state()

    def _next(self) -> FollowUpItem | None:
        """The scheduled follow-up due first (ties in definition order)."""
        scheduled = [i for i in self._items if i.status is FollowUpStatus.scheduled]
        return min(scheduled, key=lambda i: i.due_at, default=None)

    async def _project(self) -> None:
        revision = self._revision
        await workflow.execute_local_activity(
            "project_follow_ups",
            self.state(),
            start_to_close_timeout=_LOCAL_TIMEOUT,
            retry_policy=_LOCAL_RETRY,
        )
        self._projected = revision

    @workflow.query
    def state(self) -> FollowUpState:
        return FollowUpState(
            case_id=self._input.case_id,
            citizen_id=self._input.citizen_id,
            life_event=self._input.life_event,
            items=[i.model_copy() for i in self._items],
            revision=self._revision,
        )

    @workflow.update
    def cancel(self, command: FollowUpCancel) -> FollowUpState:
        """Cancelling a cancelled follow-up changes nothing."""
        item = self._item(command.follow_up_id)
        if item.status is FollowUpStatus.scheduled:
            item.status = FollowUpStatus.cancelled
            item.cancelled_at = workflow.now()
            self._revision += 1
        return self.state()

    @cancel.validator
    def _check_cancel(self, command: FollowUpCancel) -> None:
        item = self._item(command.follow_up_id)
        if item.status is FollowUpStatus.sent:
            _refuse(f"follow-up {item.id} was sent already")

    def _item(self, follow_up_id: str) -> FollowUpItem:
        item = next((i for i in self._items if i.id == follow_up_id), None)
        if item is None:
            _refuse(f"the case has no follow-up {follow_up_id}")
        return item


def _refuse(message: str) -> NoReturn:
    raise ApplicationError(message, type=COMMAND_REFUSED, non_retryable=True)
