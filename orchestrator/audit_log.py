"""The audit trail: who did what to which case, why, and what came of it; append-only and chained.

Every support action, every support read of a case and every command anyone sends adds one
record. Records are numbered (`_id` = seq, unique), and each carries the hash of the record before
it, so a record edited, removed or inserted behind the code's back breaks the chain at that
point: `verify` names the first broken record. This class has no update or delete: the code
cannot change the past, and the chain shows whether anything else did.

Appends race for the next number: a loser of the unique-key race re-reads the tail and tries
again, so the chain stays one line whatever the number of API processes.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime

from pydantic import BaseModel
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from orchestrator.auth import Principal
from orchestrator.errors import Unavailable
from orchestrator.mongo import Document
from orchestrator.support_models import AuditEntry

GENESIS = "0" * 64
_RACE_TRIES = 50


class AuditFinding(BaseModel):
    """What `verify` found: `broken_at` is the first record whose link or content does not hold."""

    checked: int
    broken_at: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


class AuditLog:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._records = db.audit
        # One append at a time in this process: each links to the tail, so concurrent ones only
        # collide and retry. Twenty decisions at once ran out of tries under load (`onestop bench
        # --memory`), and the record is written after the command took effect: the agency got a
        # 503 for an accepted decision and the trail missed it. Other processes still race, rarely.
        self._appending = asyncio.Lock()

    async def append(
        self,
        *,
        subject: str,
        role: str,
        action: str,
        outcome: str,
        case_id: str | None = None,
        step: str | None = None,
        reason: str | None = None,
    ) -> AuditEntry:
        async with self._appending:
            return await self._append_linked(subject, role, action, outcome, case_id, step, reason)

    async def _append_linked(
        self,
        subject: str,
        role: str,
        action: str,
        outcome: str,
        case_id: str | None,
        step: str | None,
        reason: str | None,
    ) -> AuditEntry:
        at = _millis(datetime.now(UTC))  # MongoDB keeps milliseconds: hash what it keeps
        for _ in range(_RACE_TRIES):
            tail = await self._records.find_one({}, sort=[("_id", DESCENDING)])
            seq = tail["_id"] + 1 if tail else 1
            fields = {
                "seq": seq,
                "at": at,
                "subject": subject,
                "role": role,
                "action": action,
                "case_id": case_id,
                "step": step,
                "reason": reason,
                "outcome": outcome,
                "prev_hash": tail["hash"] if tail else GENESIS,
            }
            entry = AuditEntry(**fields, hash=chain_hash(fields))  # type: ignore[arg-type]
            try:
                await self._records.insert_one({"_id": seq, **entry.model_dump(exclude={"seq"})})
            except DuplicateKeyError:
                continue  # another writer took this number: link to its record instead
            return entry
        raise Unavailable("the audit trail is busy: retry")

    async def record(
        self,
        principal: Principal,
        action: str,
        outcome: str,
        *,
        case_id: str | None = None,
        step: str | None = None,
        reason: str | None = None,
    ) -> AuditEntry:
        """`append` for what a signed-in person did."""
        return await self.append(
            subject=principal.sub,
            role=principal.role.value,
            action=action,
            outcome=outcome,
            case_id=case_id,
            step=step,
            reason=reason,
        )

    async def for_case(self, case_id: str, limit: int = 500) -> list[AuditEntry]:
        cursor = self._records.find({"case_id": case_id}).sort("_id", ASCENDING).limit(limit)
        return [_entry(doc) async for doc in cursor]

    async def verify(self) -> AuditFinding:
        """Walk the chain from the first record: each must follow the one before, by number and
        by hash, and hash to what it says."""
        previous, expected, checked = GENESIS, 1, 0
        async for doc in self._records.find({}).sort("_id", ASCENDING):
            entry = _entry(doc)
            checked += 1
            if entry.seq != expected:
                return AuditFinding(
                    checked=checked, broken_at=expected, problem=f"record {expected} is missing"
                )
            if entry.prev_hash != previous:
                return AuditFinding(
                    checked=checked,
                    broken_at=entry.seq,
                    problem="does not link to the record before it",
                )
            if chain_hash(entry.model_dump(exclude={"hash"})) != entry.hash:
                return AuditFinding(
                    checked=checked, broken_at=entry.seq, problem="its content does not match its hash"
                )
            previous, expected = entry.hash, expected + 1
        return AuditFinding(checked=checked)


def chain_hash(fields: dict[str, object]) -> str:
    """SHA-256 over the record's fields in a canonical JSON form, the previous hash included."""
    canonical = {k: _millis(v).isoformat() if isinstance(v, datetime) else v for k, v in fields.items()}
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _millis(at: datetime) -> datetime:
    at = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def _entry(doc: Document) -> AuditEntry:
    return AuditEntry.model_validate({**doc, "seq": doc["_id"]})
