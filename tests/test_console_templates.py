"""The console's templates render the support models as GOV.UK components, escape what people
and agencies wrote, and reference no GOV.UK-only asset (crown, crest, GDS Transport). Rendered
from hand-made models: the pages' behaviour is tested through the real stack in
test_support_console.py."""

from __future__ import annotations

from datetime import UTC, datetime

from api.console.actions import ACTIONS
from api.console.forms import ActionForm, parse_filter
from api.pages.rendering import environment
from orchestrator.auth import Principal, Role
from orchestrator.cases import CaseStatus, CaseView, StepStatus, StepView, TimelineEntry, WaitingFor
from orchestrator.support_models import (
    ActivitySummary,
    AuditEntry,
    BulkOutcome,
    BulkReport,
    HistorySummary,
    StuckCode,
    StuckReason,
    SupportCase,
    SupportCaseDetail,
    SupportCaseList,
    SupportFilter,
)

AT = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
STAFF = Principal(role=Role.support, sub="alice")
REASON = StuckReason(
    code=StuckCode.needs_attention,
    step="register_residence",
    agency="residence_registry",
    detail="<script>alert(1)</script> retries exhausted",
    since=AT,
    last_error="injected_fault",
    attempts=2,
)
CASE = CaseView(
    case_id="c-1",
    type="impatient_move",
    version=1,
    status=CaseStatus.needs_attention,
    steps=[
        StepView(
            id="register_residence",
            agency="residence_registry",
            status=StepStatus.needs_attention,
            waiting_for=WaitingFor.support,
            waiting_since=AT,
            attempts=2,
            last_error="injected_fault",
            attention="retries exhausted",
        )
    ],
    timeline=[TimelineEntry(at=AT, event="step_held", step="register_residence", detail="retries exhausted")],
    created_at=AT,
    updated_at=AT,
)
COMMON = {
    "staff": STAFF,
    "errors": [],
    "csrf_field": "csrf_token",
    "csrf_token": "t0ken",
    "assetPath": "/assets",
}
OPTIONS = {
    "type": ["impatient_move"],
    "agency": ["residence_registry"],
    "status": ["running"],
    "waiting_for": [],
}


def render(name: str, **context: object) -> str:
    return environment().get_template(name).render({**COMMON, **context})


def test_the_case_page_shows_every_part_and_escapes_text() -> None:
    detail = SupportCaseDetail(
        case=CASE,
        reasons=[REASON],
        history=HistorySummary(
            run_id="run-1",
            workflow_status="RUNNING",
            events=20,
            activities=[
                ActivitySummary(step="register_residence", activity="call_agency", scheduled=2, failed=2)
            ],
        ),
        audit=[
            AuditEntry(
                seq=1,
                at=AT,
                subject="alice",
                role="support",
                action="read_case",
                case_id="c-1",
                outcome="ok",
                prev_hash="",
                hash="h1",
            )
        ],
    )
    html = render(
        "support/case_page.html",
        title="Case c-1",
        detail=detail,
        case=CASE,
        actions=ACTIONS,
        default_step="register_residence",
        sent={},
    )
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    for text in (
        "Why this case needs a person",
        "Steps",
        "Timeline",
        "Temporal history",
        "Audit trail",
        "call_agency",
        "injected_fault",
        "govuk-tag--red",
        'value="t0ken"',
    ):
        assert text in html, text
    assert html.count('name="verb"') == len(ACTIONS)
    assert '<option value="register_residence" selected>' in html


def test_the_case_list_and_bulk_report_render_their_rows() -> None:
    support_filter, errors = parse_filter({})
    assert support_filter.stuck and errors == []
    row = SupportCase(
        case_id="c-1",
        type="impatient_move",
        version=1,
        status=CaseStatus.needs_attention,
        created_at=AT,
        updated_at=AT,
        reasons=[REASON],
    )
    html = render(
        "support/case_list.html",
        title="Cases",
        fields={"stuck": "true"},
        filter=support_filter,
        options=OPTIONS,
        found=SupportCaseList(data=[row], count=1),
        page=1,
        previous_url=None,
        next_url=None,
        pages_total=1,
    )
    assert 'href="/support/cases/c-1"' in html and "2 attempts" in html and "checked" in html
    report = BulkReport(
        batch_id="b-1",
        action="retry",
        step="register_residence",
        dry_run=True,
        matched=1,
        at=AT,
        results=[BulkOutcome(case_id="c-1", outcome="planned")],
    )
    html = render(
        "support/bulk.html",
        title="Dry run",
        fields={"action": "retry", "filter-error": "x"},
        filter_query={"filter-error": "x"},
        options=OPTIONS,
        actions=ACTIONS,
        report=report,
    )
    assert "Apply to 1 case" in html
    assert 'name="dry_run" value="false"' in html and 'name="filter-error" value="x"' in html


def test_a_refused_action_shows_the_workflows_words() -> None:
    html = render(
        "support/action_result.html",
        title="Skip a step",
        case_id="c-1",
        action=ACTIONS[1],
        form=ActionForm(verb="skip", step="register_residence", reason="not_needed"),
        errors=[{"text": "case c-1: step register_residence is succeeded"}],
    )
    assert "govuk-error-summary" in html and "is succeeded" in html and "notification-banner" not in html


def test_pages_reference_no_gov_uk_only_asset() -> None:
    html = render("support/sign_in.html", title="Sign in", next="/support/cases", signed_out=False)
    for banned in ("crown", "crest", "GDS Transport", "favicon", "govuk-header__logo"):
        assert banned not in html, banned
    assert SupportFilter().stuck is False
