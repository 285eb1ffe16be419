"""The key lifecycle, next → active → retired → removed, driven by an injected clock:
every transition is checked at the second it becomes allowed, without sleeping."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jwt as pyjwt
import pytest
from joserfc import jwt
from joserfc.jwk import JWKRegistry, KeySet

from bridge.clock import ManualClock
from bridge.errors import SigningKeyError
from bridge.signing.index import KeyEntry, parse_index
from bridge.signing.keys import ALGORITHMS, Algorithm
from bridge.signing.ring import KeyRing, load_keys
from bridge.tokens.issuer import TokenIssuer
from tests.signing.support import START, instance_settings

ISSUER = "https://bridge.test"
# period 3600 s; pre-publication 300 + 10 = 310 s; retirement max(600, 600, 300, 60) + 10
TIMING: dict[str, Any] = {
    "keys_rotation_period": 3600,
    "jwks_max_age": 300,
    "keys_refresh_interval": 10,
}
PREPUBLICATION, RETIREMENT = 310, 610


class Keys:
    """One instance's key ring on a fresh key directory, with its clock."""

    def __init__(self, tmp_path: Path, **overrides: Any) -> None:
        self.clock = ManualClock(START)
        self.settings = instance_settings(
            tmp_path / "keys", ISSUER, None, **{**TIMING, **overrides}
        )
        self.tmp_path = tmp_path

    async def start(self) -> KeyRing:
        loaded = load_keys(self.settings)
        if loaded.index is None:  # empty directory: what `bridge keys generate` does
            from bridge.signing.locks import KeySetLock
            from bridge.signing.manager import KeyManager

            files = loaded.files
            manager = KeyManager(
                files,
                loaded.policy,
                KeySetLock(None, files.lock_path),
                self.clock,
                development_allowed=True,
            )
            await manager.generate()
            loaded = load_keys(self.settings)
        self.ring = KeyRing(loaded, clock=self.clock, backend=None, development=True)
        return self.ring

    def issue(self, alg: str | None = None) -> str:
        issuer = TokenIssuer(ISSUER, self.ring.current, self.clock)
        return issuer.id_token(
            client_id="c",
            subject="s",
            nonce=None,
            auth_time=int(self.clock.now()),
            acr=None,
            ttl=600,
            alg=alg,
        )

    def published(self, alg: str = "ES256") -> set[str]:
        """The kids published in one algorithm's lane."""
        return {k["kid"] for k in self.ring.current().jwks()["keys"] if k["alg"] == alg}

    def active(self, alg: str = "ES256") -> KeyEntry:
        entry = self.ring.index.active_for(alg)
        assert entry is not None, f"no active {alg} key"
        return entry

    def upcoming(self, alg: str = "ES256") -> KeyEntry:
        entry = self.ring.index.next_for(alg)
        assert entry is not None, f"no next {alg} key"
        return entry

    def states(self) -> dict[str, str]:
        return {e.kid: e.state for e in self.ring.index.keys}


def _header(token: str) -> dict[str, Any]:
    from joserfc.jws import extract_compact

    return dict(extract_compact(token.encode()).protected)


async def test_a_first_key_set_has_an_active_key_and_a_published_next_key_that_does_not_sign(
    tmp_path: Path,
) -> None:
    keys = Keys(tmp_path)
    await keys.start()
    for alg in ("ES256", "RS256"):  # RS256 always; ES256 the default
        upcoming = keys.upcoming(alg)
        assert upcoming.kid in keys.published(alg)
        token = keys.issue(alg)
        assert _header(token)["kid"] == keys.active(alg).kid != upcoming.kid
        assert _header(token)["alg"] == alg
    assert _header(keys.issue())["alg"] == "ES256", "BRIDGE_KEYS_ALGORITHM signs by default"


