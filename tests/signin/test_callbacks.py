"""The upstream callback (bridge/signin/callbacks.py, upstream_flows.py): a flow is
found by the state the upstream echoes, the browser is checked against the flow before
the flow is taken, and it is taken once. Errors before a verified client answer are
pages (no redirect URI); an upstream's failure goes back to the client."""

from __future__ import annotations

import pytest

from bridge.browser import Browser
from bridge.errors import AccessDeniedError, InvalidRequestError
from tests.provider.kit import REDIRECT
from tests.signin.middle import FLOW_TTL, build_middle, interaction_of, query_of, signin_client

STRANGER = Browser("s" * 43)


async def test_the_callback_leads_to_the_consent_page() -> None:
    middle = build_middle()
    state = await middle.to_upstream()
    redirect = await middle.come_back(state)
    assert interaction_of(redirect)
    assert middle.upstream.completed == 1


async def test_the_state_is_taken_once() -> None:
    middle = build_middle()
    state = await middle.to_upstream()
    await middle.come_back(state)
    with pytest.raises(InvalidRequestError) as refused:
        await middle.come_back(state)
    assert refused.value.message_key == "error_flow_expired"
    assert refused.value.redirect_uri is None, "a page, never a redirect"
    assert middle.upstream.completed == 1, "the upstream's code is not redeemed twice"


async def test_another_browser_is_refused_before_the_flow_is_taken() -> None:
    """Login CSRF: a link opened elsewhere must not spend the resident's sign-in."""
    middle = build_middle()
    state = await middle.to_upstream()
    with pytest.raises(InvalidRequestError) as refused:
        await middle.come_back(state, browser=STRANGER)
    assert refused.value.message_key == "error_browser_mismatch"
    assert middle.upstream.completed == 0
    assert interaction_of(await middle.come_back(state)), "the owner still finishes"


async def test_a_browser_without_the_cookie_is_refused() -> None:
    middle = build_middle()
    state = await middle.to_upstream()
    with pytest.raises(InvalidRequestError):
        await middle.come_back(state, browser=Browser(None))
    assert middle.upstream.completed == 0


async def test_an_unknown_state_is_refused() -> None:
    middle = build_middle()
    await middle.to_upstream()
    with pytest.raises(InvalidRequestError) as refused:
        await middle.come_back("never-sent-upstream")
    assert refused.value.message_key == "error_flow_expired"


async def test_a_flow_comes_back_only_from_its_own_upstream() -> None:
    middle = build_middle(signin_client(upstreams=["hk", "gd"]), upstreams=("hk", "gd"))
    state = await middle.to_upstream(idp_hint="hk")
    with pytest.raises(InvalidRequestError):
        await middle.come_back(state, upstream="gd")
    assert middle.upstreams["gd"].completed == 0
    assert interaction_of(await middle.come_back(state, upstream="hk"))


async def test_an_expired_flow_is_refused() -> None:
    middle = build_middle()
    state = await middle.to_upstream()
    middle.clock.advance(FLOW_TTL + 1)
    with pytest.raises(InvalidRequestError) as refused:
        await middle.come_back(state)
    assert refused.value.message_key == "error_flow_expired"


async def test_an_upstream_failure_goes_back_to_the_client_with_its_state() -> None:
    middle = build_middle()
    state = await middle.to_upstream()
    with pytest.raises(AccessDeniedError) as refused:
        await middle.come_back(state, error="cancelled")
    assert (refused.value.redirect_uri, refused.value.state) == (REDIRECT, "client-state")


async def test_the_client_gets_a_code_with_its_state_and_our_issuer() -> None:
    middle = build_middle()
    done = await middle.decide(await middle.to_consent())
    assert done.location.startswith(REDIRECT + "?")
    answer = query_of(done.location)
    assert answer["state"] == "client-state" and answer["iss"] == "https://bridge.test"
    assert answer["code"]
