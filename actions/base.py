"""What every action shares: the conversation context, copy in the shopper's language, and
the order-ownership check that gates order details.

Over 300 lines: the ownership check (proof, email-channel rule, verification limits) stays
beside the context it reads, so every action gates order data the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.clients import redis_state, shop
from bot import copy as copy_
from bot import language
from shop.models import Order, OrderLine
from shop.store import normalize_order_id

LOG = logging.getLogger("actions")


def customer_token_email(
    token: str, secret: str | None = None, now: float | None = None
) -> str | None:
    """The email inside a storefront token 'email|expiry|hexsig' signed with HMAC-SHA256."""
    secret = secret if secret is not None else os.environ.get("CUSTOMER_TOKEN_SECRET", "")
    if not secret or not token or token.count("|") != 2:
        return None
    email, expiry, signature = token.split("|")
    expected = hmac.new(secret.encode(), f"{email}|{expiry}".encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return None
    try:
        if float(expiry) < (now or time.time()):
            return None
    except ValueError:
        return None
    return email.strip().lower()


@dataclass
class Ctx:
    """One action run: tracker, dispatcher, language, and the events it will return."""

    tracker: Tracker
    dispatcher: CollectingDispatcher
    lang: str = "en"
    events: list[EventType] = field(default_factory=list)
    last_said: str = ""

    @classmethod
    def build(cls, tracker: Tracker, dispatcher: CollectingDispatcher) -> Ctx:
        ctx = cls(tracker, dispatcher)
        ctx.lang = resolve_language(tracker)
        # tells the gateway what the bot understood (kept in the transcript for trainers)
        dispatcher.utter_message(
            json_message={
                "nlu": {
                    "intent": ctx.intent,
                    "language": ctx.lang,
                    "confidence": (tracker.latest_message.get("intent") or {}).get("confidence"),
                }
            }
        )
        if ctx.lang != tracker.get_slot("language"):
            ctx.events.append(SlotSet("language", ctx.lang))
        return ctx

    @property
    def metadata(self) -> dict[str, Any]:
        return self.tracker.latest_message.get("metadata") or {}

    @property
    def text(self) -> str:
        return self.tracker.latest_message.get("text") or ""

    @property
    def intent(self) -> str:
        return (self.tracker.latest_message.get("intent") or {}).get("name") or ""

    def slot(self, name: str) -> Any:
        return self.tracker.get_slot(name)

    def set(self, name: str, value: Any) -> None:
        self.events.append(SlotSet(name, value))

    def fmt(self, order: Order | None = None) -> copy_.Fmt:
        return copy_.Fmt(self.lang, order.country if order else None)

    def t(self, key: str, **params: Any) -> str:
        return copy_.render(key, self.lang, **params)

    def say(self, key: str, buttons: list[dict[str, str]] | None = None, **params: Any) -> None:
        self.say_text(self.t(key, **params), buttons)

    def say_text(self, text: str, buttons: list[dict[str, str]] | None = None) -> None:
        self.last_said = text
        self.dispatcher.utter_message(text=text, buttons=buttons or [])

    def refund_method(self, order: Order) -> str:
        """Where a refund of this order goes, in the shopper's language."""
        return self.t(f"method_{'paypal' if order.payment_method == 'paypal' else 'card'}")

    @property
    def has_order(self) -> bool:
        """The shopper named or proved an order in this chat."""
        return bool(self.slot("verified_order") or self.slot("order_id"))

    def yes_no(self) -> list[dict[str, str]]:
        return [
            {"title": self.t("button_yes"), "payload": "/affirm"},
            {"title": self.t("button_no"), "payload": "/deny"},
        ]

    def offer(self, kind: str, **data: Any) -> None:
        """Remember what a yes/no answer now refers to, with the question we asked."""
        self.set("pending_offer", json.dumps({"kind": kind, "prompt": self.last_said, **data}))

    def log(self, event: str, **fields: Any) -> None:
        """One event name plus key=value pairs (logfmt), always with the conversation id."""
        pairs = {"conversation_id": self.tracker.sender_id, "lang": self.lang, **fields}
        LOG.info(
            "%s %s", event, " ".join(f"{k}={json.dumps(v, default=str)}" for k, v in pairs.items())
        )


