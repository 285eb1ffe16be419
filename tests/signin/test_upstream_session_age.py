"""`prompt` and `max_age` reach the connector, and an upstream that answers from a
session older than `max_age` ends the sign-in in `login_required` (OIDC Core §3.1.2.1).

iAM Smart authenticates afresh at every sign-in, so this is shown with a test
connector standing for an upstream that keeps a session (as Guangdong's platform does).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bridge.browser import Browser, BrowserIds, Redirect
from bridge.claims.directions import Directions
from bridge.claims.rules import load_rule_directory
from bridge.clock import ManualClock
from bridge.errors import LoginRequiredError
from bridge.model import LocalizedText, PendingConsent, UpstreamAuthRequest, UpstreamIdentity
from bridge.provider.clients import Client, ClientRegistry
from bridge.provider.code_ending import CodeRedirect
from bridge.provider.codes import CodeIssuer
from bridge.signin.client import ClientSignIns, SubjectPolicy
from bridge.signin.endings import Endings
from bridge.signin.upstream_flows import UpstreamFlows
from bridge.store.memory import MemoryBackend
from bridge.store.records import Stores
from bridge.store.sealing import Sealer
from bridge.throttle import SIGN_IN, Limit, Throttle
from tests.support.rp import RelyingParty

REPO = Path(__file__).resolve().parents[2]
NOW = 1_800_000_000.0
TEXT = LocalizedText.model_validate({"en": "T", "zh-Hant": "T", "zh-Hans": "T"})


class SessionConnector:
    """An upstream that keeps a session: it signed the resident in at `signed_in_at`."""

    name = "kept-session"
    display_name = TEXT

    def __init__(self, signed_in_at: int) -> None:
        self.signed_in_at = signed_in_at
        self.asked: list[UpstreamAuthRequest] = []

    def authorization_url(self, request: UpstreamAuthRequest) -> str:
        self.asked.append(request)
        return f"https://upstream.test/authorize?state={request.state}"

    def callback_state(self, params: Mapping[str, str]) -> str | None:
        return params.get("state")

    async def complete(
        self, params: Mapping[str, str], request: UpstreamAuthRequest
    ) -> UpstreamIdentity:
        return UpstreamIdentity(idp="kept", subject="resident-1", auth_time=self.signed_in_at)

    async def aclose(self) -> None:
        return None


class Asked:
    def __init__(self) -> None:
        self.pending: list[PendingConsent] = []

    async def ask_or_reuse(self, pending: PendingConsent) -> Redirect:
        self.pending.append(pending)
        return Redirect("/consent/x")


def sign_ins(connector: SessionConnector, consent: Asked) -> ClientSignIns:
    clock = ManualClock(NOW)
    stores = Stores.build(MemoryBackend(clock), Sealer("k" * 40), clock)
    client = Client.model_validate(
        {
            "client_id": "test-portal",
            "name": TEXT.model_dump(by_alias=True),
            "purpose": TEXT.model_dump(by_alias=True),
            "jurisdiction": TEXT.model_dump(by_alias=True),
            "client_secret_sha256": "0" * 64,
            "redirect_uris": ["https://portal.test/callback"],
            "upstreams": [connector.name],
            "downstream": "guangdong",
        }
    )
    codes = CodeIssuer(
        issuer="https://bridge.test",
        grants=stores.grants,
        codes=stores.codes,
        clock=clock,
        code_ttl=60,
        grant_ttl=600,
    )
    return ClientSignIns(
        clients=ClientRegistry({client.client_id: client}),
        flows=UpstreamFlows(
            connectors={connector.name: connector},
            flows=stores.flows,
            clock=clock,
            flow_ttl=600,
            browser_ids=BrowserIds("test-browser-id-secret"),
            throttle=Throttle(MemoryBackend(clock), {SIGN_IN: Limit(0, 60)}),
        ),
        upstream_types={connector.name: "iamsmart"},
        directions=Directions(load_rule_directory(REPO / "config/claims")),
        consent=consent,
        endings=Endings({CodeRedirect.kind: CodeRedirect(codes)}),
        policy=SubjectPolicy(pairwise_salt="salt", consent_ttl=600),
        clock=clock,
    )


async def sign_in(signins: ClientSignIns, connector: SessionConnector, **params: str) -> None:
    rp = RelyingParty("https://bridge.test")
    request = rp.authorization_request(scope="openid", **params)
    started = await signins.start(list(request.params.items()), Browser(None))
    assert isinstance(started, Redirect)
    browser = Browser(started.browser_id)
    state = parse_qs(urlsplit(started.location).query)["state"][0]
    flow, _ = await signins._flows.take(connector.name, {"state": state}, browser)
    identity = await connector.complete({}, connector.asked[-1])
    await signins.completed(flow, identity, browser)


async def test_prompt_and_max_age_are_passed_to_the_connector() -> None:
    connector, consent = SessionConnector(int(NOW)), Asked()
    signins = sign_ins(connector, consent)
    await sign_in(signins, connector, prompt="login consent", max_age="300")
    assert connector.asked[-1].prompt == ("login",), "consent is the bridge's own page"
    assert connector.asked[-1].max_age == 300
    await sign_in(signins, connector, max_age="0")
    assert connector.asked[-1].prompt == ("login",), "max_age=0 is prompt=login"


async def test_an_upstream_session_older_than_max_age_is_login_required() -> None:
    connector, consent = SessionConnector(int(NOW) - 3600), Asked()
    signins = sign_ins(connector, consent)
    with pytest.raises(LoginRequiredError) as refused:
        await sign_in(signins, connector, max_age="600")
    assert refused.value.redirect_uri == "https://portal.test/callback", "told to the client"
    assert consent.pending == []


async def test_auth_time_is_the_upstreams_authentication_not_the_callback() -> None:
    connector, consent = SessionConnector(int(NOW) - 100), Asked()
    signins = sign_ins(connector, consent)
    await sign_in(signins, connector, max_age="600")
    assert consent.pending[-1].auth_time == int(NOW) - 100
