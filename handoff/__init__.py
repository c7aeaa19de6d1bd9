"""The gateway: shopper/agent websockets, REST API, escalation and the human queue."""
