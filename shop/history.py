"""Twelve weeks of generated after-sales history (seeded): cases and orders shipped per week.

    from shop.history import generate_history
    history = generate_history(week_end)   # history.cases, history.shipped: rows to insert

    python -m shop.history [--seed 7] [--week-end 2030-01-07] [--out var/shop]
        writes history_cases.jsonl, history_shipped.jsonl and history_messages.jsonl

Orders shipped per (week, SKU, country) follow each product's popularity, each country's
share of the shop and a slow growth; cases per issue type follow a per-category rate per
order shipped, all Poisson noise. Planted on top (see PLANTED), so reports and the red light
have something real to find:
- the LED desk lamp (HM-403, Foshan Lumenhome Lighting) arrives damaged in France in the
  last two weeks (a bad packing batch);
- the linen wrap dress (AP-101) runs small since a new cut three weeks ago: sizing
  complaints climb week after week in every country;
- a promotion triples the earbuds' (EL-301) sales in Germany this week, and their cases
  with them - more complaints, same rate per order: background that must not fire.

Every case also has what the shopper wrote (`history.messages`: one or two lines in the
country's language, from `history_messages.yml`); in the planted weeks the lamp's French
shoppers say it arrived broken and the dress's shoppers everywhere that it runs small, so
complaint keywords (handoff/reports/keywords.py) have words to find. The lines are drawn
from their own seeded generator: the cases are the same with or without them.

Case rows carry every `handoff.cases.schema.CASE_FIELDS` field (`created_at` as epoch
seconds, `reasons` as a list) with case ids `H-000001`... Shipped rows are
`{week_start, sku, country, supplier, warehouse, orders}`; each generated order has one
line, so a supplier's orders shipped are the sum of its SKUs' rows.
"""

from __future__ import annotations

import argparse
import json
import random
import unicodedata
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from shop.catalog import PRODUCTS
from shop.generate import GEO
from shop.policy import load_policies
from shop.sourcing import warehouse_for

WEEK = timedelta(days=7)
LAMP, DRESS, EARBUDS = "HM-403", "AP-101", "EL-301"
PLANTED = (  # (sku, country or None for every country, issue type, what happened)
    (LAMP, "FR", "damaged_item", "a bad packing batch: lamps arrive broken in France"),
    (DRESS, None, "size_help", "a new cut runs small: sizing complaints rising"),
)
# cases per order shipped, every product
BASE_RATES = {
    "track_order": 0.012,
    "delivery_time": 0.005,
    "return_request": 0.006,
    "refund_status": 0.004,
    "wrong_item": 0.003,
    "damaged_item": 0.004,
    "not_as_described": 0.003,
    "cancel_order": 0.002,
    "change_address": 0.002,
    "payment_issue": 0.0015,
    "customs_duties": 0.002,
    "complain": 0.002,
    "size_help": 0.0,
    "product_usage": 0.0,
}
CATEGORY_RATES = {
    "apparel": {"size_help": 0.01},
    "shoes": {"size_help": 0.012},
    "electronics": {"product_usage": 0.008, "damaged_item": 0.006},
    "home": {"damaged_item": 0.007, "product_usage": 0.002},
}
DUTY_COUNTRIES = {"BR": 0.012, "MX": 0.008}
ISSUES = tuple(BASE_RATES)
RESOLUTIONS = {
    "damaged_item": ["reship", "partial_refund", "return_refund", "refund_without_return"],
    "wrong_item": ["reship", "exchange", "return_refund"],
    "not_as_described": ["return_refund", "partial_refund", "coupon"],
    "size_help": ["answered", "answered", "exchange", "return_refund"],
    "return_request": ["return_refund", "exchange", "answered"],
    "cancel_order": ["cancelled"],
    "change_address": ["address_changed"],
    "payment_issue": ["duplicate", "answered", "partial_refund"],
}
REFUNDED = {"partial_refund": 0.3, "return_refund": 1.0, "refund_without_return": 1.0}
BOT_ISSUES = {"track_order", "delivery_time", "refund_status", "product_usage", "size_help"}
AGENTS = ("lena", "camille", "wei", "sofia", "kenji", "amira")
LANGUAGE = {"US": "en", "GB": "en", "AU": "en", "DE": "de", "FR": "fr", "ES": "es",
            "MX": "es", "IT": "it", "BR": "pt", "SA": "ar", "AE": "ar", "JP": "ja", "VN": "vi",
            "TH": "th"}  # fmt: skip
