"""Is the Slack bot token good? One `auth.test`, for `supportbot doctor`."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.settings import SlackSettings


def check_token(settings: SlackSettings) -> tuple[str | None, str]:
    """(problem, detail): the problem is None when Slack accepts the bot token."""
    client = WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=5,
    )
    try:
        who = client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error")
        return f"Slack refused the bot token ({error}): check SUPPORTBOT_SLACK_BOT_TOKEN", ""
    except Exception as exc:
        return f"can't reach {settings.slack_api_url} ({type(exc).__name__})", ""
    who_am_i = who.get("user") or who.get("user_id")
    return None, f"{settings.slack_mode} mode, signed in as {who_am_i} ({who.get('team_id')})"
