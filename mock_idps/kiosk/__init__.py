"""A mock self-service kiosk: an RFC 8628 client of the bridge (see `app.py`)."""

from mock_idps.kiosk.app import create_app

__all__ = ["create_app"]
