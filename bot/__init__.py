"""Rasa-side Python shared with the gateway: language detection, tokenization, entity rules."""
