"""TCP relays between a client under test and a local server, which can fail as a network
does (hang up mid-request, or go silent without a word) or as a frozen server does."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy.engine import make_url


class CuttingProxy:
    """A TCP proxy to a local port that can hang up mid-request, once or for good, or let a
    connection go silent.

    ``cut_after(n)`` resets the connection carrying the client's n-th byte upstream (and,
    with ``then_refuse``, every later connection) - a network that fails mid-upload.
    ``stall_after(n)`` leaves that connection open and silent instead - a network that
    drops it without a word (a NAT forgot it).
    ``hang_up_after(n, answered=...)`` lets the request carrying the n-th byte through whole,
    then hangs its connection up before the server's answer reaches the client or, with
    ``answered``, once the answer passed and the client sends its next request on it.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.refuse = False
        self.forwarded = 0
        self.cuts = 0
        self.stalls = 0
        self._limit: int | None = None
        self._then_refuse = False
        self._stall_at: int | None = None
        self._hang_at: int | None = None
        self._hang_answered = False
        self.hang_ups = 0
        self._closing = asyncio.Event()
        self._open: dict[asyncio.Task[None], Callable[[], None]] = {}
        """Each connection's task, and what hangs it up."""
        self._server: asyncio.Server | None = None
        self.url = ""

    def cut_after(self, limit: int, *, then_refuse: bool = False) -> None:
        """Hang up once ``limit`` more bytes went upstream."""
        self._limit = self.forwarded + limit
        self._then_refuse = then_refuse

    def stall_after(self, limit: int) -> None:
        """Once ``limit`` more bytes went upstream, that connection carries nothing more
        either way (the client's bytes are not read, the server's answer not passed on) and
        is not closed until the proxy is; later connections pass."""
        self._stall_at = self.forwarded + limit

    def hang_up_after(self, limit: int, *, answered: bool) -> None:
        """Once ``limit`` more bytes went upstream, hang that connection up as the server
        answers (the answer lost) or, ``answered``, as the client's next request comes."""
        self._hang_at, self._hang_answered = self.forwarded + limit, answered

    def _stalls_here(self, size: int) -> int | None:
        """How many of the next ``size`` bytes upstream go before the connection goes
        silent; None if it does not."""
        if self._stall_at is None or self.forwarded + size <= self._stall_at:
            return None
        passed, self._stall_at = self._stall_at - self.forwarded, None
        self.stalls += 1
        return passed

    def heal(self) -> None:
        """Forward everything from now on."""
        self._limit, self.refuse = None, False

    async def __aenter__(self) -> CuttingProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *_: object) -> None:
        self._closing.set()
        if self._server is not None:
            self._server.close()
        # Ended, not left to be cancelled with the loop: a client's idle connections too.
        for hang_up in self._open.values():
            hang_up()
        await asyncio.gather(*self._open, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.refuse:
            writer.transport.abort()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.port)
        silent = asyncio.Event()
        # The hang-up this connection is armed with ("answer", then "next" once answered).
        armed: list[str] = []

        def hang_up() -> None:
            writer.transport.abort()
            up_writer.transport.abort()

        task = asyncio.current_task()
        assert task is not None
        self._open[task] = hang_up

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter, up: bool) -> None:
            try:
                while data := await src.read(64 * 1024):
                    if not up and armed == ["answer"] and self._hang_answered:
                        armed.append("next")  # this answer passes; the next request is cut
                    if armed and armed[-1] == ("answer" if not up else "next"):
                        self.hang_ups += 1
                        break  # the answer (or the next request) is lost with the connection
                    if silent.is_set():
                        continue  # the server's answer, lost on the way
                    if up and (passed := self._stalls_here(len(data))) is not None:
                        dst.write(data[:passed])
                        self.forwarded += passed
                        silent.set()
                        await self._closing.wait()  # the client's bytes are not read
                        break
                    if up and self._limit is not None and self.forwarded + len(data) > self._limit:
                        dst.write(data[: self._limit - self.forwarded])
                        await dst.drain()
                        self.forwarded = self._limit
                        self._limit, self.refuse = None, self._then_refuse
                        self.cuts += 1
                        break
                    if up:
                        self.forwarded += len(data)
                        if self._hang_at is not None and self.forwarded >= self._hang_at:
                            self._hang_at = None
                            armed.append("answer")
                    dst.write(data)
                    await dst.drain()
                if silent.is_set():
                    await self._closing.wait()  # nor is the server hanging up passed on
            except (ConnectionError, OSError):
                pass
            finally:
                hang_up()

        try:
            await asyncio.gather(pump(reader, up_writer, True), pump(up_reader, writer, False))
        finally:
            del self._open[task]


class FreezingRelay:
    """A TCP relay to a server (PostgreSQL, NATS: any URL with a host and port) that can
    freeze as a SIGSTOPped server does: the connections stay open, new ones are accepted,
    and nothing answers until :meth:`thaw`.

    The tests' server is shared by the whole session, so it is never frozen itself; to a
    client, this is the same.
    """

    def __init__(self, server_url: str) -> None:
        self.upstream = make_url(server_url)
        self._running = asyncio.Event()
        self._running.set()
        self._closing = False
        self._open: set[asyncio.StreamWriter] = set()
        self._connections: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None
        self.url = ""

    def freeze(self) -> None:
        """From now on nothing passes either way, on any connection, old or new."""
        self._running.clear()

    def thaw(self) -> None:
        """Pass everything again, what waited first."""
        self._running.set()

    async def __aenter__(self) -> FreezingRelay:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        relayed = self.upstream.set(host="127.0.0.1", port=port)
        self.url = relayed.difference_update_query(["host"]).render_as_string(False)
        return self

    async def __aexit__(self, *_: object) -> None:
        self._closing = True
        assert self._server is not None
        self._server.close()
        for writer in self._open:
            writer.transport.abort()
        self._running.set()
        await asyncio.gather(*self._connections, return_exceptions=True)

    async def _connect_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        socket_dir = self.upstream.query.get("host")
        port = self.upstream.port or 5432
        if isinstance(socket_dir, str) and socket_dir.startswith("/"):
            return await asyncio.open_unix_connection(f"{socket_dir}/.s.PGSQL.{port}")
        return await asyncio.open_connection(self.upstream.host, port)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        task.add_done_callback(self._connections.discard)
        self._open.add(writer)
        await self._running.wait()  # accepted, as by the kernel, but not served
        if self._closing:
            writer.transport.abort()
            return
        up_reader, up_writer = await self._connect_upstream()
        self._open.add(up_writer)

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(64 * 1024):
                    await self._running.wait()
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.transport.abort()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))
        self._open.difference_update((writer, up_writer))
