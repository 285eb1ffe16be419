"""`bridge demo` and `bridge serve`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
    )
    try:
        run_demo(ports, redis_url=redis, keys_dir=keys_dir)
    except BridgeError as error:
        fail(error)


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "0.0.0.0",  # noqa: S104
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Run the bridge alone, configured from BRIDGE_* variables and config/ (production)."""
    from bridge.asgi import app_from_environment
    from bridge.http.limits import UVICORN_OPTIONS

    try:
        app_from_environment()  # fail fast, with every configuration problem, before forking
    except BridgeError as error:
        fail(error)
    # log_config=None: uvicorn must not replace the JSON logging each worker configures.
    uvicorn.run(
        "bridge.asgi:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        proxy_headers=True,
        log_config=None,
        **UVICORN_OPTIONS,  # request size and time limits, no `server:` header
    )
