"""Every Redis key and channel the gateway uses, in one place."""

PREFIX = "xb"


def conversation(conv_id: str) -> str:
    """Hash: language, mode, created_at, updated_at, country, order_id, ..."""
    return f"{PREFIX}:conv:{conv_id}"


def transcript(conv_id: str) -> str:
    """List of JSON entries {seq, at, speaker, text, ...} in order."""
    return f"{PREFIX}:conv:{conv_id}:transcript"


def seq(conv_id: str) -> str:
    return f"{PREFIX}:conv:{conv_id}:seq"


def channel(conv_id: str) -> str:
    """Pub/sub channel carrying new transcript entries to whichever gateway holds a socket."""
    return f"{PREFIX}:chan:conv:{conv_id}"


CHANNEL_PATTERN = f"{PREFIX}:chan:conv:*"
CONVERSATIONS = f"{PREFIX}:conversations"  # sorted set: conv_id by last activity

# --- people: accounts (agents, trainers, admins) and their login sessions ---
ACCOUNTS = f"{PREFIX}:accounts"  # set of logins


def account(login: str) -> str:
    """Hash: name, languages, teams, roles, password_hash (JSON lists for the tuples)."""
    return f"{PREFIX}:account:{login}"


def session(token: str) -> str:
    """Hash: login, created_at; expires with the session."""
    return f"{PREFIX}:session:{token}"


def login_failures(login: str) -> str:
    return f"{PREFIX}:loginfail:{login}"
