"""Discord settings, declared beside the Discord adapter."""

from __future__ import annotations

from pydantic import Field, SecretStr

from bot.chat.policy import ChannelPolicies
from bot.settings import BotSettings
from knowledge.env_values import CommaIntList, CommaList


class DiscordSettings(BotSettings):
    """The bot token is a secret: never logged, never shown."""

    discord_token: SecretStr = Field(SecretStr(""), description="The bot's token (Bot tab).")
    discord_prefix: str = Field("!", description="Prefix of the `ask` text command (`!ask ...`).")
    discord_guilds: CommaIntList = Field(
        default_factory=list,
        description="Guild ids to sync /ask to at start-up (instant); empty: sync globally "
        "(Discord may take up to an hour to show it).",
    )
    discord_sync_commands: bool = Field(True, description="Sync the /ask command at start-up.")
    discord_api_url: str = Field(
        "https://discord.com/api/v10", description="REST base URL (a proxy or a test stand-in)."
    )
    discord_channels: ChannelPolicies = Field(
        default_factory=dict,
        description="Per-channel policy as JSON, keyed by channel id (a thread follows its "
        'parent): {"1234": {"collections": ["billing"], "handoff": "<@&5678>"}}.',
    )
    discord_vote_up: CommaList = Field(["👍"], description="Reactions that count +1.")
    discord_vote_down: CommaList = Field(["👎"], description="Reactions that count -1.")
    discord_resolved_reactions: CommaList = Field(
        ["✅", "☑️", "✔️"],
        description="The asker's reaction on an answer that marks the question resolved.",
    )

    def missing(self) -> list[str]:
        """The variables still needed to start."""
        return [] if self.discord_token.get_secret_value() else ["SUPPORTBOT_DISCORD_TOKEN"]
