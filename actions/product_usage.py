"""How to use, install, pair or wash a product: steps from the product data."""

from __future__ import annotations

from actions.base import Ctx, FeatureAction, register
from actions.clients import shop
from shop.models import Order, Product


def steps_text(ctx: Ctx, product: Product) -> str:
    steps = "\n".join(f"{i}. {step}" for i, step in enumerate(product.usage, 1))
    return f"{ctx.t('usage_steps', product=product.name)}\n{steps}"


@register("product_usage")
class ActionProductUsage(FeatureAction):
    needs_order = False

    def answer_without_order(self, ctx: Ctx) -> bool:
        store = shop.store()
        product = store.find_product(ctx.text) or (
            store.find_product(ctx.slot("product")) if ctx.slot("product") else None
        )
        if product is None and ctx.slot("verified_order"):
            order = store.get_order(ctx.slot("verified_order"))
            product = store.product(order.lines[0].sku) if order else None
        if product is None:
            ctx.say("usage_which_product")
            return True
        if not product.usage:
            ctx.say("usage_none")
            return True
        ctx.say_text(steps_text(ctx, product))
        return True

    def answer(self, ctx: Ctx, order: Order) -> None:  # pragma: no cover
        self.answer_without_order(ctx)
