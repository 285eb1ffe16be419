"""Token exchange (RFC 8693 §2, RFC 8707): the client's policy decides the audiences,
the subject token's grant and scope bound what comes out, and delegation is named in
`act` only where the subject's `may_act` allows it. In-process, bridge-minted targets."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from bridge.errors import (
    InvalidRequestError,
    InvalidScopeError,
    InvalidTargetError,
    UnauthorizedClientError,
)
from bridge.provider.token_exchange_config import ExchangeConfig, Target, TrustedIssuer
from tests.provider.kit import ISSUER, NOW, Provider, build_provider, make_client

ACCESS = "urn:ietf:params:oauth:token-type:access_token"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
EXTERNAL = "https://idp.test"
EXTERNAL_KEY = ECKey.generate_key("P-256", parameters={"kid": "idp-1"}, private=True)

TARGETS = {
    "records-api": Target(
        name="records-api",
        resource="https://records.test/api",
        kind="bridge",
        display_name="Records API",
        scopes=("profile", "records"),
    ),
    "payments-api": Target(name="payments-api", kind="bridge", display_name="Payments API"),
    "forbidden-api": Target(name="forbidden-api", kind="bridge", display_name="Forbidden API"),
}


def policy(**values: Any) -> dict[str, Any]:
    return {"targets": ["records-api", "payments-api"], **values}


@pytest.fixture
async def op() -> AsyncIterator[Provider]:
    scopes = ["openid", "profile", "records", "offline_access"]
    clients = [
        make_client("exchanger", allowed_scopes=scopes, token_exchange=policy()),
        make_client(
            "delegate",
            token_exchange=policy(allow_delegation=True, subject_issuers=["bridge", EXTERNAL]),
        ),
        make_client(
            "gateway", token_exchange=policy(subject_clients=["exchanger"], default_target=None)
        ),
        make_client("defaulting", token_exchange=policy(default_target="payments-api")),
        make_client("plain", allowed_scopes=scopes),
    ]
    trusted = TrustedIssuer(issuer=EXTERNAL, jwks={"keys": [EXTERNAL_KEY.as_dict(private=False)]})
    exchange = ExchangeConfig(issuers={EXTERNAL: trusted}, targets=TARGETS)
    provider = build_provider(*clients, exchange=exchange)
    yield provider
    await provider.aclose()


async def access_token_of(
    op: Provider, client_id: str, scopes: tuple[str, ...] = ("openid", "profile", "records")
) -> str:
    return (await op.redeem(await op.code_for(client_id, scopes)))["access_token"]


async def exchange(op: Provider, client_id: str, subject_token: str, **form: str) -> dict[str, Any]:
    values = {"subject_token": subject_token, "subject_token_type": ACCESS, **form}
    return await op.token(client_id, grant_type=EXCHANGE, **values)


def claims_of(op: Provider, token: str) -> dict[str, Any]:
    return dict(op.oauth.verifier.verify(token, any_audience=True).claims)


def external_token(**claims: Any) -> str:
    now = int(NOW)
    values = {
        "iss": EXTERNAL,
        "sub": "ext-user-1",
        "aud": ISSUER,
        "iat": now,
        "exp": now + 300,
        "jti": secrets.token_urlsafe(8),
        **claims,
    }
    return jwt.encode({"alg": "ES256", "kid": "idp-1"}, values, EXTERNAL_KEY)


async def test_a_client_without_an_exchange_policy_is_unauthorized(op: Provider) -> None:
    token = await access_token_of(op, "plain")
    with pytest.raises(UnauthorizedClientError):
        await exchange(op, "plain", token, audience="records-api")


async def test_an_audience_outside_the_clients_policy_is_an_invalid_target(op: Provider) -> None:
    token = await access_token_of(op, "exchanger")
    for audience in ("forbidden-api", "nobody-knows-this"):
        with pytest.raises(InvalidTargetError):
            await exchange(op, "exchanger", token, audience=audience)


async def test_a_resource_names_its_target(op: Provider) -> None:
    token = await access_token_of(op, "exchanger")
    body = await exchange(op, "exchanger", token, resource="https://records.test/api")
    assert claims_of(op, body["access_token"])["aud"] == "records-api"
    assert body["issued_token_type"] == ACCESS


async def test_a_resource_that_is_not_an_absolute_uri_is_an_invalid_target(op: Provider) -> None:
    token = await access_token_of(op, "exchanger")
    with pytest.raises(InvalidTargetError):
        await exchange(op, "exchanger", token, resource="/records#top")


async def test_without_audience_or_resource_the_default_target_is_used(op: Provider) -> None:
    token = await access_token_of(op, "defaulting")
    body = await exchange(op, "defaulting", token)
    assert claims_of(op, body["access_token"])["aud"] == "payments-api"
    with pytest.raises(InvalidRequestError):
        await exchange(op, "exchanger", await access_token_of(op, "exchanger"))


async def test_the_scope_is_the_subject_tokens_within_the_targets(op: Provider) -> None:
    token = await access_token_of(op, "exchanger", ("openid", "profile", "records"))
    body = await exchange(op, "exchanger", token, audience="records-api")
    assert body["scope"] == "profile records", "never openid: an API token is no sign-in"


async def test_an_exchange_may_narrow_the_scope(op: Provider) -> None:
    token = await access_token_of(op, "exchanger")
    body = await exchange(op, "exchanger", token, audience="records-api", scope="records")
    assert claims_of(op, body["access_token"])["scope"] == "records"


async def test_an_exchange_may_not_widen_the_scope(op: Provider) -> None:
    token = await access_token_of(op, "exchanger", ("openid", "profile"))
    with pytest.raises(InvalidScopeError):
        await exchange(op, "exchanger", token, audience="records-api", scope="profile records")


async def test_an_exchange_never_grants_offline_access(op: Provider) -> None:
    token = await access_token_of(op, "exchanger", ("openid", "profile", "offline_access"))
    with pytest.raises(InvalidScopeError):
        await exchange(op, "exchanger", token, audience="payments-api", scope="offline_access")


async def test_another_clients_token_is_refused(op: Provider) -> None:
    token = await access_token_of(op, "plain")
    with pytest.raises(InvalidRequestError) as refused:
        await exchange(op, "exchanger", token, audience="records-api")
    assert "another client" in refused.value.description


async def test_a_client_named_in_subject_clients_may_be_exchanged(op: Provider) -> None:
    token = await access_token_of(op, "exchanger")
    body = await exchange(op, "gateway", token, audience="payments-api")
    assert claims_of(op, body["access_token"])["client_id"] == "gateway"


async def test_a_subject_token_of_a_revoked_grant_is_refused(op: Provider) -> None:
    issued = await op.code_for("exchanger", ("openid", "profile"))
    token = (await op.redeem(issued))["access_token"]
    await op.stores.grants.revoke(issued.grant_id)
    with pytest.raises(InvalidRequestError) as refused:
        await exchange(op, "exchanger", token, audience="records-api")
    assert "subject_token" in refused.value.description


async def test_an_exchanged_token_never_outlives_its_subject_token(op: Provider) -> None:
    token = await access_token_of(op, "exchanger")
    subject_exp = claims_of(op, token)["exp"]
    op.clock.advance(subject_exp - op.clock.now() - 20)
    body = await exchange(op, "exchanger", token, audience="records-api")
    assert body["expires_in"] <= 20
    assert claims_of(op, body["access_token"])["exp"] <= subject_exp


async def test_an_actor_token_needs_a_policy_that_allows_delegation(op: Provider) -> None:
    token = await access_token_of(op, "exchanger")
    actor = await access_token_of(op, "delegate")
    with pytest.raises(InvalidRequestError) as refused:
        await exchange(
            op,
            "exchanger",
            token,
            audience="records-api",
            actor_token=actor,
            actor_token_type=ACCESS,
        )
    assert "actor_token" in refused.value.description


async def test_a_delegated_token_names_the_actor_in_act(op: Provider) -> None:
    token = await access_token_of(op, "delegate")
    actor = external_token(sub="agent-7")
    body = await exchange(
        op,
        "delegate",
        token,
        audience="records-api",
        actor_token=actor,
        actor_token_type=ACCESS,
    )
    assert claims_of(op, body["access_token"])["act"] == {"sub": "agent-7", "iss": EXTERNAL}


async def test_an_actor_the_subjects_may_act_does_not_name_is_refused(op: Provider) -> None:
    subject = external_token(may_act={"sub": "agent-7", "iss": EXTERNAL})
    stranger = external_token(sub="agent-8")
    with pytest.raises(InvalidRequestError) as refused:
        await exchange(
            op,
            "delegate",
            subject,
            audience="payments-api",
            actor_token=stranger,
            actor_token_type=ACCESS,
        )
    assert "may_act" in refused.value.description


async def test_the_actor_the_subjects_may_act_names_is_accepted(op: Provider) -> None:
    subject = external_token(may_act={"sub": "agent-7", "iss": EXTERNAL})
    agent = external_token(sub="agent-7")
    body = await exchange(
        op,
        "delegate",
        subject,
        audience="payments-api",
        actor_token=agent,
        actor_token_type=ACCESS,
    )
    assert claims_of(op, body["access_token"])["act"]["sub"] == "agent-7"


async def test_an_earlier_actor_is_nested_inside_the_current_one(op: Provider) -> None:
    subject = external_token(act={"sub": "agent-1", "iss": EXTERNAL})
    body = await exchange(
        op,
        "delegate",
        subject,
        audience="payments-api",
        actor_token=external_token(sub="a2"),
        actor_token_type=ACCESS,
    )
    act = claims_of(op, body["access_token"])["act"]
    assert act == {"sub": "a2", "iss": EXTERNAL, "act": {"sub": "agent-1", "iss": EXTERNAL}}


async def test_an_external_subject_token_is_accepted_once(op: Provider) -> None:
    subject = external_token()
    await exchange(op, "delegate", subject, audience="payments-api")
    with pytest.raises(InvalidRequestError) as refused:
        await exchange(op, "delegate", subject, audience="payments-api")
    assert "already exchanged" in refused.value.description


async def test_an_issuer_outside_the_clients_policy_is_refused(op: Provider) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        await exchange(op, "exchanger", external_token(), audience="records-api")
    assert "issuer" in refused.value.description


async def test_every_exchange_is_audited(op: Provider) -> None:
    token = await access_token_of(op, "exchanger")
    await exchange(op, "exchanger", token, audience="records-api")
    records = await op.audit_log.read()
    assert [r for r in records if "token.exchanged" in r.body and "records-api" in r.body]
