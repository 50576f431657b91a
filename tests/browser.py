"""A real browser for the page tests: Debian's Chromium (`make test` installs it with apt)
driven by Playwright, which never downloads a browser of its own here. Without chromium the
fixture fails: a page test that silently skipped would prove nothing.

Also axe-core (the npm package `make` installs and copies into api/static), injected into a page to check it for
accessibility, and `--screenshots DIR`, which makes the console's and the portal's tests save their screens.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, ViewportSize, async_playwright

from orchestrator.settings import Settings

AXE = Path(__file__).resolve().parent.parent / "api" / "static" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = ViewportSize(width=375, height=740)
DESKTOP = ViewportSize(width=1280, height=900)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--screenshots", default=None, help="save the page tests' screens (PNG) here")


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed: `make test` installs it (apt-get install chromium)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser: Browser, stack: Settings) -> AsyncIterator[Page]:
    """A fresh browser context (no cookies) on the session's API; a script error on any page
    fails the test."""
    context = await browser.new_context(
        base_url=f"http://{stack.api_host}:{stack.api_port}", viewport=DESKTOP
    )
    opened = await context.new_page()
    script_errors: list[str] = []
    opened.on("pageerror", lambda error: script_errors.append(str(error)))
    yield opened
    await context.close()
    assert script_errors == []


@pytest.fixture(scope="session")
def screenshots(pytestconfig: pytest.Config) -> Path | None:
    folder = pytestconfig.getoption("--screenshots")
    if folder is None:
        return None
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


async def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations of impact serious or critical on the page as it stands."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make` builds the web assets")
    await page.add_script_tag(path=AXE)
    result: dict[str, Any] = await page.evaluate("axe.run()")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


async def scrolls_sideways(page: Page) -> bool:
    """Whether the page is wider than the window (a phone would have to scroll sideways)."""
    wider: bool = await page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    return wider


async def check_screen(
    page: Page,
    name: str,
    screenshots: Path | None,
    whole: bool = False,
    phone_shot: bool = False,
    desktop_shot: bool = True,
) -> None:
    """No serious accessibility violation, GOV.UK Frontend's script started, usable at a phone's
    width (no sideways scrolling, nor, with `phone_shot`, a violation there); saved when asked
    (the window's worth, or the `whole` page): at the desktop's width unless not `desktop_shot`,
    and with `phone_shot` at the phone's too, as NAME-phone.png."""
    assert await serious_violations(page) == [], name
    started = await page.locator("[data-module='govuk-service-navigation']").get_attribute(
        "data-govuk-service-navigation-init"
    )
    assert started is not None, f"{name}: GOV.UK Frontend's script did not start"
    if screenshots is not None and desktop_shot:
        await page.evaluate("window.scrollTo(0, 0)")
        await page.screenshot(path=screenshots / f"{name}.png", full_page=whole)
    await page.set_viewport_size(PHONE)
    assert not await scrolls_sideways(page), f"{name} scrolls sideways at 375 px"
    if phone_shot:
        assert await serious_violations(page) == [], f"{name} at 375 px"
        if screenshots is not None:
            await page.evaluate("window.scrollTo(0, 0)")
            await page.screenshot(path=screenshots / f"{name}-phone.png", full_page=whole)
    await page.set_viewport_size(DESKTOP)
