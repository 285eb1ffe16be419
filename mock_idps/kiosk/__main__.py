"""`python -m mock_idps.kiosk`: serve the mock kiosk with uvicorn."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from mock_idps.kiosk.app import create_app
from mock_idps.kiosk.config import DEFAULT_CONFIG_PATH, load_config


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="mock-kiosk", description="Mock self-service kiosk")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8004)
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG_PATH)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    uvicorn.run(
        create_app(load_config(args.config)), host=args.host, port=args.port, access_log=False
    )


if __name__ == "__main__":
    main()
