"""Release policy: a client gets what its registration allows ∩ what its scopes name."""

from __future__ import annotations

from itertools import chain, combinations

import pytest

from bridge.claims import ClaimMapper, release_set

PROFILE = {"name", "name#zh-Hant", "name#zh-Hans", "name#en", "sex", "birthdate", "updated_at"}


def test_release_is_the_intersection_of_allowed_claims_and_scope_claims(
    mapper: ClaimMapper,
) -> None:
    allowed = {"name", "name#zh-Hans", "email", "hk_id_number"}
    released = release_set(allowed, ["openid", "profile", "email"], mapper)
    assert released == {"name", "name#zh-Hans", "email"}


def test_scope_outside_the_clients_allowed_set_never_adds_a_claim(mapper: ClaimMapper) -> None:
    released = release_set(PROFILE, ["openid", "profile", "hkic", "phone", "address"], mapper)
    assert released == PROFILE


def test_unknown_scope_adds_no_claim(mapper: ClaimMapper) -> None:
    assert release_set(PROFILE | {"email"}, ["openid", "everything", "email "], mapper) == set()


def test_openid_alone_releases_no_profile_claim(mapper: ClaimMapper) -> None:
    assert release_set(set(mapper.claims), ["openid"], mapper) == set()


def test_claim_names_in_scope_values_are_not_scopes(mapper: ClaimMapper) -> None:
    assert release_set(set(mapper.claims), ["hk_id_number", "email"], mapper) == {"email"}


def test_session_claims_are_not_part_of_the_release_set(mapper: ClaimMapper) -> None:
    released = release_set(set(mapper.claims), mapper.scopes, mapper)
    assert not released & {"acr", "gd_level"}


@pytest.mark.parametrize(
    "allowed",
    [set(), PROFILE, {"email", "phone_number"}, {"hk_id_number", "address", "nickname"}],
    ids=["nothing", "profile", "contact", "identifiers"],
)
def test_asking_for_more_scopes_never_widens_beyond_the_allowed_set(
    mapper: ClaimMapper, allowed: set[str]
) -> None:
    scopes = sorted(mapper.scopes | {"offline_access"})
    subsets = chain.from_iterable(combinations(scopes, n) for n in range(len(scopes) + 1))
    for requested in subsets:
        released = release_set(allowed, requested, mapper)
        assert released <= allowed
        assert released <= mapper.claims_for_scopes(requested)
        # Monotone: adding a scope can add claims, never remove or exceed the registration.
        for extra in scopes:
            assert released <= release_set(allowed, (*requested, extra), mapper) <= allowed
