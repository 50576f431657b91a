"""The MongoDB connection (PyMongo's async API) and the indexes every query relies on."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

Document = dict[str, Any]


def connect(url: str) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(url, tz_aware=True, serverSelectionTimeoutMS=10_000)


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    """Idempotent; run by every process that writes, so a fresh database is ready at once."""
    await db.cases.create_index([("citizen_id", ASCENDING), ("created_at", DESCENDING)])
    await db.cases.create_index([("status", ASCENDING), ("updated_at", ASCENDING)])
    await db.agency_records.create_index("idempotency_key", unique=True)
    await db.agency_records.create_index([("agency", ASCENDING), ("case_id", ASCENDING)])
