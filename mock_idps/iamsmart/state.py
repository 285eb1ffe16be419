"""All mutable state of one mock iAM Smart instance, reachable as `app.state.iamsmart`.

In-process tests read it (call counters, issued codes) and flip its switches; nothing
here is shared between instances, as the mock runs as a single process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from mock_idps.iamsmart.config import ClientConfig, MockIamSmartConfig, MockSettings, Persona

_PRUNE_ABOVE = 1024


@dataclass
class QrTicket:
    """One QR page: the verified getQR request waiting for the resident's decision."""

    client_id: str
    redirect_uri: str
    scope: tuple[str, ...]
    state: str | None
    lang: str
    source: str
    created_at: float
    consumed: bool = False
    broker_page: bool = False
    """A phone's request asked for iAM Smart's broker page (`brokerPage=true`)."""

    @property
    def same_device(self) -> bool:
        """The resident is on the phone that holds the app: no QR code to scan."""
        return self.source.startswith(("iOS_", "Android_"))


@dataclass(frozen=True)
class AuthCode:
    client_id: str
    persona_id: str
    scope: tuple[str, ...]
    issued_at: float


@dataclass(frozen=True)
class ContentKey:
    key: bytes
    issue_at_ms: int
    expires_in_ms: int

    @property
    def expires_at_ms(self) -> int:
        return self.issue_at_ms + self.expires_in_ms


@dataclass(frozen=True)
class AccessToken:
    client_id: str
    persona_id: str
    open_id: str
    scope: tuple[str, ...]
    expires_at_ms: int


@dataclass
class IamSmartState:
    config: MockIamSmartConfig
    clock: Callable[[], float]
    tickets: dict[str, QrTicket] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    ceks: dict[str, ContentKey] = field(default_factory=dict)
    """Current content key per clientID."""
    tokens: dict[str, AccessToken] = field(default_factory=dict)
    nonces: dict[str, dict[str, int]] = field(default_factory=dict)
    """clientID → nonce → timestamp (ms) of the request that used it."""
    last_timestamps: dict[str, int] = field(default_factory=dict)
    last_modified: dict[str, int] = field(default_factory=dict)
    """persona id → current lastModifiedDate (ms)."""
    calls: Counter[str] = field(default_factory=Counter)
    """Requests received per endpoint name (getQR, getKey, revokeKey, getToken, profiles)."""
    lenient_content_signature: bool = False
    """Switch: also accept an HMAC over the `content` string only."""
    clients: dict[str, ClientConfig] = field(init=False)
    personas: dict[str, Persona] = field(init=False)
    _keks: dict[str, RSAPublicKey] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lenient_content_signature = self.config.settings.lenient_content_signature
        self.last_modified = {p.id: p.lastModifiedDate for p in self.config.personas}
        self.clients = {c.clientID: c for c in self.config.clients}
        self.personas = {p.id: p for p in self.config.personas}

    @property
    def settings(self) -> MockSettings:
        return self.config.settings

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def remember_nonce(self, client_id: str, nonce: str, stamp: int) -> bool:
        """Record a nonce; False if the client already used it."""
        seen = self.nonces.setdefault(client_id, {})
        if nonce in seen:
            return False
        if len(seen) > _PRUNE_ABOVE:
            # A request older than the skew window fails its timestamp check anyway, so
            # its nonce no longer needs remembering.
            oldest = self.now_ms() - self.settings.timestamp_skew_seconds * 1000
            for old in [n for n, s in seen.items() if s < oldest]:
                del seen[old]
        seen[nonce] = stamp
        return True

    def kek(self, client: ClientConfig) -> RSAPublicKey | None:
        """The client's KEK, read on first use so the mock may start before the key exists."""
        cached = self._keks.get(client.clientID)
        if cached is not None:
            return cached
        try:
            key = load_pem_public_key(client.kekPublicKeyFile.read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(key, RSAPublicKey) or key.key_size < 2048:
            return None
        self._keks[client.clientID] = key
        return key

    def current_cek(self, client_id: str) -> ContentKey | None:
        cek = self.ceks.get(client_id)
        if cek is None or cek.expires_at_ms <= self.now_ms():
            return None
        return cek

    def issue_cek(self, client_id: str) -> ContentKey:
        """The client's valid CEK, or a new one: iAM Smart reuses a CEK until it expires."""
        cek = self.current_cek(client_id)
        if cek is None:
            expires_in = self.settings.cek_expires_in_ms
            cek = ContentKey(secrets.token_bytes(32), self.now_ms(), expires_in)
            self.ceks[client_id] = cek
        return cek

    def expire_cek(self, client_id: str) -> None:
        cek = self.ceks.get(client_id)
        if cek is not None:
            elapsed = self.now_ms() - cek.issue_at_ms
            self.ceks[client_id] = ContentKey(cek.key, cek.issue_at_ms, elapsed)

    def open_id(self, client_id: str, persona_id: str) -> str:
        """Pairwise Tokenised ID (§1.14): stable per (resident, service), URL-encoded Base64."""
        secret = self.settings.mock_secret.get_secret_value().encode("utf-8")
        digest = hmac.new(secret, f"{client_id}:{persona_id}".encode(), hashlib.sha256).digest()
        return quote(base64.b64encode(digest).decode("ascii"), safe="")

    def touch_persona(self, persona_id: str) -> None:
        """Advance lastModifiedDate to now for personas whose data 'changes' at each sign-in."""
        if self.personas[persona_id].lastModifiedOnEverySignIn:
            previous = self.last_modified[persona_id]
            self.last_modified[persona_id] = max(self.now_ms(), previous + 1)

    def new_code(self, ticket: QrTicket, persona_id: str) -> str:
        code = secrets.token_hex(16)
        self._prune()
        self.codes[code] = AuthCode(ticket.client_id, persona_id, ticket.scope, self.clock())
        return code

    def new_ticket(self, ticket: QrTicket) -> str:
        ticket_id = secrets.token_hex(16)
        self._prune()
        self.tickets[ticket_id] = ticket
        return ticket_id

    def new_token(self, code: AuthCode) -> tuple[str, AccessToken]:
        access_token = secrets.token_hex(16)
        token = AccessToken(
            client_id=code.client_id,
            persona_id=code.persona_id,
            open_id=self.open_id(code.client_id, code.persona_id),
            scope=code.scope,
            expires_at_ms=self.now_ms() + self.settings.access_token_ttl_ms,
        )
        self._prune()
        self.tokens[access_token] = token
        return access_token, token

    def _prune(self) -> None:
        """Drop what can no longer be used, so a long-running demo does not grow forever."""
        now = self.clock()
        if len(self.tickets) > _PRUNE_ABOVE:
            ttl = self.settings.qr_ticket_ttl_seconds
            self.tickets = {k: t for k, t in self.tickets.items() if now - t.created_at <= ttl}
        if len(self.codes) > _PRUNE_ABOVE:
            ttl = self.settings.code_ttl_seconds
            self.codes = {k: c for k, c in self.codes.items() if now - c.issued_at <= ttl}
        if len(self.tokens) > _PRUNE_ABOVE:
            now_ms = self.now_ms()
            self.tokens = {k: t for k, t in self.tokens.items() if t.expires_at_ms > now_ms}
