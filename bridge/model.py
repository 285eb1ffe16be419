"""Neutral types shared by the provider side and the upstream side.

`provider/` and `upstream/` never import each other; they meet through these values
(the same idea as SATOSA's InternalData and dex's connector.Identity).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


@dataclass(frozen=True, slots=True)
class UpstreamAuthRequest:
    """What a connector needs to send the resident to its identity provider."""

    state: str
    """Opaque value the upstream echoes back; the bridge's key for the flow state."""
    ui_locales: tuple[str, ...] = ()
    """BCP 47 tags in order of preference (from the client's `ui_locales`)."""
    user_agent: str | None = None
    """The resident's browser, so a connector can pick a device-specific flow."""
    fields: tuple[str, ...] = ()
    """Upstream profile fields the release policy needs (data minimisation)."""
    prompt: tuple[str, ...] = ()
    """What the client asked of the sign-in (OIDC Core §3.1.2.1), for the upstream:
    `login` (authenticate again, whatever session the upstream holds) and
    `select_account` (let the resident choose the account). A connector honours what
    its identity provider can express and documents the rest."""
    max_age: int | None = None
    """The client accepts an authentication at most this old, seconds."""
    other_device: bool = False
    """The resident chose to sign in with another device (a QR code to scan), whatever
    their browser says it is: user agents lie (iPadOS, HarmonyOS)."""


@dataclass(frozen=True, slots=True)
class UpstreamIdentity:
    """Who the upstream identity provider says signed in, in its own vocabulary.

    `attributes` holds personal data exactly as the upstream returned it; it is
    only read by claim mapping and never logged or stored unencrypted.
    """

    idp: str
    subject: str
    """The upstream's stable identifier for this resident (iAM Smart: openID)."""
    attributes: Mapping[str, Any] = field(default_factory=dict)
    auth_time: int | None = None
    """When the upstream authenticated the resident, if it says (a session it kept may
    be older than this sign-in); None: the resident authenticated for this sign-in."""


