"""Steps of a sign-in at the Hong Kong e-service as a browser makes them, against the
fake provider (fixtures in `conftest.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from bs4 import BeautifulSoup

from mock_idps.hk_eservice.config import HkEserviceConfig
from tests.mock_idps.hk_fake_provider import CLIENT_ID, CLIENT_SECRET, Authorization, FakeProvider

START = 1_800_000_000.0


def make_config(public_url: str, issuer: str, **bridge: Any) -> HkEserviceConfig:
    return HkEserviceConfig.model_validate(
        {
            "public_url": public_url,
            "bridge": {
                "issuer": issuer,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "scopes": "openid profile",
                **bridge,
            },
        }
    )


@dataclass
class Outcome:
    response: httpx.Response

    @property
    def html(self) -> Any:
        return BeautifulSoup(self.response.text, "html.parser")

    @property
    def error(self) -> str | None:
        main = self.html.find("main")
        return main.get("data-error") if main else None

    @property
    def signed_in(self) -> bool:
        return self.response.status_code == 303 and self.response.headers["location"] == "/profile"


async def start(
    browser: httpx.AsyncClient, op: FakeProvider, idp: str = "guangdong", **params: str
) -> tuple[Authorization, str]:
    response = await browser.get(f"/login/{idp}", params=params)
    assert response.status_code == 302, response.text[:300]
    return op.authorize(response.headers["location"])


async def callback(browser: httpx.AsyncClient, **params: str | None) -> Outcome:
    present = {name: value for name, value in params.items() if value is not None}
    return Outcome(await browser.get("/oidc/callback", params=present))


async def sign_in(browser: httpx.AsyncClient, op: FakeProvider) -> Outcome:
    """The whole round trip, with whatever the provider was told to answer."""
    request, code = await start(browser, op)
    return await callback(browser, code=code, state=request.state, iss=op.issuer)


def assert_refused(outcome: Outcome, kind: str = "failed") -> None:
    assert not outcome.signed_in, "the e-service accepted what it must refuse"
    assert outcome.response.status_code == 400, outcome.response.text[:300]
    assert outcome.error == kind
    assert "hk_session" not in outcome.response.headers.get("set-cookie", "")
