"""The Celery side, platform-free: the app (`app`), the tasks (`tasks`: answer, generate, ingest,
sync), the three processes (`main`: the index's worker; `generation`: the model's; `schedule`:
the clock) and how the adapters hand them work (`enqueue`, by task name only). Beside them:
`answering/`, `outages/` (nothing lost) and `after_answers/`. Imports `knowledge`, never `bot`.
"""
