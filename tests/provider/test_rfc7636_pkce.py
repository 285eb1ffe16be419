"""PKCE, RFC 7636."""

from bridge.provider import pkce


def test_s256_matches_the_rfc_7636_appendix_b_example() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce.s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert pkce.verifier_matches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")


def test_verifier_outside_the_abnf_never_matches() -> None:
    challenge = pkce.s256("a" * 42)
    assert not pkce.verifier_matches("a" * 42, challenge), "shorter than 43 characters"
    assert not pkce.verifier_matches("a" * 129, pkce.s256("a" * 129)), "longer than 128"
    assert not pkce.verifier_matches("a" * 42 + " ", pkce.s256("a" * 42 + " "))


def test_challenge_must_be_43_base64url_characters() -> None:
    assert pkce.is_valid_challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    assert not pkce.is_valid_challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c")
    assert not pkce.is_valid_challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM")
