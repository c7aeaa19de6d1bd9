"""Every Redis key and channel the project uses (gateway, action server, Rasa), in one place.

`tests/unit/test_keys.py` fails when a Redis key literal appears anywhere else.
"""

PREFIX = "xb"


def conversation(conv_id: str) -> str:
    """Hash: language, mode, created_at, updated_at, country, order_id, ..."""
    return f"{PREFIX}:conv:{conv_id}"


def transcript(conv_id: str) -> str:
    """List of JSON entries {seq, at, speaker, text, ...} in order."""
    return f"{PREFIX}:conv:{conv_id}:transcript"


def seq(conv_id: str) -> str:
    return f"{PREFIX}:conv:{conv_id}:seq"


def client_message(conv_id: str, client_id: str) -> str:
    """String (TTL 1 day): the seq a client's message id was stored under ("0" = in flight),
    so a message resent after a dropped socket is stored once."""
    return f"{PREFIX}:conv:{conv_id}:client:{client_id}"


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


def login_failures(login: str, client: str) -> str:
    """Counter (TTL): failed logins for one account from one client address."""
    return f"{PREFIX}:loginfail:{login}:{client}"


def client_login_failures(client: str) -> str:
    """Counter (TTL): failed logins from one client address, any account."""
    return f"{PREFIX}:loginfail-client:{client}"


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


def agent_channel(login: str) -> str:
    """Events for one agent (assigned by transfer, chat taken back) to whichever gateway."""
    return f"{PREFIX}:chan:agent:{login}"


AGENT_CHANNEL_PATTERN = f"{PREFIX}:chan:agent:*"

# --- case records (one writer: handoff.cases; the action server uses it too) ---
CASE_SEQ = f"{PREFIX}:case:seq"  # counter behind C-000123
CASES_STREAM = f"{PREFIX}:cases"  # stream of case ids, in the order they were recorded


def case(case_id: str) -> str:
    """Hash: the case record (handoff.cases.schema.CASE_FIELDS)."""
    return f"{PREFIX}:case:{case_id}"


# --- recovery coupons (shop.coupons, kept by actions/clients/redis_state.RedisCouponBook) ---
def coupon(code: str) -> str:
    """Hash: one recovery coupon (fields of shop.coupons.Coupon, plus redeemed_at once used)."""
    return f"{PREFIX}:coupon:{code}"


def coupon_issued(order_id: str, tier: str) -> str:
    """String: set once a tier's coupon was issued for an order (one late-parcel code each)."""
    return f"{PREFIX}:coupon:issued:{order_id}:{tier}"


# --- after-sales events (handoff.cases.events): the bus the review loop ingests from ---
EVENTS_STREAM = f"{PREFIX}:events"  # stream: one entry per fact, field "event" = JSON


# --- proactive notices (handoff.notices) ---
NOTICE_LEADER = f"{PREFIX}:notices:leader"  # string: the gateway instance running the watcher
NOTICE_OUTBOX = f"{PREFIX}:notices:outbox"  # list: JSON notices for shoppers without a chat
# sorted set: JSON notices whose email failed, scored by when to try again
NOTICE_RETRY = f"{PREFIX}:notices:retry"
# list: JSON notices given up on after too many failed sends (admins: /api/admin/notices/dead)
NOTICE_DEAD = f"{PREFIX}:notices:dead"


def notice_sent(notice_id: str) -> str:
    """String: this problem was told (set once, NX); expires with the conversations."""
    return f"{PREFIX}:notices:sent:{notice_id}"


# --- red-light alerts and the weekly digest (handoff.reports.watcher) ---
ALERTS_LEADER = f"{PREFIX}:alerts:leader"  # string: the gateway instance running the watcher


def digest_sent(week: str) -> str:
    """String: the weekly digest of this week (its Monday) was mailed (set once, NX)."""
    return f"{PREFIX}:alerts:digest:{week}"


def order_conversation(order_id: str) -> str:
    """String: the conversation where this order was last verified (notices go there)."""
    return f"{PREFIX}:order:conv:{order_id}"


# --- the action server: order-verification failures per scope (sorted set: a sliding
# window of failure times; scope = kind:digest, see actions/clients/redis_state.py) ---
def verify_window(scope: str) -> str:
    return f"{PREFIX}:verify:win:{scope}"


# --- machine translation cache ---
def translation(provider: str, source: str, target: str, digest: str) -> str:
    """String: one cached translation (expires after 30 days)."""
    return f"{PREFIX}:tr:{provider}:{source}:{target}:{digest}"


# --- Rasa's own tracker and lock stores (key prefixes written into endpoints.yml) ---
RASA_TRACKER_PREFIX = "xbrasa"
RASA_LOCK_PREFIX = "xblock"

# --- trainer console: review inbox, training jobs, evaluations, model activations ---
TRAINER_INBOX = f"{PREFIX}:trainer:inbox"  # sorted set: item id by time recorded
TRAINER_INBOX_DONE = f"{PREFIX}:trainer:inbox:done"  # list: recent assign/dismiss records
TRAINER_LOCK = f"{PREFIX}:trainer:lock"  # string: id of the job that is training (TTL)
TRAINER_JOBS = f"{PREFIX}:trainer:jobs"  # sorted set: job id by start time
TRAINER_ACTIVATIONS = f"{PREFIX}:trainer:activations"  # list, newest first: JSON records
TRAINER_LAST_EVAL = f"{PREFIX}:trainer:eval:last"  # string: the model evaluated last


def trainer_inbox_item(item_id: str) -> str:
    """String: JSON of one shopper message waiting for review (expires)."""
    return f"{PREFIX}:trainer:inbox:item:{item_id}"


def trainer_job(job_id: str) -> str:
    """Hash: state, languages, by, model, started_at, finished_at, error, result (JSON)."""
    return f"{PREFIX}:trainer:job:{job_id}"


def trainer_job_events(job_id: str) -> str:
    """Stream of the job's progress events (field `data`: JSON), read by the page's SSE."""
    return f"{PREFIX}:trainer:job:{job_id}:events"


def trainer_eval(model_name: str) -> str:
    """Hash: `<lang>:<held-out sha>` -> JSON evaluation of that model in that language."""
    return f"{PREFIX}:trainer:eval:{model_name}"


def trainer_model(model_name: str) -> str:
    """Hash: who trained a model, from which job, on which languages."""
    return f"{PREFIX}:trainer:model:{model_name}"


# --- the email channel (handoff.channels.email) ---
EMAIL_CONVERSATIONS = f"{PREFIX}:email:convs"  # set: conversations answered by email
MAIL_CATCHER = f"{PREFIX}:mailcatcher"  # list, newest first (capped): caught outbound mail


def email_thread(message_id: str) -> str:
    """String (expires with the conversation): the conversation a Message-ID belongs to."""
    return f"{PREFIX}:email:msgid:{message_id}"


def email_conversation(conv_id: str) -> str:
    """Hash: address, subject, last_message_id, references (JSON), language."""
    return f"{PREFIX}:email:conv:{conv_id}"


def email_originals(conv_id: str) -> str:
    """List of JSON: each inbound mail as received (whole text, attachments, refused)."""
    return f"{PREFIX}:email:conv:{conv_id}:originals"


def email_attachment(conv_id: str, attachment_id: str) -> str:
    """String (bytes, expires): one attachment a shopper sent."""
    return f"{PREFIX}:email:conv:{conv_id}:file:{attachment_id}"


def email_sent(conv_id: str, seq: int) -> str:
    """String (TTL): a gateway claimed sending this transcript entry by email (sent once)."""
    return f"{PREFIX}:email:sent:{conv_id}:{seq}"
