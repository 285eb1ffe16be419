"""The authorization_code grant (RFC 6749 §4.1.3, §10.5; RFC 7636 §4.6), in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from joserfc.jws import extract_compact

from bridge.errors import InvalidGrantError, InvalidRequestError, OAuthError
from bridge.provider.introspection import introspect
from tests.provider.kit import (
    ISSUER,
    Provider,
    build_provider,
    make_client,
    offline_client,
    verifier_and_challenge,
)


@pytest.fixture
async def op() -> AsyncIterator[Provider]:
    provider = build_provider(
        make_client("portal"),
        make_client("other"),
        offline_client(),
        offline_client("ed25519-portal", id_token_signed_response_alg="Ed25519"),
    )
    yield provider
    await provider.aclose()


async def active(op: Provider, client_id: str, token: str) -> bool:
    answer = await introspect(
        op.client(client_id), {"token": token}, issuer=ISSUER, lookup=op.oauth.lookup
    )
    return bool(answer["active"])


async def test_a_code_is_redeemed_for_tokens_bound_to_its_grant(op: Provider) -> None:
    issued = await op.code_for("portal")
    body = await op.redeem(issued)
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "openid profile"
    assert "id_token" in body and "refresh_token" not in body
    access = op.oauth.verifier.verify(body["access_token"], any_audience=True)
    assert (access.client_id, access.grant_id) == ("portal", issued.grant_id)
    assert op.oauth.verifier.verify_id_token(body["id_token"])["nonce"] == "n-1"


async def test_a_code_is_single_use(op: Provider) -> None:
    issued = await op.code_for("portal")
    await op.redeem(issued)
    with pytest.raises(InvalidGrantError):
        await op.redeem(issued)


async def test_a_replayed_code_revokes_the_tokens_of_its_grant(op: Provider) -> None:
    issued = await op.code_for("portal")
    first = await op.redeem(issued)
    assert await active(op, "portal", first["access_token"])
    with pytest.raises(InvalidGrantError) as refused:
        await op.redeem(issued)
    assert "already been used" in refused.value.description
    assert not await active(op, "portal", first["access_token"])
    assert await op.stores.grants.get(issued.grant_id) is None


async def test_a_replayed_code_revokes_the_refresh_token_too(op: Provider) -> None:
    issued = await op.code_for("offline-portal", ("openid", "offline_access"))
    first = await op.redeem(issued)
    with pytest.raises(InvalidGrantError):
        await op.redeem(issued)
    with pytest.raises(InvalidGrantError):
        await op.refresh("offline-portal", first["refresh_token"])


async def test_a_pkce_verifier_that_does_not_match_the_s256_challenge_is_refused(
    op: Provider,
) -> None:
    issued = await op.code_for("portal")
    other_verifier, _ = verifier_and_challenge()
    with pytest.raises(InvalidGrantError) as refused:
        await op.redeem(issued, code_verifier=other_verifier)
    assert "PKCE" in refused.value.description


async def test_the_plain_method_is_no_answer_to_an_s256_challenge(op: Provider) -> None:
    """RFC 7636 §4.6: presenting the challenge itself as the verifier proves nothing."""
    issued = await op.code_for("portal")
    with pytest.raises(InvalidGrantError):
        await op.redeem(issued, code_verifier=issued.challenge)


async def test_a_refused_verifier_spends_the_code(op: Provider) -> None:
    """Consumed before it is checked: an attacker gets one guess, not many."""
    issued = await op.code_for("portal")
    with pytest.raises(InvalidGrantError):
        await op.redeem(issued, code_verifier=verifier_and_challenge()[0])
    with pytest.raises(InvalidGrantError):
        await op.redeem(issued)


async def test_a_redirect_uri_other_than_the_requests_is_refused(op: Provider) -> None:
    issued = await op.code_for("portal")
    with pytest.raises(InvalidGrantError) as refused:
        await op.redeem(issued, redirect_uri="https://portal.test/other")
    assert "redirect_uri" in refused.value.description


async def test_a_code_presented_by_another_client_is_refused(op: Provider) -> None:
    issued = await op.code_for("portal")
    with pytest.raises(InvalidGrantError) as refused:
        await op.redeem(issued, as_client="other")
    assert "another client" in refused.value.description


async def test_an_expired_code_is_refused(op: Provider) -> None:
    issued = await op.code_for("portal")
    op.clock.advance(op.settings.code_ttl + 1)
    with pytest.raises(InvalidGrantError) as refused:
        await op.redeem(issued)
    assert "expired" in refused.value.description


async def test_a_code_is_good_until_its_lifetime_ends(op: Provider) -> None:
    issued = await op.code_for("portal")
    op.clock.advance(op.settings.code_ttl - 1)
    assert "access_token" in await op.redeem(issued)


@pytest.mark.parametrize("missing", ["code", "redirect_uri", "code_verifier"])
async def test_code_redirect_uri_and_verifier_are_required(op: Provider, missing: str) -> None:
    issued = await op.code_for("portal")
    with pytest.raises(InvalidRequestError) as refused:
        await op.redeem(issued, **{missing: ""})
    assert missing in refused.value.description


async def test_an_unknown_grant_type_is_unsupported(op: Provider) -> None:
    with pytest.raises(OAuthError) as refused:
        await op.token("portal", grant_type="password")
    assert refused.value.error == "unsupported_grant_type"


async def test_only_an_offline_client_that_asked_gets_a_refresh_token(op: Provider) -> None:
    asked = await op.redeem(await op.code_for("offline-portal", ("openid", "offline_access")))
    assert "refresh_token" in asked
    not_asked = await op.redeem(await op.code_for("offline-portal", ("openid",)))
    assert "refresh_token" not in not_asked


async def test_no_id_token_without_the_openid_scope(op: Provider) -> None:
    body = await op.redeem(await op.code_for("portal", ("profile",)))
    assert "id_token" not in body


async def test_id_tokens_are_signed_with_the_clients_registered_algorithm(op: Provider) -> None:
    body = await op.redeem(await op.code_for("ed25519-portal", ("openid", "offline_access")))
    assert jws_alg(body["id_token"]) == "Ed25519"
    refreshed = await op.refresh("ed25519-portal", body["refresh_token"])
    assert jws_alg(refreshed["id_token"]) == "Ed25519"
    assert jws_alg((await op.redeem(await op.code_for("portal")))["id_token"]) == "ES256"


def jws_alg(token: str) -> str:
    return str(extract_compact(token.encode()).protected["alg"])


async def test_a_code_whose_grant_was_revoked_yields_no_tokens(op: Provider) -> None:
    """Consent withdrawn between the redirect and the token request."""
    issued = await op.code_for("portal")
    await op.stores.grants.revoke(issued.grant_id)
    with pytest.raises(InvalidGrantError) as refused:
        await op.redeem(issued)
    assert "revoked" in refused.value.description
