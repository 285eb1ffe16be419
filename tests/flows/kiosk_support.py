"""A scripted kiosk (RFC 8628 client) and the phone's steps, for the device-flow tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.flows.conftest import Chain
from tests.flows.steps import at_iamsmart, choose, consent
from tests.support.browser import Page, Resident
from tests.support.client_tls import TRUSTED

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass
class Kiosk:
    issuer: str
    client_id: str = "test-kiosk"
    secret: str = "test-kiosk-secret"

    def start(self, **form: str) -> httpx.Response:
        return httpx.post(
            f"{self.issuer}/device_authorization",
            content=urlencode(form),  # an empty form still says what it is
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            auth=(self.client_id, self.secret),
            timeout=10,
            verify=TRUSTED,
        )

    def started(self, **form: str) -> dict[str, Any]:
        response = self.start(**form)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def poll(self, device_code: str) -> httpx.Response:
        return httpx.post(
            f"{self.issuer}/token",
            data={"grant_type": DEVICE_GRANT, "device_code": device_code},
            auth=(self.client_id, self.secret),
            timeout=10,
            verify=TRUSTED,
        )


def error_of(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("application/json"), response.text
    error: str = response.json()["error"]
    return error


def confirm_page(phone: Resident, started: dict[str, Any]) -> Page:
    page = phone.open(started["verification_uri_complete"])
    assert page.status == 200, page.text[:300]
    return page


def answer(phone: Resident, page: Page, decision: str) -> Page:
    return phone.submit(page, button=("decision", decision))


def approve_at_kiosk(
    chain: Chain, phone: Resident, started: dict[str, Any], persona: str = "wong-wing-fung"
) -> Page:
    """Phone: confirm the kiosk, approve at iAM Smart, allow at consent."""
    page = answer(phone, confirm_page(phone, started), "approve")
    assert "/api/v1/auth/getQR" in page.url, page.url
    qr = at_iamsmart(phone, page.url) if page.status != 200 else page
    return consent(phone, choose(phone, qr, persona), "allow")
