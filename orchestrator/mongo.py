"""The MongoDB connection (PyMongo's async API) and the indexes every query relies on."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, WriteConcern
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

Document = dict[str, Any]


def connect(url: str, timeout_ms: int = 2_000) -> AsyncMongoClient[Document]:
    """Journaled, acknowledged writes whatever the URL says: under the default write concern a
    kill -9 of the embedded server lost 73-104 of ~7,200 acknowledged inserts, with `j=true`
    none of 4,732. Short timeouts, so a database outage is a quick 503, not a hanging request."""
    return AsyncMongoClient(
        url,
        tz_aware=True,
        journal=True,
        # PyMongo checks the selection deadline every half second: leave it room within the budget.
        serverSelectionTimeoutMS=max(timeout_ms - 500, 100),
        connectTimeoutMS=timeout_ms,
        socketTimeoutMS=timeout_ms * 10,
    )


def unjournaled(db: AsyncDatabase[Document], name: str) -> AsyncCollection[Document]:
    """Collection `name` written without waiting for the journal, for three kinds of write only:

    - one a later journaled write to the same server follows before anyone is answered. The
      journal is one log in commit order, so flushing the later write flushes this one too:
      intake journals at its last round trip only (the report's claim goes unjournaled). Each
      journaled write waits for the journal's flush (on the embedded server with
      `embedded_mongodb_fsync`, an fsync under the collection's lock), and at 50 triggers/s the
      three queued behind each other (`onestop bench --api-load`);
    - one that can be rebuilt if a crash loses it (a projection, from Temporal);
    - a simulated agency's own registry, whose durability is the agency's business."""
    concern = {k: v for k, v in db.write_concern.document.items() if k != "j"}
    return db.get_collection(name, write_concern=WriteConcern(**concern, j=False))


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    """Idempotent; run by every process that writes, so a fresh database is ready at once."""
    await db.cases.create_index([("citizen_id", ASCENDING), ("created_at", DESCENDING)])
    await db.cases.create_index([("status", ASCENDING), ("updated_at", ASCENDING)])
    await db.agency_records.create_index("idempotency_key", unique=True)
    await db.agency_records.create_index([("agency", ASCENDING), ("case_id", ASCENDING)])
    await db.audit.create_index([("case_id", ASCENDING), ("_id", ASCENDING)])
    await db.data_uses.create_index([("citizen", ASCENDING), ("at", DESCENDING)])
    await db.data_uses.create_index([("case_id", ASCENDING), ("at", DESCENDING)])
    await db.consents.create_index([("citizen", ASCENDING), ("agency", ASCENDING)])
    await db.offers.create_index([("case_id", ASCENDING), ("created_at", ASCENDING)])
    await db.follow_ups.create_index("citizen_id")
    await db.notifications.create_index([("case_id", ASCENDING), ("due_at", ASCENDING)])
