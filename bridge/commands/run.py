"""`bridge demo` and `bridge serve`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn

from bridge.commands import fail
from bridge.errors import BridgeError
from bridge.logs import configure_logging


def demo(
    host: Annotated[str, typer.Option(help="Interface for all three servers.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Bridge port.")] = 8000,
    iamsmart_port: Annotated[int, typer.Option(help="Mock iAM Smart port.")] = 8001,
    guangdong_port: Annotated[int, typer.Option(help="Mock Guangdong platform port.")] = 8002,
    hk_eservice_port: Annotated[int, typer.Option(help="Mock Hong Kong e-service port.")] = 8003,
    kiosk_port: Annotated[int, typer.Option(help="Mock kiosk port (RFC 8628).")] = 8004,
    redis: Annotated[
        str | None,
        typer.Option(envvar="BRIDGE_REDIS_URL", help="Use this Redis instead of memory."),
    ] = None,
    keys_dir: Annotated[Path, typer.Option(help="Where development keys go.")] = Path("keys"),
) -> None:
    """Run the bridge with the mock identity providers and services of both directions;
    sign in from a browser."""
    from bridge.demo import DemoPorts, run_demo

    configure_logging("INFO", "console")
    ports = DemoPorts(
        host=host,
        bridge=port,
        iamsmart=iamsmart_port,
        guangdong=guangdong_port,
        hk_eservice=hk_eservice_port,
        kiosk=kiosk_port,
    )
    try:
        run_demo(ports, redis_url=redis, keys_dir=keys_dir)
    except BridgeError as error:
        fail(error)


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "0.0.0.0",  # noqa: S104
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            envvar="BRIDGE_METRICS_PORT",
            help="Serve /metrics on this port, on its own listener; the public one then "
            "answers /metrics with 404 [default: no metrics listener].",
        ),
    ] = None,
    metrics_host: Annotated[
        str,
        typer.Option(envvar="BRIDGE_METRICS_HOST", help="Interface of the metrics listener."),
    ] = "127.0.0.1",
) -> None:
    """Run the bridge alone, configured from BRIDGE_* variables and config/ (production)."""
    from bridge.asgi import app_from_environment

    if metrics_port is not None and workers != 1:
        # Each worker process counts on its own; one port cannot show them all.
        fail(BridgeError("--metrics-port needs --workers 1 (scale with more instances)"))
    try:
        app_from_environment()  # fail fast, with every configuration problem, before forking
    except BridgeError as error:
        fail(error)
    # log_config=None: uvicorn must not replace the JSON logging each worker configures.
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "access_log": False,
        "proxy_headers": True,
        "log_config": None,
    }
    if metrics_port is None:
        uvicorn.run("bridge.asgi:app_from_environment", factory=True, workers=workers, **options)
        return
    asyncio.run(_serve_with_metrics(options, metrics_host, metrics_port))


class _MetricsServer(uvicorn.Server):
    """The metrics listener leaves signals to the public server, which stops it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _serve_with_metrics(
    options: dict[str, Any], metrics_host: str, metrics_port: int
) -> None:
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
