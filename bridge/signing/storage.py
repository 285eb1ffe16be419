"""Key files under `keys/`: written atomically with mode 0600, encrypted at rest
(RFC 7517 §7, see `encryption.py`), development keys plain and marked.

Layout:
    keys/signing/keyset.json      the index: which keys exist, their state (`index.py`)
    keys/signing/<kid>.jwe        a private key, encrypted with the key-encryption key
    keys/signing/<kid>.pem        a development private key: plain PKCS#8, with a banner
    keys/signing/.lock            taken (flock) while the key set changes

(Upstreams keep their own key material beside it: bridge/upstream/iamsmart/kek.py.)

Writers write key files first and the index last, each by rename, so a reader never sees
an index naming a key file that is not there yet, nor half a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bridge.clock import Clock
from bridge.errors import SigningKeyError
from bridge.keyfiles import DEVELOPMENT_BANNER, write_atomically
from bridge.signing import lifecycle
from bridge.signing.encryption import KeyEncryptionKey
from bridge.signing.index import KeyEntry, KeyIndex, State, parse_index
from bridge.signing.keys import (
    Algorithm,
    SigningKey,
    load_signing_key,
    new_signing_key,
    signing_key_from_jwk,
)
from bridge.signing.keyset import KeySet

KEYSET_FILE = "keyset.json"
LOCK_FILE = ".lock"


class KeyFiles:
    """The key set as files, read and written with one key-encryption key (None: new
    keys are development keys, which only development accepts)."""

    def __init__(self, keys_dir: Path, encryption: KeyEncryptionKey | None = None) -> None:
        self.keys_dir = keys_dir
        self.directory = keys_dir / "signing"
        self.index_path = self.directory / KEYSET_FILE
        self.lock_path = self.directory / LOCK_FILE
        self.encryption = encryption

    def read_index(self) -> KeyIndex | None:
        try:
            raw = self.index_path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SigningKeyError(f"cannot read {self.index_path}: {exc.strerror}") from None
        return parse_index(raw, str(self.index_path))

    def require_index(self) -> KeyIndex:
        index = self.read_index()
        if index is None:
            raise SigningKeyError(
                f"no signing keys in {self.directory} (run `bridge keys generate`, or "
                "`bridge demo` for development keys)"
            )
        return index

    def write_index(self, index: KeyIndex) -> None:
        write_atomically(self.index_path, index.to_json(), 0o644)  # public keys only

    def new_key(self, alg: Algorithm, now: float, *, development_allowed: bool) -> SigningKey:
        if self.encryption is None and not development_allowed:
            raise SigningKeyError(
                "no key-encryption key configured (BRIDGE_KEYS_ENCRYPTION_KEY): "
                "outside development every private key is encrypted at rest"
            )
        return new_signing_key(alg, created_at=now, development=self.encryption is None)

    def write_key(self, key: SigningKey, state: State) -> KeyEntry:
        """Write a key's file and return its index entry (not yet in the index)."""
        if key.development:
            name = f"{key.kid}.pem"
            data = DEVELOPMENT_BANNER.encode() + key.key.as_pem(private=True)
        elif self.encryption is not None:
            name = f"{key.kid}.jwe"
            data = self.encryption.seal(dict(key.key.as_dict(private=True)))
        else:
            raise SigningKeyError("a key that is not a development key must be encrypted")
        write_atomically(self.directory / name, data)
        return KeyEntry(
            kid=key.kid,
            alg=key.alg,
            state=state,
            file=name,
            created_at=key.created_at,
            development=key.development,
            public_jwk=key.public_jwk(),
        )

    def remove_files(self, entries: list[KeyEntry]) -> None:
        for entry in entries:
            (self.directory / entry.file).unlink(missing_ok=True)

    def load_key(self, entry: KeyEntry) -> SigningKey:
        path = self.directory / entry.file
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SigningKeyError(f"cannot read signing key {path}: {exc.strerror}") from None
        try:
            if data.lstrip().startswith(b"eyJ"):  # a compact JWE: base64url of '{"'
                if self.encryption is None:
                    raise SigningKeyError(
                        f"{path} is encrypted: set BRIDGE_KEYS_ENCRYPTION_KEY (or _FILE)"
                    )
                if entry.development:
                    raise SigningKeyError(f"{path} is encrypted but listed as development")
                jwk = self.encryption.open(data, str(path))
                key = signing_key_from_jwk(jwk, entry.alg, created_at=entry.created_at)
            else:
                marked = data.startswith(DEVELOPMENT_BANNER[:20].encode())
                if marked != entry.development:
                    raise SigningKeyError(f"{path}: the development banner and the index disagree")
                key = load_signing_key(
                    data, entry.alg, created_at=entry.created_at, development=marked
                )
        except ValueError as exc:
            raise SigningKeyError(f"cannot load signing key {path}: {exc}") from None
        if key.kid != entry.kid:
            raise SigningKeyError(f"{path} does not hold the key with kid {entry.kid}")
        if entry.public_jwk is not None and entry.public_jwk != key.public_jwk():
            raise SigningKeyError(f"{self.index_path}: the public key of {entry.kid} is wrong")
        return key

    def load_keyset(
        self,
        index: KeyIndex,
        cache: Mapping[tuple[str, str], SigningKey] | None = None,
        default_alg: str | None = None,
    ) -> KeySet:
        """The key set an index describes, signing by default with the active key of
        `default_alg` (if its lane has one); keys already in `cache` (by kid and alg: a
        kid always names the same key) are not read or decrypted again."""
        cache = cache or {}
        loaded = {e.kid: cache.get((e.kid, e.alg)) or self.load_key(e) for e in index.ordered()}
        actives: dict[str, SigningKey] = {e.alg: loaded[e.kid] for e in index.actives}
        active = actives.get(default_alg or "") or next(iter(actives.values()))
        others = tuple(k for kid, k in loaded.items() if kid != active.kid)
        return KeySet(active=active, others=others, version=index.version, signers=actives)

    def plaintext_keys(self, index: KeyIndex) -> list[str]:
        """Files holding a private key that is not encrypted (development keys)."""
        return [e.file for e in index.keys if not e.file.endswith(".jwe")]


