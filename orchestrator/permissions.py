"""Who may do what, in one table: each route names one permission, each permission the roles
that hold it. Object-level rules sit beside the table (a citizen's own case, an agency's own
step) and are enforced where the object is loaded (`CaseCommands`). A route without a permission
must be listed in `PUBLIC`; a test enumerates every route of the app and fails otherwise, so a
new route cannot ship open by accident.
"""

from __future__ import annotations

from enum import StrEnum

from orchestrator.auth import Role


class Permission(StrEnum):
    report_life_event = "report_life_event"
    list_own_cases = "list_own_cases"
    read_case = "read_case"  # object: a citizen reads only their own case
    cancel_case = "cancel_case"  # object: a citizen cancels only their own case
    answer_step = "answer_step"  # object: the citizen's own case, a step waiting for them
    decide_step = "decide_step"  # object: a step addressed to the caller's agency (else 404)
    fetch_step_data = "fetch_step_data"  # object: the caller's agency's step, its call running now
    agency_tasks = "agency_tasks"  # object: the caller's agency's own review tasks (else 404)
    own_profile = "own_profile"  # object: the caller's own profile (by their pseudonym)
    own_data_uses = "own_data_uses"  # object: the shares of the caller's own data
    own_consents = "own_consents"  # object: the caller's own consents (by their pseudonym)
    answer_offer = "answer_offer"  # object: an offer on the caller's own case (else 404)
    own_follow_ups = "own_follow_ups"  # object: the follow-ups of the caller's own cases (else 404)
    read_catalog = "read_catalog"
    validate_definition = "validate_definition"
    try_definition = "try_definition"  # a dry run on sample data: no agency is called
    diff_definitions = "diff_definitions"  # versions of a life event, and the open cases on each
    support_cases = "support_cases"  # find, read (audited), act, bulk
    decode_payloads = "decode_payloads"  # the Temporal UI's codec


_EVERYONE = frozenset(Role)

MATRIX: dict[Permission, frozenset[Role]] = {
    Permission.report_life_event: frozenset({Role.citizen}),
    Permission.list_own_cases: frozenset({Role.citizen}),
    Permission.read_case: frozenset({Role.citizen, Role.support}),
    Permission.cancel_case: frozenset({Role.citizen, Role.support}),
    Permission.answer_step: frozenset({Role.citizen}),
    Permission.decide_step: frozenset({Role.agency}),
    Permission.fetch_step_data: frozenset({Role.agency}),
    Permission.agency_tasks: frozenset({Role.agency}),
    Permission.own_profile: frozenset({Role.citizen}),
    Permission.own_data_uses: frozenset({Role.citizen}),
    Permission.own_consents: frozenset({Role.citizen}),
    Permission.answer_offer: frozenset({Role.citizen}),
    Permission.own_follow_ups: frozenset({Role.citizen}),
    Permission.read_catalog: _EVERYONE,
    Permission.validate_definition: frozenset({Role.designer}),
    Permission.try_definition: frozenset({Role.designer}),
    Permission.diff_definitions: frozenset({Role.designer}),
    Permission.support_cases: frozenset({Role.support}),
    Permission.decode_payloads: frozenset({Role.support}),
}

PUBLIC: frozenset[str] = frozenset(
    {
        *("/healthz", "/readyz", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"),
        *("/support", "/support/sign-in", "/support/sign-out"),
        *("/", "/sign-in", "/sign-in/test-citizen", "/sign-out"),
        "/v1/agency/contract/openapi.json",
    }
)
"""Paths served without a token: probes, the API's own documentation (and the contract agencies
implement), and the way in to the support console and to the citizen portal (whose start page
says what the service does)."""


def allows(role: Role, permission: Permission) -> bool:
    return role in MATRIX[permission]
