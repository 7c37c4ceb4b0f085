"""An `Answer` as a Discord message: an embed with the text, numbered source links, a feedback
line, and the feedback buttons; mentions are off except the channel's handoff contact when the
bot hands off."""

from __future__ import annotations

from typing import Any

import discord

from bot.discord.buttons import answer_buttons
from knowledge.models import Answer, Question

FEEDBACK_HINT = "Was this helpful? React with 👍 or 👎."
COLOUR = 0x5865F2
_DESCRIPTION_LIMIT = 4096
_FIELD_LIMIT = 1024


def usage(prefix: str) -> str:
    return (
        f"Ask me a question about our product: `/ask`, `{prefix}ask <question>`, or mention me, "
        f"e.g. `{prefix}ask how do I reset my password?`"
    )


def link(title: str, url: str) -> str:
    """A markdown link whose title and url can't end it early; the bare title without a url."""
    title = title.replace("[", "(").replace("]", ")")
    return f"[{title}]({url.replace(')', '%29').replace(' ', '%20')})" if url else title


def answer_embed(answer: Answer, *, votes: bool = True) -> discord.Embed:
    embed = discord.Embed(description=answer.text[:_DESCRIPTION_LIMIT], colour=COLOUR)
    if answer.citations:
        lines: list[str] = []
        for citation in answer.citations:
            line = f"[{citation.number}] {link(citation.title, citation.url)}"
            if sum(len(x) + 1 for x in lines) + len(line) > _FIELD_LIMIT:
                break  # whole links only; a cut URL is a broken link
            lines.append(line)
        embed.add_field(name="Sources", value="\n".join(lines), inline=False)
    if votes:
        embed.set_footer(text=FEEDBACK_HINT)
    return embed


def answer_message(question: Question, answer: Answer, *, votes: bool = True) -> dict[str, Any]:
    """The JSON body of a create-message (or follow-up) request; an apology has no buttons."""
    body: dict[str, Any] = {
        "embeds": [answer_embed(answer, votes=votes).to_dict()],
        "allowed_mentions": {"parse": []},
        "components": answer_buttons() if votes else [],
    }
    if answer.declined and question.handoff_contact:
        body["content"] = question.handoff_contact
        body["allowed_mentions"] = {"parse": ["users", "roles"]}  # never @everyone
    return body
