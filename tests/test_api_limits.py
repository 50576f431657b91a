"""The API's outer bounds: body size, chunked bodies, and what an unexpected exception leaves
behind (one log line with the request id, a 500 that says nothing about the cause)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
import structlog
from fastapi import FastAPI

from api import middleware, problems
from api.middleware import MAX_BODY_BYTES, MAX_DEFINITION_BYTES
from tests.conftest import TokenFactory
from tests.support import MOVE
from tests.test_catalog_api import PARTNERSHIP


def _padded(size: int) -> bytes:
    """A JSON life event of exactly `size` bytes."""
    head, tail = b'{"type": "moving_house", "data": {"pad": "', b'"}}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


async def test_body_over_limit_is_413(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    headers = {**auth("citizen"), "Content-Type": "application/json"}
    response = await http.post("/v1/life-events", content=_padded(MAX_BODY_BYTES + 1), headers=headers)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "urn:onestop:problem:too-large",
        "title": "Request Entity Too Large",
        "status": 413,
        "detail": f"request body over {MAX_BODY_BYTES} bytes",
    }
    assert response.headers["x-request-id"]


async def test_body_at_limit_reaches_the_route(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    headers = {**auth("citizen"), "Content-Type": "application/json"}
    response = await http.post("/v1/life-events", content=_padded(MAX_BODY_BYTES), headers=headers)
    assert response.status_code == 422, response.text  # validated as data, not refused for its size
    assert response.json()["field"].startswith("data.")


async def test_validate_takes_larger_definitions(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    headers = {**auth("designer", "d-1"), "Content-Type": "application/yaml"}
    comment = "# " + "x" * 97 + "\n"
    big = PARTNERSHIP + comment * ((MAX_BODY_BYTES * 2) // len(comment))
    accepted = await http.post("/v1/catalog:validate", content=big, headers=headers)
    assert accepted.status_code == 200 and accepted.json()["valid"] is True
    too_big = PARTNERSHIP + comment * (MAX_DEFINITION_BYTES // len(comment) + 1)
    refused = await http.post("/v1/catalog:validate", content=too_big, headers=headers)
    assert refused.status_code == 413
    assert refused.json()["detail"] == f"request body over {MAX_DEFINITION_BYTES} bytes"


async def test_chunked_body_is_411(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    """An async iterator makes httpx send `Transfer-Encoding: chunked` with no Content-Length."""

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"type": "moving_house", '
        yield b'"data": {}}'

    headers = {**auth("citizen"), "Content-Type": "application/json"}
    response = await http.post("/v1/life-events", content=chunks(), headers=headers)
    assert response.status_code == 411
    assert "Content-Length" in response.json()["detail"]


async def test_plain_post_still_accepted(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    response = await http.post("/v1/life-events", json={"type": "moving_house", "data": MOVE}, headers=auth())
    assert response.status_code == 202, response.text


async def test_unhandled_exception_is_logged_once_and_answers_500(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same middleware and handlers as the real app, around a route that fails unexpectedly."""
    app = FastAPI()
    problems.install(app)
    middleware.install(app)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret detail about Ana Lima")

    capture = structlog.testing.LogCapture()
    monkeypatch.setattr(
        middleware,
        "log",
        structlog.wrap_logger(
            None,
            processors=[structlog.contextvars.merge_contextvars, capture],
            wrapper_class=structlog.make_filtering_bound_logger(logging.NOTSET),
        ),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/boom", headers={"X-Request-ID": "req-123"})
    assert response.status_code == 500
    body = response.json()
    assert (body["status"], body["detail"], body["request_id"]) == (500, "internal error", "req-123")
    assert set(body) == {"type", "title", "status", "detail", "request_id"}  # nothing leaks
    assert response.headers["x-request-id"] == "req-123"
    assert "Ana Lima" not in response.text
    failed = [e for e in capture.entries if e["event"] == "request_failed"]
    assert len(failed) == 1, capture.entries
    assert failed[0]["request_id"] == "req-123"
    assert failed[0]["log_level"] == "error" and failed[0]["exc_info"] is True
