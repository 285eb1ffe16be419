"""A client's sign-in through the middle (bridge/signin/client.py): which upstream, what
it is asked for, which claims wait for consent, the assurance a client requires, and
the pairwise subject. In-process, in front of a fake upstream."""

from __future__ import annotations

import pytest

from bridge.browser import Redirect
from bridge.errors import InvalidRedirectUriError, UnmetAuthenticationRequirementsError
from bridge.signin.client import ChooseUpstream
from tests.provider.kit import REDIRECT
from tests.signin.middle import Middle, build_middle, interaction_of, signin_client


async def pending_claims(middle: Middle, redirect: Redirect) -> dict[str, object]:
    pending, _ = await middle.consent.pending(interaction_of(redirect), middle.browser)
    return pending.claims


async def test_a_bad_redirect_uri_is_refused_before_any_upstream_is_involved() -> None:
    middle = build_middle()
    with pytest.raises(InvalidRedirectUriError):
        await middle.start(redirect_uri="https://evil.test/cb")
    assert middle.upstream.asked == []


async def test_a_client_with_one_upstream_goes_straight_to_it() -> None:
    middle = build_middle()
    started = await middle.start()
    assert isinstance(started, Redirect)
    assert started.location.startswith("https://hk.test/authorize?state=")
    assert started.browser_id, "the browser is given the cookie its flow is bound to"


async def test_the_released_claims_are_the_allowed_claims_within_the_scopes() -> None:
    middle = build_middle(signin_client(allowed_claims=["name", "email"]))
    claims = await pending_claims(middle, await middle.to_consent(scope="openid profile"))
    assert set(claims) == {"name"}, "email is allowed but was not asked for; sex not allowed"
    claims = await pending_claims(middle, await middle.to_consent(scope="openid profile email"))
    assert set(claims) == {"name", "email"}


async def test_the_upstream_is_asked_only_for_the_fields_the_release_needs() -> None:
    middle = build_middle()
    await middle.to_upstream(scope="openid profile")
    fields = set(middle.upstream.asked[-1].fields)
    assert "emailAddress" not in fields and "birthDate" in fields


async def test_a_sign_in_below_the_clients_minimum_acr_is_refused_to_the_client() -> None:
    middle = build_middle(signin_client(minimum_acr="L3"))
    state = await middle.to_upstream()
    with pytest.raises(UnmetAuthenticationRequirementsError) as refused:
        await middle.come_back(state)
    assert refused.value.redirect_uri == REDIRECT


async def test_a_sign_in_meeting_the_minimum_acr_goes_on_to_consent() -> None:
    middle = build_middle(signin_client(minimum_acr="L2"))
    assert interaction_of(await middle.to_consent())


async def test_several_upstreams_without_a_hint_offer_the_chooser() -> None:
    middle = build_middle(signin_client(upstreams=["hk", "gd"]), upstreams=("hk", "gd"))
    chooser = await middle.start()
    assert isinstance(chooser, ChooseUpstream)
    assert [o.name for o in chooser.options] == ["hk", "gd"]
    assert all("idp_hint=" in o.url for o in chooser.options)
    assert middle.upstreams["hk"].asked == middle.upstreams["gd"].asked == []


async def test_a_hint_the_client_allows_picks_the_upstream() -> None:
    middle = build_middle(signin_client(upstreams=["hk", "gd"]), upstreams=("hk", "gd"))
    started = await middle.start(idp_hint="gd")
    assert isinstance(started, Redirect) and started.location.startswith("https://gd.test/")


async def test_a_hint_the_client_does_not_allow_is_not_followed() -> None:
    middle = build_middle(
        signin_client("two", upstreams=["hk", "gd"]), upstreams=("hk", "gd", "other")
    )
    assert isinstance(await middle.start("two", idp_hint="other"), ChooseUpstream)
    assert middle.upstreams["other"].asked == []


async def test_select_account_shows_the_chooser_even_with_a_hint() -> None:
    middle = build_middle(signin_client(upstreams=["hk", "gd"]), upstreams=("hk", "gd"))
    chooser = await middle.start(idp_hint="hk", prompt="select_account")
    assert isinstance(chooser, ChooseUpstream)
    assert all("select_account" not in o.url for o in chooser.options), "answered by choosing"


async def test_the_subject_is_pairwise_per_sector() -> None:
    middle = build_middle(signin_client("a"), signin_client("b"))
    subjects = []
    for client_id in ("a", "a", "b"):
        redirect = await middle.to_consent(client_id)
        pending, _ = await middle.consent.pending(interaction_of(redirect), middle.browser)
        subjects.append(pending.subject)
    assert subjects[0] == subjects[1] != subjects[2]
    assert middle.upstream.subject not in subjects


async def test_clients_sharing_a_sector_identifier_see_the_same_subject() -> None:
    middle = build_middle(
        signin_client("a", sector_identifier="gd-gov"),
        signin_client("b", sector_identifier="gd-gov"),
    )
    subjects = []
    for client_id in ("a", "b"):
        redirect = await middle.to_consent(client_id)
        pending, _ = await middle.consent.pending(interaction_of(redirect), middle.browser)
        subjects.append(pending.subject)
    assert subjects[0] == subjects[1]
