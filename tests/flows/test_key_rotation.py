"""Key rotation with two bridge instances on one Redis and one key directory, over real
HTTP: tokens from either verify against the JWKS either serves, before and after a
rotation; a verifier caching the JWKS for the advertised max-age never meets an unknown
kid; rotation started on both at once happens once; metrics tell an operator about it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet
from joserfc.jws import extract_compact
from prometheus_client.parser import text_string_to_metric_families

from tests.signing.support import (
    CachingVerifier,
    Instances,
    bridge_instances,
    on_loop,
    ring,
    step,
)

# jwks max-age 60 + refresh 10 = 70 s pre-publication; tokens live 60 s, so retirement
# is 70 s; rotation every 120 s.
TIMING: dict[str, Any] = {
    "jwks_max_age": 60,
    "keys_refresh_interval": 10,
    "keys_rotation_period": 120,
    "access_token_ttl": 60,
    "id_token_ttl": 60,
    "exchanged_token_ttl": 60,
}


def kid_of(token: str) -> str:
    return str(extract_compact(token.encode()).protected["kid"])


def jwks_kids(instances: Instances, i: int) -> set[str]:
    return {k["kid"] for k in instances.jwks(i).json()["keys"]}


def assert_verifies_everywhere(instances: Instances, tokens: dict[str, Any]) -> None:
    """The ID token against each instance's JWKS; the access token at each /userinfo."""
    for i in range(len(instances.urls)):
        keys = instances.jwks(i).json()
        jwt.decode(tokens["id_token"], KeySet.import_key_set(keys), algorithms=["ES256"])
        info = httpx.get(
            f"{instances.urls[i]}/userinfo",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
        assert info.status_code == 200, (i, info.text)


def test_tokens_from_both_instances_verify_everywhere_before_and_after_a_rotation(
    tmp_path: Path, redis_url: str
) -> None:
    lifetimes = {"access_token_ttl": 300, "id_token_ttl": 300}  # outlive the rotation
    with bridge_instances(tmp_path, redis_url, **{**TIMING, **lifetimes}) as instances:
        a, b = instances.apps
        step(a)  # A publishes the next key
        step(b)
        before = [instances.sign_in(0, 0), instances.sign_in(0, 1)]
        old_kid = kid_of(before[0]["id_token"])
        assert kid_of(before[1]["id_token"]) == old_kid
        for tokens in before:
            assert_verifies_everywhere(instances, tokens)

        instances.advance(120)
        step(b)  # B's schedule rotates; A has not looked yet
        after_b = instances.sign_in(0, 1)
        after_a_stale = instances.sign_in(0, 0)
        new_kid = kid_of(after_b["id_token"])
        assert new_kid != old_kid
        assert kid_of(after_a_stale["id_token"]) == old_kid  # A signs as it was, for now

        step(a)
        after_a = instances.sign_in(0, 0)
        assert kid_of(after_a["id_token"]) == new_kid
        for tokens in [*before, after_b, after_a_stale, after_a]:
            assert_verifies_everywhere(instances, tokens)
        assert jwks_kids(instances, 0) == jwks_kids(instances, 1)


def test_a_verifier_caching_the_jwks_for_its_max_age_never_meets_an_unknown_kid(
    tmp_path: Path, redis_url: str
) -> None:
    """Four rotation periods in 5 s steps of the clock. The instances look at the shared
    key set out of step (B at :05, A at :00 of every 10 s); residents sign in at either;
    24 verifiers, two starting every 5 s, fetch the JWKS from either instance
    and keep each copy for max-age, so some fetch from an instance that has not seen the
    latest change yet. Just after B looked, an operator replaces the next key 15 s before
    rotation is due: the rotation must wait until every such copy has expired."""
    with bridge_instances(tmp_path, redis_url, **TIMING) as instances, httpx.Client() as http:
        step(instances.apps[0])
        step(instances.apps[1])
        a_first, b_first = instances.urls, instances.urls[::-1]
        starts = [  # (tick of the first fetch, verifier)
            (tick, CachingVerifier(order, instances.clock, http))
            for tick in range(1, 13)
            for order in (a_first, b_first)
        ]
        signers: set[str] = set()
        live: list[tuple[str, float]] = []
        for tick in range(1, 4 * 120 // 5 + 1):
            instances.advance(5)
            step(instances.apps[tick % 2])
            if tick == 21:  # at 105 s, after B's look: B sees it only at 115 s
                on_loop(instances.apps[0], lambda key_ring: key_ring.manager.generate())
            if tick % 3 == 0:
                tokens = instances.sign_in(tick % 2, (tick // 3) % 2)
                live.append((tokens["id_token"], instances.clock.now() + 60))
                signers.add(kid_of(tokens["id_token"]))
            live = [(t, exp) for t, exp in live if exp > instances.clock.now()]
            for start, verifier in starts:
                if start == tick:
                    verifier.keys()  # its first fetch
                for token, _ in live if start <= tick else ():
                    verifier.verify(token)  # raises UnknownKid on a miss
        assert len(signers) >= 4, "the test must span several rotations"


def test_rotate_started_on_both_instances_at_once_rotates_exactly_once(
    tmp_path: Path, redis_url: str
) -> None:
    with bridge_instances(tmp_path, redis_url, **TIMING) as instances:
        a, b = instances.apps
        step(a)
        step(b)
        instances.advance(70)
        active = {e.alg: e.kid for e in ring(a).index.actives}
        futures = [
            asyncio.run_coroutine_threadsafe(
                r.manager.rotate(expected_active=active),
                r.loop,  # type: ignore[arg-type]
            )
            for r in (ring(a), ring(b))
        ]
        outcomes = [f.result(timeout=30) for f in futures]
        assert sorted(o.done for o in outcomes) == [(), ("rotated",)]
        step(a)
        step(b)
        assert ring(a).index == ring(b).index
        assert sorted(e.kid for e in ring(a).index.retired) == sorted(active.values())


def scrape(url: str) -> dict[str, float]:
    """Samples by name, with their labels: `bridge_signing_keys{state=next}`."""
    text = httpx.get(f"{url}/metrics").text
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[sample.name + (f"{{{labels}}}" if labels else "")] = sample.value
    return samples


def test_metrics_give_key_age_time_to_rotation_jwks_requests_and_unknown_kids(
    tmp_path: Path, redis_url: str
) -> None:
    with bridge_instances(tmp_path, redis_url, **TIMING) as instances:
        a = instances.apps[0]
        url = instances.urls[0]
        step(a)
        instances.advance(30)
        before = scrape(url)
        assert before["bridge_signing_key_age_seconds"] == 30
        assert before["bridge_signing_key_rotation_in_seconds"] == 120 - 30
        assert before["bridge_signing_keys{state=next}"] == 2, "one per algorithm"
        assert before["bridge_keyset_version"] == ring(a).index.version

        instances.jwks(0)
        instances.jwks(0)
        foreign = ECKey.generate_key("P-256", parameters={"kid": "not-ours"})
        forged = jwt.encode(
            {"alg": "ES256", "kid": "not-ours", "typ": "at+jwt"},
            {"iss": instances.issuer, "aud": instances.issuer, "sub": "x"},
            foreign,
        )
        refused = httpx.get(f"{url}/userinfo", headers={"Authorization": f"Bearer {forged}"})
        assert refused.status_code == 401
        after = scrape(url)
        jwks_before = before.get("bridge_jwks_requests_total", 0)
        assert after["bridge_jwks_requests_total"] == jwks_before + 2
        unknown_before = before.get("bridge_unknown_kid_lookups_total", 0)
        assert after["bridge_unknown_kid_lookups_total"] == unknown_before + 1

        instances.advance(90)
        step(a)
        rotated = scrape(url)
        assert rotated["bridge_signing_key_age_seconds"] == 0
        assert rotated["bridge_signing_key_rotation_in_seconds"] == 120
        assert rotated["bridge_signing_key_changes_total{change=rotated}"] == 1
