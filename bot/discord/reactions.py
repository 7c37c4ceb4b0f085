"""👍/👎 added to or removed from the bot's answers, and the ✅ that marks a question resolved,
to the feedback worker.

Raw reaction events arrive whether or not the message is cached. On an add Discord names the
message's author, so reactions on other people's messages stop here; removals don't, so the
worker ties them to a stored answer or sets them aside.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import discord
from celery import Celery
from discord.ext import commands

from bot.discord import translate
from bot.discord.settings import DiscordSettings
from knowledge.models import Feedback
from knowledge.records.store import Records
from workers import enqueue


class Reactions(commands.Cog):
    def __init__(
        self, bot: commands.Bot, settings: DiscordSettings, celery: Celery, records: Records
    ) -> None:
        self.bot = bot
        self.settings = settings
        self.celery = celery
        self.records = records

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, event: discord.RawReactionActionEvent) -> None:
        me = self.bot.user
        if me is None or event.message_author_id != me.id:
            return
        closing = str(event.emoji.name or "") in self.settings.discord_resolved_reactions
        if closing and event.user_id != me.id:  # (our own ✅ marks a press of the button)
            closed = Feedback(platform="discord", kind="resolve", user=str(event.user_id),
                              message_ref=f"{event.channel_id}/{event.message_id}",
                              at=datetime.now(UTC))  # fmt: skip
            await asyncio.to_thread(enqueue.feedback, self.celery, self.records, closed)
            return
        await self._record(event, added=True)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, event: discord.RawReactionActionEvent) -> None:
        await self._record(event, added=False)

    async def _record(self, event: discord.RawReactionActionEvent, *, added: bool) -> None:
        me = self.bot.user
        if me is None or event.user_id == me.id:
            return  # our own 👀
        vote = translate.vote(
            added=added, emoji=str(event.emoji.name or ""), user_id=event.user_id,
            channel_id=event.channel_id, message_id=event.message_id, at=datetime.now(UTC),
            up=self.settings.discord_vote_up, down=self.settings.discord_vote_down,
        )  # fmt: skip
        if vote is not None:
            await asyncio.to_thread(enqueue.feedback, self.celery, self.records, vote)
