"""A local server speaking LibreTranslate's HTTP API (POST /translate), for tests.

Translations come from a small phrase table; anything else English->X comes back as
"[x] text" so tests can see that the translated path was taken. `mode` switches between
up, slow (sleeps past the client's timeout) and error (HTTP 500); `hits` counts calls.
"""

from __future__ import annotations

import asyncio
import socket
import threading

from aiohttp import web

PHRASES = {
    ("pl", "en"): {
        "gdzie jest moja paczka?": "where is my parcel?",
        "dzień dobry": "good morning",
        "dziękuję": "thank you",
    },
    ("tr", "en"): {"siparişim nerede?": "where is my order?"},
}


class FakeLibreTranslate:
    def __init__(self) -> None:
        self.mode = "up"
        self.hits = 0
        self.delay_s = 1.5
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    async def translate(self, request: web.Request) -> web.Response:
        self.hits += 1
        params = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(await request.post())
        if self.mode == "error":
            return web.json_response({"error": "boom"}, status=500)
        if self.mode == "slow":
            await asyncio.sleep(self.delay_s)
        q, source, target = str(params.get("q", "")), params.get("source"), params.get("target")
        table = PHRASES.get((str(source), str(target)), {})
        text = table.get(q.strip().lower())
        if text is None:
            text = f"[{target}] {q}"
        return web.json_response({"translatedText": text})

    def start(self) -> FakeLibreTranslate:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            app = web.Application()
            app.router.add_post("/translate", self.translate)
            self._runner = web.AppRunner(app)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", self.port)
            self._loop.run_until_complete(site.start())
            ready.set()
            self._loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        ready.wait(5)
        return self

    def stop(self) -> None:
        if self._loop and self._runner:
            fut = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop)
            try:
                fut.result(3)  # the listener closes first; in-flight slow calls may linger
            except Exception:  # noqa: BLE001 - a test server: stopping is best effort
                pass
            self._loop.call_soon_threadsafe(self._loop.stop)
