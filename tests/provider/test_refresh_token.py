"""The refresh_token grant (RFC 6749 §6) with rotation and reuse detection (RFC 9700
§4.14.2) and an absolute family lifetime, in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bridge.errors import InvalidGrantError, InvalidScopeError, UnauthorizedClientError
from bridge.provider.introspection import introspect
from tests.provider.kit import ISSUER, Provider, build_provider, make_client, offline_client

IDLE = 3600
ABSOLUTE = 4 * 3600
SCOPES = ("openid", "profile", "offline_access")


@pytest.fixture
async def op() -> AsyncIterator[Provider]:
    provider = build_provider(
        offline_client("offline-portal"),
        offline_client("offline-other"),
        make_client("online-portal"),
        refresh_token_ttl=IDLE,
        refresh_token_absolute_ttl=ABSOLUTE,
    )
    yield provider
    await provider.aclose()


async def signed_in(op: Provider, client_id: str = "offline-portal") -> dict[str, str]:
    return await op.redeem(await op.code_for(client_id, SCOPES))


async def active(op: Provider, token: str, client_id: str = "offline-portal") -> bool:
    answer = await introspect(
        op.client(client_id), {"token": token}, issuer=ISSUER, lookup=op.oauth.lookup
    )
    return bool(answer["active"])


async def test_each_use_rotates_the_refresh_token(op: Provider) -> None:
    first = await signed_in(op)
    second = await op.refresh("offline-portal", first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] and second["scope"] == " ".join(SCOPES)
    third = await op.refresh("offline-portal", second["refresh_token"])
    assert third["refresh_token"] not in (first["refresh_token"], second["refresh_token"])


async def test_a_rotated_refresh_token_cannot_be_used_again(op: Provider) -> None:
    first = await signed_in(op)
    await op.refresh("offline-portal", first["refresh_token"])
    with pytest.raises(InvalidGrantError) as refused:
        await op.refresh("offline-portal", first["refresh_token"])
    assert "already used" in refused.value.description


async def test_reuse_of_a_rotated_refresh_token_revokes_the_whole_family(op: Provider) -> None:
    first = await signed_in(op)
    second = await op.refresh("offline-portal", first["refresh_token"])
    assert await active(op, second["access_token"])
    with pytest.raises(InvalidGrantError):
        await op.refresh("offline-portal", first["refresh_token"])
    assert not await active(op, second["access_token"]), "access tokens of the family"
    assert not await active(op, first["access_token"])
    with pytest.raises(InvalidGrantError):
        await op.refresh("offline-portal", second["refresh_token"])


async def test_a_refresh_may_narrow_the_scope(op: Provider) -> None:
    first = await signed_in(op)
    narrowed = await op.refresh("offline-portal", first["refresh_token"], scope="openid")
    assert narrowed["scope"] == "openid"
    access = op.oauth.verifier.verify(narrowed["access_token"], any_audience=True)
    assert access.scopes == ("openid",)


async def test_a_narrowed_refresh_keeps_the_families_scope_for_the_next(op: Provider) -> None:
    """RFC 6749 §6: the new refresh token has the scope the resident granted."""
    first = await signed_in(op)
    narrowed = await op.refresh("offline-portal", first["refresh_token"], scope="openid")
    later = await op.refresh("offline-portal", narrowed["refresh_token"])
    assert later["scope"] == " ".join(SCOPES)


async def test_a_refresh_may_not_widen_the_scope(op: Provider) -> None:
    issued = await op.code_for("offline-portal", ("openid", "offline_access"))
    first = await op.redeem(issued)
    with pytest.raises(InvalidScopeError):
        await op.refresh("offline-portal", first["refresh_token"], scope="openid profile")


async def test_an_empty_scope_is_refused_not_taken_as_everything(op: Provider) -> None:
    first = await signed_in(op)
    with pytest.raises(InvalidScopeError):
        await op.refresh("offline-portal", first["refresh_token"], scope=" ")


async def test_an_idle_refresh_token_expires(op: Provider) -> None:
    first = await signed_in(op)
    op.clock.advance(IDLE + 1)
    with pytest.raises(InvalidGrantError):
        await op.refresh("offline-portal", first["refresh_token"])


async def test_rotation_never_extends_the_familys_absolute_lifetime(op: Provider) -> None:
    token = (await signed_in(op))["refresh_token"]
    for _ in range(ABSOLUTE // (IDLE - 60)):
        op.clock.advance(IDLE - 60)  # always within the idle lifetime
        token = (await op.refresh("offline-portal", token))["refresh_token"]
    op.clock.advance(IDLE - 60)  # now past the absolute end of the family
    with pytest.raises(InvalidGrantError):
        await op.refresh("offline-portal", token)


async def test_another_client_cannot_spend_a_refresh_token(op: Provider) -> None:
    first = await signed_in(op)
    with pytest.raises(InvalidGrantError) as refused:
        await op.refresh("offline-other", first["refresh_token"])
    assert "another client" in refused.value.description
    still = await op.refresh("offline-portal", first["refresh_token"])
    assert still["refresh_token"], "the holder's token was not consumed by the attempt"


async def test_a_client_without_offline_access_may_not_refresh(op: Provider) -> None:
    first = await signed_in(op)
    with pytest.raises(UnauthorizedClientError) as refused:
        await op.refresh("online-portal", first["refresh_token"])
    assert "offline access" in refused.value.description


async def test_an_unknown_refresh_token_is_invalid_grant(op: Provider) -> None:
    with pytest.raises(InvalidGrantError) as refused:
        await op.refresh("offline-portal", "not-a-refresh-token")
    assert "invalid or has expired" in refused.value.description


async def test_a_refresh_token_dies_with_its_grant(op: Provider) -> None:
    issued = await op.code_for("offline-portal", SCOPES)
    first = await op.redeem(issued)
    await op.stores.grants.revoke(issued.grant_id)
    with pytest.raises(InvalidGrantError) as refused:
        await op.refresh("offline-portal", first["refresh_token"])
    assert "revoked" in refused.value.description


async def test_a_rotated_refresh_token_never_outlives_the_family(op: Provider) -> None:
    """Near the family's end a new refresh token expires with the family, not a full
    idle lifetime later (what introspection tells the client, RFC 7662 `exp`)."""
    token = (await signed_in(op))["refresh_token"]
    family_end = op.clock.now() + ABSOLUTE
    for _ in range(ABSOLUTE // (IDLE - 60)):
        op.clock.advance(IDLE - 60)
        token = (await op.refresh("offline-portal", token))["refresh_token"]
    assert family_end - op.clock.now() < IDLE, "the last rotation was near the end"
    assert (await inspect_refresh(op, token))["exp"] <= family_end


async def inspect_refresh(op: Provider, token: str) -> dict[str, object]:
    return await introspect(
        op.client("offline-portal"),
        {"token": token, "token_type_hint": "refresh_token"},
        issuer=ISSUER,
        lookup=op.oauth.lookup,
    )
