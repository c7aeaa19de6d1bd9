"""Routing: teams and hours (handoff.yml), the human queue, claiming and agent presence."""
