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

# --- the human queue (conversation fields live in conversation(conv_id)) ---
QUEUE = f"{PREFIX}:queue"  # sorted set: conv_id by priority rank * 1e10 + queued_at
WAITS = f"{PREFIX}:queue:waits"  # list of recent seconds-from-queued-to-claimed (newest first)
AGENTS_ONLINE = f"{PREFIX}:agents:online"  # sorted set: login by last heartbeat
QUEUE_CHANNEL = f"{PREFIX}:chan:queue"  # "the queue changed": every gateway refreshes agents


def agent_state(login: str) -> str:
    """Hash: status (available|away), status_at."""
    return f"{PREFIX}:agent:{login}:state"


def agent_chats(login: str) -> str:
    """Set of conversation ids the agent owns."""
    return f"{PREFIX}:agent:{login}:chats"


def presence(login: str) -> str:
    """Exists while a gateway holds a socket of the agent (refreshed, expires after grace)."""
    return f"{PREFIX}:presence:{login}"


def agent_channel(login: str) -> str:
    """Events for one agent (assigned by transfer, chat taken back) to whichever gateway."""
    return f"{PREFIX}:chan:agent:{login}"


AGENT_CHANNEL_PATTERN = f"{PREFIX}:chan:agent:*"

# case records are shared with the action server (actions/clients/redis_state.py)
CASE_SEQ = "xb:case:seq"
CASES_STREAM = "xb:cases"


def case(case_id: str) -> str:
    return f"{PREFIX}:case:{case_id}"
