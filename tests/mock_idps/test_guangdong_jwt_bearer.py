"""The mock Guangdong platform's RFC 7523 §2.1 JWT bearer grant, against a stand-in
bridge (a real HTTP server publishing discovery and a JWKS the tests control): the
platform verifies each assertion (§3) against the bridge's keys, fetched, cached and
fetched again once for an unknown kid, and issues a platform token for the bound
account only."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from bridge.clock import ManualClock
from mock_idps.guangdong import create_app
from mock_idps.guangdong.state import GuangdongPlatform
from tests.flows.exchange_support import JwksServer, jwks_of, new_key
from tests.mock_idps.guangdong_support import CLAIMS, PERMITS, make_config
from tests.support.forge import hs256, public_pem, unsigned
from tests.support.servers import bind_loopback, serving, url_of

ACCESS_TOKEN = "/tif/sso/connect/page/oauth2/access_token"
TOKENINFO = "/tif/sso/connect/page/oauth2/tokeninfo"
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
BOUND = "pairwise-wong"


class Setup:
    def __init__(self, platform_url: str, bridge: JwksServer, key: ECKey, clock: ManualClock):
        self.platform_url = platform_url
        self.bridge = bridge
        self.key = key
        self.clock = clock

    @property
    def now(self) -> int:
        return int(self.clock.now())

    def claims(self, **overrides: Any) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "iss": self.bridge.url,
            "sub": BOUND,
            "aud": self.platform_url + ACCESS_TOKEN,
            "iat": self.now,
            "exp": self.now + 60,
            "jti": secrets.token_urlsafe(12),
            "acr": "L2",
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def signed(
        self, key: ECKey | None = None, header: dict[str, Any] | None = None, **o: Any
    ) -> str:
        key = key or self.key
        return jwt.encode({"alg": "ES256", "kid": key.kid, **(header or {})}, self.claims(**o), key)

    def grant(self, assertion: str, **form: str) -> httpx.Response:
        data = {"grant_type": GRANT, "assertion": assertion, **form}
        return httpx.post(self.platform_url + ACCESS_TOKEN, data=data, timeout=10)

    def refused(self, assertion: str, error: str = "invalid_grant") -> str:
        response = self.grant(assertion)
        assert response.status_code == 400, response.text
        assert response.json()["error"] == error
        return str(response.json()["error_description"])


@pytest.fixture(scope="module")
def setup() -> Iterator[Setup]:
    clock = ManualClock(1_800_000_000.0)
    key = new_key()
    bridge = JwksServer()
    with serving(bridge) as bridge_server:
        bridge.url = bridge_server.url
        bridge.documents["/.well-known/openid-configuration"] = {
            "issuer": bridge.url,
            "authorization_endpoint": f"{bridge.url}/authorize",
            "token_endpoint": f"{bridge.url}/token",
            "userinfo_endpoint": f"{bridge.url}/userinfo",
            "jwks_uri": f"{bridge.url}/jwks.json",
        }
        bridge.documents["/jwks.json"] = jwks_of(key)
        sock = bind_loopback()
        config = make_config(url_of(sock), issuer=bridge.url)
        app = create_app(config, clock=clock.now)
        platform: GuangdongPlatform = app.state.guangdong
        bound = platform.bindings.bind(
            platform.accounts, BOUND, PERMITS["wong-wing-fung"], CLAIMS["wong-wing-fung"]
        )
        assert not hasattr(bound, "reason"), bound
        with serving(app, sock):
            yield Setup(url_of(sock), bridge, key, clock)


def test_bridge_assertion_for_a_bound_resident_gives_a_token_usable_at_tokeninfo(
    setup: Setup,
) -> None:
    response = setup.grant(setup.signed())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "all"
    info = httpx.get(setup.platform_url + TOKENINFO, params={"access_token": body["access_token"]})
    assert info.json()["errcode"] == 0
    assert info.json()["userobj"]["cn"] == "黄咏峰"
    assert info.json()["userobj"]["idcardnumber"] == PERMITS["wong-wing-fung"]


def test_unbound_subject_is_invalid_grant(setup: Setup) -> None:
    assert "no Guangdong account" in setup.refused(setup.signed(sub="pairwise-nobody"))


def test_replayed_jti_is_invalid_grant(setup: Setup) -> None:
    assertion = setup.signed()
    assert setup.grant(assertion).status_code == 200
    assert "jti" in setup.refused(assertion)


def test_missing_jti_is_invalid_grant(setup: Setup) -> None:
    setup.refused(setup.signed(jti=None))


def test_alg_none_assertion_is_invalid_grant(setup: Setup) -> None:
    assert "algorithm" in setup.refused(unsigned(setup.claims(), kid=setup.key.kid))


def test_hs256_keyed_with_the_bridges_public_key_is_invalid_grant(setup: Setup) -> None:
    jwk = dict(setup.key.as_dict(private=False))
    assertion = hs256(setup.claims(), public_pem(jwk), kid=setup.key.kid)
    assert "algorithm" in setup.refused(assertion)


def test_assertion_naming_its_own_key_is_invalid_grant(setup: Setup) -> None:
    attacker = new_key(kid=setup.key.kid)
    header = {"jwk": dict(attacker.as_dict(private=False))}
    assert "own key" in setup.refused(setup.signed(attacker, header))


def test_foreign_key_is_invalid_grant(setup: Setup) -> None:
    setup.refused(setup.signed(new_key(kid=setup.key.kid)))


def test_wrong_issuer_is_invalid_grant(setup: Setup) -> None:
    setup.refused(setup.signed(iss="https://not-the-bridge.test"))


def test_wrong_audience_is_invalid_grant(setup: Setup) -> None:
    setup.refused(setup.signed(aud="https://elsewhere.test/token"))


def test_expired_assertion_is_invalid_grant(setup: Setup) -> None:
    assert "expired" in setup.refused(setup.signed(iat=setup.now - 600, exp=setup.now - 300))


def test_assertion_from_the_future_is_invalid_grant(setup: Setup) -> None:
    setup.refused(setup.signed(iat=setup.now + 600, exp=setup.now + 660))


def test_long_lived_assertion_is_invalid_grant(setup: Setup) -> None:
    assert "too long" in setup.refused(setup.signed(exp=setup.now + 3600))


def test_scope_beyond_the_bridges_is_invalid_scope(setup: Setup) -> None:
    response = setup.grant(setup.signed(), scope="all admin")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_assertion_in_the_query_string_is_not_accepted(setup: Setup) -> None:
    response = httpx.get(
        setup.platform_url + ACCESS_TOKEN,
        params={"grant_type": GRANT, "assertion": setup.signed()},
    )
    assert response.status_code == 400


def test_bridge_keys_are_cached_and_fetched_again_once_for_a_new_kid(setup: Setup) -> None:
    setup.grant(setup.signed())
    fetched = setup.bridge.hits["/jwks.json"]
    assert setup.grant(setup.signed()).status_code == 200
    assert setup.bridge.hits["/jwks.json"] == fetched, "cached"

    rotated = new_key()
    setup.bridge.documents["/jwks.json"] = jwks_of(setup.key, rotated)
    assert setup.grant(setup.signed(rotated)).status_code == 200
    assert setup.bridge.hits["/jwks.json"] == fetched + 1, "one refetch for the new kid"

    setup.refused(setup.signed(new_key()))
    assert setup.bridge.hits["/jwks.json"] == fetched + 2, "at most one refetch per request"
