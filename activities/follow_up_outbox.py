"""The follow-up schedule's local activities: the outbox record when one is due, and the
projection of the schedule. Local, because each is one write to OneStop's own database."""

from __future__ import annotations

from temporalio import activity

from orchestrator.anticipation import FollowUpNotice, FollowUpState
from orchestrator.follow_up_store import FollowUpStore


class FollowUpOutbox:
    def __init__(self, store: FollowUpStore) -> None:
        self._store = store

    @activity.defn(name="send_follow_up")
    async def send_follow_up(self, notice: FollowUpNotice) -> None:
        await self._store.notify(notice)

    @activity.defn(name="project_follow_ups")
    async def project_follow_ups(self, state: FollowUpState) -> None:
        await self._store.project(state)
