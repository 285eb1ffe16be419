"""Structured logs: one JSON object per line on stderr, with the request id bound per
request. Records from the standard `logging` module (uvicorn, libraries, modules that
use it) are rendered the same way, so an operator parses one format.

Log events name identifiers (client ids, pairwise subjects, grant ids), never personal
data values; that is a rule for every call site, checked by the log-capture tests.
"""

from __future__ import annotations

import logging
import sys
from typing import Literal

import httpx
import orjson
import structlog

_SHARED: list[structlog.types.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def _renderer(
    fmt: Literal["json", "console"], *, as_bytes: bool = False
) -> structlog.types.Processor:
    if fmt == "console":
        return structlog.dev.ConsoleRenderer(colors=False)
    if as_bytes:
        return structlog.processors.JSONRenderer(serializer=orjson.dumps)
    return structlog.processors.JSONRenderer(serializer=lambda o, **_: orjson.dumps(o).decode())


class _OutgoingQueryRedactor(logging.Filter):
    """Drops the query string from the URLs httpx logs for each outgoing request: some
    upstreams take codes, tokens and even client secrets in the query (Guangdong's tif
    dialect), and a log line must never carry them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                f"{arg.copy_with(query=None)}?…"
                if isinstance(arg, httpx.URL) and arg.query
                else arg
                for arg in record.args
            )
        return True


def redact_outgoing_query_strings() -> None:
    """Install the redactor on httpx's logger (once; safe to call again)."""
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _OutgoingQueryRedactor) for f in logger.filters):
        logger.addFilter(_OutgoingQueryRedactor())


def configure_logging(level: str = "INFO", fmt: Literal["json", "console"] = "json") -> None:
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    # The bridge's own events go straight to stderr as bytes (no stdlib LogRecord on
    # the hot path: measured 2 events per token request); records from the standard
    # `logging` module go through a handler that renders them the same way.
    structlog.configure(
        processors=[*_SHARED, structlog.processors.format_exc_info, _renderer(fmt, as_bytes=True)],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.BytesLoggerFactory(sys.stderr.buffer)
        if fmt == "json"
        else structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            *_SHARED,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _renderer(fmt),
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    redact_outgoing_query_strings()
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # uvicorn writes its access line when this logger has any handler, its ancestors'
    # included, and that line carries the query string (codes, states); the bridge
    # writes its own without it (http/middleware.py), so uvicorn's stays silent.
    access = logging.getLogger("uvicorn.access")
    access.handlers[:] = []
    access.propagate = False
