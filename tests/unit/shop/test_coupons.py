"""Recovery coupons: the rule per country and tier, single use, expiry, and the Redis book
the action server keeps codes in."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import redis

from actions.clients.redis_state import RedisCouponBook
from handoff import keys
from shop import coupons
from shop.coupons import CouponError, coupon_rule
from shop.policy import load_policies


def test_rule_per_country_and_tier() -> None:
    p = load_policies()
    us = coupon_rule(p, "US", "remedy")
    assert (us.kind, us.value, us.currency, us.min_order, us.expiry_days) == (
        "percent", 15.0, "USD", 30.0, 90
    )  # fmt: skip
    de = coupon_rule(p, "DE", "refund")  # fixed 10 USD, converted and rounded
    assert (de.kind, de.currency, de.value, de.min_order) == ("fixed", "EUR", 9.2, 36.8)
    jp = coupon_rule(p, "JP", "refund")  # the country's own rule, in yen
    assert (jp.value, jp.min_order, jp.currency) == (1500.0, 6000.0, "JPY")
    vn = coupon_rule(p, "VN", "refund")  # whole units
    assert vn.value == 250000.0 and vn.min_order == 1000000.0
    assert coupon_rule(p, "FR", "late_parcel").value == 10.0
    with pytest.raises(ValueError):
        coupon_rule(p, "US", "jackpot")


def test_codes_are_single_use_and_expire(store) -> None:  # type: ignore[no-untyped-def]
    order = next(o for o in store.all_orders() if o.country == "DE")
    a = store.create_coupon(order, "refund")
    b = store.create_coupon(order, "refund")
    assert a.code != b.code and a.code.startswith("XB") and len(a.code) == 12
    with pytest.raises(CouponError) as too_small:
        store.redeem_coupon(a.code, 20.0, "EUR")
    assert too_small.value.reason == "min_order"
    with pytest.raises(CouponError) as wrong_currency:
        store.redeem_coupon(a.code, 100.0, "USD")
    assert wrong_currency.value.reason == "currency"
    used = store.redeem_coupon(a.code.lower(), 100.0, "EUR")
    assert used.discount(100.0) == 9.2
    with pytest.raises(CouponError) as again:
        store.redeem_coupon(a.code, 100.0, "EUR")
    assert again.value.reason == "used"
    later = datetime.now(timezone.utc) + timedelta(days=91)
    with pytest.raises(CouponError) as expired:
        store.redeem_coupon(b.code, 100.0, "EUR", at=later)
    assert expired.value.reason == "expired"
    with pytest.raises(CouponError) as unknown:
        store.redeem_coupon("XBNOTACODE00", 100.0, "EUR")
    assert unknown.value.reason == "unknown"


def test_redis_book_redeems_once_across_clients(redis_url: str, store) -> None:  # type: ignore[no-untyped-def]
    one, two = redis.Redis.from_url(redis_url), redis.Redis.from_url(redis_url)
    try:
        order = next(o for o in store.all_orders() if o.country == "US")
        now = datetime.now(timezone.utc)
        coupon = coupons.issue(RedisCouponBook(one), load_policies(), order, "remedy", now)
        assert one.ttl(keys.coupon(coupon.code)) > 90 * 86400
        assert RedisCouponBook(two).get(coupon.code) == coupon
        coupons.redeem(RedisCouponBook(one), coupon.code, 50.0, "USD", now)
        with pytest.raises(CouponError, match="already been used"):
            coupons.redeem(RedisCouponBook(two), coupon.code, 50.0, "USD", now)
    finally:
        one.close()
        two.close()
