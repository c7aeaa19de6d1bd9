"""Rasa action server: one module per feature; the SDK imports this package and its modules."""

from actions import (  # noqa: F401  (importing registers the actions)
    customs,
    delivery,
    handoff,
    orders,
    payments,
    problems,
    product_usage,
    refunds,
    returns,
    sizing,
    smalltalk,
    tracking,
    verification,
)
