"""Where products come from: each one's supplier, what a unit costs us, the warehouse it ships from.

Root causes need these ("70 % of damaged lamps come from one supplier"). The table is data,
not drawn at random, so adding it changed none of the sample store's generated orders.
"""

from __future__ import annotations

# supplier: (warehouse it ships through, unit cost as a share of the retail price)
SUPPLIERS: dict[str, tuple[str, float]] = {
    "Hangzhou Silkline Garments": ("Yiwu Futian", 0.34),
    "Guangzhou Finestitch Apparel": ("Dongguan Humen", 0.31),
    "Putian Stride Footwear": ("Dongguan Humen", 0.38),
    "Shenzhen Voltway Electronics": ("Shenzhen Longhua", 0.46),
    "Dongguan Brightcell Tech": ("Shenzhen Longhua", 0.42),
    "Foshan Lumenhome Lighting": ("Dongguan Humen", 0.36),
    "Ningbo Hearthware": ("Yiwu Futian", 0.33),
    "Yiwu Craftline Accessories": ("Yiwu Futian", 0.28),
}
WAREHOUSES = tuple(sorted({w for w, _ in SUPPLIERS.values()}))

# first matching rule wins: an exact SKU, else its category
_BY_SKU = {
    "AP-101": "Hangzhou Silkline Garments",
    "AP-104": "Hangzhou Silkline Garments",
    "AP-105": "Hangzhou Silkline Garments",
    "AP-110": "Hangzhou Silkline Garments",
    "AP-112": "Hangzhou Silkline Garments",
    "AP-115": "Hangzhou Silkline Garments",
    "EL-303": "Dongguan Brightcell Tech",
    "EL-305": "Dongguan Brightcell Tech",
    "EL-306": "Foshan Lumenhome Lighting",
    "EL-308": "Dongguan Brightcell Tech",
    "HM-403": "Foshan Lumenhome Lighting",
    "HM-406": "Foshan Lumenhome Lighting",
}
_BY_CATEGORY = {
    "apparel": "Guangzhou Finestitch Apparel",
    "shoes": "Putian Stride Footwear",
    "electronics": "Shenzhen Voltway Electronics",
    "home": "Ningbo Hearthware",
    "accessories": "Yiwu Craftline Accessories",
}


def supplier_for(sku: str, category: str) -> str:
    return _BY_SKU.get(sku) or _BY_CATEGORY[category]


def unit_cost_usd(sku: str, category: str, price_usd: float) -> float:
    return round(price_usd * SUPPLIERS[supplier_for(sku, category)][1], 2)


def warehouse_for(supplier: str) -> str:
    return SUPPLIERS[supplier][0]
