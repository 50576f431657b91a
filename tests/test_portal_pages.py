"""The citizen portal's pages and forms over real HTTP, each way they can refuse: signing in
(blank, forged, another role's token, no CSRF token, an open redirect), a page without a
session, a life event's form (pre-filled from the profile; every missing field marked at once;
a date that is not one; sent twice, one case), a case that is another citizen's, a question not
asked or answered badly, a cancel the case refuses, a cursor the API does not know, a profile
change the API refuses. The browser journeys are in test_portal.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from orchestrator.auth import Principal, Role, issue_token
from orchestrator.settings import Settings
from tests.conftest import TokenFactory
from tests.support import MOVE, CaseWatcher, console_sign_in, csrf_of
from tests.test_consent import DATA as CONSENT_DATA
from tests.test_consent import consented
from tests.test_life_events_e2e import BIRTH
from tests.test_work_list_api import REVIEW, officer, open_review

__all__ = ["consented"]  # the consent tests' fixture: their life event with a step by consent

BIRTH_FORM = {
    "child_name": BIRTH["child_name"],
    "child_birth_date-day": "20",
    "child_birth_date-month": "11",
    "child_birth_date-year": "2026",
    "birth_place": BIRTH["birth_place"],
    "parent_name": BIRTH["parent_name"],
    "parent_address": BIRTH["parent_address"],
    "apply_for_child_benefit": "false",
}


def token(stack: Settings, sub: str, role: Role = Role.citizen) -> str:
    return issue_token(Principal(role=role, sub=sub), stack.jwt_secret, 600, stack.token_rules)


@pytest.fixture
async def browser_like(stack: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client that keeps cookies, as a browser does; redirects are looked at, not followed."""
    async with httpx.AsyncClient(base_url=f"http://{stack.api_host}:{stack.api_port}", timeout=30) as client:
        yield client


async def signed_in(client: httpx.AsyncClient, stack: Settings, citizen: str) -> str:
    csrf, _ = await console_sign_in(client, token(stack, citizen), prefix="")
    return csrf


def summary(page: httpx.Response) -> str:
    """The error summary's text (empty when the page has none)."""
    if "govuk-error-summary" not in page.text:
        return ""
    return page.text.split('class="govuk-error-summary"')[1].split("</div>\n</div>")[0]


async def test_signing_in_refuses_what_it_must_and_keeps_a_strict_cookie(
    browser_like: httpx.AsyncClient, stack: Settings, citizen: str
) -> None:
    start = await browser_like.get("/")
    assert start.status_code == 200 and 'href="/sign-in"' in start.text and "/life-events/" not in start.text
    assert (await browser_like.post("/sign-in", data={"token": token(stack, citizen)})).status_code == 403
    csrf = await csrf_of(browser_like, "/sign-in")
    cases: list[tuple[str, int, str]] = [
        ("", 400, "Enter a citizen token"),
        ("not-a-token", 401, "The token was not accepted"),
        (token(stack, "alice", Role.support), 403, "this is a support token"),
    ]
    for value, status, words in cases:
        refused = await browser_like.post("/sign-in", data={"token": value, "csrf_token": csrf})
        assert refused.status_code == status and words in summary(refused), (value, refused.text)
        assert 'href="#token"' in summary(refused)
    for evil in ("//evil.example/x", "https://evil.example/", "/\t/evil.example", "/\\evil.example"):
        signed = await browser_like.post(
            "/sign-in", data={"token": token(stack, citizen), "csrf_token": csrf, "next": evil}
        )
        assert signed.status_code == 303 and signed.headers["location"] == "/", evil
    signed = await browser_like.post(
        "/sign-in", data={"token": token(stack, citizen), "csrf_token": csrf, "next": "/profile"}
    )
    assert signed.headers["location"] == "/profile"
    cookie = signed.headers["set-cookie"].lower()
    assert "onestop_citizen=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    assert "path=/" in cookie and "secure" not in cookie  # plain HTTP on loopback only
    listed = await browser_like.get("/")
    assert "/life-events/birth_registration" in listed.text and "Sign out" in listed.text
    out = await browser_like.post("/sign-out", data={"csrf_token": csrf})
    assert out.status_code == 303 and out.headers["location"] == "/sign-in?signed_out=true"
    assert 'onestop_citizen=""' in out.headers["set-cookie"]


