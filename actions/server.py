"""Pathfinder's actions server: rasa-sdk's own server and arguments, started with

    .venv/bin/python -m actions.server --actions actions -p 5055

instead of ``python -m rasa_sdk``, for one reason. Rasa 3.6 posts its whole domain (every
response, in English and French) with each custom action call unless the endpoint sets
``enable_selective_domain``; that serialisation and post cost ~25 ms per action, three
quarters of a content turn. With it, Rasa 3.6 sends no domain, and rasa-sdk 3.21, which
expects a domain digest that only newer Rasa sends, answers 449 "missing domain". No
Pathfinder action reads the domain, so this executor runs them without one.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_argument_parser, run
from rasa_sdk.executor import ActionExecutor

from knowledge.settings import SettingsError, actions_settings


class DomainOptionalExecutor(ActionExecutor):
    """rasa-sdk's executor, with the domain of the request when there is one, else empty."""

    def update_and_return_domain(self, payload: dict[str, Any],
                                 action_name: str) -> dict[str, Any] | None:
        domain = payload.get("domain")
        return domain if isinstance(domain, dict) else {}


def serve(args: argparse.Namespace) -> None:
    """What ``rasa_sdk.__main__`` does for an HTTP server, with DomainOptionalExecutor."""
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME),
                                 args.log_file, args.loglevel, args.logging_config_file)
    utils.update_sanic_log_level()
    executor = DomainOptionalExecutor()
    executor.register_package(args.actions_module or args.actions)
    run(executor, args.port, args.cors, args.ssl_certificate, args.ssl_keyfile,
        args.ssl_password, args.auto_reload, args.endpoints)


def main() -> None:
    args = create_argument_parser().parse_args()
    try:
        actions_settings()  # checked before Sanic starts its workers: a bad value stops here
    except SettingsError as exc:
        raise SystemExit(f"error: {exc}") from None
    serve(args)


if __name__ == "__main__":
    main()
