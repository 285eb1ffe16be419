"""The shipped configuration, personas, page catalog and app factory of the mock."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bridge.clock import ManualClock
from mock_idps.iamsmart import create_app, load_config
from mock_idps.iamsmart.catalog import _CATALOG
from mock_idps.iamsmart.config import LANGS
from tests.mock_idps.iamsmart.harness import Kek, mock_config
from tests.support.servers import serving

PERSONAS_DOC = Path(__file__).resolve().parents[3] / "docs" / "personas.md"


def _documented_personas() -> dict[str, dict[str, str]]:
    """Rows of the persona table in docs/personas.md, keyed by persona id."""
    rows = {}
    for line in PERSONAS_DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 9 and cells[0].startswith("`"):
            pid, user_type, zh, en, gender, birth, hkic = cells[:7]
            rows[pid.strip("`")] = {
                "userType": user_type.split()[0].strip("`"),
                "zh": zh,
                "en": en,
                "gender": gender,
                "birthDate": birth,
                "hkic": hkic,
            }
    return rows


def test_default_config_is_the_dev_client_with_test_controls_off() -> None:
    config = load_config(env={})
    (client,) = config.clients
    assert client.clientID == "gba-bridge-dev"
    assert "CHANGE-ME" in client.clientSecret.get_secret_value()
    assert client.redirectURIs == ["http://127.0.0.1:8000/callback/iamsmart"]
    assert client.scopes == ["eidapi_auth", "eidapi_profiles", "eidapi_formFilling"]
    assert client.kekPublicKeyFile == Path("keys/iamsmart-kek.pub.pem")
    settings = config.settings
    assert (settings.code_ttl_seconds, settings.access_token_ttl_ms) == (60, 14_400_000)
    assert (settings.cek_expires_in_ms, settings.qr_ticket_ttl_seconds) == (6_000_000, 300)
    assert settings.timestamp_skew_seconds == 300
    assert not settings.test_controls and not settings.lenient_content_signature
    assert "CHANGE-ME" in settings.mock_secret.get_secret_value()


def test_config_takes_urls_and_secrets_from_the_environment() -> None:
    config = load_config(
        env={
            "BRIDGE_ISSUER": "https://bridge.example",
            "IAMSMART_CLIENT_SECRET": "from-env",
            "IAMSMART_TEST_CONTROLS": "true",
        }
    )
    assert config.clients[0].redirectURIs == ["https://bridge.example/callback/iamsmart"]
    assert config.clients[0].clientSecret.get_secret_value() == "from-env"
    assert config.settings.test_controls


def test_personas_match_docs_personas_md() -> None:
    documented = _documented_personas()
    personas = {p.id: p for p in load_config(env={}).personas}
    assert set(personas) == set(documented) and len(documented) == 4
    for pid, row in documented.items():
        persona, profile = personas[pid], personas[pid].profile
        id_no = profile["idNo"]
        assert persona.userType == row["userType"]
        assert f"{id_no['Identification']}({id_no['CheckDigit']})" == row["hkic"]
        assert profile["enName"]["UnstructuredName"] == row["en"]
        assert (profile["gender"], profile["birthDate"]) == (row["gender"], row["birthDate"])
        assert profile["emailAddress"] == f"{pid}@example.hk"
        assert profile["mobileNumber"]["CountryCode"] == "852"
        if row["zh"].startswith("—"):
            assert "chName" not in profile
        else:
            assert profile["chName"]["ChineseName"] == row["zh"].split()[0]
            assert ("chNameVerified" in profile) == ("(verified)" in row["zh"])
    assert personas["cheung-ka-yan"].lastModifiedOnEverySignIn
    assert "ChiPremisesAddress" in personas["wong-wing-fung"].profile["residentialAddress"]


@pytest.mark.parametrize("pid", ["wong-wing-fung", "lau-chi-ming", "cheung-ka-yan", "chan-tai-man"])
def test_persona_hkic_check_digits_are_valid(pid: str) -> None:
    id_no = next(p for p in load_config(env={}).personas if p.id == pid).profile["idNo"]
    chars = id_no["Identification"].rjust(8)
    values = [36 if c == " " else int(c) if c.isdigit() else ord(c) - 55 for c in chars]
    check = (11 - sum(v * w for v, w in zip(values, range(9, 1, -1), strict=True)) % 11) % 11
    assert id_no["CheckDigit"] == ("A" if check == 10 else str(check))


def test_every_locale_translates_every_page_string() -> None:
    assert set(_CATALOG) == set(LANGS)
    for lang, strings in _CATALOG.items():
        assert set(strings) == set(_CATALOG["en-US"]), lang


def test_duplicate_client_ids_are_refused(kek: Kek) -> None:
    config = mock_config(kek).model_dump(mode="json")
    config["clients"][1]["clientID"] = config["clients"][0]["clientID"]
    config["clients"][0]["clientSecret"] = "x"
    config["clients"][1]["clientSecret"] = "y"
    config["settings"]["mock_secret"] = "z"
    with pytest.raises(ValueError, match="duplicate clientID"):
        type(mock_config(kek)).model_validate(config)


async def test_the_app_serves_healthz_and_hides_test_controls_unless_enabled(kek: Kek) -> None:
    plain = mock_config(kek, test_controls=False)
    with serving(create_app(plain, clock=ManualClock().now)) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            assert (await http.get("/healthz")).json() == {"status": "ok"}
            assert (await http.post("/__test__/expire-cek")).status_code == 404
            assert (await http.get("/docs")).status_code == 404


def test_main_rejects_unknown_options() -> None:
    from mock_idps.iamsmart.__main__ import main

    with pytest.raises(SystemExit):
        main(["--no-such-option"])
