"""The back-channel OAuth services, built once by `create_app` (the composition root):
client authentication, the token endpoint with its grants (authorization_code,
refresh_token, token exchange), and what introspection and revocation need.

Kept apart from `app.py` so the composition of the token side reads in one place.
Signing keys are always reached through `keys()`, never kept: they rotate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import httpx

from bridge.audit.trail import AuditTrail
from bridge.clock import Clock
from bridge.configuration import Configuration
from bridge.provider.client_auth import CLIENT_ASSERTION_ALGORITHMS, ClientAuthenticator
from bridge.provider.clients import ClientRegistry
from bridge.provider.device import DeviceAuthorizations, DevicePolicy
from bridge.provider.grants.authorization_code import AuthorizationCodeGrant
from bridge.provider.grants.common import TokenLifetimes, TokenMinter
from bridge.provider.grants.device_code import DeviceCodeGrant
from bridge.provider.grants.refresh_token import RefreshTokenGrant
from bridge.provider.grants.token_exchange import ExchangeContext, TokenExchangeGrant
from bridge.provider.presented_tokens import PresentedTokenVerifier
from bridge.provider.revocation import GrantRevoked, Revocation
from bridge.provider.token import TokenEndpoint
from bridge.provider.token_lookup import TokenLookup
from bridge.settings import Settings
from bridge.signing.keyset import KeySet
from bridge.store.devices import DeviceStore
from bridge.store.records import AccessTokenStatus, Stores
from bridge.throttle import Throttle
from bridge.tokens.issuer import TokenIssuer
from bridge.tokens.verifier import AccessTokenVerifier
from bridge.upstream.guangdong.platform_tokens import PlatformTokens


@dataclass(frozen=True)
class OAuthServices:
    """What the back-channel endpoints (token, introspection, revocation, UserInfo) use."""

    issuer: str
    token_endpoint: TokenEndpoint
    client_auth: ClientAuthenticator
    verifier: AccessTokenVerifier
    lookup: TokenLookup
    revocation: Revocation
    access_tokens: AccessTokenStatus
    audit: AuditTrail
    clients: ClientRegistry
    tokens: TokenIssuer
    device: DeviceAuthorizations
    """RFC 8628 §3.1, for kiosks."""

    def endpoint_url(self, path: str) -> str:
        return f"{self.issuer}{path}"

    @property
    def client_assertion_algorithms(self) -> tuple[str, ...]:
        return CLIENT_ASSERTION_ALGORITHMS


def lifetimes_of(settings: Settings) -> TokenLifetimes:
    return TokenLifetimes(
        access_token=settings.access_token_ttl,
        id_token=settings.id_token_ttl,
        code=settings.code_ttl,
        refresh_token=settings.refresh_token_ttl,
        refresh_family=settings.refresh_token_absolute_ttl,
        exchanged_token=settings.exchanged_token_ttl,
        outbound_assertion=settings.outbound_assertion_ttl,
    )


def build_oauth(
    settings: Settings,
    config: Configuration,
    *,
    stores: Stores,
    keys: Callable[[], KeySet],
    http: httpx.AsyncClient,
    clock: Clock,
    audit: AuditTrail,
    devices: DeviceStore,
    on_grant_revoked: GrantRevoked | None = None,
    throttle: Throttle,
) -> OAuthServices:
    lifetimes = lifetimes_of(settings)
    issuer = TokenIssuer(settings.issuer, keys, clock)
    verifier = AccessTokenVerifier(settings.issuer, keys, clock)
    minter = TokenMinter(issuer=issuer, refresh_tokens=stores.refresh_tokens, lifetimes=lifetimes)
    kiosk = settings.kiosk_token_ttl  # a kiosk is shared: short tokens only
    kiosk_minter = TokenMinter(
        issuer=issuer,
        refresh_tokens=stores.refresh_tokens,
        lifetimes=replace(lifetimes, access_token=kiosk, id_token=kiosk),
    )
    presented = PresentedTokenVerifier(
        issuer=settings.issuer,
        verifier=verifier,
        access_tokens=stores.access_tokens,
        grants=stores.grants,
        replay=stores.replay,
        trusted=config.exchange.issuers,
        http=http,
        clock=clock,
        jwks_ttl=settings.remote_jwks_ttl,
        leeway=settings.jwt_clock_skew,
    )
    exchange = TokenExchangeGrant(
        context=ExchangeContext(
            config=config.exchange,
            pairwise_salt=settings.pairwise_salt.get_secret_value(),
            lifetimes=lifetimes,
        ),
        presented=presented,
        issuer=issuer,
        grants=stores.grants,
        outbound=PlatformTokens(http),
        audit=audit,
        clock=clock,
    )
    endpoint = TokenEndpoint(
        [
            AuthorizationCodeGrant(
                codes=stores.codes, grants=stores.grants, minter=minter, clock=clock
            ),
            RefreshTokenGrant(
                refresh_tokens=stores.refresh_tokens, grants=stores.grants, minter=minter
            ),
            exchange,
            DeviceCodeGrant(
                devices=devices, grants=stores.grants, minter=kiosk_minter, clock=clock
            ),
        ],
        throttle=throttle,
    )
    client_auth = ClientAuthenticator(
        config.clients,
        issuer=settings.issuer,
        replay=stores.replay,
        http=http,
        clock=clock,
        jwks_ttl=settings.remote_jwks_ttl,
        max_lifetime=settings.client_assertion_max_lifetime,
        leeway=settings.jwt_clock_skew,
        throttle=throttle,
    )
    lookup = TokenLookup(
        verifier=verifier,
        access_tokens=stores.access_tokens,
        refresh_tokens=stores.refresh_tokens,
        grants=stores.grants,
    )
    return OAuthServices(
        issuer=settings.issuer,
        token_endpoint=endpoint,
        client_auth=client_auth,
        verifier=verifier,
        lookup=lookup,
        revocation=Revocation(
            lookup=lookup,
            revoked=stores.revoked,
            grants=stores.grants,
            refresh_tokens=stores.refresh_tokens,
            on_grant_revoked=on_grant_revoked,
        ),
        access_tokens=stores.access_tokens,
        audit=audit,
        clients=config.clients,
        tokens=issuer,
        device=DeviceAuthorizations(
            store=devices,
            policy=DevicePolicy(
                settings.issuer, settings.device_code_ttl, settings.device_poll_interval
            ),
            clock=clock,
        ),
    )
