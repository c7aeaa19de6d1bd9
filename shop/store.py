"""The adapter interface actions and gateway read the shop through, and the sample store.

A real platform (Shopify, WooCommerce) gets its own ShopStore subclass mapping its API into
shop.models; nothing in actions/ or handoff/ changes.
"""

from __future__ import annotations

import hmac
import json
import os
import re
import time
import unicodedata
from abc import ABC, abstractmethod
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from shop import coupons
from shop.catalog import BY_SKU, PRODUCTS
from shop.dates import ASCII_DIGITS
from shop.models import Customer, Order, OrderLine, Product, Refund, Shipment, ShipmentEvent
from shop.policy import Policies, load_policies
from shop.tracking import settled

ORDER_ID_RE = re.compile(r"^(?:XB)?-?\s*(\d{6})$", re.IGNORECASE)


def normalize_order_id(raw: str) -> str | None:
    """'xb204518', '#XB-204518', '204518', 'XB-٢٠٤٥١٨' -> 'XB-204518'; anything else -> None."""
    cleaned = unicodedata.normalize("NFKC", raw).translate(ASCII_DIGITS)
    match = ORDER_ID_RE.match(cleaned.strip().lstrip("#").replace(" ", "").upper())
    return f"XB-{match.group(1)}" if match else None


class ShopStore(ABC):
    """Read access to orders, customers, products and policies."""

    policies: Policies

    @abstractmethod
    def now(self) -> datetime: ...

    @abstractmethod
    def get_order(self, order_id: str) -> Order | None: ...

    @abstractmethod
    def orders_for_email(self, email: str) -> list[Order]: ...

    @abstractmethod
    def all_orders(self) -> list[Order]: ...

    def open_orders(self) -> list[Order]:
        """Orders that can still have a shipment problem (not cancelled, parcel not
        delivered: `shop.tracking.settled`): what the notice watcher scans on every pass.
        A platform adapter answers from its own index (unfulfilled or in-transit
        fulfilments); this default filters every order."""
        return [o for o in self.all_orders() if not settled(o)]

    @abstractmethod
    def create_coupon(self, order: Order, tier: str) -> coupons.Coupon:
        """A new single-use recovery code for the order's shopper (rule: policies.yml)."""

    @abstractmethod
    def redeem_coupon(
        self, code: str, order_total: float, currency: str, at: datetime | None = None
    ) -> coupons.Coupon:
        """Use a code on an order, once; raises coupons.CouponError when it cannot be."""

    def verify(self, order_id: str, email: str) -> Order | None:
        """The order when `email` is the order's email; None otherwise (no hint which part)."""
        normalized = normalize_order_id(order_id)
        order = self.get_order(normalized) if normalized else None
        given = email.strip().lower().encode()
        expected = (order.email.lower() if order else "x" * len(given)).encode()
        ok = hmac.compare_digest(given, expected)
        return order if (order and ok) else None

    def customer(self, email: str) -> Customer | None:
        orders = [o for o in self.orders_for_email(email) if o.status != "cancelled"]
        if not orders:
            return None
        fx = self.policies.fx_per_usd
        value = sum(o.total / fx[o.currency] for o in orders)
        return Customer(
            email=orders[0].email,
            name=orders[0].customer_name,
            country=orders[0].country,
            orders_count=len(orders),
            lifetime_value_usd=round(value, 2),
        )

    def product(self, sku: str) -> Product | None:
        return BY_SKU.get(sku)

    def products(self) -> tuple[Product, ...]:
        return PRODUCTS

    def find_product(self, text: str) -> Product | None:
        """The catalogue product whose name shares the most words with `text`."""
        words = set(re.findall(r"\w+", text.lower()))
        best, best_score = None, 0
        for product in PRODUCTS:
            name_words = set(re.findall(r"\w+", product.name.lower()))
            score = len(words & name_words)
            if score > best_score:
                best, best_score = product, score
        return best


def _dt(raw: str | None, shift: timedelta) -> datetime | None:
    """An optional timestamp (absent or empty -> None), shifted."""
    return _at(raw, shift) if raw else None


def _at(raw: str, shift: timedelta) -> datetime:
    """A required timestamp, shifted."""
    return datetime.fromisoformat(raw) + shift


def _order(raw: dict[str, Any], shift: timedelta) -> Order:
    shipment = None
    if raw.get("shipment"):
        s = raw["shipment"]
        shipment = Shipment(
            carrier=s["carrier"],
            service=s["service"],
            tracking_number=s["tracking_number"],
            events=tuple(
                ShipmentEvent(
                    at=_at(e["at"], shift),
                    code=e["code"],
                    place=e["place"],
                    country=e["country"],
                )
                for e in s["events"]
            ),
            warehouse=s.get("warehouse", ""),
        )
    return Order(
        order_id=raw["order_id"],
        email=raw["email"],
        customer_name=raw["customer_name"],
        country=raw["country"],
        currency=raw["currency"],
        lines=tuple(
            OrderLine(
                sku=x["sku"],
                name=x["name"],
                quantity=x["quantity"],
                unit_price=x["unit_price"],
                size=x.get("size"),
                color=x.get("color"),
            )
            for x in raw["lines"]
        ),
        total=raw["total"],
        placed_at=_at(raw["placed_at"], shift),
        ship_by=_at(raw["ship_by"], shift),
        status=raw["status"],
        shipping_service=raw["shipping_service"],
        address=raw["address"],
        shipment=shipment,
        refunds=tuple(
            Refund(
                amount=r["amount"],
                status=r["status"],
                method=r["method"],
                created_at=_at(r["created_at"], shift),
                completed_at=_dt(r.get("completed_at"), shift),
                reason=r.get("reason", ""),
            )
            for r in raw["refunds"]
        ),
        payment_method=raw.get("payment_method", "card"),
        payment_captures=raw.get("payment_captures", 1),
    )


