"""A scripted agent for real-stack tests and benchmarks: logs in, keeps the console
websocket, and waits for the messages a test expects."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any

import aiohttp


class SocketReader:
    """Waits on a websocket for the message a test expects, keeping the others for later."""

    ws: aiohttp.ClientWebSocketResponse | None
    seen: list[dict[str, Any]]
    name = "socket"

    async def expect(
        self, match: Callable[[dict[str, Any]], bool], timeout: float = 20
    ) -> dict[str, Any]:
        """The first message (already seen or coming) that matches; consumed."""
        for i, m in enumerate(self.seen):
            if match(m):
                return self.seen.pop(i)
        assert self.ws is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(
                    f"{self.name}: expected message not seen; got "
                    f"{[m.get('type') for m in self.seen][-20:]}"
                )
            msg = await self.ws.receive(timeout=left)
            if msg.type != aiohttp.WSMsgType.TEXT:
                raise AssertionError(f"{self.name}: socket closed ({msg.type})")
            data = msg.json()
            if match(data):
                return data
            self.seen.append(data)


class AgentClient(SocketReader):
    _refs = itertools.count(1)

    def __init__(
        self, session: aiohttp.ClientSession, base: str, login: str, password: str
    ) -> None:
        self.session = session
        self.base = base
        self.login = self.name = login
        self.password = password
        self.token = ""
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.seen: list[dict[str, Any]] = []

    async def connect(self, base: str | None = None) -> AgentClient:
        async with self.session.post(
            f"{self.base}/api/auth/login", json={"login": self.login, "password": self.password}
        ) as r:
            assert r.status == 200, await r.text()
            self.token = (await r.json())["token"]
        url = (base or self.base).replace("http", "ws", 1) + "/ws/agent"
        self.ws = await self.session.ws_connect(
            url, headers={"Authorization": f"Bearer {self.token}"}
        )
        await self.expect(lambda m: m["type"] == "hello")
        return self

    async def send(self, **body: Any) -> int:
        assert self.ws is not None
        ref = next(self._refs)
        await self.ws.send_json({**body, "ref": ref})
        return ref

    async def call(self, **body: Any) -> dict[str, Any]:
        """Send an operation and wait for its ok/error answer."""
        ref = await self.send(**body)
        return await self.expect(lambda m: m.get("ref") == ref and m["type"] in ("ok", "error"))

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
