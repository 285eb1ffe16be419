"""Logout without `id_token_hint` (RP-Initiated Logout 1.0 §2, §6): anyone could have
sent the browser, so the resident confirms on a page bound to the browser and protected
by a CSRF token before anything ends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.flows.conftest import Chain
from tests.flows.logout_support import (
    PORTAL,
    Receiver,
    SignedIn,
    logout,
    logout_chain,
    party,
    receivers,
    sign_in,
)
from tests.support.browser import Page, Resident


@pytest.fixture
def rx() -> Iterator[dict[str, Receiver]]:
    with receivers("portal") as found:
        yield found


@pytest.fixture
def lchain(tmp_path: Path, redis_url: str, rx: dict[str, Receiver]) -> Iterator[Chain]:
    with logout_chain(tmp_path, redis_url, rx) as chain:
        yield chain


def confirmation(chain: Chain, resident: Resident, **params: str) -> Page:
    response = logout(chain, resident, **params)
    assert response.status_code == 200, response.text
    page = Page(response, [])
    assert page.html.select_one("#logout-form") is not None
    return page


def alive(signed_in: SignedIn) -> bool:
    return signed_in.rp.userinfo(signed_in.tokens["access_token"]).status_code == 200


@pytest.mark.parametrize(
    ("ui_locales", "button"),
    [("en", "Sign out"), ("zh-Hant", "登出"), ("zh-Hans", "退出登录")],
)
def test_the_confirmation_page_speaks_the_residents_language(
    lchain: Chain, resident: Resident, ui_locales: str, button: str
) -> None:
    page = confirmation(lchain, resident, ui_locales=ui_locales)
    sign_out = page.html.select_one("#logout-sign-out")
    assert sign_out is not None and sign_out.get_text(strip=True) == button


def test_nothing_ends_until_the_resident_confirms(
    lchain: Chain, resident: Resident, rx: dict[str, Receiver]
) -> None:
    portal = sign_in(party(lchain, PORTAL), resident)
    page = confirmation(
        lchain,
        resident,
        client_id="test-portal",
        post_logout_redirect_uri="https://portal.test/signed-out",
        state="s9",
    )
    assert alive(portal)
    answered = resident.submit(
        page, button=("decision", "sign_out"), stop_at="https://portal.test/"
    )
    assert answered.response.headers["location"] == "https://portal.test/signed-out?state=s9"
    assert not alive(portal)
    assert len(rx["portal"].wait_for(1)) == 1


def test_a_forged_csrf_token_ends_nothing(lchain: Chain, resident: Resident) -> None:
    portal = sign_in(party(lchain, PORTAL), resident)
    page = confirmation(lchain, resident)
    answered = resident.submit(
        page, button=("decision", "sign_out"), fields={"csrf_token": "x" * 43}
    )
    assert answered.status == 400 and "location" not in answered.response.headers
    assert alive(portal)


def test_another_browser_cannot_answer_the_page(lchain: Chain, resident: Resident) -> None:
    """A page served to the attacker's browser, submitted from the resident's: the
    binding differs, so the resident's session stays."""
    portal = sign_in(party(lchain, PORTAL), resident)
    attacker = Resident()
    try:
        page = confirmation(lchain, attacker)
    finally:
        attacker.close()
    answered = resident.submit(page, button=("decision", "sign_out"))
    assert answered.status == 400
    assert alive(portal)


def test_staying_signed_in_ends_nothing(lchain: Chain, resident: Resident) -> None:
    portal = sign_in(party(lchain, PORTAL), resident)
    page = confirmation(lchain, resident)
    answered = resident.submit(page, button=("decision", "stay"))
    assert answered.status == 200
    assert answered.html.select_one("#logout-stayed") is not None
    assert alive(portal)


def test_the_page_answers_once(lchain: Chain, resident: Resident) -> None:
    page = confirmation(lchain, resident)
    assert resident.submit(page, button=("decision", "sign_out")).status == 200
    again = resident.submit(page, button=("decision", "sign_out"))
    assert again.status == 400
