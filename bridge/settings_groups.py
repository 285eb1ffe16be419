"""Groups of settings that `bridge.settings.Settings` inherits: kept here so that one
module does not hold every setting. Their environment names come from `Settings`'s own
configuration (`BRIDGE_` prefix): `BRIDGE_DEVICE_CODE_TTL`, `BRIDGE_RATE_LIMIT_SIGN_INS`…
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings

from bridge.throttle import CLIENT_AUTH, REDEMPTION, SIGN_IN, Limit


class KioskSettings(BaseSettings):
    # --- kiosks (RFC 8628 device authorization grant) ---
    device_code_ttl: int = Field(
        600, ge=60, le=600, description="How long a kiosk's device and user codes live."
    )
    device_poll_interval: int = Field(
        5, ge=1, le=60, description="Seconds a kiosk must wait between polls of /token."
    )
    kiosk_token_ttl: int = Field(
        300,
        ge=30,
        le=900,
        description="Lifetime of a kiosk's access and ID tokens: a kiosk is shared, so "
        "its tokens are short and it never gets a refresh token.",
    )
    device_guesses_per_browser: int = Field(
        10, ge=1, description="User codes one browser may try in a guess window."
    )
    device_guesses_per_address: int = Field(
        30, ge=1, description="User codes one network address may try in a guess window."
    )
    device_guess_window: int = Field(
        600, ge=60, description="The fixed window of the user-code guess counters, seconds."
    )


class RateLimitSettings(BaseSettings):
    # Rate limits (bridge.throttle; README "Limits and rate limits"). 0 turns one off.
    rate_limit_client_auth_failures: int = Field(
        20, ge=0, description="Failed client authentications per client per window."
    )
    rate_limit_client_auth_window: int = Field(300, ge=1, description="Seconds.")
    rate_limit_redemption_failures: int = Field(
        30, ge=0, description="Failed code or refresh-token redemptions per client per window."
    )
    rate_limit_redemption_window: int = Field(300, ge=1, description="Seconds.")
    rate_limit_sign_ins: int = Field(
        300,
        ge=0,
        description="Sign-ins started (each stores a flow) per network address per window; "
        "generous, as many residents may share one address behind a NAT.",
    )
    rate_limit_sign_in_window: int = Field(60, ge=1, description="Seconds.")

    def rate_limits(self) -> dict[str, Limit]:
        return {
            CLIENT_AUTH: Limit(
                self.rate_limit_client_auth_failures, self.rate_limit_client_auth_window
            ),
            REDEMPTION: Limit(
                self.rate_limit_redemption_failures, self.rate_limit_redemption_window
            ),
            SIGN_IN: Limit(self.rate_limit_sign_ins, self.rate_limit_sign_in_window),
        }
