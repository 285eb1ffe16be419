"""The consent step (bridge/signin/consent.py) and remembered consent: the decision is
the resident's, in the browser that signed in, once; a remembered consent is reused
only for requests within its claims and its scopes, and every decision is audited."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from bridge.audit.log import Conflict, MemoryAuditLog
from bridge.browser import Browser
from bridge.errors import AccessDeniedError, InvalidRequestError, StoreUnavailable
from bridge.store.record_base import grant_id_for_code
from tests.provider.kit import REDIRECT
from tests.signin.middle import (
    CONSENT_TTL,
    REMEMBER_FOR,
    Middle,
    build_middle,
    interaction_of,
    query_of,
    signin_client,
)


async def remembered_sign_in(middle: Middle, **params: str) -> None:
    done = await middle.decide(await middle.to_consent(**params), remember=True)
    assert done.location.startswith(REDIRECT)


def skipped_consent(location: str) -> bool:
    return location.startswith(REDIRECT) and "code" in query_of(location)


async def consent_records(middle: Middle) -> list[dict[str, Any]]:
    records = [r.fields() for r in await middle.audit_log.read()]
    return [r for r in records if r["event"] == "consent.decided"]


async def test_allowing_issues_a_code_for_a_grant_of_what_was_shown() -> None:
    middle = build_middle()
    redirect = await middle.to_consent()
    pending, _ = await middle.consent.pending(interaction_of(redirect), middle.browser)
    done = await middle.decide(redirect)
    grant = await middle.stores.grants.get(grant_id_for_code(query_of(done.location)["code"]))
    assert grant is not None and grant.claims == pending.claims
    assert (grant.subject, grant.client_id) == (pending.subject, "portal")


async def test_denying_sends_access_denied_to_the_client() -> None:
    middle = build_middle()
    with pytest.raises(AccessDeniedError) as refused:
        await middle.decide(await middle.to_consent(), decision="deny")
    assert (refused.value.redirect_uri, refused.value.state) == (REDIRECT, "client-state")


async def test_a_decision_is_taken_once() -> None:
    middle = build_middle()
    redirect = await middle.to_consent()
    interaction = interaction_of(redirect)
    pending, _ = await middle.consent.pending(interaction, middle.browser)
    form = {"csrf_token": pending.csrf_token, "decision": "allow"}
    await middle.consent.decide(interaction, form, middle.browser)
    with pytest.raises(InvalidRequestError) as refused:
        await middle.consent.decide(interaction, form, middle.browser)
    assert refused.value.message_key == "error_consent_expired"


async def test_a_decision_needs_the_forms_csrf_token() -> None:
    middle = build_middle()
    redirect = await middle.to_consent()
    with pytest.raises(InvalidRequestError) as refused:
        await middle.decide(redirect, csrf_token="forged")
    assert refused.value.message_key == "error_csrf"
    assert (await middle.decide(redirect)).location.startswith(REDIRECT), "still answerable"


async def test_another_browser_can_neither_see_nor_answer_the_consent() -> None:
    middle = build_middle()
    interaction = interaction_of(await middle.to_consent())
    stranger = Browser("z" * 43)
    with pytest.raises(InvalidRequestError) as refused:
        await middle.consent.pending(interaction, stranger)
    assert refused.value.message_key == "error_browser_mismatch"
    with pytest.raises(InvalidRequestError):
        await middle.consent.decide(interaction, {"decision": "allow"}, stranger)


async def test_an_unknown_decision_is_refused() -> None:
    middle = build_middle()
    with pytest.raises(InvalidRequestError):
        await middle.decide(await middle.to_consent(), decision="maybe")


async def test_the_consent_page_expires() -> None:
    middle = build_middle()
    redirect = await middle.to_consent()
    middle.clock.advance(CONSENT_TTL + 1)
    with pytest.raises(InvalidRequestError) as refused:
        await middle.decide(redirect)
    assert refused.value.message_key == "error_consent_expired"


async def test_a_remembered_consent_is_reused_for_the_same_request() -> None:
    middle = build_middle()
    await remembered_sign_in(middle)
    again = await middle.to_consent()
    assert skipped_consent(again.location)
    last = (await consent_records(middle))[-1]
    assert (last["decision"], last["basis"]) == ("allow", "remembered")


async def test_without_remember_the_resident_is_asked_again() -> None:
    middle = build_middle()
    await middle.decide(await middle.to_consent())
    assert interaction_of(await middle.to_consent())


async def test_a_remembered_consent_covers_fewer_claims_too() -> None:
    middle = build_middle()
    await remembered_sign_in(middle, scope="openid profile email")
    assert skipped_consent((await middle.to_consent(scope="openid profile")).location)


async def test_a_remembered_consent_does_not_cover_a_new_claim() -> None:
    middle = build_middle()
    await remembered_sign_in(middle, scope="openid profile")
    assert interaction_of(await middle.to_consent(scope="openid profile email"))


async def test_a_remembered_consent_does_not_cover_a_new_scope() -> None:
    """offline_access releases no claim, but tokens that outlive the sign-in."""
    middle = build_middle()
    await remembered_sign_in(middle, scope="openid profile")
    assert interaction_of(await middle.to_consent(scope="openid profile offline_access"))


async def test_a_remembered_consent_is_for_its_client_only() -> None:
    middle = build_middle(signin_client("a"), signin_client("b"))
    await remembered_sign_in(middle, client_id="a")
    assert interaction_of(await middle.to_consent("b"))


async def test_a_remembered_consent_is_for_its_resident_only() -> None:
    middle = build_middle()
    await remembered_sign_in(middle)
    middle.upstream.subject = "openid-resident-2"
    assert interaction_of(await middle.to_consent())


async def test_prompt_consent_asks_even_when_remembered() -> None:
    middle = build_middle()
    await remembered_sign_in(middle)
    assert interaction_of(await middle.to_consent(prompt="consent"))


async def test_a_remembered_consent_ends_when_its_time_is_up() -> None:
    middle = build_middle()
    await remembered_sign_in(middle)
    middle.clock.advance(REMEMBER_FOR + 1)
    assert interaction_of(await middle.to_consent())


async def test_every_decision_is_audited_with_claim_names_never_values() -> None:
    middle = build_middle()
    await middle.decide(await middle.to_consent())
    with pytest.raises(AccessDeniedError):
        await middle.decide(await middle.to_consent(), decision="deny")
    records = await consent_records(middle)
    assert [(r["decision"], r["basis"]) for r in records] == [
        ("allow", "resident"),
        ("deny", "resident"),
    ]
    assert records[0]["fields"] == ["birthdate", "name", "sex"]
    bodies = [r.body for r in await middle.audit_log.read()]
    assert all("CHAN" not in b and "陳" not in b and "1980" not in b for b in bodies)


async def test_withdrawing_revokes_every_grant_issued_under_the_consent() -> None:
    middle = build_middle()
    first = await middle.decide(await middle.to_consent(), remember=True)
    reused = await middle.to_consent()
    assert skipped_consent(reused.location)
    grants = [grant_id_for_code(query_of(r.location)["code"]) for r in (first, reused)]
    resident = middle.memory.resident("hk", middle.upstream.subject)
    withdrawn = await middle.memory.withdraw(resident, "portal")
    assert withdrawn is not None
    assert [await middle.stores.grants.get(g) for g in grants] == [None, None]
    assert interaction_of(await middle.to_consent()), "asked again after withdrawal"
    events = [r.fields()["event"] for r in await middle.audit_log.read()]
    assert events[-1] == "consent.withdrawn"


async def test_withdrawing_leaves_other_clients_consents() -> None:
    middle = build_middle(signin_client("a"), signin_client("b"))
    await remembered_sign_in(middle, client_id="a")
    await remembered_sign_in(middle, client_id="b")
    resident = middle.memory.resident("hk", middle.upstream.subject)
    await middle.memory.withdraw(resident, "a")
    assert skipped_consent((await middle.to_consent("b")).location)


async def test_a_remembered_consent_does_not_cover_a_claim_it_did_not_show() -> None:
    """Same scopes, but a claim the resident never saw (their upstream profile has an
    email address now): the consent covers claim names, not only scopes."""
    middle = build_middle()
    del middle.upstream.attributes["emailAddress"]
    await remembered_sign_in(middle, scope="openid profile email")
    middle.upstream.attributes["emailAddress"] = "new@example.hk"
    assert interaction_of(await middle.to_consent(scope="openid profile email"))


async def test_each_remembered_consent_ends_on_its_own_time() -> None:
    """A later consent to another client keeps the resident's record alive, not this one."""
    middle = build_middle(signin_client("a"), signin_client("b"))
    await remembered_sign_in(middle, client_id="a")
    middle.clock.advance(REMEMBER_FOR // 2)
    await remembered_sign_in(middle, client_id="b")
    middle.clock.advance(REMEMBER_FOR // 2 + 1)
    assert interaction_of(await middle.to_consent("a"))
    assert skipped_consent((await middle.to_consent("b")).location)


class UnwritableLog(MemoryAuditLog):
    """An audit log whose store stops taking records (a fake of the AuditLog contract)."""

    broken = False

    async def append(self, prev: str, body: str, digest: str) -> Conflict | None:
        if self.broken:
            raise StoreUnavailable("audit log down")
        return await super().append(prev, body, digest)

    async def append_many(self, prev: str, entries: Sequence[tuple[str, str]]) -> Conflict | None:
        if self.broken:
            raise StoreUnavailable("audit log down")
        return await super().append_many(prev, entries)


async def test_nothing_is_released_that_the_audit_trail_does_not_show() -> None:
    """Fail closed: a decision that cannot be recorded issues no code."""
    log = UnwritableLog()
    middle = build_middle(audit_log=log)
    redirect = await middle.to_consent()
    log.broken = True
    with pytest.raises(StoreUnavailable):
        await middle.decide(redirect)
    assert middle.ending.grant_ids == []
    log.broken = False
    assert await log.read() == []


async def test_a_reused_consent_that_cannot_be_recorded_releases_nothing() -> None:
    log = UnwritableLog()
    middle = build_middle(audit_log=log)
    await remembered_sign_in(middle)
    recorded, issued = len(await log.read()), len(middle.ending.grant_ids)
    state = await middle.to_upstream()
    log.broken = True
    with pytest.raises(StoreUnavailable):
        await middle.come_back(state)
    assert len(middle.ending.grant_ids) == issued
    log.broken = False
    assert len(await log.read()) == recorded
