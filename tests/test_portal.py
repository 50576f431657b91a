"""The citizen portal at /, in Debian's Chromium against the session's real stack: a birth
registration from the form to completed. A test citizen signs in, picks the life event, sends
the form empty first (every missing field in the error summary, its links moving the focus),
then filled in; while the case page is open the civil registry asks for the certificate number
through its work list, the question appears on the page without a reload, the citizen answers,
the registry completes its review through the API, and the page shows the case completed. Then
their cases, the data-use log, the consents and the profile (the child added). axe-core finds no serious or
critical violation on any screen, and a phone's width needs no sideways scrolling.

`pytest tests/test_portal.py --screenshots docs/screenshots` saves the README's screens.
"""

from __future__ import annotations

import re
from pathlib import Path

import jwt
from playwright.async_api import Page, expect

from tests.browser import check_screen
from tests.support import CaseWatcher
from tests.test_work_list_api import REVIEW, TASKS, officer, task_in

LIVE = 60_000
"""How long (ms) the page may take to show what the case reached: the script polls every 3 s."""


async def fill_birth(page: Page) -> None:
    await page.get_by_label("Child's full name").fill("Minh Anh Nguyen")
    birth = page.get_by_role("group", name="Child's date of birth")
    await birth.get_by_label("Day").fill("20")
    await birth.get_by_label("Month").fill("11")
    await birth.get_by_label("Year").fill("2026")
    await page.get_by_label("Place of birth (hospital or address)").fill("Hanoi Obstetrics Hospital")
    await page.get_by_label("Full name of the parent registering the birth").fill("Thi Lan Nguyen")
    await page.get_by_label("Parent's permanent address (the child's residence)").fill("15 Hang Bai, Hanoi")
    await page.get_by_role("group", name="Apply for the child benefit").get_by_label("No").check()


async def test_a_birth_registration_from_the_form_to_completed(
    page: Page, watcher: CaseWatcher, screenshots: Path | None
) -> None:
    await page.goto("/")
    await check_screen(page, "portal-signed-out", None)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("button", name="Sign in as a test citizen").click()
    await expect(page.get_by_role("heading", name="What has happened?")).to_be_visible()
    await check_screen(page, "portal-start", screenshots)

    await page.get_by_role("link", name="Birth registration").click()
    await expect(page.get_by_role("heading", name="Birth registration", level=1)).to_be_visible()
    await check_screen(page, "portal-form", None)
    await page.get_by_role("button", name="Send").click()
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("Enter child's full name")
    await expect(summary).to_contain_text("Enter place of birth")
    await expect(page).to_have_title(re.compile(r"^Error: Birth registration"))
    await summary.get_by_role("link", name="Enter child's date of birth").click()
    await expect(page.locator("#child_birth_date-day")).to_be_focused()
    await check_screen(page, "portal-form-errors", screenshots, phone_shot=True, desktop_shot=False)

    await fill_birth(page)
    await page.get_by_role("button", name="Send").click()
    await expect(page.get_by_role("heading", name="Birth registration", level=1)).to_be_visible()
    case_id = page.url.rsplit("/", 1)[1]
    await expect(page.locator(".govuk-task-list")).to_contain_text("Civil status registry")
    sub = await citizen_of(page)
    await watcher.wait_step(sub, case_id, REVIEW, "agency")

    asked = await watcher.http.post(
        f"{TASKS}/{case_id}/{REVIEW}:request-input",
        json={"fields": ["medical_certificate_number"]},
        headers=officer(watcher),
    )
    assert asked.status_code == 200, asked.text
    question = page.get_by_label("Number of the hospital's medical birth certificate")
    await expect(question).to_be_visible(timeout=LIVE)  # swapped in by the follow script, no reload
    await expect(page.locator("#case-status")).to_contain_text("Waiting")
    await check_screen(page, "portal-question", screenshots)
    await question.fill("MC-2026-118")
    await page.get_by_role("button", name="Send answer").click()
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("Your answer was sent")

    await task_in(watcher, case_id, "open")
    done = await watcher.http.post(f"{TASKS}/{case_id}/{REVIEW}:complete", headers=officer(watcher))
    assert done.status_code == 200, done.text
    await expect(page.locator("#case-status")).to_contain_text("Completed", timeout=LIVE)
    await expect(page.locator("#case-progress")).not_to_have_attribute("data-follow", "open", timeout=LIVE)
    await expect(page.get_by_text("Cancel this case")).to_have_count(0)
    await check_screen(page, "portal-case", screenshots, phone_shot=True)

    # The parents did not apply for the child benefit with the birth: it is offered, pre-filled;
    # the bank account is the one thing neither the birth nor the profile knows, so it is asked.
    offer = page.locator("#offer-child_benefit")
    await expect(offer).to_contain_text("Apply for the child benefit")
    await offer.get_by_role("button", name="Accept: Apply for the child benefit").click()
    account = page.get_by_label("Bank account the benefit is paid to")
    await expect(account).to_be_visible()
    await expect(page.locator(".govuk-error-summary")).to_contain_text("Enter bank account")
    await check_screen(page, "portal-offer", screenshots)
    await account.fill("VN12 3456 7890")
    await (
        page.locator("#offer-child_benefit")
        .get_by_role("button", name="Accept: Apply for the child benefit")
        .click()
    )
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("You accepted the offer")
    await expect(page.get_by_role("heading", name="Child benefit", level=1)).to_be_visible()
    await expect(page.locator("#case-progress")).to_contain_text(f"case {case_id}")
    await expect(page.locator("#case-status")).to_contain_text("Completed", timeout=LIVE)
    await page.get_by_role("link", name="Reminders").click()
    await expect(page.get_by_role("heading", name="Your reminders")).to_be_visible()
    await expect(page.locator("main")).to_contain_text("Vaccinations at 2 months", timeout=LIVE)
    await check_screen(page, "portal-reminders", None)

    await page.get_by_role("link", name="Your cases").click()
    await expect(page.locator("table")).to_contain_text("Completed")
    await check_screen(page, "portal-cases", None)
    await page.get_by_role("link", name="Data use").click()
    await expect(page.locator("table")).to_contain_text("Civil status registry")
    await check_screen(page, "portal-data-use", screenshots, phone_shot=True, desktop_shot=False)
    await page.get_by_role("link", name="Consents").click()
    await expect(page.get_by_role("heading", name="Your consents")).to_be_visible()
    await check_screen(page, "portal-consents", None)
    await page.get_by_role("link", name="Profile").click()
    await expect(page.locator("main")).to_contain_text(
        "Minh Anh Nguyen"
    )  # the completed birth added the child
    await check_screen(page, "portal-profile", None)

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("You are signed out")
    await page.goto(f"/cases/{case_id}")
    assert "/sign-in?next=" in page.url


async def citizen_of(page: Page) -> str:
    """The test citizen the portal minted, read back from the session cookie's token."""
    cookie = next(c for c in await page.context.cookies() if c["name"] == "onestop_citizen")
    claims = jwt.decode(cookie["value"], options={"verify_signature": False})
    sub: str = claims["sub"]
    return sub
