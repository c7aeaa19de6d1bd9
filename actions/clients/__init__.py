"""Clients of outside state the actions use: the shop store, Redis-backed cases and limits."""
