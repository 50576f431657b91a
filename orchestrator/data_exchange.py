"""The data exchange: how a step's personal fields reach its agency, and the log of every share.

Personal data never enters Temporal, so an agency's action receives references only (case,
step, field names) and gets the values here: OneStop's own HTTP connector reads them in-process,
an agency that runs its own worker asks `GET /v1/agency/cases/{case}/steps/{step}/data` with its
credentials. Either way the same `release` decides what leaves and writes one data-use record per
share *before* the data is handed over, so the citizen's log can never miss a share that happened
(a share whose write failed is not made; its activity retries).

The log is append-only: this module only inserts; nothing updates or deletes it. It keeps
field names, never values.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from orchestrator.consents import ConsentStore
from orchestrator.definition import Basis, LegalBasis
from orchestrator.errors import ConsentMissing
from orchestrator.mongo import Document
from orchestrator.vault import CaseDataStore


class Channel(StrEnum):
    connector = "connector"  # OneStop's worker called the agency's REST endpoint
    exchange = "exchange"  # the agency's own worker fetched the fields


class DataUse(BaseModel):
    """One share of a citizen's data with an agency: what the citizen's log shows."""

    id: str
    citizen: str = Field(description="the citizen's pseudonym")
    case_id: str
    step_id: str
    agency: str
    agency_title: str = ""
    action: str
    purpose: str = Field(default="", description="the action's title in the agency directory")
    fields: list[str]
    channel: Channel
    at: datetime
    legal_basis: str = Field(default="", description="`consent`, or `law: <reference>`")


class Share(BaseModel):
    """What a step may send: decided from its pinned definition and the agency's contract."""

    case_id: str
    step_id: str
    citizen: str
    agency: str
    agency_title: str = ""
    action: str
    purpose: str = ""
    fields: list[str]
    legal_basis: LegalBasis = Field(default_factory=LegalBasis)


class Released(BaseModel):
    """What the agency receives: whom the case is about, at the agency, and the fields it may see."""

    subject: str | None
    fields: dict[str, Any]


class DataUseLog:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._uses = db.data_uses

    async def append(self, share: Share, sent: list[str], channel: Channel) -> DataUse:
        """Once per share: a retried call (an outage, a worker restart) sends the same fields
        under the same key, which is one share, so its record is kept once, with its first time."""
        identity = [share.case_id, share.step_id, share.agency, share.action, sorted(sent), channel.value]
        use = DataUse(
            id=hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:32],
            citizen=share.citizen,
            case_id=share.case_id,
            step_id=share.step_id,
            agency=share.agency,
            agency_title=share.agency_title,
            action=share.action,
            purpose=share.purpose,
            fields=sorted(sent),
            channel=channel,
            at=datetime.now(UTC),
            legal_basis=share.legal_basis.describe(),
        )
        with contextlib.suppress(DuplicateKeyError):
            await self._uses.insert_one({"_id": use.id, **use.model_dump(exclude={"id"})})
        return use

    async def for_citizen(
        self, citizen: str, limit: int = 100, after: DataUse | None = None
    ) -> list[DataUse]:
        """Newest first; `after`: the last use of the previous page (ordered by time, then id)."""
        query: Document = {"citizen": citizen}
        if after is not None:
            older = [{"at": {"$lt": after.at}}, {"at": after.at, "_id": {"$lt": after.id}}]
            query["$or"] = older
        order = [("at", DESCENDING), ("_id", DESCENDING)]
        cursor = self._uses.find(query).sort(order).limit(limit)
        return [_use(d) async for d in cursor]

    async def get(self, use_id: str) -> DataUse | None:
        doc = await self._uses.find_one({"_id": use_id})
        return _use(doc) if doc else None


class DataExchange:
    """Reads a share's fields and logs it; both channels go through `release`."""

    def __init__(self, vault: CaseDataStore, log: DataUseLog, consents: ConsentStore) -> None:
        self._vault = vault
        self._log = log
        self._consents = consents

    async def release(self, share: Share, channel: Channel) -> Released:
        """ConsentMissing when the share is by consent and the citizen's consents do not cover
        it: checked before the vault is read, so a refused share reads and logs nothing."""
        if share.fields and share.legal_basis.basis is Basis.consent:
            missing = await self._consents.missing(share.citizen, share.agency, share.action, share.fields)
            if missing:
                raise ConsentMissing(share.agency, share.action, missing)
        subject, fields = await self._vault.request(share.case_id, share.fields)
        if fields:  # a step that sends nothing shares nothing (and costs no write)
            await self._log.append(share, list(fields), channel)
        return Released(subject=subject, fields=fields)


def _use(doc: Document) -> DataUse:
    return DataUse.model_validate({**doc, "id": doc["_id"]})
