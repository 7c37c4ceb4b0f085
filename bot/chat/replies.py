"""What the bot says in a thread when it can't do what was asked: one wording for every platform."""

UNAVAILABLE = "Sorry, I can't take questions right now. Please try again in a few minutes."
ALREADY_ESCALATED = "A teammate has already been asked to help here."
ALREADY_RESOLVED = "This question is already marked resolved."
NOT_YOURS_TO_RESOLVE = (
    "Only the person who asked can mark this resolved, or whoever helps once someone asked for a "
    "person."
)


def handoff_request(contact: str, asker: str) -> str:
    """The thread message that pings the channel's contact: `asker` asked for a person."""
    return f"{contact}: {asker} would like a person to help with this question."


REVIEW_UNAVAILABLE = "Sorry, I couldn't post this draft just now. Please press again in a minute."


def already_posted(by: str) -> str:
    """What a second press of a draft's "Post" tells its presser."""
    return f"This draft was already posted to the asker by {by}."


def resolved_note(by: str) -> str:
    return f"Marked resolved by {by}. Thanks!"
