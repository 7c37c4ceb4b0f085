"""`python -m bot.discord`: run the Discord adapter (gateway connection, /ask, !ask, mentions)."""

from __future__ import annotations

import sys

from bot.chat import unconfigured
from bot.discord.app import create_bot
from bot.discord.settings import DiscordSettings
from knowledge import logs
from knowledge.records.store import Records
from knowledge.settings import load_or_exit
from workers.app import create_app as create_celery


def main() -> int:
    logs.configure("INFO")  # plain lines: honcho and log files show colour codes as garbage
    settings = load_or_exit(DiscordSettings)
    missing = settings.missing()
    if missing:
        return unconfigured.report("Discord", missing, stand_by="--stand-by" in sys.argv)
    bot = create_bot(settings, create_celery(settings), Records(settings.resolved_records_url))
    bot.run(settings.discord_token.get_secret_value(), log_handler=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
