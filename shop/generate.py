"""Generate the sample store deterministically (seeded): customers, orders, shipments, refunds.

    python -m shop.generate [--seed 7] [--orders 640] [--out var/shop/sample_store.json]

Dates are written relative to ANCHOR; the store shifts them so that ANCHOR is "now" when it
loads, which keeps a demo order placed "3 days ago" three days old whenever the demo runs.

Over 300 lines: one seeded sequence of draws; split into modules, the order of random draws
(and so every generated order the tests look up) would depend on import order.
"""

from __future__ import annotations

import argparse
import json
import random
import unicodedata
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from shop.catalog import PRODUCTS
from shop.policy import load_policies
from shop.sourcing import warehouse_for

ANCHOR = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "var" / "shop" / "sample_store.json"
ORIGIN = ("Shenzhen", "CN")

# country: (weight, hub city, delivery cities, street names, first names, last names)
GEO: dict[str, tuple[int, str, list[str], list[str], list[str], list[str]]] = {
    "US": (
        16,
        "Los Angeles",
        ["Chicago", "Austin", "Denver", "Brooklyn", "Seattle", "Miami"],
        ["Maple Ave", "Oak Street", "Cedar Lane", "Lakeview Dr"],
        ["Emily", "Jacob", "Madison", "Tyler", "Olivia", "Marcus", "Grace", "Dylan"],
        ["Walker", "Bennett", "Hughes", "Foster", "Reyes", "Collins", "Price", "Hayes"],
    ),
    "GB": (
        8,
        "London Heathrow",
        ["Manchester", "Leeds", "Bristol", "Glasgow", "Cardiff"],
        ["High Street", "Church Road", "Victoria Road", "Mill Lane"],
        ["Charlotte", "Oliver", "Amelia", "Harry", "Isla", "George"],
        ["Thompson", "Wright", "Evans", "Davies", "Clarke", "Robinson"],
    ),
    "AU": (
        5,
        "Sydney",
        ["Melbourne", "Brisbane", "Perth", "Adelaide"],
        ["George St", "Beach Rd", "Station St"],
        ["Mia", "Jack", "Chloe", "Lachlan", "Ruby"],
        ["Kelly", "Murphy", "Ryan", "Nguyen"],
    ),
    "DE": (
        10,
        "Leipzig",
        ["Berlin", "München", "Hamburg", "Köln", "Frankfurt am Main"],
        ["Hauptstraße", "Gartenweg", "Lindenallee", "Schulstraße"],
        ["Lena", "Jonas", "Sophie", "Lukas", "Hannah", "Felix", "Marie", "Tobias"],
        ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann"],
    ),
    "FR": (
        8,
        "Paris-CDG",
        ["Lyon", "Marseille", "Toulouse", "Nantes", "Lille"],
        ["rue de la République", "avenue Jean Jaurès", "rue Victor Hugo"],
        ["Camille", "Lucas", "Chloé", "Hugo", "Manon", "Théo"],
        ["Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Laurent"],
    ),
    "ES": (
        7,
        "Madrid-Barajas",
        ["Barcelona", "Valencia", "Sevilla", "Bilbao", "Málaga"],
        ["Calle Mayor", "Avenida de la Constitución", "Calle del Sol"],
        ["Lucía", "Hugo", "Martina", "Pablo", "Carmen", "Álvaro"],
        ["García", "Fernández", "López", "Martínez", "Sánchez", "Romero"],
    ),
    "IT": (
        6,
        "Milano Malpensa",
        ["Roma", "Torino", "Bologna", "Napoli", "Firenze"],
        ["Via Roma", "Via Garibaldi", "Corso Italia"],
        ["Giulia", "Lorenzo", "Sofia", "Matteo", "Chiara", "Andrea"],
        ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano"],
    ),
    "BR": (
        7,
        "São Paulo-Guarulhos",
        ["Rio de Janeiro", "Belo Horizonte", "Curitiba", "Recife"],
        ["Rua das Flores", "Avenida Brasil", "Rua São João"],
        ["Ana", "Gabriel", "Beatriz", "Rafael", "Larissa", "Thiago"],
        ["Silva", "Santos", "Oliveira", "Souza", "Costa", "Pereira"],
    ),
    "MX": (
        6,
        "Ciudad de México",
        ["Guadalajara", "Monterrey", "Puebla", "Mérida", "Querétaro"],
        ["Avenida Juárez", "Calle Hidalgo", "Calle Morelos"],
        ["Valeria", "Diego", "Fernanda", "Emiliano", "Ximena", "Santiago"],
        ["Hernández", "González", "Ramírez", "Torres", "Flores", "Cruz"],
    ),
    "SA": (
        6,
        "Riyadh",
        ["Jeddah", "Dammam", "Riyadh", "Mecca", "Khobar"],
        ["King Fahd Road", "Prince Sultan Street", "Olaya Street"],
        ["Noura", "Abdullah", "Reem", "Faisal", "Sara", "Khalid"],
        ["Al-Otaibi", "Al-Qahtani", "Al-Harbi", "Al-Ghamdi", "Al-Shehri"],
    ),
    "AE": (
        5,
        "Dubai",
        ["Dubai", "Abu Dhabi", "Sharjah", "Al Ain"],
        ["Sheikh Zayed Road", "Al Wasl Road", "Corniche Road"],
        ["Mariam", "Omar", "Fatima", "Hamdan", "Aisha", "Rashid"],
        ["Al Mansoori", "Al Nuaimi", "Al Suwaidi", "Al Falasi"],
    ),
    "JP": (
        7,
        "Tokyo Narita",
        ["Osaka", "Yokohama", "Nagoya", "Sapporo", "Fukuoka"],
        ["Chuo-dori", "Sakura-dori", "Meiji-dori"],
        ["Yui", "Haruto", "Aoi", "Sota", "Hina", "Ren"],
        ["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito"],
    ),
    "VN": (
        5,
        "Hà Nội",
        ["TP. Hồ Chí Minh", "Đà Nẵng", "Hải Phòng", "Cần Thơ"],
        ["Đường Lê Lợi", "Đường Trần Hưng Đạo", "Phố Huế"],
        ["Linh", "Minh", "Trang", "Huy", "Ngọc", "Tuấn"],
        ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ"],
    ),
    "TH": (
        5,
        "Bangkok",
        ["Bangkok", "Chiang Mai", "Phuket", "Khon Kaen", "Pattaya"],
        ["Sukhumvit Road", "Rama IV Road", "Silom Road"],
        ["Nattaya", "Somchai", "Ploy", "Krit", "Siriporn", "Anan"],
        ["Srisuk", "Chaiyaporn", "Wongsa", "Thongdee", "Rattanakul"],
    ),
}
# carrier: (service, tracking prefix, digits, suffix, air-leg days, domestic days)
CARRIERS = {
    "NimbusPost": ("standard", "NP", 9, "CN", (4.0, 8.0), (1.5, 4.0)),
    "TerraLink": ("standard", "TL", 12, "", (3.5, 7.0), (1.0, 3.5)),
    "SkyBridge Express": ("express", "SBX", 10, "", (1.0, 2.5), (0.5, 1.5)),
}
# typical customs clearance in days, per destination
CUSTOMS_DAYS = {
    "BR": (3.0, 9.0),
    "MX": (1.5, 5.0),
    "SA": (1.0, 3.5),
    "AE": (0.8, 2.5),
    "VN": (1.0, 3.5),
    "TH": (1.0, 3.0),
}
DEFAULT_CUSTOMS = (0.3, 1.5)
EMAIL_DOMAINS = ["example.com", "example.org", "example.net", "mail.example.com"]
COLORS = ["black", "white", "navy", "sand", "olive", "rose", "grey"]

