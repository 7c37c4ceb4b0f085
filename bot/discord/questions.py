"""Questions in: `/ask` (deferred at once), `!ask`, an @mention, or a direct message.

Each is claimed in the records by its snowflake and enqueued as `answer | deliver`; the answer goes
in a thread on the question's message (or the thread or DM it was asked in), or as the slash
command's follow-up. Enqueueing blocks (the broker, the records), so it runs off the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import discord
from celery import Celery
from discord import app_commands
from discord.ext import commands
from sqlalchemy.exc import SQLAlchemyError

from bot.chat import attachments
from bot.chat.attachments import Attached
from bot.chat.follow_ups import only_thanks
from bot.chat.policy import ChannelPolicy
from bot.chat.replies import UNAVAILABLE
from bot.discord import translate
from bot.discord.delivery import TASK, THINKING
from bot.discord.embeds import usage
from bot.discord.settings import DiscordSettings
from bot.discord.translate import FollowUp, InThread, Said
from knowledge.models import Feedback, Question, Turn
from knowledge.records.store import Records
from workers import enqueue

logger = logging.getLogger(__name__)
HISTORY_MESSAGES = 20


class Questions(commands.Cog):
    def __init__(
        self, bot: commands.Bot, settings: DiscordSettings, celery: Celery, records: Records
    ) -> None:
        self.bot = bot
        self.settings = settings
        self.celery = celery
        self.records = records

    @app_commands.command(name="ask", description="Ask a question about our product.")
    @app_commands.describe(question="What you want to know")
    async def ask_slash(self, interaction: discord.Interaction, question: str) -> None:
        await interaction.response.defer(thinking=True)  # Discord wants a response within 3 s
        text = translate.question_text(question)
        if not text:
            await interaction.followup.send(usage(self.settings.discord_prefix))
            return
        thread = interaction.channel if isinstance(interaction.channel, discord.Thread) else None
        channel_id = thread.parent_id if thread else interaction.channel_id
        asked = translate.to_question(
            guild_id=interaction.guild_id,
            channel_id=channel_id or 0,
            thread_id=thread.id if thread else None,
            user_id=interaction.user.id,
            text=text,
            event_id=interaction.id,
            turns=[],
            policy=self._policy(channel_id),
        )
        reply = FollowUp(application_id=str(interaction.application_id), token=interaction.token)
        if await self._submit(asked, reply) is False:
            await interaction.followup.send(UNAVAILABLE)

    @commands.command(name="ask")
    async def ask_text(self, ctx: commands.Context, *, question: str = "") -> None:
        await self._answer(ctx.message, question)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if me is None or not translate.should_answer(
            author_id=message.author.id, author_is_bot=message.author.bot, bot_id=me.id
        ):
            return
        fix = translate.correction(
            text=message.content, prefix=self.settings.correction_prefix,
            user_id=message.author.id, channel_id=message.channel.id, message_id=message.id,
            at=message.created_at,
        )  # fmt: skip
        if fix is not None:  # a better answer, given in the answer's thread
            await asyncio.to_thread(enqueue.feedback, self.celery, self.records, fix)
            return
        if translate.after_prefix(message.content, self.settings.discord_prefix) is not None:
            return  # the text command takes it
        if message.guild is None or me in message.mentions:
            await self._answer(message, message.content)
        elif (policy := self._by_itself(message)) is not None:
            bar = self.settings.auto_answer_bar if policy.answer_bar is None else policy.answer_bar
            await self._answer(message, message.content,
                               answer_bar=bar if policy.mode == "auto" else None)  # fmt: skip
        elif isinstance(message.channel, discord.Thread) and only_thanks(message.content):
            await asyncio.to_thread(self._thanked, message.channel, message)

    async def _with_attachments(self, message: discord.Message, text: str) -> str:
        """The question with its text files read in; the asker is told of any file left out."""
        files = {a.filename: a for a in message.attachments}
        if not files:
            return text
        described = [Attached(name=a.filename, mimetype=a.content_type or "", size=a.size,
                              url=a.url) for a in files.values()]  # fmt: skip
        limit = self.settings.attachment_max_kb * 1024
        read = []
        for wanted in attachments.to_read(described, limit):
            try:
                data = await files[wanted.name].read()
            except (discord.HTTPException, discord.NotFound) as exc:
                logger.warning("An attachment could not be downloaded: %s", exc)
                continue
            if len(data) <= limit:
                read.append((wanted.name, data.decode("utf-8", errors="replace")))
        note = attachments.left_unread(described, [name for name, _ in read], limit,
                                       has_text=bool(text or read))  # fmt: skip
        if note:
            with contextlib.suppress(discord.HTTPException):
                await message.reply(note, mention_author=False)
        return translate.question_text(attachments.question_with(text, read))

    def _thanked(self, thread: discord.Thread, message: discord.Message) -> None:
        """The asker's thanks in the thread of an answer: their question is resolved."""
        try:
            stands = self.records.handoff("discord", place=str(thread.id))
        except SQLAlchemyError as exc:
            logger.warning("Could not read the records for a thank-you: %s", exc)
            return
        if stands is None or stands.asker != str(message.author.id):
            return
        thanks = Feedback(platform="discord", kind="resolve", user=str(message.author.id),
                          place=str(thread.id), at=message.created_at)  # fmt: skip
        enqueue.feedback(self.celery, self.records, thanks)

    def _by_itself(self, message: discord.Message) -> ChannelPolicy | None:
        """The policy of a channel the bot answers by itself (`mode: auto`, or `draft`: reviewed
        first) when `message` is a new question there: a new post in a forum channel, or a
        top-level message in a text channel, naming nobody and not only thanks. None: not for
        the bot."""
        channel = message.channel
        if isinstance(channel, discord.Thread):
            if not isinstance(channel.parent, discord.ForumChannel) or message.id != channel.id:
                return None  # a forum post's first message has the thread's id
            where = channel.parent_id
        elif isinstance(channel, discord.TextChannel):
            where = channel.id
        else:
            return None
        policy = self._policy(where)
        if policy is None or not policy.answers_by_itself:
            return None
        if message.mentions or message.role_mentions or message.mention_everyone:
            return None
        if only_thanks(message.content) and not message.attachments:
            return None
        return policy

    async def _answer(
        self, message: discord.Message, text: str, answer_bar: float | None = None
    ) -> None:
        text = await self._with_attachments(message, translate.question_text(text))
        if not text:
            await message.reply(usage(self.settings.discord_prefix), mention_author=False)
            return
        channel = message.channel
        thread = channel if isinstance(channel, discord.Thread) else None
        channel_id = thread.parent_id if thread else channel.id
        asked = translate.to_question(
            guild_id=message.guild.id if message.guild else None,
            channel_id=channel_id,
            thread_id=thread.id if thread else None,
            user_id=message.author.id,
            text=text,
            event_id=message.id,
            turns=await self._history(thread, message) if thread else [],
            policy=self._policy(channel_id),
            answer_bar=answer_bar,
        )
        reply = InThread(
            channel_id=str(channel.id),
            message_id=str(message.id),
            thread_name=translate.thread_name(text),
            start_thread=thread is None and message.guild is not None,
        )
        submitted = await self._submit(asked, reply)
        if submitted is False:
            await message.reply(UNAVAILABLE, mention_author=False)
        elif submitted:
            try:
                await message.add_reaction(THINKING)
            except discord.HTTPException as exc:
                logger.warning("Could not add the %s reaction: %s", THINKING, exc.text)

    async def _submit(self, question: Question, reply: InThread | FollowUp) -> bool | None:
        """True once enqueued, None for a duplicate (already taken), False if the queue is down.
        In a draft channel the delivery posts to its review channel first."""
        policy = self.settings.discord_channels.get(question.channel)
        review = {"review": policy.reviewer} if policy and policy.reviewer else {}
        deliver = self.celery.signature(TASK, kwargs={"reply": reply.model_dump()} | review)
        try:
            sent = await asyncio.to_thread(
                enqueue.ask, self.celery, self.records, question,
                expires_s=self.settings.task_expiry_s, then=deliver,
            )  # fmt: skip
        except Exception:
            logger.exception("Could not enqueue question %s", question.key)
            return False
        if sent is None:
            logger.info("Question %s already taken; ignoring the duplicate", question.key)
            return None
        return True

    async def _history(self, thread: discord.Thread, message: discord.Message) -> list[Turn]:
        """The thread so far, oldest first, starting with the message the thread was opened on."""
        said: list[Said] = []
        try:
            async for earlier in thread.history(limit=HISTORY_MESSAGES, before=message):
                said.append(self._said(earlier))
            said.reverse()
            if isinstance(thread.parent, discord.TextChannel):  # opened on this message, if any
                with contextlib.suppress(discord.NotFound):
                    said.insert(0, self._said(await thread.parent.fetch_message(thread.id)))
        except discord.HTTPException as exc:
            logger.warning("Could not read thread %s: %s", thread.id, exc.text)
        return translate.history(said)

    def _said(self, message: discord.Message) -> Said:
        me = self.bot.user
        text = message.content or next((e.description or "" for e in message.embeds), "")
        return Said(mine=me is not None and message.author.id == me.id, text=text)

    def _policy(self, channel_id: int | None) -> ChannelPolicy | None:
        return self.settings.discord_channels.get(str(channel_id)) if channel_id else None
