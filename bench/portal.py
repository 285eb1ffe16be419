"""A real sign-in of the benchmark portal through both mocks, for the tokens the
reusable-input scenarios need (token exchange, introspection): a bridge access token
whose grant names a resident bound at the Guangdong platform."""

from __future__ import annotations

from bench import seed
from tests.flows.steps import at_iamsmart, choose, consent, location_query
from tests.support.browser import Resident
from tests.support.rp import RelyingParty


def sign_in(bridge: str, persona: str = "wong-wing-fung") -> dict[str, str]:
    rp = RelyingParty(bridge, seed.CLIENT_ID, seed.CLIENT_SECRET, seed.REDIRECT_URI)
    request = rp.authorization_request(scope="openid profile offline_access")
    resident = Resident()
    try:
        page = choose(
            resident, at_iamsmart(resident, request.url), persona, stop_at=rp.redirect_uri
        )
        if "/consent/" in page.url:
            page = consent(resident, page, "allow", stop_at=rp.redirect_uri)
        code = location_query(page)["code"]
    finally:
        resident.close()
    response = rp.redeem(code, request.verifier)
    response.raise_for_status()
    tokens: dict[str, str] = response.json()
    return tokens


def bind_at_guangdong(guangdong: str, persona: str = "wong-wing-fung") -> None:
    import asyncio

    import httpx

    from bench.login_flow import login

    async def once() -> None:
        async with httpx.AsyncClient(follow_redirects=True, timeout=30) as client:
            await login(client, guangdong, persona)

    asyncio.run(once())
