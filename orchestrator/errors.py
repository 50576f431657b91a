"""OneStop's error hierarchy; `api/problems.py` maps it to HTTP responses in one place.

OneStopError
├── DefinitionError      a life-event definition is invalid (.problems lists each one)
├── UnknownLifeEvent     no definition of that type in the catalog
├── InputError           citizen data does not match the definition (.field, .errors)
├── NotFound             no such resource, or not visible to the caller
│   └── CaseNotFound     no such case, or not visible to the caller
├── RateLimited          too many requests from one subject (.retry_after seconds)
├── IdempotencyConflict  an Idempotency-Key reused with a different request
├── CaseStateError       an operation the case's current state does not allow
├── Unauthenticated      no token, or a token that does not verify
├── Forbidden            a valid token whose role may not do this
│   └── ConsentMissing   a share by consent the citizen has not (or no longer) given
├── Unavailable          Temporal did not answer: retry (with the same Idempotency-Key)
├── SearchAttributeConflict  a OneStop search attribute is registered with another type
└── AgencyError          an agency answered with an error (.agency, .status, .code, .retryable)
"""

from __future__ import annotations

from orchestrator.suggest import did_you_mean


class OneStopError(Exception):
    """Base of every error OneStop raises on purpose."""


class DefinitionError(OneStopError):
    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


class UnknownLifeEvent(OneStopError):
    def __init__(self, type_: str, known: list[str] | None = None) -> None:
        self.type = type_
        self.known = sorted(known or [])
        super().__init__(f"unknown life event type {type_!r}{did_you_mean(type_, self.known)}")


class InputError(OneStopError):
    """Bad input: the first bad field, and in `errors` every one (a form shows them all at once)."""

    def __init__(self, field: str, message: str, more: list[tuple[str, str]] | None = None) -> None:
        self.field = field
        self.message = message
        self.errors = [(field, message), *(more or [])]
        also = f" (and {len(more)} more field(s): see errors)" if more else ""
        super().__init__(f"{field}: {message}{also}")


class NotFound(OneStopError):
    """A resource that does not exist, or that the caller may not know exists."""


class RateLimited(OneStopError):
    def __init__(self, what: str, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many {what}: retry after {retry_after} s")


class CaseNotFound(NotFound):
    def __init__(self, case_id: str) -> None:
        self.case_id = case_id
        super().__init__(f"case {case_id} not found")


class IdempotencyConflict(OneStopError):
    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"Idempotency-Key {key!r} was used for a different request")


class CaseStateError(OneStopError):
    def __init__(self, case_id: str, message: str) -> None:
        self.case_id = case_id
        super().__init__(f"case {case_id}: {message}")


class Unauthenticated(OneStopError):
    pass


class Forbidden(OneStopError):
    pass


class ConsentMissing(Forbidden):
    """The step shares by consent and the citizen's consents do not cover its fields: the
    workflow asks the citizen (a question on the step) instead of failing."""

    def __init__(self, agency: str, action: str, missing: list[str]) -> None:
        self.agency = agency
        self.action = action
        self.missing = missing
        super().__init__(f"no consent to share {', '.join(missing)} with {agency}.{action}")


class Unavailable(OneStopError):
    pass


class SearchAttributeConflict(OneStopError):
    """Only an operator can fix this (the server keeps an attribute's first type), so setup
    stops and names each conflict instead of registering around it."""

    def __init__(self, namespace: str, conflicts: list[str]) -> None:
        self.namespace = namespace
        self.conflicts = conflicts
        super().__init__(f"namespace {namespace}: " + "; ".join(conflicts))


# Failure types an agency activity raises; the workflow reads them to tell a refusal (nothing
# held at the agency, never retried) from an outage (retried durably, and possibly held), and
# from faults no retry can cure (support must act: the step holds at once).
AGENCY_REJECTED = "AgencyRejected"
AGENCY_UNAVAILABLE = "AgencyUnavailable"
AGENCY_MISCONFIGURED = "AgencyMisconfigured"
DATA_MISSING = "DataMissing"
CONSENT_MISSING = "ConsentMissing"  # the citizen is asked; the call is made once they consent
# The type of a workflow's refusal of a command (an Update validator): the API answers 409.
COMMAND_REFUSED = "CommandRefused"


class AgencyError(OneStopError):
    """An agency's refusal or failure, told by a reason code: an agency's free text may echo
    the personal data it was sent, and this message reaches Temporal histories and logs."""

    def __init__(self, agency: str, status: int, code: str, *, retryable: bool) -> None:
        self.agency = agency
        self.status = status
        self.code = code
        self.retryable = retryable
        super().__init__(f"{agency} answered {status or 'nothing'} ({code})")
