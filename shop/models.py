"""Plain data types of the commerce layer; adapters for real platforms map into these."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class SizeRow:
    """One row of a size chart: the label and the body measurements it fits (cm)."""

    label: str
    chest: tuple[float, float] | None = None
    waist: tuple[float, float] | None = None
    foot: tuple[float, float] | None = None
    eu: str | None = None
    us: str | None = None
    uk: str | None = None


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    category: str  # apparel | shoes | electronics | home | accessories
    price_usd: float
    processing_days: tuple[int, int]
    size_chart: tuple[SizeRow, ...] = ()
    fit: str = "true"  # runs_small | true | runs_large
    fit_returns_small_pct: int = 0
    fit_returns_large_pct: int = 0
    usage: tuple[str, ...] = ()
    weight_kg: float = 0.5
    supplier: str = ""
    unit_cost_usd: float = 0.0  # what one unit costs us (losses, reship cost)

    @property
    def has_sizes(self) -> bool:
        return bool(self.size_chart)


@dataclass(frozen=True)
class Customer:
    email: str
    name: str
    country: str
    orders_count: int
    lifetime_value_usd: float

    @property
    def tier(self) -> str:
        if self.lifetime_value_usd >= 1000 or self.orders_count >= 8:
            return "vip"
        if self.orders_count >= 2:
            return "repeat"
        return "new"


@dataclass(frozen=True)
class OrderLine:
    sku: str
    name: str
    quantity: int
    unit_price: float
    size: str | None = None
    color: str | None = None


@dataclass(frozen=True)
class ShipmentEvent:
    at: datetime
    code: str
    place: str
    country: str


@dataclass(frozen=True)
class Shipment:
    carrier: str
    service: str
    tracking_number: str
    events: tuple[ShipmentEvent, ...]
    warehouse: str = ""  # where the parcel left from

    @property
    def last_event(self) -> ShipmentEvent | None:
        return self.events[-1] if self.events else None

    @property
    def delivered_at(self) -> datetime | None:
        return next((e.at for e in self.events if e.code == "delivered"), None)


@dataclass(frozen=True)
class Refund:
    amount: float
    status: str  # requested | approved | processing | completed | rejected
    method: str  # card | paypal | store_credit
    created_at: datetime
    completed_at: datetime | None = None
    reason: str = ""


@dataclass(frozen=True)
class Order:
    order_id: str
    email: str
    customer_name: str
    country: str
    currency: str
    lines: tuple[OrderLine, ...]
    total: float
    placed_at: datetime
    ship_by: datetime
    status: str  # processing | shipped | delivered | cancelled | returned
    shipping_service: str  # standard | express
    address: str
    shipment: Shipment | None = None
    refunds: tuple[Refund, ...] = field(default=())
    payment_method: str = "card"
    payment_captures: int = 1

    @property
    def shipped(self) -> bool:
        return self.shipment is not None and bool(self.shipment.events)
