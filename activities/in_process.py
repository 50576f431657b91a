"""An in-process agency adapter: answers at once, remembering replies by idempotency key.

For benchmarks that measure the engine alone, without an agency's HTTP stack and database.
"""

from __future__ import annotations

from activities.agency_client import AgencyReply, AgencyRequest, agency_reference


class InProcessAgencies:
    def __init__(self) -> None:
        self.replies: dict[str, AgencyReply] = {}

    async def call(self, agency: str, action: str, key: str, request: AgencyRequest) -> AgencyReply:
        if key not in self.replies:
            self.replies[key] = AgencyReply(reference=agency_reference(agency, key))
        return self.replies[key]
