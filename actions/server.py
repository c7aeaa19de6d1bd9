"""The action server: rasa_sdk's app on loopback, answering only callers with the token.

    python -m actions.server --port 5055

rasa_sdk listens on 0.0.0.0 without any authentication, so anyone who can reach it can
POST a forged tracker (say, with `verified_order` set) and read a customer's order. Here it
binds to ACTION_SERVER_HOST (default 127.0.0.1) and `/webhook` needs `?token=` equal to
ACTION_SERVER_TOKEN — Rasa sends it from endpoints.yml (`action_endpoint.token`). With no
token configured the server refuses to start rather than run open.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
import sys

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

LOG = logging.getLogger("actions.server")
OPEN_PATHS = {"/health"}


def token_ok(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(str(given), expected)


def build(token: str) -> Sanic:
    app = create_app("actions", cors_origins=None)

    @app.middleware("request")
    async def require_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        if not token_ok(request.args.get("token"), token):
            LOG.warning("action_call_refused", extra={"path": request.path, "ip": request.ip})
            return response.json({"error": "a valid token is required"}, status=401)
        return None

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("ACTIONS_PORT", "5055")))
    args = parser.parse_args(argv)
    token = os.environ.get("ACTION_SERVER_TOKEN", "")
    if len(token) < 16:
        print("ACTION_SERVER_TOKEN (16+ characters) is required", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO)
    host = os.environ.get("ACTION_SERVER_HOST", "127.0.0.1")
    build(token).run(host, args.port, workers=1, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
