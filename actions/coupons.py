"""The recovery coupon the bot offers once a problem is settled: after an accepted remedy
or refund, or a late parcel. The rule (value, minimum order, expiry) is per country and tier
in shop/policies.yml; the code comes from the shop through `ShopStore.create_coupon`."""

from __future__ import annotations

from datetime import datetime

from babel.numbers import format_percent

from actions.base import Ctx
from actions.clients import events, redis_state, shop
from shop.coupons import Coupon
from shop.models import Order
from shop.store import SampleStore

REFUND_OPTIONS = frozenset({"refund_without_return", "partial_refund", "return_refund"})


def _use_shared_book() -> None:
    """The sample store keeps codes in Redis when the action server has one, so every
    process (and a later redemption) sees the same codes."""
    store = shop.store()
    state = redis_state.state()
    if isinstance(store, SampleStore) and isinstance(state, redis_state.RedisState):
        if not isinstance(store.coupons, redis_state.RedisCouponBook):
            store.coupons = redis_state.RedisCouponBook(state.redis)


def tier_for_remedy(option: str) -> str:
    return "refund" if option in REFUND_OPTIONS else "remedy"


def offer_coupon(ctx: Ctx, order: Order, tier: str) -> Coupon:
    """Create the code, tell the shopper in their language, emit `coupon_issued`."""
    _use_shared_book()
    coupon = shop.store().create_coupon(order, tier)
    fmt = ctx.fmt(order)
    discount = (
        format_percent(coupon.value / 100, locale=fmt.locale)
        if coupon.kind == "percent"
        else fmt.money(coupon.value, coupon.currency)
    )
    text = ctx.t(
        "coupon_issued",
        code=coupon.code,
        discount=discount,
        expires=fmt.date(datetime.fromisoformat(coupon.expires_at)),
    )
    if coupon.min_order > 0:
        text += " " + ctx.t("coupon_min_order", amount=fmt.money(coupon.min_order, coupon.currency))
    ctx.say_text(text)
    events.emit(
        "coupon_issued",
        ctx.tracker.sender_id,
        order_id=order.order_id,
        code=coupon.code,
        value=coupon.value,
        kind=coupon.kind,
        currency=coupon.currency,
        tier=tier,
        expires_at=coupon.expires_at,
    )
    ctx.log("coupon_issued", order_id=order.order_id, tier=tier, code=coupon.code)
    return coupon


def offer_once(ctx: Ctx, order: Order, tier: str) -> Coupon | None:
    """The tier's coupon for this order unless one was already issued (a late parcel is
    asked about again and again)."""
    _use_shared_book()
    store = shop.store()
    if isinstance(store, SampleStore) and not store.coupons.first_for(order.order_id, tier):
        return None
    return offer_coupon(ctx, order, tier)
