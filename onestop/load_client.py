"""The load generator's HTTP client: HTTP/1.1 keep-alive over asyncio streams, parsed by httptools.

`onestop bench --api-load` sends its triggers from the same 2-core machine as the stack it
measures, so whatever the client spends is taken from the API. httpx spent 2.7 ms of CPU per
trigger at 50/s, 60% of the API's own 4.4, and its pure-Python HTTP parsing ran in the same
event loop that timed the answers. A citizen's browser is not on the server; this client
sends a prepared request and reads one answer per connection at a time, and nothing else.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httptools


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    """Names in lower case."""
    body: bytes


class ConnectionLost(ConnectionError):
    """The server closed the connection before its answer was complete."""


@dataclass
class _Parsed:
    """httptools' callbacks for one answer."""

    headers: dict[str, str] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)
    complete: bool = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        self.complete = True


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def exchange(self, request: bytes) -> tuple[Reply, bool]:
        """The answer to `request`, and whether the connection may be used again."""
        self.writer.write(request)
        parsed = _Parsed()
        parser = httptools.HttpResponseParser(parsed)
        while not parsed.complete:
            data = await self.reader.read(65536)
            if not data:
                raise ConnectionLost("the server closed the connection mid-answer")
            parser.feed_data(data)
        reply = Reply(parser.get_status_code(), parsed.headers, bytes(parsed.body))
        # Not `parser.should_keep_alive()`: once the answer is complete it says False whatever
        # the answer was (llhttp has reset for the next one), and every trigger opened a connection.
        closing = parsed.headers.get("connection", "").lower() == "close"
        return reply, parser.get_http_version() == "1.1" and not closing

    def close(self) -> None:
        self.writer.close()


class LoadClient:
    """Requests to one host; a connection is reused once its answer is read, and a new one is
    opened whenever none is idle (an open-loop load sends whatever the earlier answers do)."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self._host = host
        self._port = port
        self._timeout = timeout
        self._idle: list[_Connection] = []

    async def post_json(self, path: str, body: bytes, headers: dict[str, str]) -> Reply:
        lines = [
            f"POST {path} HTTP/1.1",
            f"Host: {self._host}:{self._port}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        async with asyncio.timeout(self._timeout):
            connection = self._idle.pop() if self._idle else await self._open()
            try:
                reply, reusable = await connection.exchange(request)
            except BaseException:
                connection.close()
                raise
        if reusable:
            self._idle.append(connection)
        else:
            connection.close()
        return reply

    async def close(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()

    async def _open(self) -> _Connection:
        reader, writer = await asyncio.open_connection(self._host, self._port)
        return _Connection(reader, writer)