class LocalizedText(BaseModel):
    """A text a resident reads, in each language the bridge's pages speak."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    en: str
    zh_hant: str = Field(alias="zh-Hant")
    zh_hans: str = Field(alias="zh-Hans")

    def get(self, locale: str) -> str:
        return {"en": self.en, "zh-Hant": self.zh_hant, "zh-Hans": self.zh_hans}.get(
            locale, self.en
        )


@dataclass(frozen=True, slots=True)
class ObtainedToken:
    """A token another authorization server issued for the resident (token exchange)."""

    access_token: str
    token_type: str
    expires_in: int | None


# --- Records kept in the store (sealed, TTL-bound). Pydantic for exact round trips. ---


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ClientRequest(_Record):
    """What a downstream client asked for, whatever way the answer goes back to it."""

    client_id: str
    scopes: tuple[str, ...]
    ui_locales: tuple[str, ...] = ()
    prompt: tuple[str, ...] = ()
    """OIDC Core §3.1.2.1 `prompt` values other than `none` (which never gets this far)."""
    max_age: int | None = None


class CodeEnding(_Record):
    """The answer goes back as an authorization code in a redirect (RFC 6749 §4.1.2),
    bound to the redirect URI and the PKCE challenge of the request."""

    kind: Literal["code"] = "code"
    redirect_uri: str
    state: str | None = None
    nonce: str | None = None
    code_challenge: str
    code_challenge_method: str = "S256"


class DeviceEnding(_Record):
    """The answer goes to a kiosk polling the token endpoint (RFC 8628 §3.4): the
    approval marks the device authorization it was started for, and no other."""

    kind: Literal["device"] = "device"
    device_key: str
    """The store key of the device authorization (it names the device code's digest)."""
    claim_id: str
    """The phone's claim on the user code: an approval counts only with this claim."""


Ending = Annotated[CodeEnding | DeviceEnding, Field(discriminator="kind")]
"""How a client sign-in ends once the resident has decided (one kind per way a client
receives its answer: a code redirect, or a device approval a kiosk picks up)."""


class AuthorizationRequest(_Record):
    """A client's authorization request (OIDC Core §3.1.2.1) after every check passed."""

    request: ClientRequest
    ending: CodeEnding
    idp_hint: str | None = None
    """The upstream the client asks to use (`idp_hint`); honoured if the client allows it."""


class ClientSignIn(_Record):
    """A sign-in on behalf of a downstream client: after the upstream, consent."""

    kind: Literal["client"] = "client"
    request: ClientRequest
    ending: Ending
    released_claims: tuple[str, ...]


class AccountSignIn(_Record):
    """The resident signing in to the bridge itself, to review remembered consents."""

    kind: Literal["account"] = "account"
    locale: str


class DeviceSignIn(_Record):
    """A sign-in for a kiosk, approved on the resident's phone (RFC 8628): like a client
    sign-in, but consent is always asked and never remembered, and the answer goes to
    the kiosk's polling, not to a redirect."""

    kind: Literal["device"] = "device"
    request: ClientRequest
    ending: DeviceEnding
    released_claims: tuple[str, ...]


Purpose = Annotated[ClientSignIn | AccountSignIn | DeviceSignIn, Field(discriminator="kind")]
"""Why the resident went to the upstream; the callback hands the identity to the
completer registered for the purpose's `kind`."""


class UpstreamFlow(_Record):
    """One round trip to an upstream identity provider, keyed by the state sent there
    and taken once when the resident comes back."""

    state: str
    upstream: str
    purpose: Purpose
    upstream_fields: tuple[str, ...] = ()
    """Profile fields to ask the upstream for (data minimisation)."""
    ui_locales: tuple[str, ...] = ()
    prompt: tuple[str, ...] = ()
    """What the upstream is asked for (`login`, `select_account`)."""
    max_age: int | None = None
    browser_binding: str
    """SHA-256 of the value of the cookie set on the browser that started the flow."""
    user_agent: str | None = None
    expires_at: float


class PendingConsent(_Record):
    """What the resident is asked to approve; holds personal data, so always sealed."""

    interaction_id: str
    request: ClientRequest
    ending: Ending
    upstream: str
    browser_binding: str
    csrf_token: str
    subject: str
    claims: dict[str, Any]
    acr: str | None = None
    auth_time: int
    expires_at: float
    upstream_idp: str | None = None
    upstream_subject: str | None = None
    """The upstream identity (iAM Smart openID, Guangdong useridcode), kept sealed so that
    a token exchange can derive the resident's pairwise `sub` at another sector."""
    sid: str | None = None
    """The bridge session the release joins (set just before the ending issues it)."""


class AuthorizationCode(_Record):
    """RFC 6749 §4.1.2: bound to the client, the redirect URI and the PKCE challenge."""

    client_id: str
    redirect_uri: str
    code_challenge: str
    code_challenge_method: str
    grant_id: str
    subject: str
    scopes: tuple[str, ...]
    nonce: str | None = None
    acr: str | None = None
    auth_time: int
    expires_at: float


class Grant(_Record):
    """What a resident released to a client; tokens live only as long as it does."""

    grant_id: str
    client_id: str
    subject: str
    scopes: tuple[str, ...]
    claims: dict[str, Any]
    acr: str | None = None
    auth_time: int
    expires_at: float
    upstream_idp: str | None = None
    upstream_subject: str | None = None
    """Who signed in upstream: the only way to the resident's pairwise `sub` at another
    sector, since a pairwise `sub` cannot be inverted (token exchange, RFC 8693)."""
    sid: str | None = None
    """The bridge session the grant belongs to: the `sid` of its ID tokens (OIDC
    Back-Channel Logout §2.1); ending the session revokes the grant."""


DeviceStatus = Literal["pending", "approved", "denied", "delivered"]


class DeviceAuthorization(_Record):
    """RFC 8628 §3.2: what a kiosk asked for, stored under its device code's digest and
    updated by compare-and-set (the kiosk's polls and the phone's approval race)."""

    client_id: str
    scopes: tuple[str, ...]
    status: DeviceStatus = "pending"
    interval: int
    """Seconds the kiosk must wait between polls; slow_down adds 5 (§3.5)."""
    last_poll_at: float | None = None
    claim_id: str | None = None
    """Set once, atomically, by the first phone that answers (approves or declines): of
    two phones racing on one user code exactly one wins."""
    claimed_by: str | None = None
    """The browser binding of that phone: only it may go on with the sign-in."""
    grant_id: str | None = None
    expires_at: float
    """When the codes stop working; the record outlives it a little, to say expired_token."""


class UserCode(_Record):
    """The resident's side of a device authorization, found by the user code alone."""

    client_id: str
    scopes: tuple[str, ...]
    device_key: str
    expires_at: float
