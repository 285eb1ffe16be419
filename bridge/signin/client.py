"""A sign-in on behalf of a downstream client: the authorization request, the choice of
upstream, and — once the upstream has said who signed in — the claims the client may
receive, on their way to the resident's consent.

A client may allow several upstreams (a Hong Kong service takes Guangdong's platform
and iAM Smart). The request names one with `idp_hint` (Keycloak's `kc_idp_hint`);
without a usable hint and with more than one to choose from, the resident picks on the
chooser page, whose links are the same request with `idp_hint` set.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlencode

import structlog

from bridge.assurance import meets
from bridge.browser import Browser, Redirect, refused
from bridge.claims.directions import Directions
from bridge.claims.mapper import ClaimMapper
from bridge.claims.policy import release_set
from bridge.clock import Clock
from bridge.errors import (
    LoginRequiredError,
    OAuthError,
    UnmetAuthenticationRequirementsError,
    UpstreamError,
)
from bridge.model import (
    ClientRequest,
    ClientSignIn,
    DeviceSignIn,
    LocalizedText,
    PendingConsent,
    UpstreamFlow,
    UpstreamIdentity,
)
from bridge.provider.authorize import parse_authorization_request
from bridge.provider.clients import Client, ClientRegistry
from bridge.provider.subject import pairwise_subject
from bridge.provider.upstream_errors import client_error
from bridge.signin.endings import Endings
from bridge.signin.upstream_flows import UpstreamFlows
from bridge.wire import SCOPE_OFFLINE_ACCESS, SCOPE_OPENID

log = structlog.get_logger(__name__)

IDP_HINT = "idp_hint"
SELECT_ACCOUNT = "select_account"
UPSTREAM_PROMPTS = ("login", SELECT_ACCOUNT)


@dataclass(frozen=True, slots=True)
class UpstreamOption:
    name: str
    display_name: LocalizedText
    url: str


@dataclass(frozen=True, slots=True)
class ChooseUpstream:
    """The resident picks the identity provider: one option per upstream the client
    allows, each a link that repeats the (already checked) request with `idp_hint`."""

    client_name: LocalizedText | None
    options: tuple[UpstreamOption, ...]
    ui_locales: tuple[str, ...] = ()


class Consent(Protocol):
    async def ask_or_reuse(self, pending: PendingConsent) -> Redirect: ...


@dataclass(frozen=True, slots=True)
class SubjectPolicy:
    pairwise_salt: str
    consent_ttl: int


def require_client(clients: ClientRegistry, client_id: str) -> Client:
    """The client may have been removed from the configuration since the flow began."""
    client = clients.get(client_id)
    if client is None:
        raise refused("error_unknown_client", "Unknown client")
    return client


def _with_hint(params: Sequence[tuple[str, str]], upstream: str) -> str:
    """The request again, for one upstream; `select_account` was answered by choosing."""
    kept = []
    for name, value in params:
        if name == "prompt":
            value = " ".join(p for p in value.split() if p != SELECT_ACCOUNT)
        if name != IDP_HINT and value:
            kept.append((name, value))
    return "/authorize?" + urlencode([*kept, (IDP_HINT, upstream)])


def upstream_prompt(request: ClientRequest) -> tuple[str, ...]:
    """What the upstream must do for the client's `prompt` and `max_age`: the bridge keeps
    no session, so `login` and an authentication age are the upstream's to honour."""
    wanted = [p for p in request.prompt if p in UPSTREAM_PROMPTS]
    if request.max_age == 0 and "login" not in wanted:
        wanted.append("login")  # OIDC Core §3.1.2.1: max_age=0 is prompt=login
    return tuple(wanted)


