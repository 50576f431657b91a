"""Targeted faults: make one agency, action or citizen fail a given number of times.

The first failure-injection tool, kept beside the per-agency behaviour
(`activities/simulator_behaviour.py`) because a test that needs one case's one step to fail,
and no other, says so most plainly with a fault: "reject tax_office for this citizen".
"""

from __future__ import annotations

import asyncio
from enum import StrEnum

from fastapi import HTTPException
from pydantic import BaseModel, Field


class FaultKind(StrEnum):
    reject = "reject"
    error = "error"
    delay = "delay"


class Fault(BaseModel):
    agency: str
    action: str | None = None
    subject: str | None = None
    kind: FaultKind
    times: int | None = Field(
        default=None, ge=1, description="how many calls it affects; None = until cleared"
    )
    delay_seconds: float = Field(default=0.0, ge=0, le=120)
    code: str = Field(default="injected_fault", pattern=r"^[a-z0-9_]{1,64}$", description="reason code")

    def matches(self, agency: str, action: str, subject: str) -> bool:
        return (
            self.agency == agency
            and self.action in (None, action)
            and self.subject in (None, subject)
            and (self.times is None or self.times > 0)
        )


async def inject(faults: list[Fault], agency: str, action: str, subject: str) -> None:
    """Apply every fault that matches the call, in the order they were added."""
    for fault in faults:
        if not fault.matches(agency, action, subject):
            continue
        if fault.times is not None:
            fault.times -= 1
        if fault.kind is FaultKind.delay:
            await asyncio.sleep(fault.delay_seconds)
        elif fault.kind is FaultKind.error:
            raise HTTPException(503, {"code": fault.code, "message": f"{agency} unavailable"})
        else:
            raise HTTPException(409, {"code": fault.code, "message": f"{agency} rejected the request"})


def agency_down(faults: list[Fault], agency: str) -> bool:
    """An error fault for every action and every citizen of `agency`: an outage of all of it."""
    return any(
        f.kind is FaultKind.error
        and f.agency == agency
        and f.action is None
        and f.subject is None
        and f.matches(agency, "", "")
        for f in faults
    )
