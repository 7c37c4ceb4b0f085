"""Task and queue names, in one place: the adapters enqueue by name, never by importing bodies."""

ANSWER = "supportbot.answer"
GENERATE = "supportbot.generate"
INGEST = "supportbot.ingest"
SYNC = "supportbot.sync"
RECORD_FEEDBACK = "supportbot.record_feedback"
SWEEP = "supportbot.sweep"
HANDOFF = "supportbot.handoff"
DIGEST = "supportbot.digest"

#: Questions, ingests and syncs share the knowledge queue: with Milvus Lite one process owns
#: the index.
KNOWLEDGE_QUEUE = "knowledge"
#: Drafts waiting for the model: generation workers (`workers.generation`) scale apart from
#: the index's owner, which never waits for a model.
GENERATE_QUEUE = "generate"
#: Where a question's task can be while it is not answered yet.
ANSWER_QUEUES = (KNOWLEDGE_QUEUE, GENERATE_QUEUE)
#: Deliveries to Slack and Discord run in the adapters' own worker, beside their clients.
DELIVERY_QUEUE = "delivery"
#: Reactions, corrections and the sweep: quick database work that never waits behind answers.
FEEDBACK_QUEUE = "feedback"


def answer_id(question_key: str) -> str:
    """The id of a question's `answer` task (and of the `generate` task that replaces it): one
    per question, so the sweeper can ask the broker whether the question's task still exists."""
    return f"answer:{question_key}"


def notice(platform: str) -> str:
    """The task, beside that platform's adapter in bot/, that tells a channel what a sync
    changed (`notify: PLATFORM:CHANNEL` on a source); routed like the deliveries."""
    return f"supportbot.deliver.{platform}.notice"


def digest(platform: str) -> str:
    """The task beside that platform's adapter that posts the weekly digest
    (`workers.after_answers.digest`)."""
    return f"supportbot.deliver.{platform}.digest"


def place_in_line(reply_task: str) -> str:
    """The task beside a platform's delivery task (`reply_task`, stored with each question) that
    tells a waiting question's thread how many questions are ahead of it."""
    return f"{reply_task}.waiting"


def draft(reply_task: str) -> str:
    """The task beside a platform's delivery task that shows the answer so far in the
    question's thread while the model writes it (a streamed answer)."""
    return f"{reply_task}.draft"
