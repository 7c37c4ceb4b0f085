"""Is the Discord bot token good? One `GET /users/@me` through discord.py, for `supportbot
doctor`."""

from __future__ import annotations

import discord
from discord.http import Route

from bot.discord.rest import DiscordRest
from bot.discord.settings import DiscordSettings


def check_token(settings: DiscordSettings) -> tuple[str | None, str]:
    """(problem, detail): the problem is None when Discord accepts the bot token."""
    rest = DiscordRest(settings.discord_token.get_secret_value(), settings.discord_api_url)
    try:
        me = rest.call(lambda http: http.request(Route("GET", "/users/@me")), timeout=20)
    except discord.LoginFailure:
        return "Discord refused the bot token: check SUPPORTBOT_DISCORD_TOKEN", ""
    except Exception as exc:
        return f"can't reach {settings.discord_api_url} ({type(exc).__name__})", ""
    finally:
        rest.close()
    return None, f"signed in as {me.get('username')} ({me.get('id')})"
