"""Trainer routes for the review inbox: grouped unsure messages, assign, dismiss, context."""

from __future__ import annotations

import re

from aiohttp import web

from handoff.conversations.text import check_conversation_id
from handoff.errors import InputError
from handoff.trainer.data_routes import save_example, target_file
from handoff.trainer.files import DataRoot
from handoff.trainer.route_common import body_of, flag, known_intent, trainer_of
from handoff.web import appkeys as K

ITEM_ID = re.compile(r"^[0-9a-f]{16}$")


async def get_inbox(request: web.Request) -> web.Response:
    raw = request.query.get("limit", "300")
    if not raw.isdigit() or not 1 <= int(raw) <= 1000:
        raise InputError(400, "bad_limit", "'limit' is a number from 1 to 1000")
    return web.json_response(await trainer_of(request).inbox.groups(int(raw)))


async def assign_item(request: web.Request) -> web.Response:
    """Adds an inbox message as an example of the intent the trainer picked."""
    t = trainer_of(request)
    item_id = request.match_info["item_id"]
    if not ITEM_ID.match(item_id):
        raise InputError(404, "unknown_item", "no such inbox item")
    body = await body_of(request)
    intent = body.get("intent")
    if not isinstance(intent, str):
        raise InputError(400, "bad_intent", 'send {"intent": "track_order"}')
    known_intent(intent)
    item = await t.inbox.get(item_id)
    if item is None:
        raise InputError(404, "unknown_item", "this message is no longer in the inbox")
    lang = DataRoot.check_language(body.get("language") or item["language"])
    text = body.get("text") if body.get("text") is not None else item["text"]
    result = await save_example(
        t, lang, intent, text, target_file(t, lang, intent), None, flag(body, "allow_language")
    )
    await t.inbox.resolve([item_id], "assigned", request["account"].login, intent)
    return web.json_response({**result, "item": item_id}, status=201)


async def dismiss_items(request: web.Request) -> web.Response:
    body = await body_of(request)
    ids = body.get("ids")
    if (
        not isinstance(ids, list)
        or not ids
        or len(ids) > 1000
        or not all(isinstance(i, str) and ITEM_ID.match(i) for i in ids)
    ):
        raise InputError(400, "bad_ids", 'send {"ids": [...]} with 1-1000 inbox item ids')
    removed = await trainer_of(request).inbox.resolve(ids, "dismissed", request["account"].login)
    return web.json_response({"dismissed": removed})


async def conversation(request: web.Request) -> web.Response:
    """The conversation an inbox message came from, for context."""
    conv_id = check_conversation_id(request.match_info["conversation_id"])
    store = request.app[K.STORE]
    if not await store.exists(conv_id):
        raise InputError(404, "unknown_conversation", f"no conversation {conv_id!r}")
    return web.json_response(
        {
            "conversation_id": conv_id,
            "meta": await store.meta(conv_id),
            "transcript": await store.history(conv_id),
        }
    )
