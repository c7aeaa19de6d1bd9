"""The launcher's `rasa run` command line, read by Rasa's own argument parser."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.__main__ import create_argument_parser

from handoff.dev.launcher import rasa_argv


@pytest.mark.parametrize("token", ["-ermxhXk0cHV2EJgWw5Z5QSvRk", "--x", "plain_token-9"])
def test_rasa_reads_the_auth_token_whatever_it_starts_with(token: str) -> None:
    argv = rasa_argv(Path("/m/model.tar.gz"), Path("/v/endpoints.yml"), 5005, token)
    args = create_argument_parser().parse_args(argv[1:])
    assert args.auth_token == token
    assert (args.model, args.endpoints, args.port, args.interface) == (
        "/m/model.tar.gz", "/v/endpoints.yml", 5005, "127.0.0.1",
    )  # fmt: skip
    assert args.enable_api