async def test_a_test_citizen_is_minted_only_on_a_development_stack(
    browser_like: httpx.AsyncClient, stack: Settings
) -> None:
    from api.portal.sign_in import mints_test_citizens

    form = await browser_like.get("/sign-in")
    assert "Sign in as a test citizen" in form.text
    csrf = await csrf_of(browser_like, "/sign-in")
    minted = await browser_like.post("/sign-in/test-citizen", data={"csrf_token": csrf, "next": "/cases"})
    assert minted.status_code == 303 and minted.headers["location"] == "/cases"
    assert (await browser_like.get("/cases")).status_code == 200
    with_idp = stack.model_copy(update={"jwt_jwks_url": "https://idp.invalid/jwks"})
    assert mints_test_citizens(stack) and not mints_test_citizens(with_idp)


async def test_a_page_without_a_session_sends_the_browser_to_sign_in(
    browser_like: httpx.AsyncClient, stack: Settings
) -> None:
    for path in ("/cases", "/cases/c-1", "/data-uses", "/profile", "/life-events/birth_registration"):
        answer = await browser_like.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == f"/sign-in?next={path}", path
    browser_like.cookies.set("onestop_citizen", token(stack, "alice", Role.support))  # another role's
    answer = await browser_like.get("/cases")
    assert answer.status_code == 303


async def test_a_life_event_form_is_prefilled_and_marks_every_missing_field(
    browser_like: httpx.AsyncClient, stack: Settings, citizen: str, auth: TokenFactory
) -> None:
    me = await browser_like.patch(
        "/v1/me",
        json={"name": "Thi Lan Nguyen", "address": "15 Hang Bai, Hanoi"},
        headers=auth("citizen", citizen),
    )
    assert me.status_code == 200, me.text
    csrf = await signed_in(browser_like, stack, citizen)
    form = await browser_like.get("/life-events/birth_registration")
    assert form.status_code == 200
    assert 'value="Thi Lan Nguyen"' in form.text and 'value="15 Hang Bai, Hanoi"' in form.text
    key = form.text.split('name="idempotency_key" value="')[1].split('"')[0]

    missing = await browser_like.post(
        "/life-events/birth_registration",
        data={"csrf_token": csrf, "idempotency_key": key, "parent_name": "", "parent_address": "x"},
    )
    assert missing.status_code == 422
    found = summary(missing)
    for href, words in [
        ("#child_name", "Enter child&#39;s full name"),
        ("#child_birth_date-day", "Enter child&#39;s date of birth"),
        ("#birth_place", "Enter place of birth"),
    ]:
        assert f'href="{href}"' in found and words in found, (href, found)
    assert "Enter full name of the parent" not in found  # left empty: the profile fills it in
    assert 'value="x"' in missing.text  # what was typed is kept

    bad_date = await browser_like.post(
        "/life-events/birth_registration",
        data={**BIRTH_FORM, "csrf_token": csrf, "idempotency_key": key, "child_birth_date-month": "13"},
    )
    assert bad_date.status_code == 422 and "must be a real date" in summary(bad_date)

    sent = [
        await browser_like.post(
            "/life-events/birth_registration", data={**BIRTH_FORM, "csrf_token": csrf, "idempotency_key": key}
        )
        for _ in range(2)
    ]
    assert [s.status_code for s in sent] == [303, 303]
    assert sent[0].headers["location"] == sent[1].headers["location"]  # one case
    case = await browser_like.get(sent[0].headers["location"])
    assert case.status_code == 200 and "Register the birth" in case.text and "data-follow" in case.text

    unknown = await browser_like.get("/life-events/no_such_event")
    assert unknown.status_code == 404 and "Page not found" in unknown.text
    forged = await browser_like.post("/life-events/birth_registration", data=BIRTH_FORM)
    assert forged.status_code == 403 and "The form was not accepted" in forged.text