SCENARIOS = [  # (name, weight) for orders placed in the last 30 days
    ("processing", 14),
    ("processing_late", 5),
    ("in_transit", 26),
    ("stalled", 6),
    ("customs_hold", 5),
    ("delivery_failed", 5),
    ("returned_to_sender", 3),
    ("delivered", 30),
    ("cancelled", 3),
]


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat()


def _tracking(rng: random.Random, carrier: str) -> str:
    _, prefix, digits, suffix, _, _ = CARRIERS[carrier]
    return prefix + "".join(rng.choice("0123456789") for _ in range(digits)) + suffix


def _customers(rng: random.Random, n: int) -> list[dict]:
    countries = list(GEO)
    weights = [GEO[c][0] for c in countries]
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    while len(out) < n:
        country = rng.choices(countries, weights)[0]
        _, _, cities, streets, firsts, lasts = GEO[country]
        first, last = rng.choice(firsts), rng.choice(lasts)
        local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
        local = unicodedata.normalize("NFKD", local).encode("ascii", "ignore").decode() or "shopper"
        email = f"{local}{rng.randint(1, 99)}@{rng.choice(EMAIL_DOMAINS)}"
        if email in seen:
            continue
        seen.add(email)
        city = rng.choice(cities)
        address = f"{rng.randint(1, 220)} {rng.choice(streets)}, {rng.randint(10000, 99999)} {city}"
        out.append(
            {
                "email": email,
                "name": f"{first} {last}",
                "country": country,
                "city": city,
                "address": address,
            }
        )
    return out