async def test_scheduled_rotation_comes_after_the_period_and_not_a_second_before(
    tmp_path: Path,
) -> None:
    keys = Keys(tmp_path)
    ring = await keys.start()
    first, upcoming = keys.active().kid, keys.upcoming()
    keys.clock.advance(3600 - 1)
    assert await ring.tick() is None
    assert _header(keys.issue())["kid"] == first

    keys.clock.advance(1)
    outcome = await ring.tick()
    assert outcome is not None and outcome.done == ("rotated",)
    assert _header(keys.issue())["kid"] == upcoming.kid
    states = keys.states()
    assert states[first] == "retired" and states[upcoming.kid] == "active"
    fresh = keys.upcoming()
    assert fresh.kid not in (first, upcoming.kid)
    assert keys.published() == {first, upcoming.kid, fresh.kid}


async def test_a_next_key_signs_only_once_published_for_max_age_plus_refresh_interval(
    tmp_path: Path,
) -> None:
    """A next key replaced shortly before rotation is due holds the rotation back until
    every verifier's cached JWKS (max-age) can have caught up with it."""
    keys = Keys(tmp_path)
    ring = await keys.start()
    keys.clock.advance(3600 - 100)
    await ring.manager.generate()  # an operator publishes a new next key late
    await ring.refresh()
    late = keys.upcoming()
    rs256 = keys.active("RS256").kid
    keys.clock.advance(100)  # rotation is due, but the next key is 100 s old
    outcome = await ring.tick()
    assert outcome is not None and outcome.done == ("rotated",), "the other lane rotates"
    assert keys.active("RS256").kid != rs256
    assert keys.active().kid != late.kid
    keys.clock.advance(PREPUBLICATION - 100 - 1)
    assert await ring.tick() is None
    keys.clock.advance(1)
    assert await ring.tick() is not None
    assert keys.active().kid == late.kid


async def test_operator_rotation_refuses_a_next_key_verifiers_may_not_have_and_force_overrides(
    tmp_path: Path,
) -> None:
    keys = Keys(tmp_path)
    ring = await keys.start()
    keys.clock.advance(PREPUBLICATION - 1)
    with pytest.raises(SigningKeyError, match="may sign from"):
        await ring.manager.rotate()
    outcome = await ring.manager.rotate(force=True)
    assert outcome.done == ("rotated",)


async def test_a_retired_key_stays_published_for_the_longest_token_lifetime_then_goes(
    tmp_path: Path,
) -> None:
    keys = Keys(tmp_path)
    ring = await keys.start()
    first = keys.active()
    keys.clock.advance(3600)
    await ring.tick()
    keys.clock.advance(RETIREMENT - 1)
    assert await ring.tick() is None
    assert first.kid in keys.published()
    assert (keys.settings.keys_dir / "signing" / first.file).exists()

    keys.clock.advance(1)
    outcome = await ring.tick()
    assert outcome is not None and outcome.done == ("pruned",)
    assert first.kid not in keys.published()
    assert not (keys.settings.keys_dir / "signing" / first.file).exists()
    assert first.kid in ring.index.removed


async def test_a_removed_kid_never_comes_back(tmp_path: Path) -> None:
    keys = Keys(tmp_path)
    ring = await keys.start()
    first = keys.active()
    keys.clock.advance(3600)
    await ring.tick()
    keys.clock.advance(RETIREMENT)
    await ring.tick()
    assert first.kid in ring.index.removed
    resurrected = ring.index.model_copy(update={"keys": (*ring.index.keys, first)})
    with pytest.raises(SigningKeyError, match="must not be used again"):
        parse_index(resurrected.to_json(), "keyset.json")


