"""The discord.py bot: intents, the questions cog, and `/ask` synced at start-up."""

from __future__ import annotations

import logging

import discord
from celery import Celery
from discord import app_commands
from discord.ext import commands

from bot.discord.buttons import AnswerButtons
from bot.discord.drafts import DraftButtons
from bot.discord.questions import Questions
from bot.discord.reactions import Reactions
from bot.discord.rest import use_api
from bot.discord.settings import DiscordSettings
from knowledge.records.store import Records

logger = logging.getLogger(__name__)
COMMAND_FAILED = "Sorry, I couldn't read that command. Try `/ask` with your question."


class SupportBot(commands.Bot):
    def __init__(self, settings: DiscordSettings, celery: Celery, records: Records) -> None:
        intents = discord.Intents.default()
        intents.message_content = True  # privileged: `!ask` and mentions need the text
        super().__init__(
            command_prefix=settings.discord_prefix,
            intents=intents,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.settings = settings
        self.celery = celery
        self.records = records

    async def setup_hook(self) -> None:
        self.tree.on_error = self._on_app_command_error  # type: ignore[method-assign]
        await self.add_cog(Questions(self, self.settings, self.celery, self.records))
        await self.add_cog(Reactions(self, self.settings, self.celery, self.records))
        self.add_view(
            AnswerButtons(self.celery, self.records, self.settings)
        )  # clicks on any answer, even older ones
        self.add_view(DraftButtons(self.celery, self.records))  # and on any draft in review
        if not self.settings.discord_sync_commands:
            return
        if self.settings.discord_guilds:
            for guild_id in self.settings.discord_guilds:
                guild = discord.Object(guild_id)
                self.tree.copy_global_to(guild=guild)
                await self.tree.sync(guild=guild)
            logger.info("/ask synced to guilds %s", self.settings.discord_guilds)
        else:
            await self.tree.sync()
            logger.info("/ask synced globally (may take up to an hour to appear)")

    async def on_ready(self) -> None:
        logger.info("Connected to Discord as %s in %d guilds", self.user, len(self.guilds))

    async def on_command_error(self, context: commands.Context, error: Exception) -> None:  # type: ignore[override]
        if isinstance(error, commands.CommandNotFound):
            return  # `!something` that isn't ours
        logger.error("Command %s failed: %s", context.command, error, exc_info=error)

    async def _on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """A malformed or failing command gets a clear reply, not Discord's silent timeout."""
        logger.error("/%s failed: %s", interaction.command and interaction.command.name, error)
        if interaction.response.is_done():
            await interaction.followup.send(COMMAND_FAILED, ephemeral=True)
        else:
            await interaction.response.send_message(COMMAND_FAILED, ephemeral=True)


def create_bot(settings: DiscordSettings, celery: Celery, records: Records) -> SupportBot:
    use_api(settings.discord_api_url)
    return SupportBot(settings, celery, records)