def _events(
    rng: random.Random,
    carrier: str,
    country: str,
    city: str,
    shipped_at: datetime,
    scenario: str,
    now: datetime,
) -> list[dict]:
    """Simulate a shipment's scan history up to `now` for the given scenario."""
    hub = GEO[country][1]
    _, _, _, _, air, domestic = CARRIERS[carrier]
    customs = CUSTOMS_DAYS.get(country, DEFAULT_CUSTOMS)
    plan = [
        ("picked_up", ORIGIN[0], "CN", 0.0),
        ("departed_origin", ORIGIN[0], "CN", rng.uniform(0.3, 1.2)),
        ("arrived_destination", hub, country, rng.uniform(*air)),
        ("customs_cleared", hub, country, rng.uniform(*customs)),
        ("in_transit", city, country, rng.uniform(*domestic)),
        ("out_for_delivery", city, country, rng.uniform(0.4, 1.2)),
        ("delivered", city, country, rng.uniform(0.1, 0.4)),
    ]
    events: list[dict] = []
    at = shipped_at
    for code, place, ctry, gap in plan:
        at = at + timedelta(days=gap)
        if scenario == "customs_hold" and code == "customs_cleared":
            events.append(
                {
                    "at": _iso(at - timedelta(days=gap * 0.5)),
                    "code": "customs_hold",
                    "place": hub,
                    "country": country,
                }
            )
            break
        if scenario == "delivery_failed" and code == "delivered":
            events.append(
                {"at": _iso(at), "code": "delivery_failed", "place": city, "country": country}
            )
            break
        if scenario == "returned_to_sender" and code == "delivered":
            events.append(
                {"at": _iso(at), "code": "delivery_failed", "place": city, "country": country}
            )
            events.append(
                {
                    "at": _iso(at + timedelta(days=5)),
                    "code": "returned_to_sender",
                    "place": hub,
                    "country": country,
                }
            )
            break
        if at > now and scenario not in {"delivered"}:
            break
        events.append({"at": _iso(at), "code": code, "place": place, "country": ctry})
    if scenario == "stalled":
        # keep only the scans up to arrival in the destination country: nothing since
        cut = next((i for i, e in enumerate(events) if e["code"] == "arrived_destination"), 1)
        events = events[: cut + 1]
    return [e for e in events if datetime.fromisoformat(e["at"]) <= now]


