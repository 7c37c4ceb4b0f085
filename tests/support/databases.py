"""PostgreSQL and Redis on localhost for tests and benchmarks: reachable?, and a throwaway
database."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

from sqlalchemy import create_engine, text

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_ready() -> bool:
    try:
        with create_engine(POSTGRES).connect() as db:
            db.execute(text("select 1"))
    except Exception:
        return False
    return True


@contextlib.contextmanager
def fresh_postgres(prefix: str) -> Iterator[str]:
    """The URL of a new, empty database, dropped afterwards (so migrations start from zero)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as db:
        db.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as db:
            db.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


@contextlib.contextmanager
def fresh_redis(db: int) -> Iterator[str]:
    """The URL of Redis database `db`, emptied before and after (each test file its own db)."""
    import redis

    url = f"redis://127.0.0.1:6379/{db}"
    redis.Redis.from_url(url).flushdb()
    try:
        yield url
    finally:
        redis.Redis.from_url(url).flushdb()