def announce_order(ctx: Ctx, order: Order) -> None:
    """Tell the gateway which order this chat is about: its value and the customer's tier
    feed escalation scoring and the agent's order panel."""
    store = shop.store()
    customer = store.customer(order.email)
    value_usd = round(order.total / store.policies.fx_per_usd[order.currency], 2)
    ctx.dispatcher.utter_message(
        json_message={
            "order": {
                "order_id": order.order_id,
                "country": order.country,
                "value_usd": value_usd,
                "customer_tier": customer.tier if customer else "new",
            }
        }
    )


def resolve_language(tracker: Tracker) -> str:
    """The gateway decides (sticky, with hints); without it, decide here the same way."""
    message = tracker.latest_message or {}
    meta = message.get("metadata") or {}
    if meta.get("language") in language.NATIVE:
        return str(meta["language"])
    previous = tracker.get_slot("language")
    detected = language.detect(message.get("text") or "", hint=meta.get("locale"))
    chosen = language.choose(previous, detected, hint=meta.get("locale"))
    return chosen if language.is_native(chosen) else "en"


def resolve_order(ctx: Ctx, request: str) -> Order | None:
    """The order the shopper has proven to own, or None after asking for what's missing.

    Proof is the order number plus the order's email, or a signed customer token from the
    storefront. Failures say nothing about which part was wrong. They are counted in
    sliding windows (actions/clients/redis_state.WINDOWS) per conversation and per client
    address - those lock - and per order number and per email, which never lock a right
    pair out but, once over their limit, lock every further guesser at its first miss.
    """
    store = shop.store()
    state = redis_state.state()
    given_id = normalize_order_id(ctx.slot("order_id") or "") if ctx.slot("order_id") else None
    verified_id = ctx.slot("verified_order")
    if verified_id and (given_id is None or given_id == verified_id):
        return store.get_order(verified_id)
    token_email = customer_token_email(str(ctx.metadata.get("customer_token") or ""))
    if ctx.metadata.get("channel") == "email":
        # by email, ownership is the sender's address (signed by the gateway's email
        # channel) matching the order's; an address typed into the body proves nothing
        email = token_email
    else:
        email = (ctx.slot("email") or token_email or "").strip().lower() or None
    if verified_id and given_id and email is None:
        # a second order in the same chat: the email they proved before may cover it
        previous = store.get_order(verified_id)
        email = previous.email if previous else None
    # the guesser's own scopes lock; the order's and the email's never stop a right pair
    own = [f"conv:{ctx.tracker.sender_id}"]
    client = ctx.metadata.get("client_address")
    if isinstance(client, str) and client:
        own.append(f"client:{client}")
    if state.locked(*own):
        ctx.say("verify_locked", minutes=state.lock_minutes(*own))
        ctx.set("pending_request", None)
        return None
    if token_email and given_id is None:
        orders = sorted(store.orders_for_email(token_email), key=lambda o: o.placed_at)
        if orders:
            latest = orders[-1]
            ctx.set("verified_order", latest.order_id)
            announce_order(ctx, latest)
            ctx.say("verified_token", order_id=latest.order_id)
            return latest
    if given_id and email:
        order = store.verify(given_id, email)
        if order:
            ctx.set("verified_order", order.order_id)
            ctx.set("pending_request", None)
            state.clear_failures(own[0])
            announce_order(ctx, order)
            ctx.log("order_verified", order_id=order.order_id)
            return order
        targets = [f"order:{given_id}", f"email:{email}"]
        for scope in own + targets:
            state.add_failure(scope)
        if any(state.over_limit(t) for t in targets):
            # someone is working on this order or this email: each further wrong guess
            # costs the guesser its whole window, from any conversation
            for scope in own:
                state.lock(scope)
        ctx.log("order_verification_failed", order_id=given_id)
        ctx.set("order_id", None)
        ctx.set("email", None)
        ctx.set("pending_request", request)
        if state.locked(*own):
            ctx.say("verify_locked", minutes=state.lock_minutes(*own))
        else:
            ctx.say("verify_failed")
        return None
    ctx.set("pending_request", request)
    if given_id:
        ctx.say("ask_email", order_id=given_id)
    elif email:
        ctx.say("ask_order_id")
    else:
        ctx.say("ask_order_and_email")
    return None


