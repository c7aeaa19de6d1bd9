"""`python -m handoff.web`: the production gateway (no test hooks, no demo accounts)."""

from handoff.web.app import main

main()
