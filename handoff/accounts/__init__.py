"""Staff accounts: agents, trainers, leads and admins; password hashing, sessions, roles."""
