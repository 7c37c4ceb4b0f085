"""What every chat platform does alike, as plain decisions and texts: delivering once, draft
review, handoffs, follow-ups, attachments, reactions as feedback, channel policy.
Imports `workers` and `knowledge`, never a platform (bot.slack, bot.discord) nor the CLI."""
