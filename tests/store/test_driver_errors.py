"""Which of redis-py's failures mean "the store is not there" (503 + Retry-After) and
which stay errors. In-process: redis-py's own code raises them, no server needed."""

from __future__ import annotations

import pytest
from redis.asyncio.connection import Connection

from bridge.errors import StoreUnavailable
from bridge.store.redis_client import unavailable_as_store_error


@unavailable_as_store_error
async def write_on_a_torn_down_connection() -> None:
    # What redis-py 8's Cluster pipeline does when another command of its batch has just
    # disconnected the connection (a master killed mid-batch): it writes on no writer.
    await Connection()._send_packed_command([b"PING"])


@unavailable_as_store_error
async def a_bug_of_our_own() -> None:
    value: object = None
    value.missing  # type: ignore[attr-defined]  # noqa: B018 - the AttributeError is the point


async def test_a_connection_redis_py_lost_mid_command_is_store_unavailable() -> None:
    with pytest.raises(StoreUnavailable, match="connection lost mid-command"):
        await write_on_a_torn_down_connection()


async def test_an_attribute_error_of_our_own_is_not_hidden_as_unavailable() -> None:
    with pytest.raises(AttributeError):
        await a_bug_of_our_own()