NOTES = {
    "damaged_item": ["Arrived broken, photos received", "Cracked base on arrival"],
    "size_help": ["Ordered usual size, far too tight", "Runs a size small"],
    "not_as_described": ["Colour differs from the photos"],
}
SLA_S = {"high": 300, "normal": 600}  # the demo's first-response targets (handoff.yml)
MESSAGE_GROUP = {"track_order": "late", "delivery_time": "late", "damaged_item": "damaged",
                 "size_help": "size", "wrong_item": "wrong", "not_as_described": "wrong",
                 "return_request": "money", "refund_status": "money", "cancel_order": "money",
                 "payment_issue": "money", "customs_duties": "money"}  # fmt: skip
PLANTED_WEEKS = {(LAMP, "damaged_item"): (2, {"FR"}), (DRESS, "size_help"): (3, None)}


def carrier_for(order_id: str) -> str:
    """The carrier of a generated history order, fixed by its id (not drawn from the seeded
    streams, so adding it changed no generated row): about 15 % express, as in the sample
    shop, the rest split between the two economy carriers."""
    slot = zlib.crc32(order_id.encode()) % 100
    return "SkyBridge Express" if slot < 15 else ("NimbusPost" if slot % 2 else "TerraLink")


@dataclass(frozen=True)
class History:
    cases: list[dict[str, Any]]
    shipped: list[dict[str, Any]]
    week_end: datetime  # end of the last (current) week, exclusive
    messages: list[dict[str, Any]] = field(default_factory=list)  # {case_id, seq, lang, text}


@lru_cache(maxsize=1)
def _lines() -> dict[str, Any]:
    with (Path(__file__).parent / "history_messages.yml").open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


