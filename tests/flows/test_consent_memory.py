"""Remembered and withdrawable consent: a resident who asks the bridge to remember a
decision is not asked again by that client for the same claims until it expires; a
request for more asks again; the resident can sign in at /consents, see what is
remembered and withdraw it, which also revokes what was issued under it. Each decision,
reuse and withdrawal is in the audit trail."""

from __future__ import annotations

from bs4 import Tag

from tests.flows.conftest import Chain
from tests.flows.steps import at_iamsmart, choose, location_query
from tests.support.audit import audit_events, profile_fields_requested
from tests.support.browser import Page, Resident
from tests.support.rp import AuthorizationRequest, RelyingParty

PERSONA = "wong-wing-fung"
DAY = 86400


def start(
    chain: Chain, resident: Resident, rp: RelyingParty, scope: str, **params: str
) -> tuple[AuthorizationRequest, Page]:
    """Sign in at iAM Smart; the page after is the consent page, or the redirect to the
    client when a remembered consent applied."""
    request = rp.authorization_request(scope=scope, **params)
    qr = at_iamsmart(resident, request.url)
    return request, choose(resident, qr, PERSONA, stop_at=rp.redirect_uri)


def allow(resident: Resident, page: Page, rp: RelyingParty, *, remember: bool) -> Page:
    fields = {"remember": "yes"} if remember else {}
    return resident.submit(
        page, button=("decision", "allow"), fields=fields, stop_at=rp.redirect_uri
    )


def sign_in_to_consents(chain: Chain, resident: Resident) -> Page:
    landing = resident.open(f"{chain.bridge}/consents")
    button = landing.html.select_one("#consents-sign-in-iamsmart")
    assert button is not None, landing.text[:300]
    assert landing.html.select_one("#consents-sign-in-guangdong") is not None
    qr = at_iamsmart(resident, f"{chain.bridge}{button['href']}")
    page = choose(resident, qr, PERSONA)
    assert page.url.startswith(f"{chain.bridge}/consents"), page.url
    return page


def withdraw_form(page: Page, client_id: str) -> Tag:
    for form in page.html.select("form[action='/consents/withdraw']"):
        if form.select_one(f"input[name=client_id][value='{client_id}']") is not None:
            return form
    raise AssertionError(f"no withdraw form for {client_id}: {page.text[:300]}")


def test_a_remembered_consent_is_not_asked_again_until_it_expires(
    chain: Chain, resident: Resident, redis_url: str
) -> None:
    rp = RelyingParty(chain.bridge)
    _, page = start(chain, resident, rp, "openid profile")
    assert "/consent/" in page.url
    assert "code" in location_query(allow(resident, page, rp, remember=True))

    _, again = start(chain, resident, rp, "openid profile")
    assert "code" in location_query(again), "a remembered consent skips the page"

    for clock in (chain.bridge_clock, chain.iamsmart_clock, chain.guangdong_clock):
        clock.advance(90 * DAY + 1)
    _, expired = start(chain, resident, rp, "openid profile")
    assert "/consent/" in expired.url, "an expired memory asks again"

    decisions = [e for e in audit_events(redis_url) if e["event"] == "consent.decided"]
    assert [d["basis"] for d in decisions] == ["resident", "remembered"]
    assert decisions[0]["remembered_until"] == decisions[1]["remembered_until"]


def test_consent_is_remembered_only_when_the_resident_asks(
    chain: Chain, resident: Resident
) -> None:
    rp = RelyingParty(chain.bridge)
    _, page = start(chain, resident, rp, "openid profile")
    allow(resident, page, rp, remember=False)
    _, again = start(chain, resident, rp, "openid profile")
    assert "/consent/" in again.url


def test_a_request_for_a_claim_not_covered_asks_again(chain: Chain, resident: Resident) -> None:
    rp = RelyingParty(chain.bridge)
    _, page = start(chain, resident, rp, "openid profile")
    allow(resident, page, rp, remember=True)

    _, more = start(chain, resident, rp, "openid profile phone")
    assert "/consent/" in more.url, "phone_number was not part of the remembered consent"
    rows = {row["data-claim"] for row in more.html.select("tr[data-claim]")}
    assert "phone_number" in rows

    _, fewer = start(chain, resident, rp, "openid")
    assert "code" in location_query(fewer), "a narrower request is covered"


