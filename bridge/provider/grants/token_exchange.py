"""The token exchange grant (RFC 8693 §2): a client holding a token for a resident
obtains another token for another audience, on the resident's behalf (impersonation)
or, with an actor token, as a delegate (`act`, §4.1).

Order of checks: the client may exchange at all (its policy) → the request is well
formed → every audience and resource is a target its policy allows → the subject token
verifies, from an issuer its policy accepts, issued to itself (or to a client its policy
names) → the actor token verifies and the subject's `may_act` names it → scope only
narrows → the token is issued (by the bridge, or obtained from the target's own
authorization server with an RFC 7523 assertion). Every exchange is audited.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from bridge.audit.trail import AuditTrail
from bridge.clock import Clock
from bridge.errors import InvalidRequestError, UnauthorizedClientError
from bridge.model import Grant, ObtainedToken
from bridge.provider.clients import Client
from bridge.provider.early_reads import EarlyReads
from bridge.provider.grants.common import TokenLifetimes
from bridge.provider.presented_tokens import PresentedToken, PresentedTokenVerifier
from bridge.provider.subject import pairwise_subject
from bridge.provider.token_exchange import act_claim, choose_targets, parse_request, scope_for
from bridge.provider.token_exchange_config import ClientExchangePolicy, ExchangeConfig, Target
from bridge.store.records import Grants
from bridge.tokens.issuer import TokenIssuer
from bridge.wire import GRANT_TOKEN_EXCHANGE, TOKEN_TYPE_ACCESS_TOKEN, TOKEN_TYPE_BEARER

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ExchangeContext:
    config: ExchangeConfig
    pairwise_salt: str
    lifetimes: TokenLifetimes


class OutboundTokens(Protocol):
    """Obtains a token from another authorization server with a bridge-signed RFC 7523
    assertion (the Guangdong platform's client lives with its connector)."""

    async def obtain(
        self,
        *,
        token_endpoint: str,
        target: str,
        display_name: str,
        assertion: str,
        scopes: Sequence[str],
    ) -> ObtainedToken: ...


class TokenExchangeGrant:
    grant_type = GRANT_TOKEN_EXCHANGE

    def __init__(
        self,
        *,
        context: ExchangeContext,
        presented: PresentedTokenVerifier,
        issuer: TokenIssuer,
        grants: Grants,
        outbound: OutboundTokens,
        audit: AuditTrail,
        clock: Clock,
    ) -> None:
        self._context = context
        self._presented = presented
        self._issuer = issuer
        self._grants = grants
        self._outbound = outbound
        self._audit = audit
        self._clock = clock

    def _pairwise(self, sector: str, identity: tuple[str, str]) -> str:
        idp, subject = identity
        return pairwise_subject(
            self._context.pairwise_salt, sector=sector, idp=idp, upstream_subject=subject
        )

    async def read_early(
        self, form: Mapping[str, str], claimed: str | None, client_auth_key: str | None
    ) -> EarlyReads | None:
        """The subject token's reads, with the client's marker, before client
        authentication."""
        token, token_type = form.get("subject_token"), form.get("subject_token_type")
        if not token or not token_type:
            return None
        return await self._presented.read_early(token, token_type, claimed, client_auth_key)

    async def _verified_subject(
        self,
        client: Client,
        policy: ClientExchangePolicy,
        token: str,
        token_type: str,
        early: EarlyReads | None,
    ) -> PresentedToken:
        subject = await self._presented.verify(
            token, token_type, role="subject", issuers=policy.subject_issuers, early=early
        )
        issued_to = subject.client_id
        foreign = subject.from_bridge and issued_to != client.client_id
        if foreign and issued_to not in policy.subject_clients:
            # Keycloak #51000: an exchange must not turn another client's token into ours.
            raise InvalidRequestError(
                "The subject_token was issued to another client",
                detail=f"token of {issued_to} presented by {client.client_id}",
            )
        return subject

    async def __call__(
        self, client: Client, form: Mapping[str, str], early: EarlyReads | None = None
    ) -> dict[str, Any]:
        policy = client.token_exchange
        if policy is None:
            raise UnauthorizedClientError("This client may not use token exchange")
        request = parse_request(form)
        targets = choose_targets(request, policy, self._context.config)
        subject = await self._verified_subject(
            client, policy, request.subject_token, request.subject_token_type, early
        )
        actor = None
        if request.actor_token is not None and request.actor_token_type is not None:
            if not policy.allow_delegation:
                raise InvalidRequestError("This client may not present an actor_token")
            actor = await self._presented.verify(
                request.actor_token,
                request.actor_token_type,
                role="actor",
                issuers=policy.subject_issuers,
            )
        act = act_claim(subject, actor, policy)
        scopes = scope_for(request, subject, targets)
        if targets[0].kind == "jwt_bearer":
            body = await self._from_authority(targets[0], subject, scopes, act)
        else:
            body = await self._from_bridge(client, targets, subject, scopes, act)
            body["issued_token_type"] = request.requested_token_type
        await self._audit.token_exchanged(
            subject=self._audit_subject(client, subject),
            client_id=client.client_id,
            audiences=[t.name for t in targets],
            scopes=scopes,
            issued_token_type=body["issued_token_type"],
            actor=self._audit_subject(client, actor) if actor else None,
        )
        log.info(
            "token.exchanged",
            client_id=client.client_id,
            targets=[t.name for t in targets],
            delegated=act is not None,
        )
        return body

    def _audit_subject(self, client: Client, token: PresentedToken) -> str:
        """Pairwise ids only: an external issuer's `sub` may be personal data."""
        identity = token.upstream_identity()
        if token.from_bridge or identity is None:
            return token.subject
        return self._pairwise(client.sector, identity)

    def _lifetime(self, subject: PresentedToken) -> int:
        # An exchange never outlives the token it was made from.
        remaining = subject.expires_at - int(self._clock.now())
        return max(min(self._context.lifetimes.exchanged_token, remaining), 1)

    async def _from_authority(
        self,
        target: Target,
        subject: PresentedToken,
        scopes: Sequence[str],
        act: dict[str, Any] | None,
    ) -> dict[str, Any]:
        identity = subject.upstream_identity()
        if identity is None or target.sector is None:
            raise InvalidRequestError(
                f"The subject_token names no resident the {target.display_name} can know"
            )
        extra: dict[str, Any] = {}
        if act is not None:
            extra["act"] = act
        if subject.grant is not None and subject.grant.acr:
            extra["acr"] = subject.grant.acr
        assertion = self._issuer.grant_assertion(
            subject=self._pairwise(target.sector, identity),
            audience=target.audience_of_assertion,
            ttl=self._context.lifetimes.outbound_assertion,
            extra=extra,
            alg=target.signing_alg,
        )
        assert target.token_endpoint is not None  # noqa: S101 - validated with the config
        obtained = await self._outbound.obtain(
            token_endpoint=target.token_endpoint,
            target=target.name,
            display_name=target.display_name,
            assertion=assertion,
            scopes=scopes,
        )
        body: dict[str, Any] = {
            "access_token": obtained.access_token,
            "issued_token_type": TOKEN_TYPE_ACCESS_TOKEN,
            "token_type": obtained.token_type,
            "scope": " ".join(scopes),
        }
        if obtained.expires_in is not None:
            body["expires_in"] = obtained.expires_in
        return body

    async def _from_bridge(
        self,
        client: Client,
        targets: Sequence[Target],
        subject: PresentedToken,
        scopes: Sequence[str],
        act: dict[str, Any] | None,
    ) -> dict[str, Any]:
        identity = subject.upstream_identity()
        sector = targets[0].sector if len(targets) == 1 else None
        if identity is not None and (sector or not subject.from_bridge):
            sub = self._pairwise(sector or client.sector, identity)
        else:
            sub = subject.subject
        ttl = self._lifetime(subject)
        grant = subject.grant
        if grant is None:
            # A trusted issuer's subject gets a grant of its own: the unit of revocation.
            now = self._clock.now()
            grant = Grant(
                grant_id=secrets.token_urlsafe(24),
                client_id=client.client_id,
                subject=sub,
                scopes=tuple(scopes),
                claims={},
                auth_time=int(subject.claims.get("auth_time") or subject.claims.get("iat") or now),
                expires_at=now + ttl,
                upstream_idp=identity[0] if identity else None,
                upstream_subject=identity[1] if identity else None,
            )
            await self._grants.put(grant)
        audiences = [t.name for t in targets]
        token = self._issuer.access_token(
            client_id=client.client_id,
            subject=sub,
            scopes=scopes,
            grant_id=grant.grant_id,
            auth_time=grant.auth_time,
            acr=grant.acr,
            ttl=ttl,
            audience=audiences[0] if len(audiences) == 1 else audiences,
            extra={"act": act} if act else None,
            # One token for several audiences: the first that chose names the algorithm.
            alg=next((t.signing_alg for t in targets if t.signing_alg), None),
        )
        return {
            "access_token": token,
            "token_type": TOKEN_TYPE_BEARER,
            "expires_in": ttl,
            "scope": " ".join(scopes),
        }
