"""`bridge demo` and `bridge serve`.

uvicorn, the app and the logging set-up are imported when a command runs, not when the
`bridge` command starts: every other command (`bridge keys list`, say) would pay for them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer

from bridge.commands import fail
from bridge.errors import BridgeError


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
    from bridge.logs import configure_logging

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
    import uvicorn

    from bridge.asgi import app_from_environment
    from bridge.commands.metrics_listener import serve_with_metrics
    from bridge.http.limits import UVICORN_OPTIONS

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
        **UVICORN_OPTIONS,  # request size and time limits, no `server:` header
    }
    if metrics_port is None:
        uvicorn.run("bridge.asgi:app_from_environment", factory=True, workers=workers, **options)
        return
    asyncio.run(serve_with_metrics(options, metrics_host, metrics_port))
