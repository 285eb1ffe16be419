"""An independent client library drives the bridge unmodified: Authlib's
OAuth2 client (requests integration) redeems a code with PKCE, refreshes, and performs
an RFC 8693 token exchange for a Guangdong platform token."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin

from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from tests.flows.exchange_support import (
    ACCESS_TOKEN_TYPE,
    EXCHANGE,
    SECRETS,
    running_exchange_chain,
)
from tests.flows.steps import at_iamsmart, choose, consent
from tests.support.browser import Resident


def test_authlib_client_signs_in_refreshes_and_exchanges_unmodified(
    tmp_path: Path, redis_url: str
) -> None:
    with running_exchange_chain(tmp_path, redis_url) as xc:
        xc.bind_at_guangdong("cheung-ka-yan")
        token_url = f"{xc.bridge}/token"
        session = OAuth2Session(
            "portal-a",
            SECRETS["portal-a"],
            scope="openid profile offline_access",
            redirect_uri="https://portal.test/callback",
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic",
        )
        verifier = generate_token(48)
        url, _ = session.create_authorization_url(
            f"{xc.bridge}/authorize", code_verifier=verifier, nonce=generate_token(16)
        )
        resident = Resident()
        try:
            page = choose(
                resident,
                at_iamsmart(resident, url),
                "cheung-ka-yan",
                stop_at="https://portal.test/",
            )
            if "/consent/" in page.url:
                page = consent(resident, page, "allow", stop_at="https://portal.test/")
            callback = urljoin(page.url, page.response.headers["location"])
        finally:
            resident.close()

        tokens = session.fetch_token(
            token_url, authorization_response=callback, code_verifier=verifier
        )
        assert tokens["refresh_token"]

        refreshed = session.refresh_token(token_url, refresh_token=tokens["refresh_token"])
        assert refreshed["access_token"] != tokens["access_token"]
        assert refreshed["refresh_token"] != tokens["refresh_token"]

        exchanged = session.fetch_token(
            token_url,
            grant_type=EXCHANGE,
            subject_token=refreshed["access_token"],
            subject_token_type=ACCESS_TOKEN_TYPE,
            audience="guangdong-platform",
            scope="all",  # the platform's scope (Authlib would send the session's)
        )
        assert exchanged["issued_token_type"] == ACCESS_TOKEN_TYPE
        assert xc.tokeninfo(exchanged["access_token"])["userobj"]["cn"] == "张嘉欣"