@pytest.mark.parametrize("alg", ALGORITHMS)
@pytest.mark.filterwarnings("ignore:EdDSA is deprecated via RFC 9864")
async def test_each_algorithm_signs_tokens_an_independent_verifier_accepts(
    tmp_path: Path, alg: Algorithm
) -> None:
    """The kid is the RFC 7638 thumbprint of the published key; PyJWT (not the library
    the bridge signs with) verifies ES256, RS256 and EdDSA; joserfc verifies Ed25519,
    the RFC 9864 name PyJWT does not know yet."""
    keys = Keys(tmp_path, keys_algorithm=alg)
    ring = await keys.start()
    token = keys.issue()
    header = _header(token)
    assert header["alg"] == alg
    (published,) = [k for k in ring.current().jwks()["keys"] if k["kid"] == header["kid"]]
    assert JWKRegistry.import_key(published).thumbprint() == header["kid"]
    if alg == "Ed25519":
        claims = jwt.decode(
            token, KeySet.import_key_set({"keys": [published]}), algorithms=[alg]
        ).claims
    else:
        public = pyjwt.PyJWK(published).key
        # the injected clock is ahead of the real one; the signature is what is checked
        options = {"verify_iat": False}
        claims = pyjwt.decode(token, public, algorithms=[alg], audience="c", options=options)
    assert claims["iss"] == ISSUER


@pytest.mark.filterwarnings("ignore:EdDSA is deprecated via RFC 9864")
async def test_an_algorithm_enabled_signs_at_once_and_one_disabled_retires(
    tmp_path: Path,
) -> None:
    """BRIDGE_KEYS_ALGORITHM ES256 → EdDSA: the EdDSA lane starts at the next step (no
    verifier can have cached a key of an algorithm nobody used), the ES256 key retires
    and stays published until its tokens have expired, RS256 goes on untouched."""
    keys = Keys(tmp_path)
    await keys.start()
    es256, rs256 = keys.active(), keys.active("RS256")
    old_token = keys.issue()
    keys.settings = keys.settings.model_copy(update={"keys_algorithm": "EdDSA"})
    ring = await keys.start()  # restarted with BRIDGE_KEYS_ALGORITHM=EdDSA
    assert _header(keys.issue())["alg"] == "ES256", "until the lane exists, the old default"
    outcome = await ring.tick()
    assert outcome is not None and set(outcome.done) == {"generated", "retired"}
    assert _header(keys.issue())["alg"] == "EdDSA"
    assert keys.upcoming("EdDSA").kid in keys.published("EdDSA")
    assert ring.index.active_for("ES256") is None and ring.index.next_for("ES256") is None
    assert keys.published("ES256") == {es256.kid}, "still verifies what it signed"
    assert ring.current().by_kid(_header(old_token)["kid"]) is not None
    assert keys.active("RS256") == rs256
    keys.clock.advance(RETIREMENT)
    await ring.tick()
    assert keys.published("ES256") == set()


async def test_over_many_rotations_every_live_token_verifies_and_no_key_signs_unannounced(
    tmp_path: Path,
) -> None:
    """The invariants, checked every 10 s over five rotation periods in both lanes: a key
    signs only after being published for the pre-publication window, and every
    unexpired token's key is still published."""
    keys = Keys(tmp_path)
    ring = await keys.start()
    # the first keys sign at once (nobody can have cached a JWKS yet); the rest wait
    first_seen = {e.kid: START - PREPUBLICATION for e in ring.index.actives}
    live: list[tuple[str, float]] = []
    rotations = 0
    for _ in range(5 * 3600 // 10):
        keys.clock.advance(10)
        outcome = await ring.tick()
        rotations += bool(outcome and "rotated" in outcome.done)
        now = keys.clock.now()
        for alg in ("ES256", "RS256"):
            for kid in keys.published(alg):
                first_seen.setdefault(kid, now)
            token = keys.issue(alg)
            kid = _header(token)["kid"]
            assert now - first_seen[kid] >= PREPUBLICATION
            live = [(t, exp) for t, exp in live if exp > now] + [(token, now + 600)]
            assert len(keys.published(alg)) <= 3
        published = keys.published("ES256") | keys.published("RS256")
        assert all(_header(t)["kid"] in published for t, _ in live)
    assert rotations == 5


def test_an_index_naming_a_file_outside_the_key_directory_is_refused() -> None:
    raw = (
        b'{"version": 1, "keys": [{"kid": "k", "alg": "ES256", "state": "active",'
        b' "file": "../../etc/passwd", "created_at": 0}]}'
    )
    with pytest.raises(SigningKeyError, match="plain file name"):
        parse_index(raw, "keyset.json")
