"""The buttons under an answer: "Mark resolved" and "Talk to a person" (see `bot.chat.handoffs`: the
press is recorded at once; a person is pinged in the thread, the answer marked 🆘 or ✅);
"Suggest a better answer" and "Not helpful? Tell us why" open a modal, and what is sent goes to
the feedback worker as a correction, or as a 👎 with its reason.

The buttons are a persistent view (fixed custom ids), so they work on answers posted by the
delivery worker and after the adapter restarts. A modal's custom id carries the answer's message.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any, Literal

import discord
from celery import Celery

from bot.chat import handoffs, reactions
from bot.discord.settings import DiscordSettings
from knowledge.models import Feedback
from knowledge.records.store import Records
from workers import enqueue

RESOLVE = "supportbot:resolve"
HANDOFF = "supportbot:handoff"
SUGGEST = "supportbot:suggest"
WHY_NOT = "supportbot:why_not"
THANKS = "Thanks! It is kept with the answer and helps the next version of the bot."
ESCALATED, RESOLVED = "🆘", "✅"  # the reaction a press leaves on the answer
logger = logging.getLogger(__name__)


def answer_buttons() -> list[dict[str, Any]]:
    """The components JSON a delivery attaches to an answer (the view below handles clicks)."""
    return [{"type": 1, "components": [
        {"type": 2, "style": 3, "label": "Mark resolved", "custom_id": RESOLVE},
        {"type": 2, "style": 1, "label": "Talk to a person", "custom_id": HANDOFF},
        {"type": 2, "style": 2, "label": "Suggest a better answer", "custom_id": SUGGEST},
        {"type": 2, "style": 2, "label": "Not helpful? Tell us why", "custom_id": WHY_NOT},
    ]}]  # fmt: skip


class FeedbackModal(discord.ui.Modal):
    def __init__(
        self,
        kind: Literal["correction", "reason"],
        message_ref: str,
        celery: Celery,
        records: Records,
    ) -> None:
        title = "A better answer" if kind == "correction" else "What was wrong?"
        super().__init__(title=title, custom_id=f"supportbot:{kind}:{message_ref}", timeout=900)
        self.text: discord.ui.TextInput = discord.ui.TextInput(
            style=discord.TextStyle.paragraph, custom_id="text", max_length=3000
        )
        label = (
            "What should the answer have said?" if kind == "correction"
            else "Why wasn't it helpful? (counts as 👎)"
        )  # fmt: skip
        self.add_item(discord.ui.Label(text=label, component=self.text))
        self.kind = kind
        self.message_ref = message_ref
        self.celery = celery
        self.records = records

    async def on_submit(self, interaction: discord.Interaction) -> None:
        for event in reactions.from_modal(
            self.kind, platform="discord", user=str(interaction.user.id),
            message_ref=self.message_ref, text=self.text.value.strip(),
            event_id=str(interaction.id),
        ):  # fmt: skip
            await asyncio.to_thread(enqueue.feedback, self.celery, self.records, event)
        await interaction.response.send_message(THANKS, ephemeral=True)


class AnswerButtons(discord.ui.View):
    def __init__(self, celery: Celery, records: Records, settings: DiscordSettings) -> None:
        super().__init__(timeout=None)
        self.celery = celery
        self.records = records
        self.settings = settings

    @discord.ui.button(label="Mark resolved", style=discord.ButtonStyle.success, custom_id=RESOLVE)
    async def resolve(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._press(interaction, "resolve")

    @discord.ui.button(
        label="Talk to a person", style=discord.ButtonStyle.primary, custom_id=HANDOFF
    )
    async def handoff(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._press(interaction, "escalate")

    async def _press(
        self, interaction: discord.Interaction, kind: Literal["escalate", "resolve"]
    ) -> None:
        channel = interaction.channel
        parent = (
            channel.parent_id if isinstance(channel, discord.Thread) else interaction.channel_id
        )
        policy = self.settings.discord_channels.get(str(parent))
        event = Feedback(platform="discord", kind=kind, user=str(interaction.user.id),
                         message_ref=_ref(interaction), event_id=str(interaction.id),
                         at=datetime.now(UTC))  # fmt: skip
        shown = await asyncio.to_thread(
            handoffs.press, event, self.records, self.celery, mention=interaction.user.mention,
            contact=(policy.handoff if policy else None) or self.settings.handoff_contact,
        )  # fmt: skip
        if shown.note:
            await interaction.response.send_message(shown.note, ephemeral=True)
            return
        pings = discord.AllowedMentions(everyone=False, users=True, roles=True)
        await interaction.response.send_message(shown.post or "", allowed_mentions=pings)
        if shown.react and interaction.message is not None:
            try:
                await interaction.message.add_reaction(
                    ESCALATED if kind == "escalate" else RESOLVED
                )
            except discord.HTTPException as exc:
                logger.warning("Could not mark the answer: %s", exc.text)

    @discord.ui.button(
        label="Suggest a better answer", style=discord.ButtonStyle.secondary, custom_id=SUGGEST
    )
    async def suggest(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await interaction.response.send_modal(
            FeedbackModal("correction", _ref(interaction), self.celery, self.records)
        )

    @discord.ui.button(
        label="Not helpful? Tell us why", style=discord.ButtonStyle.secondary, custom_id=WHY_NOT
    )
    async def why_not(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await interaction.response.send_modal(
            FeedbackModal("reason", _ref(interaction), self.celery, self.records)
        )


def _ref(interaction: discord.Interaction) -> str:
    message_id = interaction.message.id if interaction.message else 0
    return f"{interaction.channel_id}/{message_id}"