async def test_a_case_page_refuses_another_citizen_and_bad_answers(
    browser_like: httpx.AsyncClient, stack: Settings, watcher: CaseWatcher, citizen: str
) -> None:
    data = {k: v for k, v in BIRTH.items() if k != "medical_certificate_number"}
    case_id = await open_review(watcher, citizen, data)
    csrf = await signed_in(browser_like, stack, citizen)
    url = f"/cases/{case_id}/steps/{REVIEW}/answer"
    early = await browser_like.post(url, data={"csrf_token": csrf, "medical_certificate_number": "MC-1"})
    assert early.status_code == 409 and "no longer asked" in summary(early)

    asked = await watcher.http.post(
        f"/v1/agency/tasks/{case_id}/{REVIEW}:request-input",
        json={"fields": ["medical_certificate_number"]},
        headers=officer(watcher),
    )
    assert asked.status_code == 200, asked.text
    await watcher.wait_step(citizen, case_id, REVIEW, "citizen")
    page = await browser_like.get(f"/cases/{case_id}")
    assert f'id="{REVIEW}-medical_certificate_number"' in page.text
    empty = await browser_like.post(url, data={"csrf_token": csrf})
    assert empty.status_code == 422
    assert f'href="#{REVIEW}-medical_certificate_number"' in summary(empty)
    answered = await browser_like.post(url, data={"csrf_token": csrf, "medical_certificate_number": "MC-9"})
    assert answered.status_code == 303 and answered.headers["location"].endswith("?done=answered")
    assert "Your answer was sent" in (await browser_like.get(answered.headers["location"])).text

    async with httpx.AsyncClient(base_url=str(browser_like.base_url), timeout=30) as other:
        await signed_in(other, stack, f"{citizen}-other")
        theirs = await other.get(f"/cases/{case_id}")
        assert theirs.status_code == 404 and "Page not found" in theirs.text

    done = await watcher.http.post(f"/v1/agency/tasks/{case_id}/{REVIEW}:complete", headers=officer(watcher))
    assert done.status_code == 200, done.text
    assert (await watcher.wait(citizen, case_id))["status"] == "completed"
    page = await browser_like.get(f"/cases/{case_id}")
    assert "Completed" in page.text and "data-follow" not in page.text and "Cancel case" not in page.text
    late = await browser_like.post(f"/cases/{case_id}/cancel", data={"csrf_token": csrf})
    assert late.status_code == 409 and summary(late)


async def test_cancelling_an_open_case_from_its_page(
    browser_like: httpx.AsyncClient, stack: Settings, watcher: CaseWatcher, citizen: str
) -> None:
    case_id = await open_review(watcher, citizen)
    csrf = await signed_in(browser_like, stack, citizen)
    too_long = await browser_like.post(
        f"/cases/{case_id}/cancel", data={"csrf_token": csrf, "reason": "x" * 501}
    )
    assert too_long.status_code == 422 and summary(too_long)
    cancelled = await browser_like.post(
        f"/cases/{case_id}/cancel", data={"csrf_token": csrf, "reason": "registered elsewhere"}
    )
    assert cancelled.status_code == 303 and cancelled.headers["location"].endswith("?done=cancelled")
    assert (await watcher.wait(citizen, case_id))["status"] in ("cancelled", "compensated")


async def test_my_cases_and_the_data_use_log(
    browser_like: httpx.AsyncClient, stack: Settings, watcher: CaseWatcher, citizen: str
) -> None:
    case_id = await watcher.start(citizen, "birth_registration", BIRTH)
    await watcher.wait_step(citizen, case_id, REVIEW, "agency")
    await signed_in(browser_like, stack, citizen)
    listed = await browser_like.get("/cases")
    assert (
        listed.status_code == 200
        and f"/cases/{case_id}" in listed.text
        and "Birth registration" in listed.text
    )
    assert (await browser_like.get("/cases?cursor=%2F..%2F")).status_code == 200  # not a cursor: from the top
    unknown = await browser_like.get("/cases?cursor=nosuchcase")
    assert unknown.status_code == 422 and "cursor" in unknown.text

    uses = await browser_like.get("/data-uses")
    assert (
        uses.status_code == 200 and "Civil status registry" in uses.text and f"/cases/{case_id}" in uses.text
    )
    assert "child name" in uses.text and BIRTH["child_name"] not in uses.text  # names, never values
    unknown = await browser_like.get("/data-uses?cursor=nosuchuse")
    assert unknown.status_code == 422 and "not a cursor of this list" in unknown.text


