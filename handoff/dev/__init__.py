"""Development and test tooling: the launcher, test hooks, demo accounts.

Never imported by the running gateway (`python -m handoff.web`); `tests/unit/test_layers.py`
checks it.
"""
