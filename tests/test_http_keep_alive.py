"""The API and the simulators keep an idle connection open past a client's own idle timeout.

At uvicorn's default of 5 s, equal to httpx's keep-alive expiry, a server closed a connection at
the moment a test's client reused it, and the test read a reset (CI, the fifty-case test of
`test_simulated_failures_e2e.py`). These tests hold one raw connection idle for longer than that
default and send on it again: with the server closing at 5 s the second read meets end of file.
"""

from __future__ import annotations

import asyncio

from orchestrator.settings import Settings

IDLE_SECONDS = 6.0  # past uvicorn's default 5 s and httpx's 5 s expiry


async def _status(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, path: str) -> int:
    """Send one HTTP/1.1 request on the open connection and return its status, reading the body
    so the connection is idle again."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
    lines = head.decode().split("\r\n")
    length = next(int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:"))
    await asyncio.wait_for(reader.readexactly(length), timeout=10)
    return int(lines[0].split()[1])


async def _reused_after_idle(host: str, port: int, path: str) -> tuple[int, int]:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        first = await _status(reader, writer, host, path)
        await asyncio.sleep(IDLE_SECONDS)
        assert not reader.at_eof(), f"{host}:{port} closed an idle connection within {IDLE_SECONDS}s"
        return first, await _status(reader, writer, host, path)
    finally:
        writer.close()
        await writer.wait_closed()


async def test_the_api_and_the_simulators_answer_on_a_connection_idle_past_five_seconds(
    stack: Settings,
) -> None:
    assert stack.http_keep_alive_seconds > IDLE_SECONDS
    api, simulators = await asyncio.gather(
        _reused_after_idle(stack.api_host, stack.api_port, "/healthz"),
        _reused_after_idle(stack.api_host, stack.simulator_port, "/no-such-page"),
    )
    assert api == (200, 200)
    assert simulators == (404, 404)
