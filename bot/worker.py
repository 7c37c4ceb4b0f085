"""The delivery worker: `celery -A bot.worker worker -Q delivery,feedback --pool threads`.

Deliveries talk to Slack and Discord, so they run here, beside the adapters, not in workers/.
The platform-free feedback and sweep tasks (workers/) run here too: quick database work, never
behind answers.
"""

from __future__ import annotations

from bot.discord import delivery as discord_delivery
from bot.discord.rest import DiscordRest
from bot.discord.settings import DiscordSettings
from bot.slack import delivery as slack_delivery
from bot.slack.settings import SlackSettings
from knowledge.settings import load_or_exit
from workers import records
from workers.app import create_app, worker_logging

worker_logging()
settings = load_or_exit(SlackSettings)
discord = load_or_exit(DiscordSettings)
records.configure(settings)
app = create_app(settings)
app.conf.task_default_queue = "delivery"
slack_delivery.configure(
    slack_delivery.web_client(settings),
    retry_for_s=settings.delivery_retry_for_s,
    contact=settings.handoff_contact,
    native_streaming=settings.slack_native_streaming,
)
discord_delivery.configure(
    DiscordRest(discord.discord_token.get_secret_value(), discord.discord_api_url),
    retry_for_s=settings.delivery_retry_for_s,
)
app.autodiscover_tasks(["bot.slack", "bot.discord"], related_name="delivery", force=True)
app.autodiscover_tasks(["workers.after_answers"], related_name="feedback", force=True)
app.autodiscover_tasks(["workers.outages"], related_name="sweep", force=True)
app.autodiscover_tasks(["workers.after_answers"], related_name="handoff", force=True)
