"""A minimal HTTP/1.1 client and server on asyncio protocols, for the benches' load and fakes.

Both sides of a bench's harness run in one process on a 2-core machine, next to the app
under test: aiohttp costs ~100 µs a request, enough to make the harness, not the app, the
bottleneck. These speak just the HTTP the harness needs (Content-Length or chunked bodies,
keep-alive), at a few µs a request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests"}


@dataclass
class Message:
    start: str  # request line, or status line
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def status(self) -> int:
        return int(self.start.split(" ", 2)[1])

    @property
    def method(self) -> str:
        return self.start.split(" ", 1)[0]

    @property
    def target(self) -> str:
        return self.start.split(" ", 2)[1]


class _Reader:
    """Splits a byte stream into messages."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Message]:
        self._buffer += data
        messages: list[Message] = []
        while True:
            message = self._next()
            if message is None:
                return messages
            messages.append(message)

    def _next(self) -> Message | None:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = self._buffer[:end].decode("latin-1").split("\r\n")
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        start = end + 4
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = self._chunked(start)
            if body is None:
                return None
            return Message(head[0], headers, body)
        length = int(headers.get("content-length", "0"))
        if len(self._buffer) < start + length:
            return None
        body = bytes(self._buffer[start : start + length])
        del self._buffer[: start + length]
        return Message(head[0], headers, body)

    def _chunked(self, at: int) -> bytes | None:
        body = bytearray()
        while True:
            line_end = self._buffer.find(b"\r\n", at)
            if line_end < 0:
                return None
            size = int(self._buffer[at:line_end].split(b";")[0], 16)
            chunk = line_end + 2
            if len(self._buffer) < chunk + size + 2:
                return None
            if size == 0:
                trailer = self._buffer.find(b"\r\n\r\n", line_end)
                if trailer < 0:
                    return None
                del self._buffer[: trailer + 4]
                return bytes(body)
            body += self._buffer[chunk : chunk + size]
            at = chunk + size + 2


def encode(start: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [start, *(f"{k}: {v}" for k, v in headers.items()), f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


# --- server -----------------------------------------------------------------------------

Reply = tuple[int, dict[str, str], bytes]
Handler = Callable[[Message], Reply]


class _ServerProtocol(asyncio.Protocol):
    def __init__(self, handler: Handler, server: LeanServer) -> None:
        self._handler = handler
        self._server = server
        self._reader = _Reader()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._server.connections.add(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._transport is not None:
            self._server.connections.discard(self._transport)

    def data_received(self, data: bytes) -> None:
        server = self._server
        for message in self._reader.feed(data):
            server.requests += 1
            status, headers, body = self._handler(message)
            answer = encode(f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}", headers, body)
            if not server.latency:
                self._write(answer)
                continue
            server.in_flight += 1
            server.peak_in_flight = max(server.peak_in_flight, server.in_flight)
            asyncio.get_running_loop().call_later(server.latency, self._write_later, answer)

    def _write(self, answer: bytes) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(answer)

    def _write_later(self, answer: bytes) -> None:
        self._server.in_flight -= 1
        self._write(answer)


@dataclass
class LeanServer:
    handler: Handler
    host: str = "127.0.0.1"
    port: int = 0
    latency: float = 0.0  # answers leave this long after their request came (a network's)
    requests: int = 0
    in_flight: int = 0  # requests answered later (with latency) and not yet
    peak_in_flight: int = 0
    connections: set[asyncio.Transport] = field(default_factory=set)
    _server: asyncio.Server | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _ServerProtocol(self.handler, self), self.host, self.port
        )
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for transport in list(self.connections):
                transport.close()
            await self._server.wait_closed()


# --- client -----------------------------------------------------------------------------


class _ClientProtocol(asyncio.Protocol):
    def __init__(self) -> None:
        self._reader = _Reader()
        self.transport: asyncio.Transport | None = None
        self.waiting: asyncio.Future[Message] | None = None
        self.closed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        for message in self._reader.feed(data):
            if self.waiting is not None and not self.waiting.done():
                self.waiting.set_result(message)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiting is not None and not self.waiting.done():
            self.waiting.set_exception(exc or ConnectionError("the server closed the connection"))
        if not self.closed.done():
            self.closed.set_result(None)


class LeanConnection:
    """One keep-alive connection, one request at a time."""

    def __init__(self, protocol: _ClientProtocol, host: str) -> None:
        self._protocol = protocol
        self._host = host

    @classmethod
    async def open(cls, host: str, port: int) -> LeanConnection:
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_connection(_ClientProtocol, host, port)
        return cls(protocol, f"{host}:{port}")

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> Message:
        protocol = self._protocol
        assert protocol.transport is not None
        protocol.waiting = asyncio.get_running_loop().create_future()
        protocol.transport.write(
            encode(f"{method} {path} HTTP/1.1", {"Host": self._host, **headers}, body)
        )
        return await protocol.waiting

    async def close(self) -> None:
        if self._protocol.transport is not None:
            self._protocol.transport.close()
            await self._protocol.closed
