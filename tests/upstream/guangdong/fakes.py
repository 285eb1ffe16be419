"""A stand-in for the Guangdong platform's back channel that answers each path as a
test tells it: slowly, too much, not JSON, or with an error the mock never sends.

A real HTTP server on loopback (tests/support/servers.py); a request held back waits
for `release`, so stopping the server never waits for a sleeping handler.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from typing import Any

TOKEN_OK = {"access_token": "6f1c2a9e-3b7d-4e5f-9a1b-2c3d4e5f6a7b", "token_type": "Bearer"}
USEROBJ_OK = {"useridcode": "0123456789abcdef0123456789abcdef", "cn": "测试"}


def as_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"{}"
    headers: tuple[tuple[str, str], ...] = (("content-type", "application/json"),)
    hold: bool = False
    """Answer only once released: a platform that does not answer in time."""
    trickle: float = 0.0
    """Seconds between the body's bytes: a platform that answers, slowly."""


@dataclass
class FakePlatform:
    answers: dict[str, Answer] = field(default_factory=dict)
    release: threading.Event = field(default_factory=threading.Event)
    queries: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.answers = {
            "access_token": Answer(body=as_json(TOKEN_OK)),
            "tokeninfo": Answer(body=as_json({"errcode": 0, "userobj": USEROBJ_OK})),
        }
        self.queries.clear()

    async def _wait(self, seconds: float) -> None:
        deadline = asyncio.get_running_loop().time() + seconds
        while not self.release.is_set() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                await send({"type": message["type"] + ".complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        self.queries.append(scope["query_string"].decode())
        answer = self.answers[scope["path"].rsplit("/", 1)[-1]]
        if answer.hold:
            await self._wait(60)
        headers = [(k.encode(), v.encode()) for k, v in answer.headers]
        start = {"type": "http.response.start", "status": answer.status, "headers": headers}
        await send(start)
        if not answer.trickle:
            await send({"type": "http.response.body", "body": answer.body})
            return
        for i in range(len(answer.body)):
            await send(
                {"type": "http.response.body", "body": answer.body[i : i + 1], "more_body": True}
            )
            await self._wait(answer.trickle)
        await send({"type": "http.response.body", "body": b""})
