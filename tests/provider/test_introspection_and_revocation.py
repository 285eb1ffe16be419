"""Introspection (RFC 7662) and revocation (RFC 7009): a client learns about and revokes
only tokens issued to it; revoking a refresh token revokes its family. In-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bridge.errors import InvalidGrantError, InvalidRequestError
from bridge.provider.introspection import introspect
from bridge.provider.revocation import revoke
from tests.provider.kit import ISSUER, Provider, build_provider, kiosk_client, offline_client

SCOPES = ("openid", "profile", "offline_access")


@pytest.fixture
async def op() -> AsyncIterator[Provider]:
    provider = build_provider(
        offline_client("holder"), offline_client("stranger"), kiosk_client("kiosk")
    )
    yield provider
    await provider.aclose()


async def signed_in(op: Provider, client_id: str = "holder") -> dict[str, Any]:
    return await op.redeem(await op.code_for(client_id, SCOPES, subject=f"sub-of-{client_id}"))


async def inspect(op: Provider, client_id: str, token: str, **form: str) -> dict[str, Any]:
    return await introspect(
        op.client(client_id), {"token": token, **form}, issuer=ISSUER, lookup=op.oauth.lookup
    )


async def revoke_as(op: Provider, client_id: str, token: str, **form: str) -> None:
    await revoke(op.client(client_id), {"token": token, **form}, op.oauth.revocation)


async def test_an_active_access_token_is_described_to_its_client(op: Provider) -> None:
    tokens = await signed_in(op)
    answer = await inspect(op, "holder", tokens["access_token"])
    assert answer["active"] is True and answer["token_type"] == "Bearer"
    assert (answer["client_id"], answer["sub"], answer["iss"]) == (
        "holder",
        "sub-of-holder",
        ISSUER,
    )
    assert answer["scope"] == " ".join(SCOPES)
    assert answer["exp"] == int(op.clock.now()) + op.settings.access_token_ttl


async def test_an_active_refresh_token_is_described_to_its_client(op: Provider) -> None:
    tokens = await signed_in(op)
    answer = await inspect(op, "holder", tokens["refresh_token"])
    assert answer["active"] is True
    assert (answer["client_id"], answer["sub"]) == ("holder", "sub-of-holder")
    assert "token_type" not in answer, "a refresh token is no Bearer token"


@pytest.mark.parametrize("kind", ["access_token", "refresh_token"])
async def test_another_clients_token_is_just_inactive(op: Provider, kind: str) -> None:
    tokens = await signed_in(op)
    assert await inspect(op, "stranger", tokens[kind]) == {"active": False}


@pytest.mark.parametrize("kind", ["access_token", "refresh_token"])
async def test_a_wrong_token_type_hint_still_finds_the_token(op: Provider, kind: str) -> None:
    tokens = await signed_in(op)
    wrong = "refresh_token" if kind == "access_token" else "access_token"
    assert (await inspect(op, "holder", tokens[kind], token_type_hint=wrong))["active"]


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "x" * 9000])
async def test_an_unknown_token_is_inactive(op: Provider, token: str) -> None:
    assert await inspect(op, "holder", token) == {"active": False}


async def test_an_expired_access_token_is_inactive(op: Provider) -> None:
    tokens = await signed_in(op)
    op.clock.advance(op.settings.access_token_ttl + 1)
    assert await inspect(op, "holder", tokens["access_token"]) == {"active": False}


async def test_a_rotated_refresh_token_is_inactive(op: Provider) -> None:
    tokens = await signed_in(op)
    await op.refresh("holder", tokens["refresh_token"])
    assert await inspect(op, "holder", tokens["refresh_token"]) == {"active": False}


async def test_the_token_parameter_is_required(op: Provider) -> None:
    with pytest.raises(InvalidRequestError):
        await inspect(op, "holder", "")
    with pytest.raises(InvalidRequestError):
        await revoke_as(op, "holder", "")


async def test_revoking_an_access_token_deactivates_it(op: Provider) -> None:
    tokens = await signed_in(op)
    await revoke_as(op, "holder", tokens["access_token"])
    assert await inspect(op, "holder", tokens["access_token"]) == {"active": False}


async def test_revoking_an_access_token_leaves_the_rest_of_its_grant(op: Provider) -> None:
    tokens = await signed_in(op)
    refreshed = await op.refresh("holder", tokens["refresh_token"])
    await revoke_as(op, "holder", tokens["access_token"])
    assert (await inspect(op, "holder", refreshed["access_token"]))["active"]
    assert (await inspect(op, "holder", refreshed["refresh_token"]))["active"]


async def test_revoking_a_refresh_token_revokes_its_family(op: Provider) -> None:
    tokens = await signed_in(op)
    refreshed = await op.refresh("holder", tokens["refresh_token"])
    await revoke_as(op, "holder", refreshed["refresh_token"])
    for token in (tokens["access_token"], refreshed["access_token"], refreshed["refresh_token"]):
        assert await inspect(op, "holder", token) == {"active": False}
    with pytest.raises(InvalidGrantError):
        await op.refresh("holder", refreshed["refresh_token"])


async def test_revoking_one_family_leaves_the_clients_other_grants(op: Provider) -> None:
    first, second = await signed_in(op), await signed_in(op)
    await revoke_as(op, "holder", first["refresh_token"])
    assert (await inspect(op, "holder", second["access_token"]))["active"]


@pytest.mark.parametrize("kind", ["access_token", "refresh_token"])
async def test_a_client_cannot_revoke_another_clients_token(op: Provider, kind: str) -> None:
    tokens = await signed_in(op)
    with pytest.raises(InvalidGrantError):
        await revoke_as(op, "stranger", tokens[kind])
    assert (await inspect(op, "holder", tokens[kind]))["active"], "left untouched"


async def test_revoking_an_unknown_or_revoked_token_is_no_error(op: Provider) -> None:
    tokens = await signed_in(op)
    await revoke_as(op, "holder", "never-issued")
    await revoke_as(op, "holder", tokens["refresh_token"])
    await revoke_as(op, "holder", tokens["refresh_token"])


async def test_a_kiosk_revoking_its_access_token_revokes_the_whole_sign_in(op: Provider) -> None:
    """A kiosk is a shared screen: its "Finish" (revoking the access token) must leave no
    grant behind for its ID token or the bridge session to hang on to."""
    tokens, grant_id = await op.kiosk_tokens("kiosk")
    assert await op.stores.grants.get(grant_id) is not None
    await revoke_as(op, "kiosk", tokens["access_token"])
    assert await op.stores.grants.get(grant_id) is None
    assert (await inspect(op, "kiosk", tokens["access_token"]))["active"] is False
