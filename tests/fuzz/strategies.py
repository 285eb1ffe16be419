"""Hypothesis strategies for requests to the bridge: mostly-valid requests with a few
parts replaced by hostile ones (so the fuzz reaches the checks deep in each endpoint,
not only the first refusal), and wholly random ones."""

from __future__ import annotations

import base64
from typing import Any

from hypothesis import strategies as st

from tests.support.rp import s256

VERIFIER = "v" * 43
HOSTILE_TEXT = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=30),
    st.sampled_from(
        [
            "",
            '"',
            "\\",
            "\u202e",
            "\r\n",
            "\x00",
            "é",
            "中文",
            "%",
            "%zz",
            "a" * 3000,
            "openid",
            "openid profile",
            "openid \u00e9",
            "https://portal.test/callback",
            "https://attacker.test/cb",
            "S256",
            "plain",
            "code",
            "token",
            "none",
            "login",
            "-1",
            "99999999999",
            "iamsmart",
            "guangdong",
            "authorization_code",
            "refresh_token",
            "urn:ietf:params:oauth:grant-type:token-exchange",
            "urn:ietf:params:oauth:token-type:access_token",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "eyJhbGciOiJub25lIn0.eyJpc3MiOiJ0ZXN0LXBvcnRhbCJ9.",
            "eyJ" + "A" * 40 + ".e30.x",
        ]
    ),
)
NAMES = st.one_of(
    st.sampled_from(
        [
            "client_id",
            "redirect_uri",
            "response_type",
            "scope",
            "state",
            "nonce",
            "code_challenge",
            "code_challenge_method",
            "prompt",
            "max_age",
            "ui_locales",
            "idp_hint",
            "request",
            "request_uri",
            "response_mode",
            "grant_type",
            "code",
            "code_verifier",
            "refresh_token",
            "client_secret",
            "client_assertion",
            "client_assertion_type",
            "token",
            "token_type_hint",
            "subject_token",
            "subject_token_type",
            "actor_token",
            "actor_token_type",
            "audience",
            "resource",
            "requested_token_type",
            "access_token",
            "lang",
        ]
    ),
    st.text(max_size=20),
)

AUTHORIZE_BASE = {
    "client_id": "test-portal",
    "redirect_uri": "https://portal.test/callback",
    "response_type": "code",
    "scope": "openid profile",
    "state": "fuzz-state",
    "nonce": "fuzz-nonce",
    "code_challenge": s256(VERIFIER),
    "code_challenge_method": "S256",
}


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, str]) -> list[tuple[str, str]]:
    """`base` with some parameters dropped, replaced, repeated or added."""
    items = [(k, v) for k, v in base.items() if not draw(st.booleans()) or draw(st.booleans())]
    for _ in range(draw(st.integers(0, 4))):
        name = draw(st.one_of(st.sampled_from(sorted(base)), NAMES))
        value = draw(HOSTILE_TEXT)
        if items and draw(st.booleans()):
            items[draw(st.integers(0, len(items) - 1))] = (name, value)
        else:
            items.append((name, value))
    return items


def parameters(base: dict[str, str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    return st.one_of(mutated(base), st.lists(st.tuples(NAMES, HOSTILE_TEXT), max_size=8))


def _basic(user: bytes, password: bytes) -> str:
    return "Basic " + base64.b64encode(user + b":" + password).decode("ascii")


AUTHORIZATION = st.one_of(
    st.none(),
    st.just(_basic(b"test-portal", b"test-portal-secret")),
    st.builds(_basic, st.binary(max_size=30), st.binary(max_size=30)),
    st.builds(lambda b: "Basic " + base64.b64encode(b).decode(), st.binary(max_size=40)),
    st.builds(lambda t: "Basic " + t, st.text(max_size=40)),
    st.builds(lambda t: "Bearer " + t, HOSTILE_TEXT),
    st.text(max_size=60),
)
CONTENT_TYPE = st.one_of(
    st.just("application/x-www-form-urlencoded"),
    st.sampled_from(
        [
            "application/x-www-form-urlencoded; charset=utf-8",
            "application/json",
            "multipart/form-data; boundary=x",
            "text/plain",
            "",
        ]
    ),
    st.text(max_size=40),
)
COOKIE = st.one_of(
    st.none(),
    st.text(max_size=80),
    st.builds(lambda v: f"bridge_browser={v}", st.text(max_size=80)),
    st.just("bridge_browser=" + "A" * 43 + ".AAAAAAAAAAAAAAAAAAAAAA"),
)
HEADER_NAMES = st.sampled_from(
    [
        "accept-language",
        "x-request-id",
        "x-forwarded-for",
        "x-forwarded-proto",
        "user-agent",
        "accept",
        "origin",
        "dpop",
        "content-length-x",
    ]
)
EXTRA_HEADERS = st.dictionaries(HEADER_NAMES, st.text(max_size=60), max_size=3)


def header_safe(value: str) -> str:
    """What an HTTP/1.1 header can carry (latin-1, no line breaks): the client library
    refuses anything else, and so would any server."""
    kept = "".join(c for c in value if 0x20 <= ord(c) <= 0xFF and c != "\x7f")
    return kept.strip(" \t")  # h11 refuses surrounding whitespace (RFC 9110 §5.5)


def headers_of(
    authorization: str | None, content_type: str | None, cookie: str | None, extra: dict[str, str]
) -> dict[str, Any]:
    headers = {name: header_safe(value).encode("latin-1") for name, value in extra.items()}
    for name, value in (
        ("authorization", authorization),
        ("content-type", content_type),
        ("cookie", cookie),
    ):
        if value is not None:
            headers[name] = header_safe(value).encode("latin-1")
    return headers
