"""The API's documentation pages work with no network: in Debian's Chromium against the session's
API, every request to a host other than loopback is refused and recorded, and /docs (Swagger UI)
and /redoc (ReDoc) still render the operations, having tried to reach nothing else. Their HTML
names no other host either, and every asset it names is served.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import BrowserContext, Page, Request, Route, expect

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
IN_PAGE = {"data", "blob", "about"}  # made by the page itself: no network


def reaches_out(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme not in IN_PAGE and parts.hostname not in LOOPBACK


async def offline(context: BrowserContext) -> list[str]:
    """Refuse every request that would leave the machine; the list fills with their URLs."""
    attempted: list[str] = []

    def seen(request: Request) -> None:
        if reaches_out(request.url) and request.url not in attempted:
            attempted.append(request.url)

    async def refuse_outside(route: Route) -> None:
        if reaches_out(route.request.url):
            seen(route.request)
            await route.abort("internetdisconnected")
        else:
            await route.continue_()

    await context.route("**/*", refuse_outside)
    context.on("request", seen)  # also what no route sees (a worker's requests, say)
    return attempted


async def test_swagger_ui_renders_the_operations_offline(page: Page) -> None:
    attempted = await offline(page.context)
    await page.goto("/docs")
    trigger = page.locator(".opblock.opblock-post").filter(
        has=page.locator('.opblock-summary-path[data-path="/v1/life-events"]')
    )
    await expect(trigger).to_be_visible()
    await trigger.locator(".opblock-summary").click()  # opening an operation shows its schema
    await expect(trigger.locator(".opblock-body")).to_contain_text("Idempotency-Key")
    await page.wait_for_load_state("networkidle")
    assert attempted == []


async def test_redoc_renders_the_operations_offline(page: Page) -> None:
    attempted = await offline(page.context)
    await page.goto("/redoc")
    await expect(page.get_by_role("heading", name="Trigger Life Event")).to_be_visible()
    await expect(page.get_by_role("menuitem").filter(has_text="Trigger Life Event")).to_have_count(1)
    await page.wait_for_load_state("networkidle")
    assert attempted == []


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/docs/oauth2-redirect"])
async def test_the_pages_name_no_other_host_and_their_assets_are_served(
    http: httpx.AsyncClient, path: str
) -> None:
    page = await http.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = re.sub(r"<!--.*?-->", "", page.text, flags=re.DOTALL)  # a comment loads nothing
    urls = re.findall(r"""https?://[^\s"'<>]+""", html)
    assert [url for url in urls if reaches_out(url)] == []
    for asset in re.findall(r"""(?:src|href)="([^"]+)\"""", html):
        assert (await http.get(asset)).status_code == 200, f"{path} names {asset}, which is not served"


async def test_swagger_ui_sends_the_document_to_no_validator(http: httpx.AsyncClient) -> None:
    """Its default online validator would send the document's address out wherever the API is
    not on loopback, where the browser test above cannot see it."""
    assert '"validatorUrl": null' in (await http.get("/docs")).text


async def test_the_pages_stay_out_of_the_api_document(http: httpx.AsyncClient) -> None:
    paths = (await http.get("/openapi.json")).json()["paths"]
    assert not {"/docs", "/docs/oauth2-redirect", "/redoc"} & set(paths)