Answer = Callable[[Ctx, Order], None]
# request name -> the function answering it once the order is known (filled by the modules)
ANSWERS: dict[str, Answer] = {}


class FeatureAction(Action):
    """An intent's action: needs a verified order (unless needs_order=False), then answers."""

    request: str = ""
    needs_order = True

    def name(self) -> str:
        return f"action_{self.request}"

    def answer(self, ctx: Ctx, order: Order) -> None:
        raise NotImplementedError

    def answer_without_order(self, ctx: Ctx) -> bool:
        """Answer what can be answered without an order; True when done."""
        return False

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ctx = Ctx.build(tracker, dispatcher)
        ctx.set("fallback_count", 0)
        if await_free_text(ctx):
            return ctx.events
        if not self.needs_order and self.answer_without_order(ctx):
            return ctx.events
        if not self.needs_order and not ctx.slot("verified_order") and not ctx.slot("order_id"):
            return ctx.events
        order = resolve_order(ctx, self.request)
        if order is not None:
            ctx.set("pending_request", None)
            self.answer(ctx, order)
        return ctx.events


# pending_request value -> what to do with the shopper's next message (feature modules
# register here, e.g. actions.orders for "new_address"), so this module imports none of them
FREE_TEXT_HANDLERS: dict[str, Callable[[Ctx], None]] = {}


def awaiting_free_text(tracker: Tracker) -> bool:
    """We asked for free text (a new address): the next message is it."""
    return tracker.get_slot("pending_request") in FREE_TEXT_HANDLERS


# what a shopper says to drop the step we are in, not to answer it: a bare "cancel", "hủy"
# or "إلغاء" while we wait for an address is never the address (the cancel flow that runs
# instead asks yes/no before it cancels anything)
LEAVES_FREE_TEXT = {"human_handoff", "deny", "goodbye", "cancel_order"}


def await_free_text(ctx: Ctx) -> bool:
    """When we asked for free text (a new address), this message is it, whatever its intent."""
    if not awaiting_free_text(ctx.tracker) or ctx.intent in LEAVES_FREE_TEXT:
        return False
    FREE_TEXT_HANDLERS[str(ctx.slot("pending_request"))](ctx)
    return True


def register(request: str) -> Callable[[type[FeatureAction]], type[FeatureAction]]:
    def wrap(cls: type[FeatureAction]) -> type[FeatureAction]:
        cls.request = request
        ANSWERS[request] = lambda ctx, order: cls().answer(ctx, order)
        return cls

    return wrap


def first_line_for(order: Order, ctx: Ctx, sized: bool = False) -> OrderLine | None:
    """The order line the shopper means: the product they named, else the first line."""
    product_word = (ctx.slot("product") or "").lower()
    store = shop.store()
    lines = [
        ln for ln in order.lines if not sized or getattr(store.product(ln.sku), "has_sizes", False)
    ]
    for line in lines:
        if product_word and product_word in line.name.lower():
            return line
    return lines[0] if lines else None


def items_phrase(order: Order, fmt: copy_.Fmt) -> str:
    return fmt.list(
        [f"{ln.quantity} × {ln.name}" if ln.quantity > 1 else ln.name for ln in order.lines]
    )
