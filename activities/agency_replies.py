"""What an agency's HTTP answer means to OneStop: one table, read by the connector that sorts the
answers (`activities/agency_client.py`) and by the OpenAPI document agencies implement
(`activities/agency_contract.py`), so the two cannot say different things.

Four outcomes. `done`: the step succeeded. `rejected`: the agency's final "no", never retried;
the case rolls back. `retry`: transient trouble, retried under the step's durable backoff for the
agency's `retry_for_hours`, then held for support. `misconfigured`: OneStop asked for something the
agency does not offer (the directory and the agency disagree): the step holds for support at once,
since neither a retry nor a rollback mends a configuration.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, Field


class Outcome(StrEnum):
    done = "done"
    rejected = "rejected"
    retry = "retry"
    misconfigured = "misconfigured"


REASON_CODE = r"^[a-z0-9_]{1,64}$"
"""A reason code: it enters Temporal histories, so it is a short token, never free text."""
_REASON = re.compile(REASON_CODE)


class ReplyRule(BaseModel):
    status: str = Field(description="an HTTP status, or a range as OpenAPI writes one (`4XX`)")
    outcome: Outcome
    codes: dict[str, Outcome] = Field(
        default_factory=dict, description="reason codes that mean another outcome at this status"
    )
    meaning: str


_CONFIGURATION = {"unknown_action": Outcome.misconfigured}

REPLIES: tuple[ReplyRule, ...] = (
    ReplyRule(
        status="2XX",
        outcome=Outcome.done,
        meaning="Done: the body is an AgencyReply (a repeated Idempotency-Key answers the first "
        "record again). A body that is not an AgencyReply is retried (`malformed_reply`).",
    ),
    ReplyRule(
        status="3XX",
        outcome=Outcome.misconfigured,
        meaning="A redirect, which OneStop does not follow: the agency's `base_url` in agencies.yaml "
        "is out of date; the step holds for support.",
    ),
    ReplyRule(
        status="401",
        outcome=Outcome.retry,
        meaning="OneStop's credentials were refused: retried while an operator mends them.",
    ),
    ReplyRule(
        status="403",
        outcome=Outcome.retry,
        meaning="OneStop's credentials were refused: retried while an operator mends them.",
    ),
    ReplyRule(
        status="404",
        outcome=Outcome.rejected,
        codes=_CONFIGURATION,
        meaning="With code `unknown_action`: the agency does not offer the action; the step holds "
        "for support as a configuration error. With any other code: a rejection.",
    ),
    ReplyRule(status="408", outcome=Outcome.retry, meaning="The agency timed out: retried."),
    ReplyRule(status="425", outcome=Outcome.retry, meaning="Too early: retried."),
    ReplyRule(
        status="429",
        outcome=Outcome.retry,
        meaning="Throttled: retried under the step's own backoff (a Retry-After header is welcome "
        "and harmless; OneStop's per-agency `actions_per_second` is how to slow it down for good).",
    ),
    ReplyRule(
        status="4XX",
        outcome=Outcome.rejected,
        codes=_CONFIGURATION,
        meaning="The agency's final rejection, never retried: the case rolls back. Give the reason "
        'as a code (`{"code": "address_outside_district"}`): it is all OneStop keeps.',
    ),
    ReplyRule(
        status="5XX",
        outcome=Outcome.retry,
        meaning="Transient trouble: retried durably, for the agency's `retry_for_hours`, then the "
        "step holds for support.",
    ),
)

NO_ANSWER = Outcome.retry
"""A timeout (`ONESTOP_AGENCY_TIMEOUT_SECONDS`) or a refused connection: the agency may be down."""


def rule_for(status: int) -> ReplyRule:
    """The row of `REPLIES` for `status`: its own row if it has one, else its range's."""
    exact = {r.status: r for r in REPLIES}
    found = exact.get(str(status)) or exact.get(f"{status // 100}XX")
    if found is None:  # 1xx: informational, never a final answer
        return ReplyRule(status=str(status), outcome=Outcome.retry, meaning="not an answer: retried")
    return found


def classify(status: int | None, code: str | None = None) -> Outcome:
    """What an answer with `status` (None: no answer) and reason `code` means."""
    if status is None:
        return NO_ANSWER
    rule = rule_for(status)
    return rule.codes.get(code or "", rule.outcome)


def reason_code(code: object) -> str | None:
    """`code` when it is a well-formed reason code, else None (OneStop then names the status)."""
    return code if isinstance(code, str) and _REASON.fullmatch(code) else None


def serving(status: int | None) -> bool:
    """What the health probe's answer says: any answer but a 5xx means the agency serves again."""
    return status is not None and status < 500
