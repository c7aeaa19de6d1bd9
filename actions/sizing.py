"""Does it run small / which size: fit notes from return statistics and a recommendation."""

from __future__ import annotations

from actions.base import Ctx, FeatureAction, first_line_for, register
from actions.clients import shop
from shop.models import Order, Product
from shop.sizing import parse_measurements, recommend


def chart_rows(product: Product) -> str:
    rows = []
    for row in product.size_chart:
        if row.foot:
            rows.append(f"{row.label} {row.foot[0]:g}–{row.foot[1]:g}")
        elif row.chest and row.waist:
            rows.append(
                f"{row.label} {row.chest[0]:g}–{row.chest[1]:g} / {row.waist[0]:g}–{row.waist[1]:g}"
            )
    return " · ".join(rows)


def advise(ctx: Ctx, product: Product) -> None:
    pct = {
        "runs_small": product.fit_returns_small_pct,
        "runs_large": product.fit_returns_large_pct,
    }.get(product.fit, 0)
    fit_key = {"runs_small": "size_fit_small", "runs_large": "size_fit_large"}.get(
        product.fit, "size_fit_true"
    )
    parts = [ctx.t(fit_key, product=product.name, pct=pct)]
    advice = recommend(product, ctx.text, ctx.slot("size"))
    if advice.label:
        parts.append(ctx.t("size_recommend", size=advice.label))
        m = parse_measurements(ctx.text)
        value = m.get(advice.basis) if advice.basis in m else ctx.slot("size") or ""
        if isinstance(value, float):
            value = f"{value:g}"
        parts.append(ctx.t(f"size_basis_{advice.basis}", value=value))
        ctx.say_text(ctx.fmt().sentences(parts))
    else:
        ctx.say_text(ctx.fmt().sentences(parts))
        ctx.say("size_ask_measurements")
        ctx.set("pending_request", "size_help")
    key = "size_chart_shoes" if product.category == "shoes" else "size_chart_apparel"
    ctx.say(key, rows=chart_rows(product))
    ctx.log("size_advice", sku=product.sku, size=advice.label, basis=advice.basis)


def product_in_message(ctx: Ctx) -> Product | None:
    store = shop.store()
    for text in (ctx.text, ctx.slot("product") or ""):
        product = store.find_product(text) if text else None
        if product and product.has_sizes:
            return product
    return None


@register("size_help")
class ActionSizeHelp(FeatureAction):
    """Size questions need no proof of ownership: product from the message or the order."""

    needs_order = False

    def answer_without_order(self, ctx: Ctx) -> bool:
        product = product_in_message(ctx)
        if product is None and ctx.slot("verified_order"):
            order = shop.store().get_order(ctx.slot("verified_order"))
            line = first_line_for(order, ctx, sized=True) if order else None
            product = shop.store().product(line.sku) if line else None
        if product is None:
            ctx.say("size_which_product")
            ctx.set("pending_request", "size_help")
            return True
        ctx.set("pending_request", None)
        advise(ctx, product)
        return True

    def answer(self, ctx: Ctx, order: Order) -> None:  # pragma: no cover - never needs order
        self.answer_without_order(ctx)
