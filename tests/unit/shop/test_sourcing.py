"""Root-cause data in the sample store: supplier and unit cost per product, warehouse per parcel."""

from __future__ import annotations

from shop.catalog import PRODUCTS
from shop.generate import generate
from shop.sourcing import SUPPLIERS, WAREHOUSES
from shop.store import SampleStore


def test_every_product_has_a_known_supplier_and_costs_less_than_it_sells_for() -> None:
    for product in PRODUCTS:
        assert product.supplier in SUPPLIERS, product.sku
        assert 0 < product.unit_cost_usd < product.price_usd, product.sku
    lamp = next(p for p in PRODUCTS if p.sku == "HM-403")
    assert lamp.supplier == "Foshan Lumenhome Lighting"


def test_generated_lines_and_shipments_carry_supplier_cost_and_warehouse() -> None:
    data = generate(seed=7, n_orders=120)
    shipped = [o for o in data["orders"] if o["shipment"]]
    assert shipped
    for order in data["orders"]:
        for line in order["lines"]:
            assert line["supplier"] in SUPPLIERS and line["unit_cost_usd"] > 0
    assert all(o["shipment"]["warehouse"] in WAREHOUSES for o in shipped)
    store = SampleStore(data)
    loaded = store.get_order(shipped[0]["order_id"])
    assert loaded is not None and loaded.shipment is not None
    assert loaded.shipment.warehouse == shipped[0]["shipment"]["warehouse"]
