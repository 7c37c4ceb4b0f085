"""Slack settings, declared beside the Slack adapter."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from bot.chat.policy import ChannelPolicies
from bot.settings import BotSettings
from knowledge.env_values import CommaList


class SlackSettings(BotSettings):
    """Tokens are secrets: never logged, never shown."""

    slack_bot_token: SecretStr = Field(SecretStr(""), description="xoxb-... bot token.")
    slack_app_token: SecretStr = Field(SecretStr(""), description="xapp-... for Socket Mode.")
    slack_signing_secret: SecretStr = Field(SecretStr(""), description="For HTTP Events mode.")
    slack_mode: Literal["socket", "http"] = "socket"
    slack_port: int = Field(3000, description="HTTP Events mode: port of /slack/events.")
    slack_api_url: str = Field(
        "https://slack.com/api/", description="Web API base URL (a proxy or a test stand-in)."
    )
    slack_channels: ChannelPolicies = Field(
        default_factory=dict,
        description='Per-channel policy as JSON: {"C123": {"collections": ["billing"], '
        '"handoff": "<!subteam^S1>"}}.',
    )
    follow_up_minutes: int = Field(
        30,
        ge=0,
        description="In a thread the bot answered, the asker's replies are follow-ups, without "
        "a mention, for this long after the last answer (0: only mentions are answered).",
    )
    follow_up_turns: int = Field(
        5, ge=0, description="How many follow-ups a thread takes without a mention."
    )
    follow_up_opt_out: str = Field(
        "//", description="A reply starting with this is an aside the bot doesn't answer."
    )
    slack_native_streaming: bool = Field(
        True,
        description="Stream answers with Slack's streaming API (chat.startStream) where the "
        "workspace has it; false, or once its budget runs out: a message edited as it grows.",
    )
    slack_vote_up: CommaList = Field(["+1", "thumbsup"], description="Reactions that count +1.")
    slack_vote_down: CommaList = Field(["-1", "thumbsdown"], description="Reactions that count -1.")
    slack_resolved_reactions: CommaList = Field(
        ["white_check_mark", "heavy_check_mark"],
        description="The asker's reaction on an answer that marks the question resolved.",
    )

    def missing(self) -> list[str]:
        """The variables still needed to start in the chosen mode."""
        needed = {"SUPPORTBOT_SLACK_BOT_TOKEN": self.slack_bot_token}
        if self.slack_mode == "socket":
            needed["SUPPORTBOT_SLACK_APP_TOKEN"] = self.slack_app_token
        else:
            needed["SUPPORTBOT_SLACK_SIGNING_SECRET"] = self.slack_signing_secret
        return [name for name, value in needed.items() if not value.get_secret_value()]
