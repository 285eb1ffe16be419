"""A production set-up that `bridge config check` accepts, built in a temporary
directory, so each test can make exactly one setting unsafe and see it refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bridge.keyfiles import write_atomically
from bridge.upstream.iamsmart.kek import KEK_FILE, create_development_kek

REPO = Path(__file__).resolve().parents[2]
ENCRYPTION_KEY = "production-test-key-encryption-key-0123456789"


def _production_clients() -> str:
    """The shipped first client, as a production client: no development flag, https."""
    shipped = (REPO / "config/clients.yaml").read_text()
    first = shipped[shipped.index("clients:") : shipped.index("  # A second demo client")]
    return first.replace("    development: true   # refused unless BRIDGE_ENV=development\n", "")


def write_production_kek(keys_dir: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_atomically(keys_dir / KEK_FILE, pem)


@dataclass
class ProductionSetUp:
    root: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def keys_dir(self) -> Path:
        return self.root / "keys"

    def changed(self, **changes: str | None) -> dict[str, str]:
        """The environment with some variables changed (None: unset)."""
        env = {**self.env, **changes}
        return {k: v for k, v in env.items() if v is not None}

    def use_development_kek(self) -> None:
        (self.keys_dir / KEK_FILE).unlink()
        create_development_kek(self.keys_dir)


def production_env(root: Path) -> dict[str, str]:
    clients = root / "clients.yaml"
    clients.write_text(_production_clients())
    exchange = root / "token_exchange.yaml"
    exchange.write_text("trusted_issuers: []\ntargets: []\n")
    return {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(REPO),
        "BRIDGE_ENV": "production",
        "BRIDGE_ISSUER": "https://bridge.gba.test",
        "BRIDGE_REDIS_URL": "redis://127.0.0.1:1/0",  # parsed, never connected by a check
        "BRIDGE_PAIRWISE_SALT": "production-test-pairwise-salt-0123456789",
        "BRIDGE_STORE_KEY": "production-test-store-key-0123456789abcdef",
        "BRIDGE_KEYS_DIR": str(root / "keys"),
        "BRIDGE_KEYS_ENCRYPTION_KEY": ENCRYPTION_KEY,
        "BRIDGE_CLIENTS_FILE": str(clients),
        "BRIDGE_UPSTREAMS_FILE": str(REPO / "config/upstreams.yaml"),
        "BRIDGE_CLAIMS_DIR": str(REPO / "config/claims"),
        "BRIDGE_TOKEN_EXCHANGE_FILE": str(exchange),
        "BRIDGE_LOG_LEVEL": "WARNING",
        "GUANGDONG_PUBLIC_URL": "https://portal.gd.test",
        "GUANGDONG_API_URL": "https://api.gd.test",
        "GUANGDONG_BRIDGE_UPSTREAM_SECRET": "gd-issued-upstream-secret-0123456789",
        "IAMSMART_PUBLIC_URL": "https://iamsmart.test",
        "IAMSMART_API_URL": "https://api.iamsmart.test",
        "IAMSMART_CLIENT_SECRET": "esp-issued-client-secret-0123456789",
    }
