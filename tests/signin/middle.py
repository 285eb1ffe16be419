"""The sign-in middle built in-process the way `bridge.core` builds it (client sign-ins,
the upstream callback, the consent step and consent memory, the code ending), on the
memory store with a manual clock, in front of `FakeUpstream`: a small implementation of
`bridge.upstream.base.Connector`, not a mock of the bridge's code."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bridge.audit.chain import HashChainAuditTrail
from bridge.audit.log import MemoryAuditLog
from bridge.browser import Allowed, Browser, BrowserIds, Redirect
from bridge.claims.directions import Directions
from bridge.claims.rules import load_rule_directory
from bridge.clock import ManualClock
from bridge.consent.memory import ConsentMemory
from bridge.errors import OAuthError, UpstreamError, UpstreamFailure
from bridge.model import (
    CodeEnding,
    LocalizedText,
    PendingConsent,
    UpstreamAuthRequest,
    UpstreamIdentity,
)
from bridge.provider.clients import Client, ClientRegistry
from bridge.provider.code_ending import CodeRedirect
from bridge.provider.codes import CodeIssuer
from bridge.signin.callbacks import UpstreamCallback
from bridge.signin.client import ChooseUpstream, ClientSignIns, SubjectPolicy
from bridge.signin.consent import ConsentStep
from bridge.signin.endings import Endings
from bridge.signin.upstream_flows import UpstreamFlows
from bridge.store.memory import MemoryBackend
from bridge.store.records import Stores
from bridge.store.sealing import Sealer
from bridge.throttle import Throttle
from tests.provider.kit import (
    ISSUER,
    NOW,
    RATE_LIMITS_OFF,
    REDIRECT,
    make_client,
    verifier_and_challenge,
)

REPO = Path(__file__).resolve().parents[2]
RULES = load_rule_directory(REPO / "config/claims")
FLOW_TTL = 600
CONSENT_TTL = 600
REMEMBER_FOR = 30 * 86400

PROFILE = {
    "enName": {"UnstructuredName": "CHAN, Tai Man"},
    "chName": {"ChineseName": "陳大文"},
    "gender": "M",
    "birthDate": "19800101",
    "emailAddress": "tm.chan@example.hk",
    "userType": "default",
}


class FakeUpstream:
    """An identity provider that signs in whoever it is told to, and says so."""

    def __init__(self, name: str, subject: str = "openid-resident-1") -> None:
        self.name = name
        self.display_name = LocalizedText.model_validate(
            {"en": f"Fake {name}", "zh-Hant": name, "zh-Hans": name}
        )
        self.subject = subject
        self.attributes: dict[str, Any] = dict(PROFILE)
        self.auth_time: int | None = None
        self.asked: list[UpstreamAuthRequest] = []
        self.completed = 0

    def authorization_url(self, request: UpstreamAuthRequest) -> str:
        self.asked.append(request)
        return f"https://{self.name}.test/authorize?state={request.state}"

    def callback_state(self, params: Mapping[str, str]) -> str | None:
        return params.get("state")

    async def complete(
        self, params: Mapping[str, str], request: UpstreamAuthRequest
    ) -> UpstreamIdentity:
        self.completed += 1
        if params.get("error"):
            raise UpstreamError(UpstreamFailure.CANCELLED, "resident cancelled", upstream_code="x")
        return UpstreamIdentity(
            idp=self.name,
            subject=self.subject,
            attributes=self.attributes,
            auth_time=self.auth_time,
        )

    async def aclose(self) -> None:
        return None


class RecordedEnding:
    """The real code-redirect ending, noting each grant it issues (what a test of the
    middle checks was, or was not, released)."""

    kind = CodeRedirect.kind

    def __init__(self, ending: CodeRedirect) -> None:
        self._ending = ending
        self.grant_ids: list[str] = []

    async def allow(self, pending: PendingConsent) -> Allowed:
        allowed = await self._ending.allow(pending)
        self.grant_ids.append(allowed.grant_id)
        return allowed

    def refuse(self, ending: CodeEnding, error: OAuthError) -> OAuthError:
        return self._ending.refuse(ending, error)


def signin_client(client_id: str = "portal", **fields: Any) -> Client:
    values: dict[str, Any] = {
        "allowed_scopes": ["openid", "profile", "email", "offline_access"],
        "allowed_claims": ["name", "sex", "birthdate", "email"],
        "upstreams": ["hk"],
    }
    values.update(fields)
    return make_client(client_id, **values)


@dataclass
class Middle:
    clock: ManualClock
    stores: Stores
    signins: ClientSignIns
    callback: UpstreamCallback
    consent: ConsentStep
    memory: ConsentMemory
    upstreams: dict[str, FakeUpstream]
    audit_log: MemoryAuditLog
    ending: RecordedEnding
    browser: Browser = field(default_factory=lambda: Browser(None))

    @property
    def upstream(self) -> FakeUpstream:
        return self.upstreams["hk"]

    async def start(self, client_id: str = "portal", **params: str) -> Redirect | ChooseUpstream:
        values = {
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": "openid profile",
            "state": "client-state",
            "code_challenge": verifier_and_challenge()[1],
            "code_challenge_method": "S256",
            **params,
        }
        started = await self.signins.start(list(values.items()), self.browser)
        if isinstance(started, Redirect) and started.browser_id is not None:
            self.browser = Browser(started.browser_id)  # the cookie the bridge set
        return started

    async def to_upstream(self, client_id: str = "portal", **params: str) -> str:
        """Starts a sign-in that goes straight to an upstream; the state sent there."""
        started = await self.start(client_id, **params)
        assert isinstance(started, Redirect), started
        return parse_qs(urlsplit(started.location).query)["state"][0]

    async def come_back(
        self, state: str, upstream: str = "hk", browser: Browser | None = None, **params: str
    ) -> Redirect:
        return await self.callback.handle(
            upstream, {"state": state, "code": "upstream-code", **params}, browser or self.browser
        )

    async def to_consent(self, client_id: str = "portal", **params: str) -> Redirect:
        return await self.come_back(await self.to_upstream(client_id, **params))

    async def decide(
        self, redirect: Redirect, decision: str = "allow", remember: bool = False, **form: str
    ) -> Redirect:
        interaction = interaction_of(redirect)
        pending, _ = await self.consent.pending(interaction, self.browser)
        values = {"csrf_token": pending.csrf_token, "decision": decision, **form}
        if remember:
            values["remember"] = "yes"
        return await self.consent.decide(interaction, values, self.browser)


def interaction_of(redirect: Redirect) -> str:
    assert redirect.location.startswith("/consent/"), redirect.location
    return redirect.location.removeprefix("/consent/")


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def build_middle(
    *clients: Client, upstreams: tuple[str, ...] = ("hk",), audit_log: MemoryAuditLog | None = None
) -> Middle:
    clock = ManualClock(NOW)
    stores = Stores.build(MemoryBackend(clock), Sealer("signin-test-store-key-" + "s" * 32), clock)
    registry = ClientRegistry({c.client_id: c for c in clients or (signin_client(),)})
    fakes = {name: FakeUpstream(name) for name in upstreams}
    audit_log = audit_log or MemoryAuditLog()
    audit = HashChainAuditTrail(audit_log, clock)
    memory = ConsentMemory(
        consents=stores.consents,
        grants=stores.grants,
        clock=clock,
        audit=audit,
        pairwise_salt="salt",
        remember_for=REMEMBER_FOR,
    )
    codes = CodeIssuer(
        issuer=ISSUER,
        grants=stores.grants,
        codes=stores.codes,
        clock=clock,
        code_ttl=60,
        grant_ttl=600,
    )
    ending = RecordedEnding(CodeRedirect(codes))
    endings = Endings({ending.kind: ending})
    flows = UpstreamFlows(
        connectors=fakes,
        flows=stores.flows,
        clock=clock,
        flow_ttl=FLOW_TTL,
        browser_ids=BrowserIds("signin-test-browser-secret-" + "b" * 32),
        throttle=Throttle(stores.backend, RATE_LIMITS_OFF),
    )
    consent = ConsentStep(
        clients=registry,
        interactions=stores.interactions,
        memory=memory,
        endings=endings,
        audit=audit,
    )
    signins = ClientSignIns(
        clients=registry,
        flows=flows,
        upstream_types=dict.fromkeys(fakes, "iamsmart"),
        directions=Directions(RULES),
        consent=consent,
        endings=endings,
        policy=SubjectPolicy(pairwise_salt="salt", consent_ttl=CONSENT_TTL),
        clock=clock,
    )
    callback = UpstreamCallback(flows=flows, completers={"client": signins})
    return Middle(clock, stores, signins, callback, consent, memory, fakes, audit_log, ending)
