"""HTTP client of the Rasa server (REST channel, parse API) and the action server."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

import aiohttp


def with_token(url: str, token: str) -> str:
    """A Rasa HTTP API URL carrying Rasa's `--auth-token` (its API takes it as `?token=`)."""
    if not token:
        return url
    return f"{url}{'&' if '?' in url else '?'}token={quote(token, safe='')}"


class RasaUnavailable(Exception):
    """Rasa did not answer in time or answered with an error."""


class RasaClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        rasa_url: str,
        action_url: str,
        timeout_s: float,
        token: str = "",
    ) -> None:
        self.session = session
        self.token = token  # Rasa's --auth-token: its tracker and model APIs need it
        self.rasa_url = rasa_url
        self.action_url = action_url
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def _post(self, path: str, body: Any) -> Any:
        try:
            async with self.session.post(
                with_token(f"{self.rasa_url}{path}", self.token), json=body, timeout=self.timeout
            ) as resp:
                if resp.status != 200:
                    raise RasaUnavailable(f"rasa answered {resp.status}")
                return await resp.json()
        # (on Python 3.10 aiohttp's timeout is asyncio.TimeoutError, not the builtin)
        except (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError) as exc:
            raise RasaUnavailable(str(exc) or type(exc).__name__) from exc

    async def send(self, conv_id: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """The bot's replies to one shopper message (Rasa's REST channel)."""
        body = {"sender": conv_id, "message": text, "metadata": metadata}
        return list(await self._post("/webhooks/rest/webhook", body))

    async def add_events(self, conv_id: str, events: list[dict[str, Any]]) -> None:
        """Append events to the bot's tracker (agent turns, slot resets at hand-back), so
        the bot knows what happened while a person had the chat."""
        await self._post(
            f"/conversations/{quote(conv_id, safe='')}/tracker/events?include_events=NONE", events
        )

    async def slots(self, sender: str) -> dict[str, Any]:
        """The current slot values of a tracker (no events)."""
        try:
            url = f"{self.rasa_url}/conversations/{quote(sender, safe='')}/tracker"
            async with self.session.get(
                with_token(url + "?include_events=NONE", self.token),
                timeout=self.timeout,
            ) as resp:
                if resp.status != 200:
                    raise RasaUnavailable(f"rasa answered {resp.status}")
                return dict((await resp.json()).get("slots") or {})
        except (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError) as exc:
            raise RasaUnavailable(str(exc) or type(exc).__name__) from exc

    async def carry_over(self, old: str, new: str) -> None:
        """Start tracker `new` with the slot values of `old` (verified order, language, ...)."""
        events = [
            {"event": "slot", "name": name, "value": value}
            for name, value in (await self.slots(old)).items()
            if value is not None
        ]
        if events:
            await self.add_events(new, events)

    async def parse(self, text: str) -> dict[str, Any]:
        """NLU only, no dialogue state touched."""
        return dict(await self._post("/model/parse", {"text": text}))

    async def action_server_ok(self) -> bool:
        try:
            async with self.session.get(
                f"{self.action_url}/health", timeout=aiohttp.ClientTimeout(total=1)
            ) as r:
                return r.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError):
            return False

    async def health(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, url in (
            ("rasa", with_token(f"{self.rasa_url}/status", self.token)),
            ("action_server", f"{self.action_url}/health"),
        ):
            try:
                async with self.session.get(url, timeout=aiohttp.ClientTimeout(total=2)) as r:
                    out[name] = {"ok": r.status == 200, "status": r.status}
            except (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError) as exc:
                out[name] = {"ok": False, "error": type(exc).__name__}
        return out
