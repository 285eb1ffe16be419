"""Kiosks sign residents in with the device authorization grant (RFC 8628), over real
HTTP: a scripted kiosk polls the bridge while a scripted phone confirms the kiosk,
signs in at the mock iAM Smart and consents."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urljoin

import httpx
import pytest
import redis
import structlog

from tests.flows.conftest import Chain
from tests.flows.kiosk_support import (
    DEVICE_GRANT,
    Kiosk,
    answer,
    approve_at_kiosk,
    confirm_page,
    error_of,
)
from tests.flows.steps import choose, consent
from tests.support.browser import Resident
from tests.support.client_tls import TRUSTED

EN = {"Accept-Language": "en"}
USER_CODE = re.compile(r"^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$")


@pytest.fixture
def kiosk(chain: Chain) -> Kiosk:
    return Kiosk(chain.bridge)


@pytest.fixture
def phone() -> Iterator[Resident]:
    person = Resident()
    yield person
    person.close()


def test_discovery_advertises_the_device_endpoint_and_grant(chain: Chain) -> None:
    document = httpx.get(f"{chain.bridge}/.well-known/openid-configuration", verify=TRUSTED).json()
    assert document["device_authorization_endpoint"] == f"{chain.bridge}/device_authorization"
    assert DEVICE_GRANT in document["grant_types_supported"]


def test_device_authorization_response(chain: Chain, kiosk: Kiosk) -> None:
    response = kiosk.start(scope="openid profile")
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert USER_CODE.match(body["user_code"]), body["user_code"]
    assert len(body["device_code"]) >= 43
    assert 0 < body["expires_in"] <= 600
    assert body["interval"] == 5
    assert body["verification_uri"] == f"{chain.bridge}/device"
    assert body["verification_uri_complete"] == (
        f"{chain.bridge}/device?user_code={body['user_code']}"
    )


def test_a_client_that_is_not_a_kiosk_is_unauthorized(chain: Chain) -> None:
    portal = Kiosk(chain.bridge, client_id="test-portal", secret="test-portal-secret")
    response = portal.start(scope="openid")
    assert response.status_code == 400
    assert error_of(response) == "unauthorized_client"
    assert error_of(portal.poll("x" * 16 + ".y")) == "unauthorized_client"


def test_a_kiosk_may_ask_only_for_registered_scopes(kiosk: Kiosk) -> None:
    assert error_of(kiosk.start(scope="openid phone")) == "invalid_scope"
    assert error_of(kiosk.start(scope="openid offline_access")) == "invalid_scope"


def test_wrong_client_credentials_are_invalid_client(chain: Chain) -> None:
    response = Kiosk(chain.bridge, secret="not-the-secret").start()
    assert response.status_code == 401
    assert error_of(response) == "invalid_client"


def test_pending_then_slow_down_raises_the_interval_for_good(chain: Chain, kiosk: Kiosk) -> None:
    code = kiosk.started()["device_code"]
    assert error_of(kiosk.poll(code)) == "authorization_pending"
    chain.bridge_clock.advance(2)
    assert error_of(kiosk.poll(code)) == "slow_down"  # 2 s < 5 s: interval now 10 s
    chain.bridge_clock.advance(6)
    assert error_of(kiosk.poll(code)) == "slow_down"  # 6 s < 10 s: now 15 s
    chain.bridge_clock.advance(15)
    assert error_of(kiosk.poll(code)) == "authorization_pending"
    chain.bridge_clock.advance(14)
    assert error_of(kiosk.poll(code)) == "slow_down"  # the 15 s stuck


def test_expired_code_is_expired_token(chain: Chain, kiosk: Kiosk) -> None:
    code = kiosk.started()["device_code"]
    chain.bridge_clock.advance(601)
    assert error_of(kiosk.poll(code)) == "expired_token"


def test_unknown_or_malformed_device_code_is_invalid_grant(kiosk: Kiosk) -> None:
    code = kiosk.started()["device_code"]
    assert error_of(kiosk.poll(code + "x")) == "invalid_grant"
    assert error_of(kiosk.poll("not-a-device-code")) == "invalid_grant"


def test_approved_on_the_phone_tokens_once_short_and_without_refresh(
    chain: Chain, kiosk: Kiosk, phone: Resident
) -> None:
    started = kiosk.started(scope="openid profile")
    page = confirm_page(phone, started)
    assert "Guangdong services kiosk" in page.text
    assert "Admiralty Centre, Hong Kong" in page.text
    assert "Are you signing in at this kiosk?" in page.text
    assert error_of(kiosk.poll(started["device_code"])) == "authorization_pending"
    done = approve_at_kiosk(chain, phone, started)
    assert "/device/done" in done.url and "signed in at the kiosk" in done.text
    chain.bridge_clock.advance(5)
    response = kiosk.poll(started["device_code"])
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["expires_in"] == 300
    assert "refresh_token" not in tokens
    assert tokens["scope"] == "openid profile"
    info = httpx.get(
        f"{chain.bridge}/userinfo",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        verify=TRUSTED,
    )
    assert info.status_code == 200 and info.json()["name"]
    chain.bridge_clock.advance(5)
    assert error_of(kiosk.poll(started["device_code"])) == "invalid_grant"


def test_consent_for_a_kiosk_never_offers_to_remember(
    chain: Chain, kiosk: Kiosk, phone: Resident
) -> None:
    started = kiosk.started(scope="openid profile")
    page = answer(phone, confirm_page(phone, started), "approve")
    page = choose(phone, page, "wong-wing-fung")
    assert "/consent/" in page.url
    assert page.html.find("input", attrs={"name": "remember"}) is None
    assert "Remember my decision" not in page.text


def test_decline_is_the_default_and_reaches_the_kiosk(
    chain: Chain, kiosk: Kiosk, phone: Resident
) -> None:
    started = kiosk.started()
    page = confirm_page(phone, started)
    buttons = page.html.find("form").find_all("button")
    assert buttons[0]["value"] == "decline" and buttons[0].has_attr("autofocus")
    # Enter submits a form's first button (HTML §4.10.21.2, implicit submission)
    declined = phone.submit(page, button=(buttons[0]["name"], buttons[0]["value"]))
    assert "declined" in declined.text
    assert error_of(kiosk.poll(started["device_code"])) == "access_denied"
    again = phone.open(started["verification_uri_complete"])
    assert "already been answered" in again.text


def test_denied_at_consent_reaches_the_kiosk(chain: Chain, kiosk: Kiosk, phone: Resident) -> None:
    started = kiosk.started()
    page = choose(phone, answer(phone, confirm_page(phone, started), "approve"), "wong-wing-fung")
    refused = consent(phone, page, "deny")
    assert refused.status == 400 and "kiosk was not signed in" in refused.text
    assert error_of(kiosk.poll(started["device_code"])) == "access_denied"


def test_rejected_at_iamsmart_reaches_the_kiosk(
    chain: Chain, kiosk: Kiosk, phone: Resident
) -> None:
    started = kiosk.started()
    qr = answer(phone, confirm_page(phone, started), "approve")
    choose(phone, qr, "wong-wing-fung", "reject")
    assert error_of(kiosk.poll(started["device_code"])) == "access_denied"


def test_typing_the_code_by_hand_works(chain: Chain, kiosk: Kiosk, phone: Resident) -> None:
    started = kiosk.started()
    entry = phone.open(f"{chain.bridge}/device")
    typed = started["user_code"].replace("-", " ").lower()
    page = phone.submit(entry, fields={"user_code": typed})
    assert "Guangdong services kiosk" in page.text
    assert started["user_code"] in page.text


def test_a_wrong_code_is_refused(chain: Chain, kiosk: Kiosk, phone: Resident) -> None:
    kiosk.started()
    page = phone.open(f"{chain.bridge}/device?user_code=BBBB-BBBB")
    assert page.status == 400 and "No kiosk is waiting for this code" in page.text
    page = phone.open(f"{chain.bridge}/device?user_code=AEIO-U123")
    assert page.status == 400


def test_guessing_codes_hits_the_limit_per_browser(
    chain: Chain, kiosk: Kiosk, phone: Resident
) -> None:
    started = kiosk.started()
    phone.open(f"{chain.bridge}/device")  # the entry page gives the browser its id
    for _ in range(10):
        assert phone.open(f"{chain.bridge}/device?user_code=BBBB-BBBB").status == 400
    # the limit holds for the right code too: a hit after the limit would still be found
    page = phone.open(started["verification_uri_complete"])
    assert "Too many codes were tried" in page.text
    chain.bridge_clock.advance(601)  # the window ends (the memory/redis counter's TTL)


def test_guessing_codes_hits_the_limit_per_address(chain: Chain, kiosk: Kiosk) -> None:
    started = kiosk.started()
    for _ in range(3):  # three "browsers" without cookies, one address: 30 in all
        for _ in range(10):
            fresh = httpx.get(
                f"{chain.bridge}/device?user_code=BBBB-BBBB", headers=EN, verify=TRUSTED
            )
            assert fresh.status_code == 400
    page = httpx.get(started["verification_uri_complete"], headers=EN, verify=TRUSTED)
    assert "Too many codes were tried" in page.text


def test_two_phones_racing_on_one_code_exactly_one_wins(chain: Chain, kiosk: Kiosk) -> None:
    started = kiosk.started()
    phones = [Resident() for _ in range(6)]
    pages = [confirm_page(p, started) for p in phones]

    def press(index: int) -> int:
        csrf = pages[index].html.find("input", attrs={"name": "csrf_token"})["value"]
        response = phones[index].http.post(
            f"{chain.bridge}/device",
            data={
                "user_code": started["user_code"],
                "csrf_token": csrf,
                "decision": "approve",
            },
        )
        return response.status_code

    with ThreadPoolExecutor(len(phones)) as pool:
        statuses = list(pool.map(press, range(len(phones))))
    for p in phones:
        p.close()
    assert sorted(statuses) == [303] + [400] * (len(phones) - 1), statuses


def test_an_approval_reaches_only_its_own_device_code(
    chain: Chain, kiosk: Kiosk, phone: Resident
) -> None:
    mine, other = kiosk.started(), kiosk.started()
    approve_at_kiosk(chain, phone, mine)
    chain.bridge_clock.advance(5)
    assert kiosk.poll(mine["device_code"]).status_code == 200
    assert error_of(kiosk.poll(other["device_code"])) == "authorization_pending"


def test_another_kiosk_cannot_poll_this_kiosks_code(
    chain: Chain, kiosk: Kiosk, phone: Resident
) -> None:
    started = kiosk.started()
    approve_at_kiosk(chain, phone, started)
    portal = Kiosk(chain.bridge, client_id="test-portal", secret="test-portal-secret")
    assert error_of(portal.poll(started["device_code"])) == "unauthorized_client"


def test_the_store_holds_no_code_and_both_records_share_a_hash_tag(
    chain: Chain, kiosk: Kiosk, redis_url: str
) -> None:
    started = kiosk.started()
    with redis.Redis.from_url(redis_url) as client:
        keys = [k.decode() for k in client.keys("bridge:*")]
        values = b"".join(client.get(k) or b"" for k in keys if client.type(k) == b"string")
    secret = started["device_code"].partition(".")[2]
    plain = started["user_code"].replace("-", "")
    assert not any(secret in k or plain in k for k in keys)
    assert secret.encode() not in values and plain.encode() not in values
    tags = {
        re.search(r"\{([^}]+)\}", k).group(1) for k in keys if "device" in k or "user-code" in k
    }  # type: ignore[union-attr]
    assert len(tags) == 1


def test_mainland_resident_at_a_hong_kong_kiosk_in_guangzhou(chain: Chain) -> None:
    """The other direction: the phone picks Guangdong's platform, signs in there and
    gives PIPL's separate consent; the kiosk gets the resident's tokens."""
    kiosk = Kiosk(chain.bridge, client_id="test-kiosk-gz", secret="test-kiosk-gz-secret")
    started = kiosk.started(scope="openid profile")
    phone = Resident()
    try:
        page = confirm_page(phone, started)
        assert "Tianhe, Guangzhou" in page.text
        chooser = answer(phone, page, "approve")
        link = chooser.html.select_one("#choose-guangdong")
        assert link is not None, chooser.text[:300]
        login = phone.open(urljoin(chain.bridge, str(link["href"])))
        assert "/tif/sso/connect/page/oauth2/authorize" in login.url, login.url
        form = login.html.select_one('#login-platform form[data-persona="chen-fa-ming"]')
        asked = phone.submit(login, form=form, button=("action", "sign_in"))
        assert asked.html.select_one("#consent-direction") is not None  # PIPL's own
        done = consent(phone, asked, "allow")
        assert "/device/done" in done.url
    finally:
        phone.close()
    chain.bridge_clock.advance(5)
    response = kiosk.poll(started["device_code"])
    assert response.status_code == 200, response.text
    assert "refresh_token" not in response.json()


def test_the_chooser_continues_only_in_the_browser_that_claimed_the_code(
    chain: Chain, phone: Resident
) -> None:
    kiosk = Kiosk(chain.bridge, client_id="test-kiosk-gz", secret="test-kiosk-gz-secret")
    started = kiosk.started()
    chooser = answer(phone, confirm_page(phone, started), "approve")
    link = chooser.html.select_one("#choose-iamsmart")
    assert link is not None
    other = Resident()
    try:
        page = other.open(urljoin(chain.bridge, str(link["href"])))
    finally:
        other.close()
    assert page.status == 400 and "No kiosk is waiting" in page.text


def test_no_code_token_or_name_reaches_a_log_line(
    chain: Chain, kiosk: Kiosk, phone: Resident, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as events:
        started = kiosk.started(scope="openid profile")
        kiosk.poll(started["device_code"])
        phone.open(f"{chain.bridge}/device?user_code=BBBB-BBBB")
        approve_at_kiosk(chain, phone, started)
        chain.bridge_clock.advance(5)
        tokens = kiosk.poll(started["device_code"]).json()
        kiosk.poll(started["device_code"])
    lines = [repr(event) for event in events] + [r.getMessage() for r in caplog.records]
    assert any("device.approved" in line for line in lines)
    secrets = [
        started["device_code"],
        started["device_code"].partition(".")[2],
        started["user_code"],
        started["user_code"].replace("-", ""),
        "BBBBBBBB",
        tokens["access_token"],
        "黄咏峰",
        "WONG, Wing Fung",
    ]
    for value in secrets:
        leaking = [line for line in lines if value in line]
        assert not leaking, f"{value!r} appears in a log line: {leaking[0][:300]}"