def test_offline_access_asks_again_unless_the_remembered_consent_included_it(
    chain: Chain, resident: Resident
) -> None:
    """OIDC Core §11: tokens that outlive the sign-in need the resident's own consent; a
    remembered consent to the same claims without offline_access does not give it."""
    rp = RelyingParty(chain.bridge)
    _, page = start(chain, resident, rp, "openid profile")
    allow(resident, page, rp, remember=True)

    request, offline = start(chain, resident, rp, "openid profile offline_access")
    assert "/consent/" in offline.url, "offline_access was not part of the remembered consent"
    code = location_query(allow(resident, offline, rp, remember=True))["code"]
    assert "refresh_token" in rp.redeem(code, request.verifier).json()

    request, covered = start(chain, resident, rp, "openid profile offline_access")
    assert "code" in location_query(covered), "now it was part of the remembered consent"


def test_prompt_consent_shows_the_page_even_when_a_remembered_consent_covers_it(
    chain: Chain, resident: Resident
) -> None:
    """The issue's report: remembered `openid profile`, then `prompt=consent` with
    `offline_access` got a refresh token without a page. Neither half may skip it."""
    rp = RelyingParty(chain.bridge)
    _, page = start(chain, resident, rp, "openid profile")
    allow(resident, page, rp, remember=True)

    _, prompted = start(chain, resident, rp, "openid profile", prompt="consent")
    assert "/consent/" in prompted.url, "prompt=consent always shows the page"
    _, reported = start(chain, resident, rp, "openid profile offline_access", prompt="consent")
    assert "/consent/" in reported.url
    _, remembered = start(chain, resident, rp, "openid profile")
    assert "code" in location_query(remembered), "without prompt=consent memory still applies"


def test_withdrawing_a_consent_asks_again_and_revokes_what_was_issued(
    chain: Chain, resident: Resident, redis_url: str
) -> None:
    rp = RelyingParty(chain.bridge)
    request, page = start(chain, resident, rp, "openid profile")
    code = location_query(allow(resident, page, rp, remember=True))["code"]
    tokens = rp.redeem(code, request.verifier).json()
    assert rp.userinfo(tokens["access_token"]).status_code == 200

    consents = sign_in_to_consents(chain, resident)
    section = consents.html.select_one("section[data-client=test-portal]")
    assert section is not None, consents.text[:400]
    assert "Test portal" in section.get_text()
    assert "Date of birth" in section.get_text(), "attributes are named by their labels"
    assert "1990-01-01" not in consents.response.text, "never the values"

    done = resident.submit(consents, form=withdraw_form(consents, "test-portal"))
    assert done.html.select_one("#withdrawn") is not None
    assert done.html.select_one("section[data-client=test-portal]") is None
    assert rp.userinfo(tokens["access_token"]).status_code == 401, "issued tokens are revoked"

    _, again = start(chain, resident, rp, "openid profile")
    assert "/consent/" in again.url
    withdrawn = [e for e in audit_events(redis_url) if e["event"] == "consent.withdrawn"]
    assert [(e["client_id"], e["decision"]) for e in withdrawn] == [("test-portal", "withdraw")]


def test_signing_in_to_the_consent_page_asks_iamsmart_for_no_profile_field(
    chain: Chain, resident: Resident
) -> None:
    sign_in_to_consents(chain, resident)
    assert profile_fields_requested(chain) == []
    assert chain.iamsmart_state.calls["profiles"] == 0


def test_another_browser_cannot_withdraw_with_a_residents_form(
    chain: Chain, resident: Resident
) -> None:
    rp = RelyingParty(chain.bridge)
    _, page = start(chain, resident, rp, "openid profile")
    allow(resident, page, rp, remember=True)
    consents = sign_in_to_consents(chain, resident)
    form = withdraw_form(consents, "test-portal")

    intruder = Resident()
    try:
        refused = intruder.submit(consents, form=form)
    finally:
        intruder.close()
    assert refused.status == 400
    still = resident.open(f"{chain.bridge}/consents")
    assert still.html.select_one("section[data-client=test-portal]") is not None


def test_a_withdrawal_without_the_forms_token_is_refused(chain: Chain, resident: Resident) -> None:
    rp = RelyingParty(chain.bridge)
    _, page = start(chain, resident, rp, "openid profile")
    allow(resident, page, rp, remember=True)
    consents = sign_in_to_consents(chain, resident)
    refused = resident.submit(
        consents, form=withdraw_form(consents, "test-portal"), fields={"csrf_token": "forged"}
    )
    assert refused.status == 400
    assert resident.open(f"{chain.bridge}/consents").html.select_one(
        "section[data-client=test-portal]"
    )
