"""The email channel: inbound SMTP into the same queue as chat, replies out by SMTP."""
