"""`python -m bot.slack`: run the Slack adapter (Socket Mode, or HTTP Events on a port)."""

from __future__ import annotations

import sys

from bot.chat import unconfigured
from bot.slack.app import create_app, make_http_server
from bot.slack.settings import SlackSettings
from knowledge import logs
from knowledge.records.store import Records
from knowledge.settings import load_or_exit
from workers.app import create_app as create_celery


def main() -> int:
    logs.configure("INFO")  # plain lines: honcho and log files show colour codes as garbage
    settings = load_or_exit(SlackSettings)
    missing = settings.missing()
    if missing:
        return unconfigured.report("Slack", missing, stand_by="--stand-by" in sys.argv)
    app = create_app(settings, create_celery(settings), Records(settings.resolved_records_url))
    if settings.slack_mode == "socket":
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        SocketModeHandler(app, settings.slack_app_token.get_secret_value()).start()
    else:
        make_http_server(app, settings, "0.0.0.0", settings.slack_port).run()  # noqa: S104
    return 0


if __name__ == "__main__":
    sys.exit(main())
