"""An `Answer` as a Discord message: an embed with the text, numbered source links, a feedback
line, and the feedback buttons; mentions are off except the channel's handoff contact when the
bot hands off."""

from __future__ import annotations

import re
from typing import Any

import discord

from bot.discord.buttons import answer_buttons
from knowledge.index.links import plain_title, public_link
from knowledge.models import Answer, Question

FEEDBACK_HINT = "Was this helpful? React with 👍 or 👎."
COLOUR = 0x5865F2
_DESCRIPTION_LIMIT = 4096
_FIELD_LIMIT = 1024
_MASKED = re.compile(r"\[([^\[\]\n]*)\]\(\s*<?([^()\s<>]*)>?\s*\)")


def usage(prefix: str) -> str:
    return (
        f"Ask me a question about our product: `/ask`, `{prefix}ask <question>`, or mention me, "
        f"e.g. `{prefix}ask how do I reset my password?`"
    )


def link(title: str, url: str) -> str:
    """A masked link whose title and url can't end it early or carry markdown; the bare title
    when the url is no public http(s) link."""
    shown = discord.utils.escape_markdown(plain_title(title)).replace("[", "(").replace("]", ")")
    url = public_link(url, escaped=True)
    return f"[{shown}]({url.replace('(', '%28').replace(')', '%29')})" if url else shown


def unmasked(text: str) -> str:
    """An answer's own `[label](url)` shown as `label (url)`: a reader sees where a link in the
    text goes (a masked one could say one site and open another); only the sources are links."""
    return _MASKED.sub(lambda m: f"{m.group(1)} ({m.group(2)})" if m.group(2) else m.group(1), text)


def answer_embed(answer: Answer, *, votes: bool = True) -> discord.Embed:
    text = unmasked(answer.text)
    if answer.note:  # which part of a long message was answered
        text = f"*{discord.utils.escape_markdown(unmasked(answer.note))}*\n\n{text}"
    embed = discord.Embed(description=text[:_DESCRIPTION_LIMIT], colour=COLOUR)
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