def generate(seed: int = 7, n_orders: int = 640) -> dict:
    rng = random.Random(seed)
    policies = load_policies()
    now = ANCHOR
    customers = _customers(rng, 300)
    # a third of shoppers come back; a few come back a lot (VIPs)
    buyer_weights = [8 if i < 12 else (3 if i < 100 else 1) for i in range(len(customers))]
    orders: list[dict] = []
    used_ids: set[str] = set()
    for i in range(n_orders):
        cust = rng.choices(customers, buyer_weights)[0]
        country = cust["country"]
        pol = policies.country(country)
        order_id = ""
        while not order_id or order_id in used_ids:
            order_id = f"XB-{rng.randint(200000, 299999)}"
        used_ids.add(order_id)
        recent = i % 2 == 0  # half recent (last 30 days), half older history
        age_days = rng.uniform(0.3, 30) if recent else rng.uniform(30, 150)
        placed = now - timedelta(days=age_days)
        lines: list[dict[str, Any]] = []
        for product in rng.sample(PRODUCTS, rng.choice([1, 1, 1, 2, 2, 3])):
            size = rng.choice(product.size_chart).label if product.size_chart else None
            if product.category == "shoes" and size:
                size = rng.choice(product.size_chart[2:9]).label
            lines.append(
                {
                    "sku": product.sku,
                    "name": product.name,
                    "quantity": rng.choice([1, 1, 1, 2]),
                    "unit_price": policies.to_local(product.price_usd, pol.currency),
                    "size": size,
                    "color": rng.choice(COLORS)
                    if product.category in {"apparel", "shoes"}
                    else None,
                    "supplier": product.supplier,
                    "unit_cost_usd": product.unit_cost_usd,
                }
            )
        if i % 97 == 5:  # a few big-ticket orders for the value threshold
            lines[0]["quantity"] = 12
        total = round(sum(x["unit_price"] * x["quantity"] for x in lines), 2)
        processing = max(
            max(p.processing_days for p in PRODUCTS if p.sku == x["sku"])[1] for x in lines
        )
        ship_by = placed + timedelta(days=processing)
        express = rng.random() < 0.15
        carrier = "SkyBridge Express" if express else rng.choice(["NimbusPost", "TerraLink"])
        if recent:
            names, weights = zip(*SCENARIOS, strict=True)
            scenario = rng.choices(names, weights)[0]
        else:
            scenario = rng.choices(["delivered", "returned_refunded", "cancelled"], [90, 7, 3])[0]
        if scenario == "processing":
            placed = now - timedelta(days=rng.uniform(0.1, max(0.2, processing - 0.3)))
        shipped_at = placed + timedelta(days=rng.uniform(0.5, processing))
        if scenario in {
            "in_transit",
            "stalled",
            "customs_hold",
            "delivery_failed",
            "returned_to_sender",
        } and shipped_at > now - timedelta(days=1):
            shipped_at = now - timedelta(days=rng.uniform(1, 3))
        if scenario == "stalled":
            shipped_at = min(shipped_at, now - timedelta(days=18))
            placed = min(placed, shipped_at - timedelta(days=1))
        if scenario in {"delivered", "returned_refunded"}:
            transit = 12 if carrier != "SkyBridge Express" else 5
            shipped_at = min(shipped_at, now - timedelta(days=transit + rng.uniform(0, 3)))
            placed = min(placed, shipped_at - timedelta(days=rng.uniform(0.5, processing)))
            ship_by = placed + timedelta(days=processing)
        if scenario in {"customs_hold", "delivery_failed", "returned_to_sender"}:
            shipped_at = min(shipped_at, now - timedelta(days=14))
            placed = min(placed, shipped_at - timedelta(days=1))
        shipment = None
        status = "processing"
        refunds: list[dict] = []
        if scenario in {"processing", "processing_late"}:
            if scenario == "processing_late":
                placed = now - timedelta(days=processing + rng.uniform(1.5, 6))
                ship_by = placed + timedelta(days=processing)
        elif scenario == "cancelled":
            status = "cancelled"
            refunds.append(
                {
                    "amount": total,
                    "status": "completed",
                    "method": "card",
                    "created_at": _iso(placed + timedelta(hours=5)),
                    "completed_at": _iso(placed + timedelta(days=4)),
                    "reason": "cancelled",
                }
            )
        else:
            events = _events(
                rng,
                carrier,
                country,
                cust["city"],
                shipped_at,
                "delivered" if scenario == "returned_refunded" else scenario,
                now,
            )
            shipment = {
                "carrier": carrier,
                "service": CARRIERS[carrier][0],
                "tracking_number": _tracking(rng, carrier),
                "events": events,
                # the first line's supplier decides where the parcel leaves from (no draw:
                # the generated orders stay the same as before warehouses existed)
                "warehouse": warehouse_for(lines[0]["supplier"]),
            }
            codes = [e["code"] for e in events]
            status = (
                "delivered"
                if "delivered" in codes
                else ("returned" if "returned_to_sender" in codes else "shipped")
            )
            if not events:
                status = "processing"
            if scenario == "returned_refunded" and "delivered" in codes:
                delivered = datetime.fromisoformat(events[-1]["at"])
                status = "returned"
                refunds.append(
                    {
                        "amount": total,
                        "status": "completed",
                        "method": rng.choice(["card", "paypal"]),
                        "created_at": _iso(delivered + timedelta(days=9)),
                        "completed_at": _iso(delivered + timedelta(days=16)),
                        "reason": "return",
                    }
                )
            elif scenario == "delivered" and recent and rng.random() < 0.25:
                delivered = datetime.fromisoformat(events[-1]["at"])
                created = min(delivered + timedelta(days=rng.uniform(1, 6)), now)
                amount = lines[0]["unit_price"]
                state = rng.choice(["processing", "approved", "completed"])
                refunds.append(
                    {
                        "amount": amount,
                        "status": state,
                        "method": "card",
                        "created_at": _iso(created),
                        "completed_at": _iso(created + timedelta(days=6))
                        if state == "completed"
                        else None,
                        "reason": "partial",
                    }
                )
        orders.append(
            {
                "order_id": order_id,
                "email": cust["email"],
                "customer_name": cust["name"],
                "country": country,
                "currency": pol.currency,
                "lines": lines,
                "total": total,
                "placed_at": _iso(placed),
                "ship_by": _iso(ship_by),
                "status": status,
                "shipping_service": "express" if express else "standard",
                "address": cust["address"],
                "shipment": shipment,
                "refunds": refunds,
                "payment_method": rng.choice(["card", "card", "paypal"])
                if country != "BR"
                else rng.choice(["card", "pix"]),
                "payment_captures": 2 if i % 53 == 7 else 1,
                "scenario": scenario,
            }
        )
    return {"anchor": _iso(ANCHOR), "seed": seed, "orders": orders}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--orders", type=int, default=640)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    data = generate(args.seed, args.orders)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"wrote {len(data['orders'])} orders to {args.out}")


if __name__ == "__main__":
    main()
