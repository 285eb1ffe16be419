"""Back-channel logout deliveries (OIDC Back-Channel Logout 1.0 §2.5), from a due queue
in the store so that a restart drops nothing.

Ending a session only enqueues: the resident never waits for a client. A delivery is a
sealed record (who to tell, about which `sub` and `sid`) and a member of the due queue;
the worker claims due members under a lease (an instance that dies mid-delivery leaves
them to be claimed again), mints a fresh logout token for each attempt (so `iat` is
fresh and every `jti` is new), POSTs it form-encoded with a timeout, and then:

- 200 or 204: delivered, forgotten;
- 400 (the client rejected the token, §2.8) or the last attempt failing: recorded as
  failed (log line, metric), forgotten;
- anything else (no answer, a timeout, 5xx): retried after `retry_base * 2**n` seconds.

Delivery is at least once: a client may see a logout for the same session twice (after
a lost answer, or a lease that ran out mid-POST), which §2.6 tells it to accept.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from pydantic import BaseModel, ConfigDict

from bridge.clock import Clock
from bridge.metrics import BridgeMetrics
from bridge.provider.clients import ClientRegistry
from bridge.store.record_base import _Sealed, key
from bridge.tokens.issuer import TokenIssuer

log = structlog.get_logger(__name__)

QUEUE = key("queue", "logout-deliveries")
LOGOUT_TOKEN_TTL = 120
BATCH = 32
CONCURRENCY = 16


class Delivery(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    delivery_id: str
    client_id: str
    subject: str
    sid: str
    reason: str
    attempts: int = 0
    expires_at: float


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    timeout: float
    retry_base: float
    max_attempts: int

    @property
    def horizon(self) -> float:
        """How long a delivery may stay queued, every retry included (with margin)."""
        waits = self.retry_base * (2.0**self.max_attempts - 1)
        return waits + self.max_attempts * (self.timeout + 1) + 3600


class DeliveryQueue(_Sealed):
    async def enqueue(self, delivery: Delivery, due: float) -> None:
        k = key("delivery", delivery.delivery_id)
        await self._backend.put(k, self._encode(k, delivery), self._ttl(delivery.expires_at))
        ttl = self._ttl(delivery.expires_at)
        await self._backend.queue_push(QUEUE, delivery.delivery_id.encode(), due, ttl)

    async def claim(self, lease: float, count: int) -> list[str]:
        claimed = await self._backend.queue_claim(QUEUE, self._clock.now(), lease, count)
        return [member.decode() for member in claimed]

    async def release(self, delivery_id: str, ttl: float) -> None:
        """Make a claimed delivery due again now, for any worker to take."""
        await self._backend.queue_push(QUEUE, delivery_id.encode(), self._clock.now(), ttl)

    async def get(self, delivery_id: str) -> Delivery | None:
        k = key("delivery", delivery_id)
        return self._decode(k, await self._backend.get(k), Delivery)

    async def forget(self, delivery_id: str) -> None:
        await self._backend.delete(key("delivery", delivery_id))
        await self._backend.queue_remove(QUEUE, delivery_id.encode())

    async def pending(self) -> int:
        return await self._backend.queue_length(QUEUE)


class BackChannelLogout:
    """Enqueues logout tokens for clients, and delivers them (`run`, one task per
    instance; any number of instances may run it on one store)."""

    def __init__(
        self,
        *,
        queue: DeliveryQueue,
        clients: ClientRegistry,
        tokens: TokenIssuer,
        http: httpx.AsyncClient,
        clock: Clock,
        policy: RetryPolicy,
        metrics: BridgeMetrics,
    ) -> None:
        self._queue = queue
        self._clients = clients
        self._tokens = tokens
        self._http = http
        self._clock = clock
        self.policy = policy
        self._metrics = metrics
        self._wake = asyncio.Event()
        self._limit = asyncio.Semaphore(CONCURRENCY)

    async def notify(self, client_id: str, *, subject: str, sid: str, reason: str) -> bool:
        """Queue a logout token for `client_id` if it registered a back-channel URI."""
        client = self._clients.get(client_id)
        if client is None or client.backchannel_logout_uri is None:
            return False
        now = self._clock.now()
        delivery = Delivery(
            delivery_id=secrets.token_urlsafe(16),
            client_id=client_id,
            subject=subject,
            sid=sid,
            reason=reason,
            expires_at=now + self.policy.horizon,
        )
        await self._queue.enqueue(delivery, now)
        self._metrics.backchannel_logout.labels(client_id=client_id, outcome="queued").inc()
        self._wake.set()
        return True

    @property
    def _lease(self) -> float:
        return self.policy.timeout * 2 + 5

    async def deliver_due(self) -> int:
        """One pass: every due delivery attempted once, concurrently. The count."""
        claimed = await self._queue.claim(self._lease, BATCH)
        await asyncio.gather(*(self._attempt(delivery_id) for delivery_id in claimed))
        return len(claimed)

    async def run(self, poll_interval: float) -> None:
        """Claim only as many deliveries as there are free slots, and start each on its
        own: a slow client holds one slot, never the deliveries claimed beside it."""
        inflight: set[asyncio.Task[None]] = set()
        try:
            while not self._http.is_closed:  # closed: this instance is shutting down
                free = CONCURRENCY - len(inflight)
                claimed = await self._claim(free) if free > 0 else []
                for delivery_id in claimed:
                    task = asyncio.create_task(self._attempt(delivery_id))
                    inflight.add(task)
                    task.add_done_callback(inflight.discard)
                if claimed:
                    continue
                await self._idle(inflight if free <= 0 else set(), poll_interval)
        finally:
            for task in inflight:
                task.cancel()

    async def _idle(self, busy: set[asyncio.Task[None]], poll_interval: float) -> None:
        """Until woken (a session ended here), a busy slot frees up, or the poll."""
        self._wake.clear()
        wake = asyncio.ensure_future(self._wake.wait())
        waiters: set[asyncio.Future[Any]] = {wake, *busy}
        await asyncio.wait(waiters, timeout=poll_interval, return_when=asyncio.FIRST_COMPLETED)
        wake.cancel()

    async def _claim(self, count: int) -> list[str]:
        try:
            return await self._queue.claim(self._lease, count)
        except Exception as exc:  # the store may be down for a while; keep the worker alive
            log.warning("logout.backchannel_worker_error", error=type(exc).__name__)
            return []

    async def _attempt(self, delivery_id: str) -> None:
        try:
            await self._attempt_once(delivery_id)
        except Exception as exc:  # a store error mid-attempt: the lease brings it back
            log.warning("logout.backchannel_attempt_error", error=type(exc).__name__)
            if self._http.is_closed:  # shutting down: another instance delivers it now
                with contextlib.suppress(Exception):
                    await self._queue.release(delivery_id, self.policy.horizon)

    async def _attempt_once(self, delivery_id: str) -> None:
        async with self._limit:
            delivery = await self._queue.get(delivery_id)
            client = self._clients.get(delivery.client_id) if delivery else None
            if delivery is None or client is None or client.backchannel_logout_uri is None:
                await self._queue.forget(delivery_id)
                return
            status = await self._post(
                client.backchannel_logout_uri, delivery, client.id_token_signed_response_alg
            )
            attempts = delivery.attempts + 1
            if status in (200, 204):
                await self._finish(delivery, "delivered", attempts, status)
            elif status == 400 or attempts >= self.policy.max_attempts:
                await self._finish(delivery, "failed", attempts, status)
            else:
                await self._retry(delivery.model_copy(update={"attempts": attempts}), status)

    async def _post(self, uri: str, delivery: Delivery, alg: str) -> int | None:
        token = self._tokens.logout_token(
            client_id=delivery.client_id,
            subject=delivery.subject,
            sid=delivery.sid,
            ttl=LOGOUT_TOKEN_TTL,
            alg=alg,
        )
        try:
            response = await self._http.post(
                uri,
                data={"logout_token": token},
                headers={"Cache-Control": "no-store"},
                timeout=self.policy.timeout,
            )
        except httpx.HTTPError as exc:
            log.info(
                "logout.backchannel_unreachable",
                client_id=delivery.client_id,
                error=type(exc).__name__,
            )
            return None
        return response.status_code

    async def _finish(
        self, delivery: Delivery, outcome: str, attempts: int, status: int | None
    ) -> None:
        await self._queue.forget(delivery.delivery_id)
        self._metrics.backchannel_logout.labels(client_id=delivery.client_id, outcome=outcome).inc()
        emit = log.info if outcome == "delivered" else log.warning
        emit(
            f"logout.backchannel_{outcome}",
            client_id=delivery.client_id,
            reason=delivery.reason,
            attempts=attempts,
            status=status,
        )

    async def _retry(self, delivery: Delivery, status: int | None) -> None:
        wait = self.policy.retry_base * 2 ** (delivery.attempts - 1)
        await self._queue.enqueue(delivery, self._clock.now() + wait)
        self._metrics.backchannel_logout.labels(
            client_id=delivery.client_id, outcome="retried"
        ).inc()
        log.info(
            "logout.backchannel_retry",
            client_id=delivery.client_id,
            attempts=delivery.attempts,
            status=status,
            retry_in=wait,
        )
