"""End to end: a Hong Kong resident signs in to the Guangdong platform with
iAM Smart through the bridge, consents, and binds to a pre-seeded Guangdong account."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.flows.conftest import Chain
from tests.flows.steps import at_iamsmart, choose, consent, location_query
from tests.support.browser import Page, Resident

PERMITS = {"wong-wing-fung": "H12345678", "lau-chi-ming": "H87654321", "cheung-ka-yan": "H23456789"}
GD_NAMES = {"wong-wing-fung": "黄咏峰", "lau-chi-ming": "刘志明", "cheung-ka-yan": "张嘉欣"}


@pytest.fixture
def resident() -> Iterator[Resident]:
    person = Resident(accept_language="en")
    yield person
    person.close()


def sign_in_to_guangdong(chain: Chain, resident: Resident, persona: str) -> Page:
    qr = at_iamsmart(resident, f"{chain.guangdong}/login/iamsmart")
    page = choose(resident, qr, persona)
    assert "/consent/" in page.url, page.text[:300]
    return consent(resident, page, "allow")


def data_page(page: Page) -> str | None:
    main = page.html.find("main")
    return main.get("data-page") if main else None


@pytest.mark.parametrize("persona", sorted(PERMITS))
def test_each_persona_signs_in_binds_once_and_sees_the_guangdong_profile(
    chain: Chain, resident: Resident, persona: str
) -> None:
    bind = sign_in_to_guangdong(chain, resident, persona)
    assert data_page(bind) == "bind", bind.text[:300]

    profile = resident.submit(bind, fields={"permit_number": PERMITS[persona]})
    assert data_page(profile) == "profile", profile.text[:300]
    assert profile.html.select_one("#profile-name").get_text(strip=True) == GD_NAMES[persona]
    assert profile.html.select_one("#profile-document-type")["data-value"] == "40"
    assert profile.html.select_one("#profile-level")["data-value"] == "L2"
    assert PERMITS[persona] not in profile.response.text, "the permit number is shown masked"

    resident.open(f"{chain.guangdong}/logout")
    again = sign_in_to_guangdong(chain, resident, persona)
    assert data_page(again) == "profile", "a bound resident is not asked for the permit again"
    assert len(chain.guangdong_state.bindings) == 1


def test_resident_without_a_guangdong_account_is_refused_binding(
    chain: Chain, resident: Resident
) -> None:
    bind = sign_in_to_guangdong(chain, resident, "chan-tai-man")
    refused = resident.submit(bind, fields={"permit_number": "H12345678"})
    assert refused.status == 400
    assert refused.html.find("main")["data-error"] == "no_match"
    assert len(chain.guangdong_state.bindings) == 0


def test_permit_of_another_resident_is_refused_at_binding(chain: Chain, resident: Resident) -> None:
    bind = sign_in_to_guangdong(chain, resident, "wong-wing-fung")
    refused = resident.submit(bind, fields={"permit_number": PERMITS["cheung-ka-yan"]})
    assert refused.status == 400
    assert refused.html.find("main")["data-error"] == "no_match"
    assert "张嘉欣" not in refused.response.text, "nothing about the other account is revealed"
    assert len(chain.guangdong_state.bindings) == 0


@pytest.mark.parametrize(
    ("action", "description"),
    [
        ("reject", "declined the request"),
        ("cancel", "cancelled sign-in"),
        ("timeout", "timed out"),
    ],
)
def test_resident_stopping_at_iamsmart_returns_access_denied_to_the_platform(
    chain: Chain, resident: Resident, action: str, description: str
) -> None:
    qr = at_iamsmart(resident, f"{chain.guangdong}/login/iamsmart")
    stopped = choose(resident, qr, "wong-wing-fung", action, stop_at=f"{chain.guangdong}/")
    response = location_query(stopped)
    assert response["error"] == "access_denied"
    assert description in response["error_description"]
    assert response["iss"] == chain.bridge
    assert "state" in response

    page = resident.follow(stopped.response)
    assert page.html.find("main")["data-error"] == "declined"


def test_resident_denying_consent_returns_access_denied(chain: Chain, resident: Resident) -> None:
    qr = at_iamsmart(resident, f"{chain.guangdong}/login/iamsmart")
    page = choose(resident, qr, "lau-chi-ming")
    stopped = consent(resident, page, "deny", stop_at=f"{chain.guangdong}/")
    assert location_query(stopped)["error"] == "access_denied"
    final = resident.follow(stopped.response)
    assert final.html.find("main")["data-error"] == "declined"
    assert len(chain.guangdong_state.bindings) == 0


def test_consent_page_names_recipient_jurisdiction_and_each_attribute(
    chain: Chain, resident: Resident
) -> None:
    qr = at_iamsmart(resident, f"{chain.guangdong}/login/iamsmart")
    page = choose(resident, qr, "wong-wing-fung")
    text = page.text
    assert "Guangdong platform (mock)" in text
    assert "Guangdong Province (Mainland China)" in text
    rows = page.html.select("tr[data-claim]")
    claims = {row["data-claim"] for row in rows}
    assert claims == {
        "name",
        "name#zh-Hant",
        "name#zh-Hans",
        "name#en",
        "sex",
        "birthdate",
        "updated_at",
        "phone_number",
        "email",
    }
    assert "+85291234567" not in text, "sensitive values are masked on the consent page"
    cells = {row["data-claim"]: row.find("td").get_text(strip=True) for row in rows}
    assert cells["sex"] == "Female", "a coded value is shown by its meaning, not its code"
    assert cells["updated_at"] == "2023-11-02", "a timestamp is shown as a date"
    assert page.html.find("html")["lang"] == "en"


def test_consent_page_follows_the_residents_language(chain: Chain) -> None:
    person = Resident(accept_language="zh-CN,zh;q=0.9")
    try:
        qr = at_iamsmart(person, f"{chain.guangdong}/login/iamsmart")
        page = choose(person, qr, "wong-wing-fung")
        assert page.html.find("html")["lang"].startswith("zh-Hans")
        assert "同意" in page.text
    finally:
        person.close()