class ClientSignIns:
    def __init__(
        self,
        *,
        clients: ClientRegistry,
        flows: UpstreamFlows,
        upstream_types: Mapping[str, str],
        directions: Directions,
        consent: Consent,
        endings: Endings,
        policy: SubjectPolicy,
        clock: Clock,
    ) -> None:
        self._clients = clients
        self._flows = flows
        self._types = upstream_types
        self._directions = directions
        self._consent = consent
        self._endings = endings
        self._policy = policy
        self._clock = clock

    @property
    def supported_scopes(self) -> frozenset[str]:
        return frozenset({SCOPE_OPENID, SCOPE_OFFLINE_ACCESS, *self._directions.scopes})

    def mapper(self, upstream: str, client: Client) -> ClaimMapper:
        return self._directions.mapper(self._types[upstream], client.downstream)

    async def start(
        self, params: Sequence[tuple[str, str]], browser: Browser
    ) -> Redirect | ChooseUpstream:
        """The authorization request (GET or POST /authorize)."""
        client, authorization = parse_authorization_request(
            params, self._clients, supported_scopes=self.supported_scopes
        )
        hint = authorization.idp_hint
        choose = SELECT_ACCOUNT in authorization.request.prompt and len(client.upstreams) > 1
        if choose:
            return self._chooser(client, params, authorization.request.ui_locales)
        if hint in client.upstreams:
            upstream = hint
        elif len(client.upstreams) == 1:
            upstream = client.upstreams[0]
        else:
            return self._chooser(client, params, authorization.request.ui_locales)
        request, ending = authorization.request, authorization.ending
        mapper = self.mapper(upstream, client)
        released = release_set(client.allowed_claims, request.scopes, mapper)
        purpose = ClientSignIn(
            request=request, ending=ending, released_claims=tuple(sorted(released))
        )
        redirect = await self._flows.begin(
            upstream,
            purpose,
            browser,
            ui_locales=request.ui_locales,
            fields=mapper.source_fields(released, client_id=client.client_id),
            prompt=upstream_prompt(request),
            max_age=request.max_age,
        )
        log.info("signin.started", client_id=client.client_id, upstream=upstream)
        return redirect

    def _chooser(
        self, client: Client, params: Sequence[tuple[str, str]], ui_locales: tuple[str, ...]
    ) -> ChooseUpstream:
        connectors = self._flows.connectors
        options = tuple(
            UpstreamOption(name, connectors[name].display_name, _with_hint(params, name))
            for name in client.upstreams
        )
        return ChooseUpstream(client.name, options, ui_locales)

    # --- the completer of the "client" purpose -----------------------------------------

    async def completed(
        self, flow: UpstreamFlow, identity: UpstreamIdentity, browser: Browser
    ) -> Redirect:
        purpose = flow.purpose
        # registered for "client" and "device": a kiosk's sign-in releases claims alike
        assert isinstance(purpose, ClientSignIn | DeviceSignIn)  # noqa: S101
        client = require_client(self._clients, purpose.request.client_id)
        mapper = self.mapper(flow.upstream, client)
        claims = mapper.map(identity, set(purpose.released_claims), client_id=client.client_id)
        session = mapper.map(identity, mapper.session_claims, client_id=client.client_id)
        if not meets(session.get("acr"), client.minimum_acr):
            log.info(
                "signin.assurance_too_low",
                client_id=client.client_id,
                acr=session.get("acr"),
                required=client.minimum_acr,
            )
            raise await self._endings.refuse(
                purpose.ending,
                UnmetAuthenticationRequirementsError(
                    f"The sign-in's assurance level is below {client.minimum_acr}, "
                    "which this service requires"
                ),
            )
        now = self._clock.now()
        auth_time = int(now) if identity.auth_time is None else identity.auth_time
        max_age = purpose.request.max_age
        if max_age is not None and now - auth_time > max_age:
            # The upstream kept an older session despite being told max_age (OIDC Core
            # §3.1.2.1: the OP must re-authenticate, or say it could not).
            raise await self._endings.refuse(
                purpose.ending,
                LoginRequiredError("The identity provider's sign-in is older than max_age"),
            )
        pending = PendingConsent(
            interaction_id=_new_id(),
            request=purpose.request,
            ending=purpose.ending,
            upstream=flow.upstream,
            browser_binding=flow.browser_binding,
            csrf_token=_new_id(32),
            subject=pairwise_subject(
                self._policy.pairwise_salt,
                sector=client.sector,
                idp=identity.idp,
                upstream_subject=identity.subject,
            ),
            claims=claims,
            acr=session.get("acr"),
            auth_time=auth_time,
            expires_at=now + self._policy.consent_ttl,
            upstream_idp=identity.idp,
            upstream_subject=identity.subject,
        )
        log.info("signin.upstream_completed", client_id=client.client_id, subject=pending.subject)
        return await self._consent.ask_or_reuse(pending)

    async def failed(
        self, flow: UpstreamFlow, failure: UpstreamError, upstream: LocalizedText
    ) -> OAuthError:
        purpose = flow.purpose
        assert isinstance(purpose, ClientSignIn | DeviceSignIn)  # noqa: S101 - registered so
        return await self._endings.refuse(purpose.ending, client_error(failure, upstream.en))


def _new_id(size: int = 24) -> str:
    return secrets.token_urlsafe(size)
