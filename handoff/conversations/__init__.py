"""Conversations: the typed record, its Redis store, shopper text rules and the turn pipeline."""
