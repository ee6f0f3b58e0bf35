"""Fixed-window rate limits kept in Redis, shared by every web process."""

from __future__ import annotations

import hashlib
import logging

from redis import Redis
from redis.exceptions import RedisError

from service.errors import ApiError

log = logging.getLogger(__name__)
PREFIX = "homeward:rl:"


def subject_key(kind: str, value: str) -> str:
    # Emails and addresses are hashed: Redis holds no personal data in clear.
    return f"{PREFIX}{kind}:{hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]}"


def hit(connection: Redis, key: str, limit: int, window_s: int) -> None:
    """Count one attempt against ``key``; raise 429 once ``limit`` is passed in the window."""
    try:
        pipe = connection.pipeline()
        pipe.incr(key)
        pipe.expire(key, window_s, nx=True)
        count, _ = pipe.execute()
        ttl = connection.ttl(key)
    except RedisError:
        # Failing closed would lock everyone out when Redis blips; log loudly instead.
        log.error("rate limit store unreachable; allowing %s", key.split(":")[2])
        return
    if int(count) > limit:
        retry = max(int(ttl), 1)
        raise ApiError(
            429,
            "too_many_attempts",
            f"too many attempts; try again in {retry // 60 + 1} minutes",
            {"Retry-After": str(retry)},
        )


def forget(connection: Redis, *keys: str) -> None:
    try:
        connection.delete(*keys)
    except RedisError:
        log.warning("could not clear rate limit keys")