def _messages(
    rng: random.Random, cases: list[dict[str, Any]], week_end: datetime
) -> list[dict[str, Any]]:
    """One or two lines per case in its language; a planted problem's own words in its weeks."""
    lines = _lines()
    out: list[dict[str, Any]] = []
    for case in cases:
        lang = case["language"]
        weeks_back = int((week_end.timestamp() - case["created_at"]) // WEEK.total_seconds())
        planted = PLANTED_WEEKS.get((case["sku"], case["issue_type"]))
        pool: list[str] = []
        if (
            planted
            and weeks_back < planted[0]
            and (planted[1] is None or case["country"] in planted[1])
        ):
            pool = lines["planted"][f"{case['sku']}/{case['issue_type']}"].get(lang, [])
        if not pool:
            group = lines["generic"][MESSAGE_GROUP.get(case["issue_type"], "other")]
            pool = group.get(lang) or group["en"]
        picked = rng.sample(pool, 2 if len(pool) > 1 and rng.random() < 0.4 else 1)
        for seq, text in enumerate(picked, 1):
            out.append({"case_id": case["case_id"], "seq": seq, "lang": lang, "text": text})
    return out


def _rates(weeks: int) -> np.ndarray:
    """Cases per order shipped, shape (weeks, SKUs, countries, issues)."""
    countries = list(GEO)
    rates = np.zeros((weeks, len(PRODUCTS), len(countries), len(ISSUES)))
    for s, product in enumerate(PRODUCTS):
        for i, issue in enumerate(ISSUES):
            rate = CATEGORY_RATES.get(product.category, {}).get(issue, BASE_RATES[issue])
            rates[:, s, :, i] = rate
    duties = ISSUES.index("customs_duties")
    for country, rate in DUTY_COUNTRIES.items():
        rates[:, :, countries.index(country), duties] = rate
    lamp, dress = _sku_index(LAMP), _sku_index(DRESS)
    # a bad packing batch: some broken lamps last week, most of them this week
    rates[-2:, lamp, countries.index("FR"), ISSUES.index("damaged_item")] = [0.12, 0.35]
    rates[-3:, dress, :, ISSUES.index("size_help")] = np.array([0.03, 0.045, 0.06])[:, None]
    return rates


def _sku_index(sku: str) -> int:
    return next(i for i, p in enumerate(PRODUCTS) if p.sku == sku)


def _orders(rng: np.random.Generator, weeks: int, per_week: int) -> np.ndarray:
    """Orders shipped, shape (weeks, SKUs, countries)."""
    popularity = rng.lognormal(0.0, 0.6, len(PRODUCTS))
    for sku in (LAMP, DRESS):  # best sellers: what a planted problem hurts most
        popularity[_sku_index(sku)] = 12 * float(np.median(popularity))
    popularity /= popularity.sum()
    geo = np.array([GEO[c][0] for c in GEO], dtype=float)
    geo /= geo.sum()
    growth = 1 + 0.015 * np.arange(weeks) + rng.normal(0, 0.03, weeks)
    mean = per_week * growth[:, None, None] * popularity[None, :, None] * geo[None, None, :]
    mean[-1, _sku_index(EARBUDS), list(GEO).index("DE")] *= 3  # this week's promotion
    return rng.poisson(mean)


def _email(rng: random.Random, country: str, seq: int) -> str:
    firsts, lasts = GEO[country][4], GEO[country][5]
    local = f"{rng.choice(firsts)}.{rng.choice(lasts)}".lower().replace(" ", "")
    local = unicodedata.normalize("NFKD", local).encode("ascii", "ignore").decode()
    local = local.replace("'", "") or "shopper"
    return f"{local}{seq % 97}@example.com"


def _case(
    rng: random.Random, seq: int, at: datetime, country: str, sku: str, issue: str
) -> dict[str, Any]:
    policies = load_policies()
    product = PRODUCTS[_sku_index(sku)]
    currency = policies.country(country).currency
    resolution = rng.choice(RESOLUTIONS.get(issue, ["answered", "answered", "no_action"]))
    refund = None
    if resolution in REFUNDED:
        refund = policies.to_local(product.price_usd * REFUNDED[resolution], currency)
    by_bot = issue in BOT_ISSUES and resolution == "answered" and rng.random() < 0.6
    priority = "high" if issue in {"damaged_item", "payment_issue"} else "normal"
    waited = first = None
    if not by_bot:
        waited = round(rng.lognormvariate(4.8, 0.9), 1)  # median two minutes in the queue
        first = round(waited + rng.lognormvariate(3.5, 0.7), 1)
    case_id = f"H-{seq:06d}"
    notes = NOTES.get(issue)
    return {
        "created_at": at.timestamp(),
        "order_id": f"XH-{3_000_000 + seq * 7 + rng.randint(0, 6)}",
        "email": _email(rng, country, seq),
        "country": country,
        "sku": sku,
        "issue_type": issue,
        "resolution": resolution,
        "refund_amount": refund,
        "currency": currency,
        "channel": "email" if rng.random() < 0.2 else "chat",
        "case_id": case_id,
        "conversation_id": f"hist-{case_id}",
        "resolved_by": "bot" if by_bot else rng.choice(AGENTS),
        "language": LANGUAGE.get(country, "en"),
        "note": rng.choice(notes) if notes and not by_bot and rng.random() < 0.5 else None,
        "priority": priority,
        "reasons": ["sentiment"] if not by_bot and rng.random() < 0.15 else [],
        "waited_s": waited,
        "first_response_s": first,
        "sla_breached": None if first is None else first > SLA_S[priority],
    }


def generate_history(
    week_end: datetime, seed: int = 7, weeks: int = 12, orders_per_week: int = 4000
) -> History:
    """`weeks` weeks of cases and orders shipped, the last week ending at `week_end`."""
    if week_end.tzinfo is None:
        raise ValueError("week_end must be timezone-aware")
    np_rng = np.random.default_rng(seed)
    rng = random.Random(seed)
    countries = list(GEO)
    orders = _orders(np_rng, weeks, orders_per_week)
    counts = np_rng.poisson(orders[..., None] * _rates(weeks))
    start = week_end - weeks * WEEK
    shipped: list[dict[str, Any]] = []
    for w, s, c in np.argwhere(orders > 0):
        product = PRODUCTS[s]
        shipped.append(
            {
                "week_start": (start + int(w) * WEEK).isoformat(),
                "sku": product.sku,
                "country": countries[c],
                "supplier": product.supplier,
                "warehouse": warehouse_for(product.supplier),
                "orders": int(orders[w, s, c]),
            }
        )
    cases: list[dict[str, Any]] = []
    for w, s, c, i in np.argwhere(counts > 0):
        for _ in range(int(counts[w, s, c, i])):
            at = start + int(w) * WEEK + timedelta(seconds=rng.uniform(0, WEEK.total_seconds()))
            row = _case(rng, len(cases) + 1, at, countries[c], PRODUCTS[s].sku, ISSUES[i])
            cases.append(row)
    cases.sort(key=lambda r: r["created_at"])
    for n, row in enumerate(cases, 1):  # ids in the order the cases were opened
        row["case_id"] = f"H-{n:06d}"
        row["conversation_id"] = f"hist-{row['case_id']}"
    messages = _messages(random.Random(f"messages-{seed}"), cases, week_end)
    return History(cases=cases, shipped=shipped, week_end=week_end, messages=messages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--week-end", default=None, help="ISO date; default: the next Monday")
    parser.add_argument("--out", type=Path, default=Path("var") / "shop")
    args = parser.parse_args()
    if args.week_end:
        end = datetime.fromisoformat(args.week_end)
        end = end if end.tzinfo else end.replace(tzinfo=timezone.utc)
    else:
        today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        end = today + timedelta(days=7 - today.weekday())
    history = generate_history(end, seed=args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    outputs = (
        ("cases", history.cases),
        ("shipped", history.shipped),
        ("messages", history.messages),
    )
    for name, rows in outputs:
        path = args.out / f"history_{name}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"wrote {len(rows)} rows to {path}")


if __name__ == "__main__":
    main()
