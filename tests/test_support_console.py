"""The support console at /support, in Debian's Chromium against the session's real stack: sign
in with a support token (a citizen's is refused), find a case stuck on a failing agency, turn
the failure off, retry it from its page and see it complete; bulk retry with its dry run first.
axe-core finds no serious or critical violation on any screen, and a phone's width needs no
sideways scrolling.

`pytest tests/test_support_console.py --screenshots docs/screenshots` saves the README's screens.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from orchestrator.auth import Principal, Role, issue_token
from orchestrator.settings import Settings
from tests.browser import check_screen, serious_violations
from tests.support import IMPATIENT_MOVE, CaseWatcher, add_definition

MOVER = {"citizen_name": "Ana Lima", "new_address": "12 Rua das Flores"}
STEP = "register_residence"


def token(stack: Settings, role: Role, sub: str) -> str:
    return issue_token(Principal(role=role, sub=sub), stack.jwt_secret, 600)


async def sign_in(page: Page, value: str) -> None:
    await page.goto("/support/sign-in")
    await page.get_by_label("Support token").fill(value)
    await page.get_by_role("button", name="Sign in").click()


async def stuck_case(watcher: CaseWatcher, stack: Settings, citizen: str, code: str) -> str:
    """A case whose residence registry keeps failing with `code` until the faults are cleared:
    two tries, then the step holds for support."""
    add_definition(stack.catalog_path, "impatient_move", IMPATIENT_MOVE)
    await watcher.fault(agency="residence_registry", subject=citizen, kind="error", code=code)
    case_id = await watcher.start(citizen, "impatient_move", MOVER)
    await watcher.wait(citizen, case_id, {"needs_attention"})
    return case_id


async def test_sign_in_refuses_a_citizen_token(page: Page, stack: Settings, screenshots: Path | None) -> None:
    await page.goto("/support/cases")
    assert page.url.endswith("/support/sign-in?next=/support/cases")
    await check_screen(page, "sign-in", screenshots)
    await page.get_by_label("Support token").fill(token(stack, Role.citizen, "c-1"))
    await page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("this is a citizen token")
    await expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    assert [c for c in await page.context.cookies() if c["name"] == "onestop_support"] == []
    await check_screen(page, "sign-in-refused", None)


async def test_forms_need_their_csrf_token_and_the_session_cookie_is_strict(
    http: httpx.AsyncClient, stack: Settings
) -> None:
    support = token(stack, Role.support, "alice")
    forged = await http.post("/support/sign-in", data={"token": support})
    assert forged.status_code == 403
    form = await http.get("/support/sign-in")
    csrf = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    wrong = await http.post("/support/sign-in", data={"token": support, "csrf_token": csrf[::-1]})
    assert wrong.status_code == 403
    signed = await http.post("/support/sign-in", data={"token": support, "csrf_token": csrf})
    assert signed.status_code == 303 and signed.headers["location"] == "/support/cases"
    cookie = signed.headers["set-cookie"].lower()
    assert "onestop_support=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    assert "path=/support" in cookie and "secure" not in cookie  # plain HTTP on loopback only
    out = await http.post("/support/sign-out", data={"csrf_token": csrf})
    assert out.status_code == 303 and 'onestop_support=""' in out.headers["set-cookie"]


async def test_support_retries_a_case_stuck_on_a_failing_agency(
    page: Page,
    stack: Settings,
    watcher: CaseWatcher,
    citizen: str,
    simulators: httpx.AsyncClient,
    screenshots: Path | None,
) -> None:
    code = f"outage_{uuid.uuid4().hex[:8]}"
    case_id = await stuck_case(watcher, stack, citizen, code)
    await sign_in(page, token(stack, Role.support, "alice"))
    await expect(page.get_by_role("heading", name="Cases")).to_be_visible()

    await page.get_by_label("Agency").select_option("residence_registry")
    await page.get_by_label("Error code").fill(code)
    await page.get_by_role("button", name="Filter cases").click()
    row = page.locator("tr", has_text=case_id)
    await expect(row).to_contain_text("needs attention")
    await expect(row).to_contain_text(code)
    await check_screen(page, "stuck-list", screenshots)

    await row.get_by_role("link", name=case_id).click()
    await expect(page.get_by_role("heading", name=f"Case {case_id}")).to_be_visible()
    await check_screen(page, "case-page", screenshots, whole=True)

    assert (await simulators.delete("/admin/faults")).status_code == 204  # the agency recovers
    await page.get_by_text("Retry a step").click()
    await page.locator("#retry-reason").fill("agency_recovered")
    await page.get_by_role("button", name="Retry step").click()
    await expect(page.locator(".govuk-notification-banner")).to_contain_text(f"Retry sent: {STEP}")
    await check_screen(page, "action-result", None)

    assert (await watcher.wait(citizen, case_id))["status"] == "completed"
    await page.get_by_role("link", name=f"Back to case {case_id}").click()
    await expect(page.locator(".govuk-summary-list").first).to_contain_text("completed")
    await expect(page.locator("#audit ~ div table")).to_contain_text("alice")

    await page.get_by_text("Skip a step").click()  # a finished case refuses: the 409's words
    await page.locator("#skip-reason").fill("not_needed")
    await page.get_by_role("button", name="Skip step").click()
    await expect(page.locator(".govuk-error-summary")).to_be_visible()
    await expect(page.locator(".govuk-notification-banner")).to_have_count(0)


async def test_an_action_without_a_reason_names_the_field(
    page: Page, stack: Settings, watcher: CaseWatcher, citizen: str, simulators: httpx.AsyncClient
) -> None:
    case_id = await stuck_case(watcher, stack, citizen, f"outage_{uuid.uuid4().hex[:8]}")
    await sign_in(page, token(stack, Role.support, "bob"))
    await page.goto(f"/support/cases/{case_id}")
    await page.get_by_text("Retry a step").click()
    await page.get_by_role("button", name="Retry step").click()
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("Reason")
    await summary.get_by_role("link").first.click()
    await expect(page.locator("#retry-reason")).to_be_focused()
    assert await serious_violations(page) == []
    assert (await simulators.delete("/admin/faults")).status_code == 204
    await page.locator("#retry-reason").fill("agency_recovered")
    await page.get_by_role("button", name="Retry step").click()
    assert (await watcher.wait(citizen, case_id))["status"] == "completed"


async def test_bulk_retry_lists_the_cases_first_then_reports_each(
    page: Page,
    stack: Settings,
    watcher: CaseWatcher,
    citizen: str,
    simulators: httpx.AsyncClient,
    screenshots: Path | None,
) -> None:
    code = f"outage_{uuid.uuid4().hex[:8]}"
    cases = [await stuck_case(watcher, stack, citizen, code) for _ in range(2)]
    await sign_in(page, token(stack, Role.support, "carol"))
    await page.get_by_role("link", name="Bulk actions").click()
    await page.locator("#filter-error").fill(code)
    await page.get_by_label("Action").select_option("retry")
    await page.get_by_label("Step to act on").fill(STEP)
    await page.get_by_label("Reason code").fill("agency_recovered")
    await page.get_by_role("button", name="Dry run").click()
    table = page.locator("table")
    for case_id in cases:
        await expect(table.locator("tr", has_text=case_id)).to_contain_text("planned")
    await check_screen(page, "bulk-dry-run", None)

    assert (await simulators.delete("/admin/faults")).status_code == 204
    await page.get_by_role("button", name="Apply to 2 cases").click()
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("Applied to 2 of 2 cases")
    for case_id in cases:
        await expect(table.locator("tr", has_text=case_id)).to_contain_text("applied")
    await check_screen(page, "bulk-report", screenshots)
    for case_id in cases:
        assert (await watcher.wait(citizen, case_id))["status"] == "completed"