class SampleStore(ShopStore):
    """The generated demo shop, held in memory; dates shifted so the anchor is `now`.

    Opened from a file, it re-reads the file when it changes (checked at most every
    `REFRESH_S`): that is how a tracking update written by a demo (`make demo-stall`)
    reaches the running gateway and action server. A re-read keeps the store's clock, so
    every other order keeps its exact times (and its notices their ids).
    """

    REFRESH_S = 1.0

    def __init__(
        self,
        data: dict[str, Any],
        now: datetime | None = None,
        policies: Policies | None = None,
        path: Path | None = None,
    ) -> None:
        self._now = now or datetime.now(timezone.utc)
        self.policies = policies or load_policies()
        self.coupons: coupons.CouponBook = coupons.MemoryCouponBook()  # mutable state
        self._path = path
        self._stamp = self._file_stamp()
        self._checked = time.monotonic()
        self._load(data)

    def _load(self, data: dict[str, Any]) -> None:
        shift = self._now - datetime.fromisoformat(data["anchor"])
        orders = {o["order_id"]: _order(o, shift) for o in data["orders"]}
        by_email: dict[str, list[Order]] = {}
        for order in orders.values():
            by_email.setdefault(order.email.lower(), []).append(order)
        self.scenarios = {o["order_id"]: o.get("scenario", "") for o in data["orders"]}
        self._by_email = by_email
        # the open orders' ids, once per read: settled ones (most of a shop) never reopen
        self._open = [o.order_id for o in orders.values() if not settled(o)]
        self._orders = orders

    def _file_stamp(self) -> tuple[int, int, int] | None:
        if self._path is None:
            return None
        try:
            st = self._path.stat()
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)  # a replaced file has a new inode

    def refresh(self) -> bool:
        """Re-reads the file if it changed since it was read; whether it did."""
        stamp = self._file_stamp()
        if self._path is None or stamp is None or stamp == self._stamp:
            return False
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False  # mid-write by a non-atomic writer: the next check reads it
        self._load(data)
        self._stamp = stamp
        return True

    def _fresh(self) -> None:
        if self._path is not None and time.monotonic() - self._checked >= self.REFRESH_S:
            self._checked = time.monotonic()
            self.refresh()

    @classmethod
    def from_file(cls, path: Path, now: datetime | None = None) -> SampleStore:
        return cls(json.loads(path.read_text(encoding="utf-8")), now=now, path=path)

    def now(self) -> datetime:
        return self._now

    def get_order(self, order_id: str) -> Order | None:
        self._fresh()
        return self._orders.get(order_id)

    def orders_for_email(self, email: str) -> list[Order]:
        self._fresh()
        return list(self._by_email.get(email.strip().lower(), []))

    def all_orders(self) -> list[Order]:
        self._fresh()
        return list(self._orders.values())

    def open_orders(self) -> list[Order]:
        self._fresh()
        orders = [self._orders[i] for i in self._open if i in self._orders]
        return [o for o in orders if not settled(o)]

    def create_coupon(self, order: Order, tier: str) -> coupons.Coupon:
        return coupons.issue(self.coupons, self.policies, order, tier, datetime.now(timezone.utc))

    def redeem_coupon(
        self, code: str, order_total: float, currency: str, at: datetime | None = None
    ) -> coupons.Coupon:
        when = at or datetime.now(timezone.utc)
        return coupons.redeem(self.coupons, code, order_total, currency, when)


def default_store_path() -> Path:
    return Path(
        os.environ.get(
            "SHOP_DATA",
            Path(__file__).resolve().parent.parent / "var" / "shop" / "sample_store.json",
        )
    )


def load_store(path: Path | None = None) -> ShopStore:
    """Open the configured store; generates the sample store on first use if missing."""
    kind = os.environ.get("SHOP_STORE", "sample")
    if kind != "sample":
        raise ValueError(f"unknown SHOP_STORE {kind!r}: only 'sample' ships with this build")
    path = path or default_store_path()
    # one clock for every process of a deployment (the launcher sets it): the sample
    # store's times, and so the notices' ids, are then the same in every gateway
    pinned = os.environ.get("SHOP_NOW", "").strip()
    now = datetime.fromisoformat(pinned) if pinned else None
    if not path.exists():
        from shop.generate import generate

        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(generate(), ensure_ascii=False), encoding="utf-8")
    return SampleStore.from_file(path, now=now)
