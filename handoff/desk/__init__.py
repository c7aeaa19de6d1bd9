"""The agent desk: agent operations, the views agents see and the agent socket protocol."""