def load_keyset(keys_dir: Path, encryption: KeyEncryptionKey | None = None) -> KeySet:
    files = KeyFiles(keys_dir, encryption)
    return files.load_keyset(files.require_index())


DEVELOPMENT_ALGORITHMS: tuple[Algorithm, ...] = ("ES256", "RS256")
"""The demo's lanes: the default settings' enabled algorithms."""


def create_development_keyset(
    keys_dir: Path, clock: Clock, algs: tuple[Algorithm, ...] = DEVELOPMENT_ALGORITHMS
) -> None:
    """An active and a next key per algorithm, as `bridge keys generate` makes in an empty
    directory. Complete from the start, the app's first maintenance has nothing to make:
    with actives alone it made every next key at the first start (an RSA key is ~0.1 s of
    CPU, paid by every demo's first start and every test chain)."""
    files = KeyFiles(keys_dir)
    now = clock.now()

    def fresh(alg: Algorithm) -> KeyEntry:
        return files.write_key(files.new_key(alg, now, development_allowed=True), "next")

    files.write_index(lifecycle.bootstrap([(fresh(alg), fresh(alg)) for alg in algs], now))


def ensure_development_keyset(keys_dir: Path, clock: Clock) -> list[str]:
    """Create the development key set when there is none; returns what was created."""
    if (keys_dir / "signing" / KEYSET_FILE).exists():
        return []
    create_development_keyset(keys_dir, clock)
    return [f"signing keys ({', '.join(DEVELOPMENT_ALGORITHMS)})"]


def public_jwks(
    index: KeyIndex, files: KeyFiles, default_alg: str | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The JWKS an index describes, in the order the app serves it (the default
    algorithm's active key first), from the public keys it records: no private key or
    key-encryption key needed."""
    first = index.active_for(default_alg or "") or index.actives[0]
    entries = [first, *(e for e in index.ordered() if e.kid != first.kid)]
    return {"keys": [e.public_jwk or files.load_key(e).public_jwk() for e in entries]}
