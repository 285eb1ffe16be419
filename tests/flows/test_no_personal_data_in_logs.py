"""No personal data value reaches a log line: the whole flow runs for
every persona — sign-in, consent (remembered, then reused), token, userinfo, binding, the
resident's own consent page and a withdrawal — while every structlog event and every
stdlib log record of all three systems is captured. The audit trail, which records
the same steps, must hold none of the values either."""

from __future__ import annotations

import json
import logging

import pytest
import structlog

from tests.flows.conftest import Chain
from tests.flows.steps import at_iamsmart, choose, consent, location_query
from tests.support.audit import audit_records
from tests.support.browser import Resident
from tests.support.rp import RelyingParty

# Values of docs/personas.md in every spelling a log could carry them.
PERSONAL_VALUES = {
    "wong-wing-fung": [
        "A123456",
        "黃詠峯",
        "黄咏峰",
        "WONG, Wing Fung",
        "91234567",
        "19900101",
        "1990-01-01",
        "wong-wing-fung@example.hk",
        "H12345678",
    ],
    "lau-chi-ming": [
        "R234567",
        "LAU, Chi Ming",
        "61234567",
        "19751231",
        "1975-12-31",
        "lau-chi-ming@example.hk",
        "H87654321",
    ],
    "cheung-ka-yan": [
        "K345678",
        "張嘉欣",
        "张嘉欣",
        "CHEUNG, Ka Yan",
        "92345678",
        "19881212",
        "1988-12-12",
        "cheung-ka-yan@example.hk",
        "H23456789",
    ],
    "chan-tai-man": [
        "C668668",
        "陳大文",
        "陈大文",
        "CHAN, Tai Man",
        "93456789",
        "19700101",
        "1970-01-01",
        "chan-tai-man@example.hk",
    ],
}
PERMITS = {
    "wong-wing-fung": "H12345678",
    "lau-chi-ming": "H87654321",
    "cheung-ka-yan": "H23456789",
    "chan-tai-man": "H12345678",
}


@pytest.mark.parametrize("persona", sorted(PERSONAL_VALUES))
def test_no_persona_value_appears_in_any_log_line(
    chain: Chain, persona: str, caplog: pytest.LogCaptureFixture, redis_url: str
) -> None:
    caplog.set_level(logging.DEBUG)
    resident = Resident()
    rp = RelyingParty(chain.bridge)
    try:
        with structlog.testing.capture_logs() as events:
            # the platform's own flow, binding included
            qr = at_iamsmart(resident, f"{chain.guangdong}/login/iamsmart")
            bind = consent(resident, choose(resident, qr, persona), "allow")
            resident.submit(bind, fields={"permit_number": PERMITS[persona]})
            # a scripted client reading every claim it may have
            request = rp.authorization_request(scope="openid profile phone")
            qr = at_iamsmart(resident, request.url)
            stopped = resident.submit(
                choose(resident, qr, persona),
                button=("decision", "allow"),
                fields={"remember": "yes"},
                stop_at=rp.redirect_uri,
            )
            code = location_query(stopped)["code"]
            tokens = rp.redeem(code, request.verifier).json()
            assert rp.userinfo(tokens["access_token"]).status_code == 200
            # again: the remembered consent applies without a page
            again = rp.authorization_request(scope="openid profile phone")
            reused = choose(
                resident, at_iamsmart(resident, again.url), persona, stop_at=rp.redirect_uri
            )
            assert "code" in location_query(reused)
            # the resident's own consent page, and a withdrawal
            qr = at_iamsmart(resident, f"{chain.bridge}/consents/sign-in?idp=iamsmart")
            consents = choose(resident, qr, persona)
            withdraw = consents.html.select_one("form[action='/consents/withdraw']")
            assert withdraw is not None, consents.text[:300]
            assert resident.submit(consents, form=withdraw).status == 200
    finally:
        resident.close()
    assert events, "the flow must have logged something for this test to mean anything"
    lines = [repr(event) for event in events] + [r.getMessage() for r in caplog.records]
    lines += [repr(r.args) for r in caplog.records if r.args]
    for value in PERSONAL_VALUES[persona]:
        leaking = [line for line in lines if value in line]
        assert not leaking, f"{value!r} appears in a log line: {leaking[0][:300]}"
    trail = [record.body for record in audit_records(redis_url)]
    kinds = {json.loads(body)["event"] for body in trail}
    assert {"consent.decided", "consent.withdrawn"} <= kinds, kinds
    for value in PERSONAL_VALUES[persona]:
        leaking = [body for body in trail if value in body]
        assert not leaking, f"{value!r} appears in an audit record: {leaking[0][:300]}"
