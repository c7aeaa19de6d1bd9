"""Every name that crosses a wire: pub/sub events, shopper-socket and agent-socket messages.

The console (`web/static/console/console.js`), the widget (`web/static/widget.js`) and tests
speak these names; `tests/unit/test_events.py` checks that the JavaScript handles exactly
the server-to-client types listed here and sends only the client-to-server ones.
"""

from __future__ import annotations

from typing import Final

# ---- ephemeral events published on a conversation's channel (besides transcript entries)
MODE: Final = "mode"  # the chat moved to bot / queued / agent
TYPING: Final = "typing"  # someone is typing
CONVERSATION_EVENTS: Final = (MODE, TYPING)

# ---- events published on an agent's own channel
ASSIGNED: Final = "assigned"  # a colleague transferred a chat to this agent
ALERT: Final = "alert"  # a new red-light alert, to leads and admins (handoff.reports.watcher)
AGENT_EVENTS: Final = (ASSIGNED, ALERT)

# ---- shopper socket (widget) -----------------------------------------------------------
SHOPPER_MESSAGE: Final = "message"  # client -> server: {"type": "message", "text", ...}
HELLO: Final = "hello"
ENTRY: Final = "entry"
STATE: Final = "state"  # the server's answer to one shopper message
ERROR: Final = "error"
CSAT: Final = "csat"  # "How did we do?": ask the shopper once after a resolution
SHOPPER_SERVER_TYPES: Final = (HELLO, ENTRY, TYPING, MODE, STATE, ERROR, CSAT)
SHOPPER_CSAT: Final = "csat"  # client -> server: {"type": "csat", "rating": 1-5, "comment"?}
SHOPPER_CLIENT_TYPES: Final = (SHOPPER_MESSAGE, SHOPPER_CSAT)

# ---- agent socket (console): 12 operations in, 10 message types out ---------------------
OP_STATUS: Final = "status"
OP_REFRESH: Final = "refresh"
OP_OPEN: Final = "open"
OP_CLOSE_VIEW: Final = "close_view"
OP_CLAIM: Final = "claim"
OP_MESSAGE: Final = "message"
OP_CANNED: Final = "canned"
OP_TYPING: Final = "typing"
OP_TRANSFER: Final = "transfer"
OP_RELEASE: Final = "release"
OP_CLOSE: Final = "close"
OP_HANDBACK: Final = "handback"
AGENT_OPS: Final = (
    OP_STATUS,
    OP_REFRESH,
    OP_OPEN,
    OP_CLOSE_VIEW,
    OP_CLAIM,
    OP_MESSAGE,
    OP_CANNED,
    OP_TYPING,
    OP_TRANSFER,
    OP_RELEASE,
    OP_CLOSE,
    OP_HANDBACK,
)

QUEUE: Final = "queue"  # the routing view: every queued chat, mine, status
TRANSCRIPT: Final = "transcript"  # a whole chat with its order panel
OK: Final = "ok"  # an operation succeeded (carries the request's `ref`)
AGENT_SERVER_TYPES: Final = (
    HELLO, QUEUE, TRANSCRIPT, ENTRY, TYPING, MODE, ASSIGNED, ALERT, OK, ERROR,
)  # fmt: skip
