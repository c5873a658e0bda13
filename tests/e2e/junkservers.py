"""Endpoints that are not Subtensor nodes, for the bad-input tests: a port that accepts and closes,
one that accepts and never answers, an HTTP server answering garbage, and a WebSocket server
answering JSON-RPC with garbage. All on 127.0.0.1, in one background event loop.

    with JunkServers() as junk:
        junk.url("ws_garbage")  # "ws://127.0.0.1:PORT"
"""

import asyncio
import json
import threading

from aiohttp import web

KINDS = ("accept_close", "hang", "http_garbage", "ws_garbage")


class JunkServers:
    def __init__(self):
        self.ports: dict[str, int] = {}
        self.hits: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="junk-servers", daemon=True)
        self._held: list = []  # connections the "hang" server keeps open

    def url(self, kind: str, scheme: str = "ws") -> str:
        return f"{scheme}://127.0.0.1:{self.ports[kind]}"

    def __enter__(self) -> "JunkServers":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _start(self) -> None:
        self._servers = []
        for kind, handler in (("accept_close", self._accept_close), ("hang", self._hang),
                              ("http_garbage", self._http_garbage)):
            server = await asyncio.start_server(handler, "127.0.0.1", 0)
            self._servers.append(server)
            self.ports[kind] = server.sockets[0].getsockname()[1]
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._ws_garbage)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.ports["ws_garbage"] = site._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        for w in self._held:
            w.close()
        for s in self._servers:
            s.close()
        await self._runner.cleanup()
        handlers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for t in handlers:
            t.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)

    async def _accept_close(self, reader, writer) -> None:
        self.hits["accept_close"] += 1
        writer.close()

    async def _hang(self, reader, writer) -> None:
        self.hits["hang"] += 1
        self._held.append(writer)  # never read, never answer, never close

    async def _http_garbage(self, reader, writer) -> None:
        self.hits["http_garbage"] += 1
        try:
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            pass
        body = b"this is not a subtensor node\n"
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\n\r\n" + body)
        await writer.drain()
        writer.close()

    async def _ws_garbage(self, request):
        """Upgrades, then answers every JSON-RPC request with a non-JSON frame followed by a
        well-formed reply of the wrong shape."""
        self.hits["ws_garbage"] += 1
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            try:
                ident = json.loads(msg.data).get("id")
            except (ValueError, AttributeError, TypeError):
                ident = None
            await ws.send_str("}}garbage{{")
            await ws.send_str(json.dumps({"jsonrpc": "2.0", "id": ident, "result": {"not": "what you asked"}}))
        return ws
