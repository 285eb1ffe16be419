"""Token exchange and client-key configuration is checked at start-up, and every
problem is reported at once (with the place it is in)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from joserfc.jwk import ECKey

from bridge.configuration import load_configuration
from bridge.errors import ConfigError
from bridge.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def client(client_id: str, **extra: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "client_id": client_id,
        "name": {"en": "x", "zh-Hant": "x", "zh-Hans": "x"},
        "purpose": {"en": "x", "zh-Hant": "x", "zh-Hans": "x"},
        "jurisdiction": {"en": "x", "zh-Hant": "x", "zh-Hans": "x"},
        "client_secret_sha256": "0" * 64,
        "redirect_uris": ["https://portal.test/cb"],
        "upstreams": ["iamsmart"],
        "downstream": "guangdong",
    }
    entry.update(extra)
    return entry


def problems_of(tmp_path: Path, clients: list[object], exchange: object) -> str:
    (tmp_path / "clients.yaml").write_text(yaml.safe_dump({"clients": clients}))
    (tmp_path / "exchange.yaml").write_text(yaml.safe_dump(exchange))
    settings = Settings(
        env="development",
        clients_file=tmp_path / "clients.yaml",
        token_exchange_file=tmp_path / "exchange.yaml",
        upstreams_file=REPO / "config/upstreams.yaml",
        claims_dir=REPO / "config/claims",
    )
    with pytest.raises(ConfigError) as caught:
        load_configuration(settings, {})
    return "\n".join(caught.value.problems)


def test_every_exchange_and_client_key_problem_is_reported_at_once(tmp_path: Path) -> None:
    private = ECKey.generate_key("P-256").as_dict(private=True)
    problems = problems_of(
        tmp_path,
        [
            client("a", token_exchange={"targets": ["nowhere"], "subject_issuers": ["evil"]}),
            client("b", token_endpoint_auth_methods=["private_key_jwt"]),
            client("c", token_endpoint_auth_methods=["private_key_jwt"], jwks={"keys": [private]}),
            client("d", token_exchange={"targets": ["gd"], "subject_clients": ["ghost"]}),
            client("e", client_secret_sha256=None),
        ],
        {
            "trusted_issuers": [{"issuer": "https://idp.test"}],
            "targets": [
                {"name": "gd", "kind": "jwt_bearer", "display_name": "GD"},
                {"name": "api", "kind": "bridge", "display_name": "API 接口"},
            ],
        },
    )
    for expected in (
        "client a: token_exchange target 'nowhere' is not configured",
        "client a: token_exchange subject issuer 'evil' is not a trusted issuer",
        "clients.1: Value error, private_key_jwt needs exactly one of jwks and jwks_uri",
        "holds a private key",
        "client d: token_exchange subject client 'ghost' is not registered",
        "clients.4: Value error, client_secret_sha256 is required",
        "trusted_issuers.0: Value error, give exactly one of jwks_uri and jwks",
        "targets.0: Value error, a jwt_bearer target needs token_endpoint, sector and scopes",
        "targets.1.display_name",
    ):
        assert expected in problems, f"{expected!r} not in:\n{problems}"


def test_shipped_token_exchange_configuration_loads(tmp_path: Path) -> None:
    settings = Settings(
        env="development",
        clients_file=REPO / "config/clients.yaml",
        token_exchange_file=REPO / "config/token_exchange.yaml",
        upstreams_file=REPO / "config/upstreams.yaml",
        claims_dir=REPO / "config/claims",
    )
    config = load_configuration(settings, {})
    assert config.exchange.targets["guangdong-platform"].kind == "jwt_bearer"
    backend = config.clients.get("yss-backend-dev")
    assert backend is not None and backend.token_exchange is not None
    assert backend.offline_access
