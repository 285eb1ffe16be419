"""Introspection reads its client's throttle marker in the round trip that reads an
access token's grant and revocation marker (bridge/provider/introspection.py): the
limit still holds first, and a wrong secret is still counted. In-process."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import pytest

from bridge.errors import InvalidClientError, InvalidRequestError
from bridge.provider.client_auth import ClientAuthenticator
from bridge.provider.introspection import authenticated_introspection
from bridge.throttle import CLIENT_AUTH, Limit, RateLimitedError, Throttle
from tests.provider.kit import ISSUER, RATE_LIMITS_OFF, Provider, build_provider, offline_client

SCOPES = ("openid", "profile", "offline_access")


@pytest.fixture
async def op() -> AsyncIterator[Provider]:
    provider = build_provider(offline_client("holder"), offline_client("stranger"))
    yield provider
    await provider.aclose()


def limited_auth(op: Provider) -> ClientAuthenticator:
    limits = {**RATE_LIMITS_OFF, CLIENT_AUTH: Limit(2, 300)}
    return ClientAuthenticator(
        op.clients,
        issuer=ISSUER,
        replay=op.stores.replay,
        http=op.http,
        clock=op.clock,
        jwks_ttl=300,
        max_lifetime=300,
        leeway=0,
        throttle=Throttle(op.stores.backend, limits),
    )


async def ask(op: Provider, auth: ClientAuthenticator, secret: str, **form: str) -> object:
    basic = "Basic " + base64.b64encode(f"holder:{secret}".encode()).decode()
    return await authenticated_introspection(
        basic,
        form,
        client_auth=auth,
        endpoint=f"{ISSUER}/introspect",
        issuer=ISSUER,
        lookup=op.oauth.lookup,
    )


async def test_the_limit_holds_before_an_access_token_is_described(op: Provider) -> None:
    tokens = await op.redeem(await op.code_for("holder", SCOPES, subject="sub"))
    auth = limited_auth(op)
    answer = await ask(op, auth, "holder-secret", token=tokens["access_token"])
    assert isinstance(answer, dict) and answer["active"] is True
    for _ in range(2):  # counted on the access-token path as on every other
        with pytest.raises(InvalidClientError):
            await ask(op, auth, "wrong", token=tokens["access_token"])
    for token in (tokens["access_token"], tokens["refresh_token"], "unknown"):
        with pytest.raises(RateLimitedError):  # even the right secret is not checked
            await ask(op, auth, "holder-secret", token=token)


async def test_the_client_is_authenticated_before_a_missing_token_is_refused(
    op: Provider,
) -> None:
    auth = limited_auth(op)
    with pytest.raises(InvalidClientError):
        await ask(op, auth, "wrong")
    with pytest.raises(InvalidRequestError):
        await ask(op, auth, "holder-secret")