async def test_the_profile_page_saves_and_marks_what_the_api_refuses(
    browser_like: httpx.AsyncClient, stack: Settings, citizen: str, auth: TokenFactory
) -> None:
    csrf = await signed_in(browser_like, stack, citizen)
    page = await browser_like.get("/profile")
    assert page.status_code == 200 and 'id="profile-name"' in page.text
    form: dict[str, Any] = {
        "csrf_token": csrf,
        "name": "Ana Lima",
        "date_of_birth-day": "31",
        "date_of_birth-month": "2",
        "date_of_birth-year": "1990",
        "household_size": "many",
    }
    refused = await browser_like.post("/profile", data=form)
    assert refused.status_code == 422
    found = summary(refused)
    assert 'href="#profile-date_of_birth-day"' in found and "must be a real date" in found
    assert 'href="#profile-household_size"' in found and 'value="Ana Lima"' in refused.text
    saved = await browser_like.post(
        "/profile", data={**form, "date_of_birth-day": "28", "household_size": "3", "owns_vehicle": "true"}
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/profile?done=saved"
    me = (await browser_like.get("/v1/me", headers=auth("citizen", citizen))).json()
    assert (me["name"], me["date_of_birth"], me["household_size"], me["owns_vehicle"]) == (
        "Ana Lima",
        "1990-02-28",
        3,
        True,
    )
    assert "Your profile was saved" in (await browser_like.get("/profile?done=saved")).text


async def test_a_consent_asked_on_a_case_and_the_consents_page(
    browser_like: httpx.AsyncClient, stack: Settings, watcher: CaseWatcher, citizen: str, consented: str
) -> None:
    case_id = await watcher.start(citizen, consented, CONSENT_DATA)
    await watcher.wait_step(citizen, case_id, "move_insurance", "citizen")
    csrf = await signed_in(browser_like, stack, citizen)
    page = await browser_like.get(f"/cases/{case_id}")
    assert (
        "asks for your consent" in page.text and "Keep your health insurance at your new address" in page.text
    )
    url = f"/cases/{case_id}/steps/move_insurance/consent"
    unanswered = await browser_like.post(url, data={"csrf_token": csrf})
    assert unanswered.status_code == 422 and 'href="#move_insurance-given"' in summary(unanswered)
    given = await browser_like.post(url, data={"csrf_token": csrf, "given": "true"})
    assert given.status_code == 303 and given.headers["location"].endswith("?done=consent-true")
    again = await browser_like.post(url, data={"csrf_token": csrf, "given": "true"})
    assert again.status_code == 409 and summary(again)
    assert (await watcher.wait(citizen, case_id))["status"] == "completed"

    listed = await browser_like.get("/consents")
    assert listed.status_code == 200 and "Withdraw consent" in listed.text and "new address" in listed.text
    withdraw = "/consents/health_insurance/update_address/withdraw"
    assert (await browser_like.post(withdraw, data={"csrf_token": csrf})).headers[
        "location"
    ] == "/consents?done=withdrawn"
    after = await browser_like.get("/consents?done=withdrawn")
    assert "Give consent again" in after.text and "Consents a life event may ask for" in after.text
    unknown = await browser_like.post("/consents/no_agency/no_action/give", data={"csrf_token": csrf})
    assert unknown.status_code in (404, 422) and summary(unknown)
    renewed = await browser_like.post(
        "/consents/health_insurance/update_address/give", data={"csrf_token": csrf}
    )
    assert renewed.status_code == 303 and renewed.headers["location"] == "/consents?done=given"


async def test_an_offer_is_accepted_with_what_it_still_needs_or_declined_from_the_case_page(
    browser_like: httpx.AsyncClient, stack: Settings, watcher: CaseWatcher, citizen: str
) -> None:
    """A move with a vehicle offers a parking permit that needs the registration number: the
    first accept names it on a form under the offer, the second starts the linked case."""
    case_id = await watcher.start(citizen, "moving_house", MOVE)
    assert (await watcher.wait(citizen, case_id))["status"] == "completed"
    csrf = await signed_in(browser_like, stack, citizen)
    page = await browser_like.get(f"/cases/{case_id}")
    assert "What you may need next" in page.text and "/offers/parking_permit/accept" in page.text
    accept = f"/cases/{case_id}/offers/parking_permit/accept"
    needs = await browser_like.post(accept, data={"csrf_token": csrf})
    assert needs.status_code == 422, needs.text
    assert (
        'name="missing" value="vehicle_registration"' in needs.text
        and "registration" in summary(needs).lower()
    )
    started = await browser_like.post(
        accept,
        data={"csrf_token": csrf, "missing": "vehicle_registration", "vehicle_registration": "AB-12-CD"},
    )
    assert started.status_code == 303, started.text
    new_case = started.headers["location"].split("/cases/")[1].split("?")[0]
    assert started.headers["location"].endswith("?done=offer-accepted") and new_case != case_id
    linked = await browser_like.get(started.headers["location"])
    assert "You accepted the offer" in linked.text and f"case {case_id}" in linked.text
    shown = await browser_like.get(f"/cases/{case_id}")
    assert f'href="/cases/{new_case}"' in shown.text and "Accepted" in shown.text
    late = await browser_like.post(
        f"/cases/{case_id}/offers/parking_permit/decline", data={"csrf_token": csrf}
    )
    assert late.status_code == 409 and summary(late), late.text
    unknown = await browser_like.post(
        f"/cases/{case_id}/offers/no_such_offer/accept", data={"csrf_token": csrf}
    )
    assert unknown.status_code == 404 and summary(unknown)

    other = await watcher.start(citizen, "moving_house", MOVE)
    assert (await watcher.wait(citizen, other))["status"] == "completed"
    declined = await browser_like.post(
        f"/cases/{other}/offers/parking_permit/decline", data={"csrf_token": csrf}
    )
    assert declined.status_code == 303 and declined.headers["location"].endswith("?done=offer-declined")
    after = await browser_like.get(declined.headers["location"])
    assert "You declined the offer" in after.text and "/offers/parking_permit/accept" not in after.text


async def test_the_reminders_page_lists_and_cancels_follow_ups(
    browser_like: httpx.AsyncClient, stack: Settings, watcher: CaseWatcher, citizen: str
) -> None:
    case_id = await open_review(watcher, citizen, {**BIRTH, "apply_for_child_benefit": False})
    decided = await watcher.http.post(
        f"/v1/cases/{case_id}/steps/review_birth_documents/decision",
        json={"approved": True},
        headers=officer(watcher),
    )
    assert decided.status_code == 200, decided.text
    assert (await watcher.wait(citizen, case_id))["status"] == "completed"
    csrf = await signed_in(browser_like, stack, citizen)
    for _ in range(300):  # the schedule projects itself shortly after the case completes
        page = await browser_like.get("/follow-ups")
        if "Vaccinations at 6 months" in page.text:
            break
        await asyncio.sleep(0.1)
    assert page.status_code == 200 and page.text.count("Cancel this reminder") == 3, page.text
    cancel = f"/follow-ups/{case_id}/vaccination_4_months/cancel"
    done = await browser_like.post(cancel, data={"csrf_token": csrf})
    assert done.status_code == 303 and done.headers["location"] == "/follow-ups?done=cancelled"
    after = await browser_like.get("/follow-ups?done=cancelled")
    assert "The reminder was cancelled" in after.text and after.text.count("Cancel this reminder") == 2
    unknown = await browser_like.post(
        f"/follow-ups/{case_id}/no_such_reminder/cancel", data={"csrf_token": csrf}
    )
    assert unknown.status_code == 404 and summary(unknown), unknown.text
