"""Draft channels on Discord (a channel whose policy has `mode: draft`): the draft as its review
channel shows it, and its "Post" / "Edit, then post" buttons.

The buttons are a persistent view with fixed custom ids: the draft's question is found from the
message pressed (`Records.under_review`). The first approval counts (`bot.chat.reviewing`): a button
pressed twice, or by two teammates, posts once, and the draft then shows who posted it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord
from celery import Celery

from bot.chat import reviewing
from bot.chat.replies import REVIEW_UNAVAILABLE
from bot.discord.embeds import answer_embed
from knowledge.models import Answer, Question
from knowledge.records.store import Records

APPROVE = "supportbot:approve"
EDIT = "supportbot:edit"
_TEXT_LIMIT = 4000  # a text input's most
logger = logging.getLogger(__name__)


def review_message(
    question: Question, answer: Answer, *, approved_by: str = "", edited: bool = False
) -> dict[str, Any]:
    """The JSON body of a draft in its review channel: where it was asked, the question (quoted,
    mentions off), the answer as the asker would see it, and the buttons; once approved, who
    posted it instead of the buttons."""
    asked = discord.utils.escape_markdown(question.text)[:1500].replace("\n", "\n> ")
    said = f"Draft answer to a question in <#{question.channel}>:\n> {asked}"
    if approved_by:
        how = "Edited and posted" if edited else "Posted"
        said += f"\n✅ {how} to the asker by <@{approved_by}>"
    return {
        "content": said,
        "embeds": [answer_embed(answer, votes=False).to_dict()],
        "allowed_mentions": {"parse": []},
        "components": [] if approved_by else [{"type": 1, "components": [
            {"type": 2, "style": 3, "label": "✅ Post", "custom_id": APPROVE},
            {"type": 2, "style": 2, "label": "✏️ Edit, then post", "custom_id": EDIT},
        ]}],
    }  # fmt: skip


class EditModal(discord.ui.Modal):
    """The draft, to edit before it is posted; the edit is kept as a correction."""

    def __init__(self, key: str, text: str, buttons: DraftButtons) -> None:
        super().__init__(title="Edit, then post", custom_id=f"supportbot:edit_draft:{key}"[:100],
                         timeout=900)  # fmt: skip
        self.text: discord.ui.TextInput = discord.ui.TextInput(
            style=discord.TextStyle.paragraph, custom_id="text", max_length=_TEXT_LIMIT,
            default=text[:_TEXT_LIMIT],
        )  # fmt: skip
        self.add_item(discord.ui.Label(text="The answer the asker will see", component=self.text))
        self.key = key
        self.buttons = buttons

    async def on_submit(self, interaction: discord.Interaction) -> None:
        text = self.text.value.strip()
        if not text:
            await interaction.response.send_message("Please write something first.", ephemeral=True)
            return
        await self.buttons.post(interaction, self.key, text)


class DraftButtons(discord.ui.View):
    def __init__(self, celery: Celery, records: Records) -> None:
        super().__init__(timeout=None)
        self.celery = celery
        self.records = records

    @discord.ui.button(label="✅ Post", style=discord.ButtonStyle.success, custom_id=APPROVE)
    async def approve(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        key = await self._key(interaction)
        if key is not None:
            await self.post(interaction, key, None)

    @discord.ui.button(
        label="✏️ Edit, then post", style=discord.ButtonStyle.secondary, custom_id=EDIT
    )
    async def edit(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        key = await self._key(interaction)
        if key is None:
            return
        try:
            answer = await asyncio.to_thread(self.records.stored_answer, key)
        except Exception as exc:
            logger.warning("Could not read the draft of %s: %s", key, exc)
            answer = None
        if answer is None:
            await interaction.response.send_message(REVIEW_UNAVAILABLE, ephemeral=True)
            return
        await interaction.response.send_modal(EditModal(key, answer.text, self))

    async def post(self, interaction: discord.Interaction, key: str, text: str | None) -> None:
        """Approve the draft (edited into `text`) and show the outcome on it, or to the presser."""
        user = str(interaction.user.id)
        done = await asyncio.to_thread(
            reviewing.approve, self.records, self.celery, key=key, by=user, text=text
        )
        if done.note or done.question is None or done.answer is None:
            await interaction.response.send_message(done.note or REVIEW_UNAVAILABLE,
                                                    ephemeral=True)  # fmt: skip
            return
        shown = review_message(done.question, done.answer, approved_by=user,
                               edited=text is not None)  # fmt: skip
        await interaction.response.edit_message(
            content=shown["content"], embeds=[discord.Embed.from_dict(e) for e in shown["embeds"]],
            view=None, allowed_mentions=discord.AllowedMentions.none(),
        )  # fmt: skip

    async def _key(self, interaction: discord.Interaction) -> str | None:
        """The question whose draft was pressed; the presser is told when there is none yet."""
        message_id = interaction.message.id if interaction.message else 0
        ref = f"{interaction.channel_id}/{message_id}"
        try:
            key = await asyncio.to_thread(self.records.under_review, ref)
        except Exception as exc:
            logger.warning("Could not look up the draft %s: %s", ref, exc)
            key = None
        if key is None:
            await interaction.response.send_message(REVIEW_UNAVAILABLE, ephemeral=True)
        return key
