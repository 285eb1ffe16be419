"""Rate limits (bridge.throttle), each answered 429 with Retry-After and counted in a
metric: failed client authentication per client, failed code and refresh redemption
per client, and sign-ins started per address. Low limits here; the defaults are in
the README."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.flows.conftest import Chain, running_chain
from tests.support.rp import RelyingParty

LIMITS = {
    "rate_limit_client_auth_failures": 3,
    "rate_limit_client_auth_window": 300,
    "rate_limit_redemption_failures": 3,
    "rate_limit_redemption_window": 300,
    "rate_limit_sign_ins": 5,
    "rate_limit_sign_in_window": 60,
}


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[Chain]:
    # The memory store runs on the bridge's clock, so a test can let a window pass.
    with running_chain(tmp_path, None, settings_overrides=LIMITS) as running:
        yield running


def refused_count(chain: Chain, limit: str) -> float:
    # /metrics is not on the public listener; read the bridge's own registry instead.
    registry = chain.bridge_app.state.core.metrics.registry
    value = registry.get_sample_value("bridge_rate_limited_total", {"limit": limit})
    return float(value) if value is not None else 0.0


def token(chain: Chain, client_id: str, secret: str, **form: str) -> httpx.Response:
    data = {
        "grant_type": "authorization_code",
        "code": "guessed-code",
        "redirect_uri": "https://portal.test/callback",
        "code_verifier": "v" * 43,
        **form,
    }
    return httpx.post(f"{chain.bridge}/token", data=data, auth=(client_id, secret))


def assert_throttled(response: httpx.Response, retry_after: int) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["error"] == "temporarily_unavailable"
    assert response.headers["retry-after"] == str(retry_after)
    assert response.headers["cache-control"] == "no-store"


def test_failed_client_authentication_is_limited_per_client(limited: Chain) -> None:
    for _ in range(3):
        assert token(limited, "test-portal", "wrong-secret").status_code == 401
    # over the limit even the right secret is not checked: a guess is never confirmed
    assert_throttled(token(limited, "test-portal", "test-portal-secret"), 300)
    introspect = httpx.post(
        f"{limited.bridge}/introspect", data={"token": "x"}, auth=("test-portal", "x")
    )
    assert_throttled(introspect, 300)
    assert token(limited, "test-signed", "test-portal-secret").status_code == 400, "per client"
    assert refused_count(limited, "client_auth") == 2
    limited.bridge_clock.advance(301)
    assert token(limited, "test-portal", "test-portal-secret").status_code == 400, "window over"


def test_failed_code_and_refresh_redemption_is_limited_per_client(limited: Chain) -> None:
    for _ in range(2):
        guessed = token(limited, "test-portal", "test-portal-secret")
        assert guessed.json()["error"] == "invalid_grant"
    refresh = token(
        limited, "test-portal", "test-portal-secret", grant_type="refresh_token", refresh_token="r"
    )
    assert refresh.json()["error"] == "invalid_grant"
    assert_throttled(token(limited, "test-portal", "test-portal-secret"), 300)
    other = token(limited, "test-signed", "test-portal-secret")
    assert other.json()["error"] == "invalid_grant", "per client"
    assert refused_count(limited, "redemption") == 1


def test_sign_ins_started_from_one_address_are_limited(limited: Chain) -> None:
    rp = RelyingParty(limited.bridge)
    for _ in range(5):
        response = httpx.get(rp.authorization_request(idp_hint="iamsmart").url)
        assert response.status_code == 302, response.text[:200]
    page = httpx.get(
        rp.authorization_request(idp_hint="iamsmart").url, headers={"Accept-Language": "en"}
    )
    assert page.status_code == 429
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["retry-after"] == "60"
    assert "Too many sign-ins" in page.text
    assert "location" not in page.headers
    assert refused_count(limited, "sign_in") == 1
    limited.bridge_clock.advance(61)
    assert httpx.get(rp.authorization_request(idp_hint="iamsmart").url).status_code == 302
