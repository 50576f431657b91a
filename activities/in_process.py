"""An in-process agency adapter: answers at once, remembering replies by idempotency key.

For benchmarks that measure the engine alone, without an agency's HTTP stack and database.
"""

from __future__ import annotations

import hashlib

from activities.agency_client import AgencyReply, AgencyRequest


class InProcessAgencies:
    def __init__(self) -> None:
        self.replies: dict[str, AgencyReply] = {}

    async def call(self, agency: str, action: str, key: str, request: AgencyRequest) -> AgencyReply:
        if key not in self.replies:
            digest = hashlib.sha256(key.encode()).hexdigest()[:10]
            self.replies[key] = AgencyReply(reference=f"{agency[:3].upper()}-{digest}")
        return self.replies[key]
