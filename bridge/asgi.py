"""ASGI entry point for `bridge serve` and any ASGI server:

uvicorn --factory bridge.asgi:app_from_environment
"""

from __future__ import annotations

from fastapi import FastAPI

from bridge.app import create_app
from bridge.logs import configure_logging
from bridge.settings import settings_from_environment


def app_from_environment() -> FastAPI:
    settings = settings_from_environment()  # ConfigError naming a malformed variable
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)
