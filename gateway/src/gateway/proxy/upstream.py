"""A lean HTTP/1.1 client for the hot path to the services: pooled keep-alive connections,
request and response bodies streamed with back-pressure, responses parsed by httptools.

httpx serves the gateway elsewhere (probes, OIDC, OpenAPI); on the forwarding path its
connection pool cost more CPU per request than the whole rest of the gateway.
"""

import asyncio
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httptools

READ_BYTES = 64 * 1024
IDLE_SECONDS = 4.0
REUSE_WITH_BODY_SECONDS = 1.0
MAX_IDLE_PER_ORIGIN = 64
NO_BODY_STATUSES = frozenset({204, 304})
REPLAYABLE = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class UpstreamError(Exception):
    """The service could not be reached or broke the exchange."""


class UpstreamConnectError(UpstreamError):
    """No connection could be opened: nothing was sent."""


class UpstreamTimeout(UpstreamError):
    pass


@dataclass(frozen=True)
class Timeouts:
    connect: float
    read: float


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = 0.0

    def usable(self, *, max_idle: float) -> bool:
        return (
            not self.reader.at_eof()
            and not self.writer.is_closing()
            and time.monotonic() - self.idle_since < max_idle
        )

    def close(self) -> None:
        self.writer.transport.abort()


@dataclass
class _Parsed:
    """What httptools reports while a response is fed to it."""

    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)
    headers_done: bool = False
    complete: bool = False
    keep_alive: bool = False
    parser: "httptools.HttpResponseParser | None" = None

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        self.headers_done = True
        self.keep_alive = self.parser is not None and self.parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        self.complete = True


class UpstreamResponse:
    def __init__(
        self,
        *,
        pool: "UpstreamPool",
        origin: tuple[str, int],
        connection: _Connection,
        parser: httptools.HttpResponseParser,
        parsed: _Parsed,
        read_timeout: float,
        bodiless: bool,
    ) -> None:
        self.status = parser.get_status_code()
        self.headers = parsed.headers
        self._pool, self._origin, self._connection = pool, origin, connection
        self._parser, self._parsed = parser, parsed
        self._timeout = read_timeout
        self._done = bodiless or parsed.complete
        self._bodiless = bodiless
        self._released = False

    def header(self, name: bytes) -> bytes | None:
        return next((v for k, v in self.headers if k == name), None)

    async def body(self) -> AsyncIterator[bytes]:
        if not self._bodiless:
            for chunk in self._take():
                yield chunk
        while not self._done:
            data = await _read(self._connection, self._timeout)
            if not data:
                raise UpstreamError("the service closed the connection mid-answer")
            _feed(self._parser, data)
            self._done = self._parsed.complete
            for chunk in self._take():
                yield chunk
        await self.release()

    async def read(self) -> bytes:
        return b"".join([chunk async for chunk in self.body()])

    async def release(self) -> None:
        if self._released:
            return
        self._released = True
        if self._parsed.keep_alive and self._parsed.complete:
            self._pool.put_back(self._origin, self._connection)
        else:
            self._connection.close()

    def _take(self) -> list[bytes]:
        chunks, self._parsed.chunks = self._parsed.chunks, []
        return chunks


