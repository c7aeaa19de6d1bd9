"""A shopper client's conversation tokens, as the widget keeps them, for tests and benches.

The gateway gives each new conversation a token (in the first REST reply as
`conversation_token`, on a new socket in `hello.token`); reading the transcript, posting
again and reopening the socket need it. Conversation ids are unique per test run, so one
process-wide map is enough.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

TOKENS: dict[str, str] = {}
HEADER = "X-Conversation-Token"


def remember(conv_id: str, reply: dict[str, Any]) -> dict[str, Any]:
    """Keep the token of a REST reply or a socket hello (when it carries one)."""
    token = reply.get("conversation_token") or reply.get("token")
    if isinstance(token, str) and token:
        TOKENS[conv_id] = token
    return reply


def headers(conv_id: str) -> dict[str, str]:
    token = TOKENS.get(conv_id)
    return {HEADER: token} if token else {}


def ws_url(base: str, conv_id: str, after: int = 0) -> str:
    url = base.replace("http", "ws", 1) + f"/ws/shopper?conversation_id={quote(conv_id)}"
    if after:
        url += f"&after={after}"
    token = TOKENS.get(conv_id)
    return url + (f"&token={quote(token)}" if token else "")
