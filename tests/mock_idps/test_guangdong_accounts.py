"""The mock platform's accounts and configuration for the reverse direction: the
Mainland personas as documented, consistency checks of the accounts file, the
configurable `idcardtype` of a 回乡证 holder, and the bridge's registration as a tif
client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from bridge.clock import ManualClock
from mock_idps.guangdong import create_app, load_config
from mock_idps.guangdong.accounts import Account, id_card_number_valid
from mock_idps.guangdong.state import GuangdongPlatform
from tests.mock_idps.guangdong_support import (
    MAINLAND_USEROBJ,
    PORTAL_ID,
    PORTAL_SECRET,
    USER_ID_CODES,
    make_config,
    query_of,
)
from tests.support.servers import bind_loopback, serving, url_of

PERSONAS_DOC = Path(__file__).resolve().parents[2] / "docs/personas.md"
PORTAL_CALLBACK = "http://127.0.0.1:8003/callback"
TIF = "/tif/sso/connect/page/oauth2"


async def test_the_idcardtype_of_a_permit_holder_is_configurable() -> None:
    config = load_config(env={"GUANGDONG_PERMIT_IDCARDTYPE": "41"})
    assert config.document_codes.mainland_travel_permit == "41"
    assert config.document_codes.resident_id_card == "10"
    sock = bind_loopback()
    clock = ManualClock(start=1_800_000_000.0)
    tree = {"document_codes": {"mainland_travel_permit": "41"}}
    with serving(create_app(make_config(url_of(sock), **tree), clock=clock.now), sock) as running:
        platform: GuangdongPlatform = running.server.config.app.state.guangdong
        account = platform.accounts.by_useridcode(USER_ID_CODES["wong-wing-fung"])
        assert account is not None
        async with httpx.AsyncClient(base_url=running.url) as http:
            http.cookies.set("gd_session", platform.sign_in(account, "L2", "pairwise-wong"))
            authorize = {
                "client_id": PORTAL_ID,
                "redirect_uri": PORTAL_CALLBACK,
                "response_type": "code",
                "scope": "all",
                "service": "initService",
            }
            answer = await http.get(f"{TIF}/authorize", params=authorize)
            token_params = {
                "client_id": PORTAL_ID,
                "client_secret": PORTAL_SECRET,
                "code": query_of(answer.headers["location"])["code"],
                "grant_type": "authorization_code",
                "redirect_uri": PORTAL_CALLBACK,
                "scope": "all",
            }
            token = (await http.get(f"{TIF}/access_token", params=token_params)).json()
            access = {"access_token": token["access_token"]}
            info = (await http.get(f"{TIF}/tokeninfo", params=access)).json()
    assert info["userobj"]["idcardtype"] == "41"


def test_the_shipped_configuration_registers_the_bridge_without_iamsmart() -> None:
    config = load_config(env={"BRIDGE_ISSUER": "https://bridge.example"})
    client = config.portal_client("gba-bridge-dev")
    assert client is not None
    assert client.redirect_uris == ("https://bridge.example/callback/guangdong",)
    assert client.login_methods == ("platform",)
    assert client.client_secret.get_secret_value() == "dev-only-gd-upstream-secret-CHANGE-ME"
    assert config.uses_development_secrets()


def test_the_mainland_personas_match_docs_personas_md() -> None:
    rows = {}
    for line in PERSONAS_DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 10 and cells[0].strip("`") in MAINLAND_USEROBJ:
            rows[cells[0].strip("`")] = cells
    assert set(rows) == set(MAINLAND_USEROBJ)
    for uid, (_, cn, level, isreal, sex, phone, mail, area, login, _) in rows.items():
        userobj = MAINLAND_USEROBJ[uid]
        assert (cn, level.split()[0], isreal.strip("*")) == (
            userobj["cn"],
            userobj["creditable_level_of_account"],
            userobj["isreal"],
        )
        assert (sex, phone, mail) == (userobj["sex"], userobj["telephonenumber"], userobj["mail"])
        assert f"area={area}" in userobj["extproperties"]
        assert f"accout_type={login.split()[0]}" in userobj["extproperties"]


def _account(**changes: Any) -> dict[str, Any]:
    return {
        **MAINLAND_USEROBJ["chen-fa-ming"],
        "extproperties": {"origin": "gdbs"},
        "document": "resident_id_card",
        **changes,
    }


def test_a_valid_account_is_accepted() -> None:
    tree = {k: v for k, v in _account().items() if k != "idcardtype" and k != "isreal"}
    assert Account.model_validate(tree).creditable_level_of_account == "L2"


@pytest.mark.parametrize(
    "changes",
    [
        {"idcardnumber": "440106199003071232"},  # wrong check digit
        {"creditable_level_of_account_way": "L3@GW@x"},  # higher than the account
        {"creditable_level_of_account_way": "L1@IDV@x"},  # the account's level missing
        {"creditable_level_of_account_way": "L2@YSS"},  # no code
        {"createtime": "2018-04-12"},
        {"document": "mainland_travel_permit", "idcardnumber": "H12345678"},  # no birthday
        {"useridcode": "48E6CC80DA711AF28B1AE849B274FFB8"},
    ],
)
def test_an_inconsistent_account_is_refused(changes: dict[str, Any]) -> None:
    tree = {k: v for k, v in _account(**changes).items() if k not in ("idcardtype", "isreal")}
    with pytest.raises(ValidationError):
        Account.model_validate(tree)


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("440106199003071231", True),
        ("11010519491231002X", True),  # GB 11643's own example
        ("440106199003071230", False),
        ("44010619900307123", False),
        ("H12345678", False),
    ],
)
def test_id_card_numbers_are_checked_by_their_check_digit(number: str, valid: bool) -> None:
    assert id_card_number_valid(number) is valid
