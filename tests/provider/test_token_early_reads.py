"""The token endpoint reads a code or refresh redemption's two throttle markers (client
authentication's and redemption's) in one round trip before client authentication
(`TokenEndpoint.read_early`); each limit holds as it did with its own read. In-process."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from bridge.errors import InvalidGrantError
from bridge.provider.clients import Client
from bridge.provider.token import TokenEndpoint
from bridge.store.memory import MemoryBackend
from bridge.throttle import CLIENT_AUTH, REDEMPTION, SIGN_IN, Limit, RateLimitedError, Throttle
from bridge.wire import GRANT_AUTHORIZATION_CODE
from tests.provider.kit import make_client

LIMITS = {CLIENT_AUTH: Limit(2, 300), REDEMPTION: Limit(2, 300), SIGN_IN: Limit(0, 60)}
FORM = {"grant_type": GRANT_AUTHORIZATION_CODE, "code": "c"}


class Redeem:
    grant_type = GRANT_AUTHORIZATION_CODE

    def __init__(self) -> None:
        self.fails = False

    async def __call__(self, client: Client, form: Mapping[str, str]) -> dict[str, Any]:
        if self.fails:
            raise InvalidGrantError("guessed")
        return {"access_token": "t"}


def endpoint() -> tuple[TokenEndpoint, Throttle, Redeem]:
    throttle, redeem = Throttle(MemoryBackend(), LIMITS), Redeem()
    return TokenEndpoint([redeem], throttle=throttle), throttle, redeem


async def test_both_markers_come_in_one_read() -> None:
    token, throttle, _ = endpoint()
    key = throttle.blocked_key(CLIENT_AUTH, "portal")
    early = await token.read_early(FORM, "portal", key)
    assert early is not None and early.client_auth.value is None
    assert early.redemption is not None and early.redemption.value is None


async def test_the_redemption_limit_holds_on_the_early_read() -> None:
    token, throttle, redeem = endpoint()
    client, key = make_client("portal"), throttle.blocked_key(CLIENT_AUTH, "portal")
    redeem.fails = True
    for _ in range(2):
        with pytest.raises(InvalidGrantError):  # counted as before
            await token.grant(client, FORM, await token.read_early(FORM, "portal", key))
    redeem.fails = False
    with pytest.raises(RateLimitedError):
        await token.grant(client, FORM, await token.read_early(FORM, "portal", key))


async def test_an_early_read_for_another_claimed_client_is_not_used() -> None:
    token, throttle, redeem = endpoint()
    redeem.fails = True
    for _ in range(2):
        with pytest.raises(InvalidGrantError):
            await token.grant(make_client("portal"), FORM)
    redeem.fails = False
    other = await token.read_early(FORM, "other", throttle.blocked_key(CLIENT_AUTH, "other"))
    with pytest.raises(RateLimitedError):  # read for "other": portal's own is read again
        await token.grant(make_client("portal"), FORM, other)
