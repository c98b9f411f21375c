"""A TCP relay tests cut and restore, to make a server unreachable without stopping it (a
stopped Tansu broker forgets everything it held; a real Kafka would not); or that terminates
TLS in front of a server that has none on this machine (the broker, PostgreSQL)."""

import asyncio
import ssl
import struct

POSTGRES_SSL_REQUEST = struct.pack("!ii", 8, 80877103)


class TcpProxy:
    """A TCP relay that can be cut (connections dropped, new ones refused) and restored.

    With ``tls`` it is the TLS end of its clients' connections: from the first byte, or, with
    ``postgres``, after PostgreSQL's ``SSLRequest`` (a client not asking for TLS is dropped).
    """

    def __init__(
        self,
        *,
        port: int,
        target_port: int,
        tls: ssl.SSLContext | None = None,
        postgres: bool = False,
    ) -> None:
        self.port = port
        self.target_port = target_port
        self.tls = tls
        self.postgres = postgres
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        direct = self.tls if not self.postgres else None
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port, ssl=direct)

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.postgres and self.tls is not None and not await self._start_tls(reader, writer):
            writer.transport.abort()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self.target_port
            )
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, upstream_writer}
        await asyncio.gather(
            self._pipe(reader, upstream_writer),
            self._pipe(upstream_reader, writer),
            return_exceptions=True,
        )

    async def _start_tls(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        assert self.tls is not None
        try:
            if await reader.readexactly(len(POSTGRES_SSL_REQUEST)) != POSTGRES_SSL_REQUEST:
                return False
            writer.write(b"S")
            await writer.drain()
            await writer.start_tls(self.tls)
        except (OSError, asyncio.IncompleteReadError):
            return False
        return True

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.transport.abort()
            self._writers.discard(writer)
