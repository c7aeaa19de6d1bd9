"""Escalation: trigger rules per reason, sentiment, the score and its configuration."""
