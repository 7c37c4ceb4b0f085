"""What the bot says in a thread when it can't do what was asked: one wording for every platform."""

UNAVAILABLE = "Sorry, I can't take questions right now. Please try again in a few minutes."
