"""The Bolt app: Socket Mode by default, HTTP Events mode (signed requests) as an option."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from celery import Celery
from slack_bolt import App, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.slack import http
from bot.slack.delivery import web_client
from bot.slack.listeners import actions, assistant, mentions, reactions, review
from bot.slack.settings import SlackSettings
from knowledge.records.store import Records


def create_app(settings: SlackSettings, celery: Celery, records: Records) -> App:
    app = App(
        client=web_client(settings),
        signing_secret=settings.slack_signing_secret.get_secret_value() or None,
        request_verification_enabled=settings.slack_mode == "http",
        token_verification_enabled=True,
    )
    ask = mentions.register(app, settings, celery, records)
    assistant.register(app, records, ask)
    reactions.register(app, settings, celery, records)
    actions.register(app, settings, celery, records)
    review.register(app, settings, celery, records)
    app.error(_malformed)
    return app


def _malformed(error: Exception, logger: logging.Logger) -> BoltResponse:
    """A payload Bolt can't route is answered 400, not 500: Slack would retry it in vain. (A
    listener's own failure lands here too, after the ack: the traceback says which.)"""
    logger.warning("Rejected a Slack request: %s: %s", type(error).__name__, error, exc_info=error)
    return BoltResponse(status=400, body="malformed request")


def _rejecting_malformed(handler: SlackRequestHandler) -> Callable:
    """Bolt raises on some malformed payloads before any listener runs (its matchers index the
    body); answer those 400 too, rather than the server's 500 that Slack would retry."""

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        try:
            return handler(environ, start_response)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            logging.getLogger(__name__).warning("Rejected a malformed Slack request: %r", exc)
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [b"malformed request"]

    return application


def make_http_server(
    app: App, settings: SlackSettings, host: str, port: int, *, idle_timeout_s: int = 30
) -> Any:
    """/slack/events on a waitress server (see `bot.slack.http`; put TLS in front of it)."""
    guarded = http.signed_only(
        _rejecting_malformed(SlackRequestHandler(app)),
        settings.slack_signing_secret.get_secret_value(),
    )
    return http.make_server(guarded, host, port, idle_timeout_s=idle_timeout_s)
