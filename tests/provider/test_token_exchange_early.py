"""A token exchange's subject-token reads made before client authentication, in one
round trip with the client's throttle marker (`TokenEndpoint.read_early`): the answer
and every refusal are the same as without them. In-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bridge.errors import InvalidRequestError
from bridge.provider.early_reads import EarlyReads
from bridge.provider.revocation import revoke
from bridge.provider.token_exchange_config import ExchangeConfig, Target
from tests.provider.kit import Provider, build_provider, make_client

ACCESS = "urn:ietf:params:oauth:token-type:access_token"
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
SCOPES = ("openid", "profile")
TARGETS = {"records-api": Target(name="records-api", kind="bridge", display_name="Records")}


@pytest.fixture
async def op() -> AsyncIterator[Provider]:
    policy = {"targets": ["records-api"]}
    provider = build_provider(
        make_client("exchanger", token_exchange=policy),
        make_client("other", token_exchange=policy),
        exchange=ExchangeConfig(targets=TARGETS),
    )
    yield provider
    await provider.aclose()


async def access_token_of(op: Provider, client_id: str) -> str:
    return str((await op.redeem(await op.code_for(client_id, SCOPES)))["access_token"])


def form_for(token: str) -> dict[str, str]:
    return {
        "grant_type": EXCHANGE,
        "subject_token": token,
        "subject_token_type": ACCESS,
        "audience": "records-api",
    }


async def read(op: Provider, form: dict[str, str], other: str = "t:marker") -> EarlyReads | None:
    return await op.oauth.token_endpoint.read_early(form, "exchanger", other)


async def exchanged(op: Provider, client_id: str, token: str, early_of: str) -> dict[str, Any]:
    early = await read(op, form_for(early_of))
    assert early is not None and early.access_token is not None
    return await op.oauth.token_endpoint.grant(op.client(client_id), form_for(token), early)


def claims_of(op: Provider, token: str) -> dict[str, Any]:
    return dict(op.oauth.verifier.verify(token, any_audience=True).claims)


async def test_the_answer_is_the_one_without_the_early_read(op: Provider) -> None:
    token = await access_token_of(op, "exchanger")
    with_early = await exchanged(op, "exchanger", token, early_of=token)
    without = await op.oauth.token_endpoint.grant(op.client("exchanger"), form_for(token))
    ignored = {"jti", "iat", "nbf", "exp"}
    first, second = (
        claims_of(op, with_early["access_token"]),
        claims_of(op, without["access_token"]),
    )
    assert {k: v for k, v in first.items() if k not in ignored} == {
        k: v for k, v in second.items() if k not in ignored
    }


async def test_the_early_read_carries_the_callers_key(op: Provider) -> None:
    token = await access_token_of(op, "exchanger")
    await op.stores.backend.put("t:marker", b"1", 60)
    early = await read(op, form_for(token))
    assert early is not None and early.client_auth.value == b"1"
    nothing = await read(op, form_for(token), "t:absent")
    assert nothing is not None and nothing.client_auth.value is None


async def test_a_revoked_subject_token_is_refused(op: Provider) -> None:
    token = await access_token_of(op, "exchanger")
    await revoke(op.client("exchanger"), {"token": token}, op.oauth.revocation)
    early = await read(op, form_for(token))
    found = None if early is None else early.found_for(token)
    assert found is not None and found.revoked
    with pytest.raises(InvalidRequestError, match="invalid, expired or revoked"):
        await op.oauth.token_endpoint.grant(op.client("exchanger"), form_for(token), early)


async def test_another_clients_token_is_still_refused(op: Provider) -> None:
    token = await access_token_of(op, "other")
    with pytest.raises(InvalidRequestError, match="another client"):
        await exchanged(op, "exchanger", token, early_of=token)


async def test_an_early_read_of_another_token_is_not_used(op: Provider) -> None:
    mine, theirs = await access_token_of(op, "exchanger"), await access_token_of(op, "other")
    with pytest.raises(InvalidRequestError, match="another client"):
        await exchanged(op, "exchanger", theirs, early_of=mine)


async def test_nothing_is_read_early_for_other_requests(op: Provider) -> None:
    # the memory of build_provider has its rate limits off: no keys to read for a code
    assert await read(op, {"grant_type": "authorization_code"}) is None
    assert await read(op, form_for("not-a-jwt")) is None
