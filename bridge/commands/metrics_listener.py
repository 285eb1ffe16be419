"""`bridge serve --metrics-port`: the public app and its metrics app on two listeners of
one event loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import uvicorn


class _MetricsServer(uvicorn.Server):
    """The metrics listener leaves signals to the public server, which stops it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_with_metrics(options: dict[str, Any], metrics_host: str, metrics_port: int) -> None:
    """The public app and its metrics app, built on the loop that serves them (as the
    factory of the single-listener path is)."""
    from bridge.app import metrics_app
    from bridge.asgi import app_from_environment

    app = app_from_environment()
    public = uvicorn.Server(uvicorn.Config(app, **options))
    private = _MetricsServer(
        uvicorn.Config(
            metrics_app(app.state.core.metrics),
            host=metrics_host,
            port=metrics_port,
            access_log=False,
            log_config=None,
            lifespan="off",
        )
    )
    listening = asyncio.create_task(private.serve())
    while not private.started and not listening.done():
        await asyncio.sleep(0.01)
    if listening.done():
        listening.result()  # uvicorn's own reason (logged) why it could not listen
    try:
        await public.serve()
    finally:
        private.should_exit = True
        await listening
