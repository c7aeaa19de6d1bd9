"""Channels shoppers reach us through: the Channel protocol, the socket hub, the widget socket."""