class UpstreamPool:
    """Connections to the services: ``https://`` URLs over TLS verified by ``tls`` (the CAs
    the services' certificates are checked against), ``http://`` ones in clear."""

    def __init__(self, *, tls: ssl.SSLContext | None = None) -> None:
        self._idle: dict[tuple[str, int], deque[_Connection]] = {}
        self._tls = tls

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: list[tuple[str, str]],
        body: AsyncIterator[bytes] | None,
        content_length: int | None,
        timeouts: Timeouts,
    ) -> UpstreamResponse:
        parts = urlsplit(url)
        secure = parts.scheme == "https"
        origin = (parts.hostname or "127.0.0.1", parts.port or (443 if secure else 80))
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        head = _request_head(
            method, target, origin=origin, headers=headers, body=body, length=content_length
        )
        replayable = body is None and method in REPLAYABLE
        connection = self._pooled(origin, replayable=replayable)
        if connection is not None and replayable:
            try:
                return await self._exchange(connection, origin, method, head, None, timeouts)
            except UpstreamTimeout:
                connection.close()
                raise
            except UpstreamError:
                connection.close()
                connection = None
        tls = (self._tls or ssl.create_default_context()) if secure else None
        connection = connection or await _connect(origin, timeouts.connect, tls=tls)
        try:
            return await self._exchange(connection, origin, method, head, body, timeouts)
        except BaseException:
            connection.close()
            raise

    def put_back(self, origin: tuple[str, int], connection: _Connection) -> None:
        idle = self._idle.setdefault(origin, deque())
        if len(idle) >= MAX_IDLE_PER_ORIGIN:
            connection.close()
            return
        connection.idle_since = time.monotonic()
        idle.append(connection)

    def close(self) -> None:
        for idle in self._idle.values():
            while idle:
                idle.pop().close()

    def _pooled(self, origin: tuple[str, int], *, replayable: bool) -> _Connection | None:
        """A kept-alive connection; for a request that cannot be sent twice, only one idle for
        so short a time that the service cannot have closed it."""
        idle = self._idle.get(origin)
        max_idle = IDLE_SECONDS if replayable else REUSE_WITH_BODY_SECONDS
        while idle:
            connection = idle.pop()
            if connection.usable(max_idle=max_idle):
                return connection
            connection.close()
        return None

    async def _exchange(
        self,
        connection: _Connection,
        origin: tuple[str, int],
        method: str,
        head: bytes,
        body: AsyncIterator[bytes] | None,
        timeouts: Timeouts,
    ) -> UpstreamResponse:
        connection.writer.write(head)
        if body is not None:
            await _write_body(
                connection,
                body,
                chunked=b"transfer-encoding: chunked" in head,
                seconds=timeouts.read,
            )
        parsed = _Parsed()
        parser = httptools.HttpResponseParser(parsed)
        parsed.parser = parser
        while not parsed.headers_done:
            data = await _read(connection, timeouts.read)
            if not data:
                raise UpstreamError("the service closed the connection without answering")
            _feed(parser, data)
        bodiless = method == "HEAD" or parser.get_status_code() in NO_BODY_STATUSES
        return UpstreamResponse(
            pool=self,
            origin=origin,
            connection=connection,
            parser=parser,
            parsed=parsed,
            read_timeout=timeouts.read,
            bodiless=bodiless,
        )


def _request_head(
    method: str,
    target: str,
    *,
    origin: tuple[str, int],
    headers: list[tuple[str, str]],
    body: AsyncIterator[bytes] | None,
    length: int | None,
) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"host: {origin[0]}:{origin[1]}"]
    lines += [f"{name}: {value}" for name, value in headers if name != "content-length"]
    if body is not None:
        lines.append(
            f"content-length: {length}" if length is not None else "transfer-encoding: chunked"
        )
    elif length == 0:
        lines.append("content-length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _write_body(
    connection: _Connection, body: AsyncIterator[bytes], *, chunked: bool, seconds: float
) -> None:
    writer = connection.writer
    async for chunk in body:
        writer.write(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk)
        await _drain(writer, seconds)
    if chunked:
        writer.write(b"0\r\n\r\n")
    await _drain(writer, seconds)


async def _drain(writer: asyncio.StreamWriter, seconds: float) -> None:
    try:
        async with asyncio.timeout(seconds):
            await writer.drain()
    except TimeoutError as error:
        raise UpstreamTimeout("the service stopped reading the request") from error
    except OSError as error:
        raise UpstreamError(f"sending to the service failed: {error}") from error


async def _read(connection: _Connection, seconds: float) -> bytes:
    try:
        async with asyncio.timeout(seconds):
            return await connection.reader.read(READ_BYTES)
    except TimeoutError as error:
        raise UpstreamTimeout("the service did not answer in time") from error
    except OSError as error:
        raise UpstreamError(f"reading from the service failed: {error}") from error


async def _connect(
    origin: tuple[str, int], seconds: float, *, tls: ssl.SSLContext | None
) -> _Connection:
    try:
        async with asyncio.timeout(seconds):
            reader, writer = await asyncio.open_connection(
                *origin, limit=READ_BYTES * 2, ssl=tls, server_hostname=origin[0] if tls else None
            )
    except (OSError, TimeoutError) as error:
        raise UpstreamConnectError(f"cannot connect to {origin[0]}:{origin[1]}: {error}") from error
    return _Connection(reader, writer)


def _feed(parser: httptools.HttpResponseParser, data: bytes) -> None:
    try:
        parser.feed_data(data)
    except httptools.HttpParserError as error:
        raise UpstreamError(f"the service's answer is not valid HTTP: {error}") from error
