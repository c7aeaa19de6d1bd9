"""Commerce data layer: orders, shipments, products, policies behind one adapter interface."""

from shop.models import Customer, Order, OrderLine, Product, Refund, Shipment, ShipmentEvent
from shop.store import ShopStore, load_store

__all__ = [
    "Customer",
    "Order",
    "OrderLine",
    "Product",
    "Refund",
    "Shipment",
    "ShipmentEvent",
    "ShopStore",
    "load_store",
]
