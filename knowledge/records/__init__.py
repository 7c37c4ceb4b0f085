"""The records of every question's life: asked and claimed, answered, delivered (or failed and
told), then voted on and corrected. One SQLAlchemy + Alembic schema; `store.Records` is the only
code that runs its SQL. Anyone can query it for questions still waiting (`Records.waiting`).
Knows no model and no tuning: it may read the prompt's shape and the evaluation's figures only."""
