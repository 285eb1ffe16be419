"""`mock-iamsmart`: run the mock iAM Smart with uvicorn."""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from mock_idps.iamsmart.app import create_app
from mock_idps.iamsmart.config import DEFAULT_CONFIG_FILE, load_config


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="mock-iamsmart", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG_FILE)
    args = parser.parse_args(argv)
    app = create_app(load_config(args.config))
    uvicorn.run(app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
