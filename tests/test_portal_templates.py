"""The portal's forms and templates without a stack: a JSON Schema becomes GOV.UK fields (text,
number, a date input, yes/no radios) pre-filled from a profile; what the browser sends is read
back into typed JSON; the API's 422 is marked field by field; the case page escapes what
agencies wrote, follows only an open case, and no page references a GOV.UK-only asset. The
pages' behaviour through the real stack is in test_portal_pages.py and test_portal.py."""

from __future__ import annotations

from datetime import UTC, date, datetime

from api.pages.rendering import environment
from api.portal.case_panels import CasePanels
from api.portal.schema_form import SchemaForm
from orchestrator.auth import Principal, Role
from orchestrator.cases import CaseStatus, CaseView, StepStatus, StepView, TimelineEntry, WaitingFor
from orchestrator.problem_details import FieldProblem, Problem
from orchestrator.profile import CitizenProfile

AT = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
SCHEMA = {
    "properties": {
        "child_name": {"type": "string", "title": "Child's full name"},
        "child_birth_date": {"type": "string", "format": "date", "title": "Child's date of birth"},
        "parent_name": {"type": "string", "title": "Parent's name", "x-onestop-profile": "name"},
        "children": {"type": "integer", "title": "Children", "default": 0},
        "benefit": {"type": "boolean", "title": "Apply for the benefit", "default": True},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None, "title": "Note"},
    },
    "required": ["child_name", "child_birth_date", "parent_name"],
}
COMMON = {"errors": [], "csrf_field": "csrf_token", "csrf_token": "t0ken", "assetPath": "/assets"}


def render(name: str, **context: object) -> str:
    return environment().get_template(name).render({**COMMON, **context})


def test_a_schema_becomes_fields_prefilled_from_the_profile() -> None:
    form = SchemaForm(SCHEMA, prefix="f-")
    profile = CitizenProfile(name="Thi Lan", date_of_birth=date(1990, 1, 2))
    values = form.initial(profile)
    fields = {f.name: f for f in form.fields(values, profile=profile)}
    assert [n for n, f in fields.items() if f.prefilled] == ["parent_name"]
    assert not any(f.prefilled for f in form.fields(form.initial(CitizenProfile()), profile=CitizenProfile()))
    assert [fields[n].kind for n in SCHEMA["properties"]] == [
        "text",
        "date",
        "text",
        "integer",
        "boolean",
        "text",
    ]
    assert (fields["parent_name"].value, fields["parent_name"].profile) == ("Thi Lan", "name")
    assert (fields["children"].value, fields["benefit"].value, fields["note"].value) == ("0", "true", "")
    assert fields["child_birth_date"].href == "#f-child_birth_date-day" and fields["note"].required is False
    html = render(
        "portal/life_event_form.html",
        title="Birth",
        type="birth",
        fields=list(fields.values()),
        key_field="idempotency_key",
        key="k" * 32,
        citizen=None,
        description="",
    )
    assert 'name="child_birth_date-day"' in html and 'id="f-benefit"' in html and "(optional)" in html
    assert "From your profile" in html and 'value="Thi Lan"' in html


def test_what_the_browser_sends_is_read_back_typed() -> None:
    form = SchemaForm(SCHEMA)
    sent = {
        "child_name": " Minh ",
        "child_birth_date-day": "5",
        "child_birth_date-month": "3",
        "child_birth_date-year": "2026",
        "children": "2",
        "benefit": "false",
        "note": "",
    }
    assert form.read(sent) == {
        "child_name": "Minh",
        "child_birth_date": "2026-03-05",
        "children": 2,
        "benefit": False,
    }
    odd = form.read({"child_birth_date-day": "x", "child_birth_date-year": "2026", "children": "two"})
    assert odd == {"child_birth_date": "2026--x", "children": "two"}  # sent as typed: the API names them


def test_the_apis_422_is_marked_on_each_field_it_names() -> None:
    problem = Problem(
        type="urn:onestop:problem:invalid-input",
        title="Unprocessable Content",
        status=422,
        detail="Field required",
        errors=[
            FieldProblem(field="data.child_name", message="Field required"),
            FieldProblem(field="data.child_birth_date", message="Input should be a valid date"),
            FieldProblem(field="data.benefit", message="Field required"),
            FieldProblem(field="header.Idempotency-Key", message="String should match pattern"),
        ],
    )
    by_field, summary = SchemaForm(SCHEMA).errors(problem)
    assert by_field == {
        "child_name": "Enter child's full name",
        "child_birth_date": "Child's date of birth must be a real date",
        "benefit": "Apply for the benefit: select yes or no",
    }
    assert [e.get("href") for e in summary] == ["#child_name", "#child_birth_date-day", "#benefit", None]
    plain = problem.model_copy(update={"errors": None, "detail": "case c-1 is completed"})
    assert SchemaForm(SCHEMA).errors(plain) == ({}, [{"text": "case c-1 is completed"}])


def test_the_case_page_escapes_what_agencies_wrote_and_follows_only_an_open_case() -> None:
    step = StepView(
        id="review",
        agency="civil_registry",
        title="<script>alert(1)</script> review",
        agency_title="Civil status registry",
        status=StepStatus.waiting,
        waiting_for=WaitingFor.agency,
    )
    case = CaseView(
        case_id="c-1",
        type="birth_registration",
        version=1,
        status=CaseStatus.waiting,
        steps=[step],
        timeline=[TimelineEntry(at=AT, event="step_waiting", step="review", detail="<b>x</b>")],
        created_at=AT,
        updated_at=AT,
    )
    context = {
        "title": "Birth registration",
        "citizen": Principal(role=Role.citizen, sub="c"),
        "case": case,
        "open": True,
        "questions": [],
        "panels": CasePanels(),
        "live_key": "k",
        "actions_key": "a",
        "done": "",
    }
    html = render("portal/case_page.html", **context)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "With the agency" in html and "Civil status registry" in html and "data-follow" in html
    assert "Cancel case" in html and "/assets/follow.mjs" in html
    closed = render(
        "portal/case_page.html",
        **{**context, "open": False, "case": case.model_copy(update={"status": CaseStatus.completed})},
    )
    assert "data-follow" not in closed and "Cancel case" not in closed and "Completed" in closed


def test_portal_pages_reference_no_gov_uk_only_asset() -> None:
    html = render(
        "portal/sign_in.html", title="Sign in", next="/", signed_out=False, test_citizen=True, citizen=None
    )
    html += render("portal/start.html", title="Start", events=[], citizen=None)
    for banned in ("crown", "crest", "GDS Transport", "favicon", "govuk-header__logo"):
        assert banned not in html, banned
