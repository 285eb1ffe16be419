"""Timings derived from the settings: the JWKS max-age a verifier is told is the one
pre-publication is timed from, and retirement outlasts every token the keys sign."""

from __future__ import annotations

from pathlib import Path

import httpx

from bridge.app import create_app
from bridge.clock import ManualClock
from bridge.settings import Settings
from bridge.signing.policy import SIGNED_TOKEN_LIFETIMES, RotationPolicy
from bridge.signing.ring import load_keys
from tests.signing.support import START, ParkedTicker, instance_settings
from tests.support.dev_keys import development_keys

NOT_SIGNED = {
    "code_ttl": "authorization codes are opaque",
    "flow_ttl": "sign-in state, never leaves the store",
    "consent_ttl": "consent page state",
    "refresh_token_ttl": "refresh tokens are opaque",
    "refresh_token_absolute_ttl": "refresh token families are opaque",
    "consent_memory_ttl": "a remembered consent, in the store",
    "account_session_ttl": "a browser session, in the store",
    "session_ttl": "a bridge session (what logout ends), in the store",
    "remote_jwks_ttl": "a cache of other parties' keys",
    "device_code_ttl": "device and user codes are opaque",
}


def test_every_lifetime_setting_is_known_to_be_signed_or_not() -> None:
    """A new signed token type must lengthen retirement: add it to SIGNED_TOKEN_LIFETIMES
    (or here, with the reason it is not signed with the bridge's keys)."""
    lifetimes = {name for name in Settings.model_fields if name.endswith("_ttl")}
    unclassified = lifetimes - set(SIGNED_TOKEN_LIFETIMES) - set(NOT_SIGNED)
    assert not unclassified, f"classify {sorted(unclassified)} in bridge/signing/policy.py"


def test_retirement_outlasts_the_longest_signed_token_and_prepublication_the_jwks_cache(
    tmp_path: Path,
) -> None:
    settings = instance_settings(
        tmp_path, "https://bridge.test", None, access_token_ttl=900, jwks_max_age=120
    )
    policy = RotationPolicy.from_settings(settings)
    assert policy.retirement == 900 + settings.keys_refresh_interval
    assert policy.prepublication == 120 + settings.keys_refresh_interval


def test_a_rotation_period_shorter_than_the_prepublication_window_is_a_start_up_problem(
    tmp_path: Path,
) -> None:
    development_keys(tmp_path / "keys", ManualClock(START))
    settings = instance_settings(
        tmp_path / "keys", "https://bridge.test", None, keys_rotation_period=200, jwks_max_age=300
    )
    (problem,) = load_keys(settings).problems
    assert "shorter than the pre-publication window (310 s" in problem


async def test_the_jwks_is_sent_with_the_max_age_prepublication_is_timed_from(
    tmp_path: Path,
) -> None:
    keys_dir = tmp_path / "keys"
    development_keys(keys_dir, ManualClock(START))
    settings = instance_settings(keys_dir, "https://bridge.test", None, jwks_max_age=123)
    env = {
        "IAMSMART_KEK_PRIVATE_KEY_FILE": str(keys_dir / "iamsmart-kek.pem"),
        "GUANGDONG_PUBLIC_URL": "https://gd.test",
    }
    app = create_app(settings, clock=ManualClock(START), env=env, key_ticker=ParkedTicker())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://b") as c:
        response = await c.get("/jwks.json")
    assert response.headers["content-type"] == "application/jwk-set+json"
    assert response.headers["cache-control"] == "public, max-age=123"
    policy = app.state.core.key_ring.policy
    assert policy.jwks_max_age == 123
    assert policy.prepublication == 123 + settings.keys_refresh_interval
