"""The load generator's client against a real loopback server: reuse, and each way an answer fails."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from onestop.load_client import ConnectionLost, LoadClient

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def _server(handler: Handler) -> AsyncIterator[tuple[int, list[int]]]:
    """A server on a free port; the list counts the connections it accepted."""
    accepted: list[int] = []

    async def counted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(1)
        try:
            await handler(reader, writer)
        finally:
            writer.close()

    server = await asyncio.start_server(counted, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], accepted
    finally:
        server.close()
        await server.wait_closed()


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    return head + await reader.readexactly(length)


def _answer(status: int, body: bytes, *extra: str) -> bytes:
    lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def test_answers_are_read_and_an_idle_connection_is_reused() -> None:
    seen: list[bytes] = []

    async def keep_alive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(3):
            seen.append(await _read_request(reader))
            writer.write(_answer(429, b'{"n": 1}', "Retry-After: 7"))
            await writer.drain()

    async with _server(keep_alive) as (port, accepted):
        client = LoadClient("127.0.0.1", port, timeout=5)
        for _ in range(3):
            reply = await client.post_json("/v1/x", b'{"a": 1}', {"Authorization": "Bearer t"})
            assert (reply.status, reply.headers["retry-after"], reply.body) == (429, "7", b'{"n": 1}')
        await client.close()
    assert len(accepted) == 1
    assert seen[0].startswith(b"POST /v1/x HTTP/1.1\r\n")
    assert b"Authorization: Bearer t\r\n" in seen[0] and seen[0].endswith(b'\r\n\r\n{"a": 1}')


async def test_a_connection_the_server_will_close_is_not_reused() -> None:
    async def once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(_answer(202, b"{}", "Connection: close"))
        await writer.drain()

    async with _server(once) as (port, accepted):
        client = LoadClient("127.0.0.1", port, timeout=5)
        assert [(await client.post_json("/", b"{}", {})).status for _ in range(2)] == [202, 202]
    assert len(accepted) == 2


async def test_an_answer_cut_short_is_an_error() -> None:
    async def cut(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(_answer(202, b'{"case_id": "abc"}')[:-5])
        await writer.drain()

    async with _server(cut) as (port, _):
        with pytest.raises(ConnectionLost):
            await LoadClient("127.0.0.1", port, timeout=5).post_json("/", b"{}", {})


async def test_no_answer_within_the_timeout_is_an_error() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        await asyncio.sleep(5)

    async with _server(silent) as (port, _):
        with pytest.raises(TimeoutError):
            await LoadClient("127.0.0.1", port, timeout=0.3).post_json("/", b"{}", {})


async def test_a_refused_connection_is_an_error() -> None:
    async with _server(_read_request_only) as (port, _):
        pass  # closed: nothing listens on the port any more
    with pytest.raises(OSError):
        await LoadClient("127.0.0.1", port, timeout=5).post_json("/", b"{}", {})


async def _read_request_only(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
